"""Readers with an account: commenters the site knows by a verified address and a display
name. Comments, notifications and sanctions refer to the account (a `User` row that is
never staff); this app knows nothing of comments.

An account is made the first time someone signs in with a link sent to their address,
so every reader's address has been shown to receive mail. Staff accounts are never
signed in by link: a reader's address is looked up here, never on the User row.
"""

import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from articles.text import skeleton

# At most this many unused, unexpired links per address: asking again and again (from
# many networks) cannot fill a reader's inbox.
LIVE_LINKS_PER_ADDRESS = 5
# The advisory lock class of "one address's sign-in links": issuing a link and using one
# take it, so the cap is exact and two links used at once make one account.
ADDRESS_LOCK = 1_303


class NameTaken(Exception):
    """Another reader's display name reads the same."""


def name_key(display_name: str) -> str:
    """What a display name looks like: look-alike letters, digits used for letters,
    spacing and punctuation folded (articles.text.skeleton), then case-folded ("ß" is
    "ss") and NFKC again. "Reader", "rEADER", "R e a d e r" and a Cyrillic "Rеader" have
    one key. Empty for a name with no letters or digits."""
    return unicodedata.normalize("NFKC", skeleton(display_name).casefold())


def lock_address(email: str) -> None:
    """Hold the address's lock until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [ADDRESS_LOCK, email])


class ReaderQuerySet(models.QuerySet):
    def name_taken(self, key: str, *, excluding: "Reader | None" = None) -> bool:
        taken = self.filter(name_key=key)
        if excluding is not None:
            taken = taken.exclude(pk=excluding.pk)
        return bool(key) and taken.exists()


class Reader(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="Account",
        on_delete=models.CASCADE,
        related_name="reader",
    )
    # Lower-cased: the address links are sent to, and what a sign-in looks the reader up by.
    email = models.EmailField("Email", unique=True, help_text="Never shown to readers.")
    display_name = models.CharField("Display name", max_length=50, blank=True)
    # The display name reduced to what it looks like (case, width and look-alike letters
    # folded): two readers may not pass for each other. Set with display_name.
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField("Joined", default=timezone.now)

    objects = ReaderQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["name_key"], condition=~models.Q(name_key=""), name="reader_name_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="reader_email_lower"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or f"Reader {self.pk}"

    def save(self, *args, **kwargs) -> None:
        # The key follows the name however the row is saved (a form, the admin, a factory).
        self.name_key = name_key(self.display_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "display_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def may_sign_in(self) -> bool:
        """A link never signs in a staff or a disabled account, whatever row points to it."""
        return self.user.is_active and not (self.user.is_staff or self.user.is_superuser)

    def set_display_name(self, name: str) -> None:
        """Raises NameTaken when another reader's name has the same key, also when that
        reader took it a moment ago (the database's unique constraint says so)."""
        self.display_name = name
        try:
            with transaction.atomic():
                self.save(update_fields=["display_name"])
        except IntegrityError as error:
            if getattr(error.__cause__, "diag", None) and (
                error.__cause__.diag.constraint_name == "reader_name_unique"
            ):
                raise NameTaken(name) from error
            raise


def token_hash(token: str) -> str:
    """What is stored of a sign-in token: its SHA-256. The database never holds a usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe: what a sign-in link carries. Only its hash is stored."""
    return secrets.token_urlsafe(32)


class SignInLinkQuerySet(models.QuerySet):
    def live(self, now=None) -> "SignInLinkQuerySet":
        return self.filter(used_at=None, expires_at__gt=now or timezone.now())

    def issue(self, *, email: str, next_path: str = "") -> "tuple[SignInLink, str] | None":
        """A new link for the address and its token, or None when the address already
        has LIVE_LINKS_PER_ADDRESS live ones or had READERS_SIGN_IN_LINKS_PER_DAY in the
        last 24 hours. Call it inside a transaction: the counts and the new row happen
        under the address's lock."""
        lock_address(email)
        now = timezone.now()
        if self.live(now).filter(email=email).count() >= LIVE_LINKS_PER_ADDRESS:
            return None
        # Live links soon expire; this bounds what strangers asking from many networks
        # can send one address in a day.
        today = self.filter(email=email, created_at__gt=now - timedelta(days=1))
        if today.count() >= settings.READERS_SIGN_IN_LINKS_PER_DAY:
            return None
        token = new_token()
        link = self.create(
            email=email,
            token_hash=token_hash(token),
            next_path=next_path,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.READERS_SIGN_IN_LINK_MINUTES),
        )
        return link, token

    def past(self, now=None) -> "SignInLinkQuerySet":
        """Links expired more than a day ago: nothing counts them any more."""
        return self.filter(expires_at__lt=(now or timezone.now()) - timedelta(days=1))

    def use_all(self, email: str, now: datetime) -> int:
        """Spend every live link of an address: a sign-in with one retires the others."""
        return self.live(now).filter(email=email).update(used_at=now)


class SignInLink(models.Model):
    """One sign-in link sent by mail: single use, short-lived, a few alive per address."""

    email = models.EmailField("Email")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Where the reader goes once signed in: a path on this site, checked when the link is asked for.
    next_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = SignInLinkQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["email", "-expires_at"], name="signinlink_email_idx")]

    def __str__(self) -> str:
        return f"Sign-in link for {self.email}"

    def is_live(self, now=None) -> bool:
        return self.used_at is None and self.expires_at > (now or timezone.now())


def signed_in_reader(user) -> Reader | None:
    """The reader's account behind a signed-in user, or None: for a guest, for staff (who
    are not readers: they comment with a name they type and get no reader's mail) and for
    a disabled account. The one test of "a signed-in reader", wherever a page asks. (One
    query, the first time per request: the user row caches it.)"""
    if user is None or not user.is_authenticated:
        return None
    try:
        reader = user.reader
    except Reader.DoesNotExist:
        return None
    return reader if reader.may_sign_in() else None
