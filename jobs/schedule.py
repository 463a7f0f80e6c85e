"""Jobs that run on a schedule, queued by the worker.

An app declares one in its `ready()`: `schedule.every(timedelta(days=1), some_job)`. Every
worker (`manage.py worker`) checks now and then which are due and queues them; the due
time lives in the database (jobs.models.PeriodicJob) and is claimed under a row lock, so
two workers, or a worker restarted a minute later, never queue the same run twice.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task

from jobs.models import PeriodicJob

_PERIODIC: dict[str, tuple[Task, timedelta]] = {}


def every(interval: timedelta, job: Task) -> None:
    """Run `job` (no arguments) once every `interval`, the first time when a worker first
    sees it."""
    _PERIODIC[job.module_path] = (job, interval)


def periodic_jobs() -> dict[str, tuple[Task, timedelta]]:
    return dict(_PERIODIC)


def queue_due(now=None) -> list[str]:
    """Queue every scheduled job that is due; returns their names."""
    now = now or timezone.now()
    queued = []
    with transaction.atomic():
        for path in _PERIODIC:
            PeriodicJob.objects.get_or_create(task_path=path, defaults={"next_run_at": now})
        due = PeriodicJob.objects.select_for_update(skip_locked=True).filter(
            task_path__in=list(_PERIODIC), next_run_at__lte=now
        )
        for periodic in due:
            job, interval = _PERIODIC[periodic.task_path]
            job.enqueue()
            # From now, not from the missed time: a worker that was down for a week runs
            # a daily job once, not seven times.
            periodic.next_run_at = now + interval
            periodic.last_queued_at = now
            periodic.save(update_fields=["next_run_at", "last_queued_at"])
            queued.append(periodic.task_path)
    return queued
