"""Readers with an account: commenters the site knows by a verified address and a display
name. Comments, notifications and sanctions refer to the account (a `User` row that is
never staff); this app knows nothing of comments.

An account is made the first time someone signs in with a link sent to their address,
so every reader's address has been shown to receive mail. Staff accounts are never
signed in by link: a reader's address is looked up here, never on the User row.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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


def token_hash(token: str) -> str:
    """What is stored of a sign-in token: its SHA-256. The database never holds a usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


class SignInLinkQuerySet(models.QuerySet):
    def live(self, now=None) -> "SignInLinkQuerySet":
        return self.filter(used_at=None, expires_at__gt=now or timezone.now())


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
