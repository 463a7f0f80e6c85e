"""The readers' background jobs (see jobs.tasks)."""

import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from articles.links import absolute
from jobs.tasks import deliver_email, job
from readers.models import LIVE_LINKS_PER_ADDRESS, SignInLink

logger = logging.getLogger("readers")


@job()
def send_sign_in_link(*, email: str, next_path: str = "") -> bool:
    """Make a sign-in link for the address and mail it; False when the address already
    has its live links, or its links for the day (nothing is sent: see
    SignInLink.objects.issue). It runs the same whether or not a reader has the address:
    the answer to the request that queued it said nothing either way.

    The token exists only here and in the message: the job's arguments (kept in the task
    table) hold the address and where to go next, never the link."""
    with transaction.atomic():
        issued = SignInLink.objects.issue(email=email, next_path=next_path)
    if issued is None:
        logger.info(
            "sign-in link not sent: the address has its live links, or its links for the day",
            extra={
                "live_links": LIVE_LINKS_PER_ADDRESS,
                "per_day": settings.READERS_SIGN_IN_LINKS_PER_DAY,
            },
        )
        return False
    link, token = issued
    context = {
        "url": absolute(reverse("readers:sign-in-link", args=[token])),
        "minutes": settings.READERS_SIGN_IN_LINK_MINUTES,
        "expires_at": timezone.localtime(link.expires_at),
        "site_name": settings.NEWSROOM_SITE_NAME,
    }
    try:
        deliver_email(
            to=[email],
            subject=f"Your sign-in link for {settings.NEWSROOM_SITE_NAME}",
            body=render_to_string("readers/sign_in_email.txt", context),
            headers={"Auto-Submitted": "auto-generated"},
        )
    except Exception:
        # A link nobody received must not count against the address's live links: the
        # retry makes a fresh one.
        link.delete()
        raise
    return True


@job()
def delete_past_links() -> int:
    """Sign-in links hold an address someone typed: gone a day after they expire (daily,
    readers/apps.py)."""
    return SignInLink.objects.past().delete()[0]
