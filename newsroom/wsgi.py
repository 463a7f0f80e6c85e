"""WSGI entry point: `gunicorn newsroom.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

from newsroom.localdb import ensure_started

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

application = get_wsgi_application()
# Each worker attaches to the embedded PostgreSQL (starting it if it is the first) when
# DATABASE_URL is unset: at boot, so a server that cannot start stops the worker at once
# instead of failing its first requests.
ensure_started()
