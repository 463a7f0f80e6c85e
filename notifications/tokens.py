"""Unsubscribe links that work without signing in: a signed token holding the reader's
account and the scope (one thread, or every thread).

They never expire: a mail read a year later must still unsubscribe (RFC 8058 expects the
link to keep working, and a reader should never need to sign in to stop mail), and all a
token can do is turn mail off, for the one reader it names. Forging one takes SECRET_KEY;
rotating the key without keeping the old one in SECRET_KEY_FALLBACKS voids every link
already sent.
"""

from dataclasses import dataclass

from django.core import signing

# Its own salt: no other signed value of the site (form tokens, cookies) is accepted here.
SALT = "notifications.unsubscribe"


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    thread_id: int | None  # None: every thread


class InvalidToken(Exception):
    pass


def unsubscribe_token(*, user_id: int, thread_id: int | None = None) -> str:
    return signing.dumps([user_id, thread_id], salt=SALT)


def read_token(token: str) -> Unsubscribe:
    try:
        user_id, thread_id = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise InvalidToken from error
    if not isinstance(user_id, int) or not (thread_id is None or isinstance(thread_id, int)):
        raise InvalidToken
    return Unsubscribe(user_id, thread_id)
