"""The comments' background jobs (see jobs.tasks)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from comments.privacy import addresses_erase
from comments.surge import surges_review
from jobs.tasks import job


@job()
def erase_old_addresses() -> dict[str, int]:
    """Erase readers' addresses older than COMMENTS_IP_RETENTION_DAYS (daily, by the
    worker's schedule: comments/apps.py)."""
    before = timezone.now() - timedelta(days=settings.COMMENTS_IP_RETENTION_DAYS)
    comments, reports = addresses_erase(before=before)
    return {"comments": comments, "reports": reports}


@job()
def review_surges() -> dict[str, int]:
    """Start surge mode where moderators reject too much, end it where the last hour is
    calm again (every minute, by the worker's schedule: comments/apps.py). A rate
    passed by a new comment starts it at once, without waiting for this."""
    return surges_review()
