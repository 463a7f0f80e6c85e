"""One structured log line per request: what was asked, what was answered, how fast."""

import logging
import time

logger = logging.getLogger("newsroom.requests")


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
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "remote_addr": request.META.get("REMOTE_ADDR"),
                },
            )
        return response
