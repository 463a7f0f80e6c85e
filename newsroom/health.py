"""/healthz for a load balancer: is the database (and a shared cache) reachable?"""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

LOCAL_CACHE = "django.core.cache.backends.locmem.LocMemCache"


@require_GET
def healthz(request):
    checks = {"database": _database()}
    if settings.CACHES["default"]["BACKEND"] != LOCAL_CACHE:
        checks["cache"] = _cache()
    healthy = all(state == "ok" for state in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "fail", **checks})
    response.status_code = 200 if healthy else 503
    add_never_cache_headers(response)
    return response


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to answer is "down" to a load balancer
        return "fail"
    return "ok"


def _cache() -> str:
    try:
        # django-redis swallows Redis errors (IGNORE_EXCEPTIONS): only a round trip tells.
        cache.set("healthz", "ok", 10)
        return "ok" if cache.get("healthz") == "ok" else "fail"
    except Exception:
        return "fail"
