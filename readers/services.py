"""Signing in with a link: one action across the link, the account and the reader."""

import secrets
from dataclasses import dataclass

from axes.models import AccessLog
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from readers.models import Reader, SignInLink, lock_address, token_hash


@dataclass(frozen=True)
class SignIn:
    reader: Reader
    next_path: str


def sign_in_link_redeem(*, token: str) -> SignIn | None:
    """The reader a live link signs in (made on their first sign-in), or None for a link
    that is unknown (forged, altered), used or expired: then nothing changes.

    Using a link spends every live link of its address: one sign-in retires the others,
    so an older message left in an inbox opens nothing. A reader row that points at a
    staff or disabled account is never signed in by link."""
    hashed = token_hash(token)
    email = SignInLink.objects.filter(token_hash=hashed).values_list("email", flat=True).first()
    if email is None:
        return None
    with transaction.atomic():
        # The address's lock first, then the row: the job that issues links and a second
        # link used at the same moment wait here, and no two locks are taken in turn.
        lock_address(email)
        link = SignInLink.objects.select_for_update().filter(token_hash=hashed).first()
        now = timezone.now()
        if link is None or not link.is_live(now):
            return None
        reader = Reader.objects.select_related("user").filter(email=email).first()
        if reader is not None and not reader.may_sign_in():
            return None
        SignInLink.objects.use_all(email, now)
        if reader is None:
            reader = reader_create(email=email)
        return SignIn(reader=reader, next_path=link.next_path)


def reader_create(*, email: str) -> Reader:
    """A reader's account: no password (links only), never staff, a username of no
    meaning. The address is kept on the reader alone: nothing that looks accounts up by
    User.email (the admin's sign-in, password resets) ever finds a reader."""
    user = get_user_model()(username=f"reader-{secrets.token_hex(8)}")
    user.set_unusable_password()
    user.save()
    return Reader.objects.create(user=user, email=email)


def reader_erase(*, account) -> None:
    """Delete a reader's account and what the site keeps of it outside comments: its
    address's sign-in links and its sign-ins as django-axes logged them (username,
    address, browser). The comments app calls this last, once it has dealt with the
    account's comments (comments.services.account_erase)."""
    reader = getattr(account, "reader", None)
    if reader is not None:
        SignInLink.objects.filter(email=reader.email).delete()
    AccessLog.objects.filter(username=account.get_username()).delete()
    account.delete()
