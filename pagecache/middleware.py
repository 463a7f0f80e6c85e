"""Fills the per-visitor placeholders of every HTML response, cached or live.

It sits inside Django's CSRF middleware, so the CSRF cookie is set for the tokens it
fills in; it knows no app (see `pagecache.placeholders`).
"""

from pagecache import placeholders


class PlaceholderMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and placeholders.has_placeholders(response.content)
        ):
            response.content = placeholders.fill(request, response.content.decode()).encode()
        return response
