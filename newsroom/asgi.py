"""ASGI entry point, for servers that speak ASGI."""

import os

from django.core.asgi import get_asgi_application

from newsroom.localdb import ensure_started

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

application = get_asgi_application()
# The embedded PostgreSQL, when DATABASE_URL is unset: started (or attached to) at boot.
ensure_started()
