"""Background jobs: django-tasks (the backport of Django 6's tasks framework) with its
database backend, so a job is a row in our PostgreSQL. It commits or rolls back with the
change that queued it (a comment's notification is never sent for a comment that was not
saved, nor lost for one that was), and `manage.py worker` runs it.

`@job` is django-tasks' `@task` with retries: a run that raises is recorded as failed
(with its traceback, in the admin's list of task results) and the job is queued again with
a growing delay, up to `attempts` runs in all.
"""

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("jobs")

# The first retry waits this long, each later one twice as long as the one before, up to
# RETRY_MAX_DELAY: the seven waits of eight attempts ride out about an hour (63 minutes)
# of a mail server being down.
RETRY_FIRST_DELAY = timedelta(seconds=30)
RETRY_MAX_DELAY = timedelta(hours=1)


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after the `attempt`-th run failed (1 for the first run)."""
    return min(RETRY_FIRST_DELAY * 2 ** (attempt - 1), RETRY_MAX_DELAY)


def job(*, attempts: int = 8, **task_options):
    """A background task retried with back-off. The function must be idempotent enough to
    run again after a failure part-way (check state first, as the jobs here do); its
    arguments must be JSON (ids, not model instances: the row may be gone by the time the
    job runs, and the job then does nothing)."""

    def decorate(function):
        @functools.wraps(function)
        def run(*args, attempt: int = 1, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception:
                retry_or_give_up(queued, args, kwargs, attempt)
                raise

        run.attempts = attempts  # what retry_or_give_up reads
        queued = task(**task_options)(run)
        return queued

    return decorate


def retry_or_give_up(queued, args, kwargs: dict, attempt: int) -> bool:
    """After the `attempt`-th run of a job failed: queue it again after its back-off while
    it has attempts left (a plain @task has none), else log that it gave up."""
    if attempt >= getattr(queued.func, "attempts", 1):
        logger.error("job gave up", extra={"job": queued.module_path, "attempt": attempt})
        return False
    retry = queued.using(run_after=timezone.now() + retry_delay(attempt))
    retry.enqueue(*args, attempt=attempt + 1, **kwargs)
    logger.warning("job failed, retrying", extra={"job": queued.module_path, "attempt": attempt})
    return True


@job()
def send_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    headers: dict[str, str] | None = None,
) -> None:
    """Send one message through EMAIL_URL's server (files under the data folder when it
    is unset). Requests never send mail themselves: they queue this."""
    deliver_email(to=to, subject=subject, body=body, html=html, headers=headers)


def deliver_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    headers: dict[str, str] | None = None,
) -> None:
    """Send one message now, for a job that builds its own: a message holding a secret
    (a sign-in link) is sent by the job that made it, never queued as send_email's
    arguments, which the task table would keep."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers or {},
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


# A job still "running" this long after it started was left by a worker that died (killed
# outright, a lost machine): every job here takes seconds.
STALLED_AFTER = timedelta(minutes=10)


class WorkerLost(Exception):
    """The worker running a job stopped before the job finished."""


@task()
def requeue_stalled() -> int:
    """Queue again the jobs a dead worker left running, as a failed run is: marked failed
    (visible in the admin), and queued once more while it has attempts left. Scheduled
    every few minutes (jobs/apps.py). Returns how many were queued again."""
    requeued = 0
    with transaction.atomic():
        stalled = DBTaskResult.objects.running().filter(
            started_at__lt=timezone.now() - STALLED_AFTER
        )
        for result in stalled.select_for_update(skip_locked=True):
            result.set_failed(WorkerLost())
            try:
                queued = result.task
            except Exception:  # the job's code is gone: nothing to run again
                continue
            kwargs = dict(result.args_kwargs["kwargs"])
            attempt = kwargs.pop("attempt", 1)
            requeued += retry_or_give_up(queued, result.args_kwargs["args"], kwargs, attempt)
    return requeued


# Finished jobs are kept this long (failed ones stay in the admin for a look), then go:
# their arguments can hold an address.
KEEP_FINISHED = timedelta(days=7)


@task()
def delete_finished() -> int:
    """Delete jobs that finished more than KEEP_FINISHED ago (daily, jobs/apps.py)."""
    finished = DBTaskResult.objects.finished().filter(
        finished_at__lt=timezone.now() - KEEP_FINISHED
    )
    return DBTaskResult.objects.filter(pk__in=finished.values("pk")).delete()[0]
