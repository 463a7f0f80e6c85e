"""While the database is away (a restart, a failover), readers get a friendly 503 that
asks them to retry shortly, not a 500 page or a hang; persistent connections are
health-checked, so the site recovers by itself when the database answers again."""

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 5


def unavailable_response() -> HttpResponse:
    # A template that needs no database: no section navigation, no context processors.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            return unavailable_response()
        return None
