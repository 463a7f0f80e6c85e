"""Old addresses answer with a permanent redirect to the story they named, so that links
and search rankings survive the move (imports.models.OldAddress).

Only a request nothing else answers costs a lookup: a 404, whatever road it took (no
route, a view's Http404), and the one address this site answers for every query,
WordPress's `/?p=123` (and `/?page_id=123`), which the home page would otherwise answer
with 200 — and, page-cached, without ever reaching its view. Every other page is left as
it is, without a query. It sits right inside CommonMiddleware, so an old address without
its trailing slash is redirected here in one step, not first to a slashed 404.
"""

from django.db import InterfaceError, OperationalError
from django.http import HttpResponsePermanentRedirect

from imports.addresses import NAMING_PARAMETERS, request_address
from imports.models import OldAddress


class OldAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        if request.path == "/" and any(name in request.GET for name in NAMING_PARAMETERS):
            # Before the view: a cached home page would answer without it.
            redirect = self.redirect(request)
            if redirect is not None:
                return redirect
        response = self.get_response(request)
        if response.status_code == 404:
            return self.redirect(request) or response
        return response

    def redirect(self, request) -> HttpResponsePermanentRedirect | None:
        address = request_address(request)
        if address is None:
            return None
        try:
            story = OldAddress.objects.story_for(address)
        except (OperationalError, InterfaceError):
            # The database is away: the page answers as it would without old addresses.
            return None
        return HttpResponsePermanentRedirect(story.get_absolute_url()) if story else None
