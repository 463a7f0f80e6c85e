"""Cross-Origin-Resource-Policy: the site's pages, feeds and admin are for this site
alone, so no other site can pull one in as a script or image (and read it through a
side channel such as Spectre). Static files never reach this middleware (WhiteNoise
answers them first) and photos say `cross-origin` themselves: feed readers and other
sites may show them."""

CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"


class CrossOriginResourcePolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Cross-Origin-Resource-Policy", CROSS_ORIGIN_RESOURCE_POLICY)
        return response
