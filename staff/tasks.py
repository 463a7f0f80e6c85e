"""The staff app's background jobs (see jobs.tasks)."""

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone

from jobs.tasks import job


@job()
def erase_old_sign_in_records() -> dict[str, int]:
    """Sign-in records keep a username and an address (django-axes logs every sign-in,
    readers' by link included, and every failure); they are kept as long as readers'
    addresses on comments (COMMENTS_IP_RETENTION_DAYS), then deleted. Lock-outs last
    minutes, so nothing that still counts goes with them. Daily (staff/apps.py)."""
    before = timezone.now() - timedelta(days=settings.COMMENTS_IP_RETENTION_DAYS)
    return {
        model.__name__: model.objects.filter(attempt_time__lt=before).delete()[0]
        for model in (AccessLog, AccessFailureLog, AccessAttempt)
    }
