"""One structured log line per request: what was asked, what was answered, how fast."""

import logging
import time

logger = logging.getLogger("newsroom.requests")


# URL parts that are secrets (a sign-in link's token, an unsubscribe token): whoever
# reads the logs must not be able to use them.
SECRET_URL_KWARGS = ("token",)


def logged_path(request) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name in SECRET_URL_KWARGS:
        value = match.kwargs.get(name) if match is not None else None
        if value:
            path = path.replace(str(value), "…")
    return path


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": logged_path(request),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "remote_addr": request.META.get("REMOTE_ADDR"),
                },
            )
        return response
