from collections.abc import Callable
from functools import wraps

ScopesOfPage = Callable[[dict], list[str]]


def reader_page(scopes: ScopesOfPage):
    """Mark a view as a reader page the page cache may serve: `scopes(url_kwargs)` names
    what it shows, most general first (e.g. ["site", "story:42"]). Views the page cache
    answers from its store are not called at all."""

    def decorate(view):
        @wraps(view)
        def page(request, *args, **kwargs):
            return view(request, *args, **kwargs)

        page.page_scopes = scopes
        return page

    return decorate
