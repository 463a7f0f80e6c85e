from django.conf import settings
from django.contrib.auth import logout

from staff.twofactor import lacks_second_factor


class SecondFactorMiddleware:
    """Signs out a session whose user needs a second factor it has not given: one from
    before the account needed it (STAFF_REQUIRE_2FA turned on, a new superuser, a
    device deleted by an administrator), so that no page, in the admin or on the site
    (moderating from a story page, previews), answers a password alone.

    A request without a session cookie is not looked at (no query, no `Vary: Cookie`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES and lacks_second_factor(request.user):
            logout(request)
        return self.get_response(request)
