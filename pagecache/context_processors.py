from pagecache.placeholders import placeholder


def csrf(request) -> dict:
    """`{% csrf_token %}` emits the CSRF placeholder, so the same form works on a cached
    page and a live one; the middleware fills in each visitor's token. (Replaces
    Django's built-in csrf context processor, which runs first.)"""
    return {"csrf_token": placeholder("csrf")}
