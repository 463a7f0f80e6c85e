"""Who a reader is, as far as the site can tell: only what the site itself issued.

A signed-in reader is their account (`user:<pk>`). Anyone else is the random identity in
the signed reader cookie (`reader:<id>`), which the site sets on a reader's first comment
or report: long-lived, HttpOnly, SameSite=Lax, Secure under HTTPS. A forged or altered
cookie is no identity at all (a new one is issued). What a reader types (a name, an
email address) is never an identity: anyone can type anyone's.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings

from readers.models import Reader as ReaderAccount
from readers.models import name_key

COOKIE_SALT = "comments.reader"


@dataclass(frozen=True)
class Reader:
    key: str
    # A new cookie identity to hand the reader with the response, if they had none.
    new_cookie: str | None = None

    @classmethod
    def reissued(cls, key: str) -> "Reader | None":
        """A cookie identity handed back to the reader it was issued to."""
        if not key.startswith("reader:"):
            return None
        return cls(key, new_cookie=key.removeprefix("reader:"))

    def remember(self, response) -> None:
        """Set the reader cookie on the response when this identity is new."""
        if self.new_cookie is None:
            return
        response.set_signed_cookie(
            settings.COMMENTS_READER_COOKIE,
            self.new_cookie,
            salt=COOKIE_SALT,
            max_age=settings.COMMENTS_READER_COOKIE_DAYS * 24 * 60 * 60,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )


def reader_of(request) -> Reader:
    """The reader behind this request: their account, their cookie's identity, or a new
    identity to set in a cookie."""
    if request.user.is_authenticated:
        return Reader(f"user:{request.user.pk}")
    identity = request.get_signed_cookie(
        settings.COMMENTS_READER_COOKIE, default=None, salt=COOKIE_SALT
    )
    if identity and len(identity) <= 40:
        return Reader(f"reader:{identity}")
    new = secrets.token_urlsafe(16)
    return Reader(f"reader:{new}", new_cookie=new)


def is_readers_name(name: str) -> bool:
    """Does a typed name read as a reader's display name (same `name_key`)? Then a guest
    may not take it: a reader's name belongs to their account."""
    key = name_key(name)
    return bool(key) and ReaderAccount.objects.filter(name_key=key).exists()
