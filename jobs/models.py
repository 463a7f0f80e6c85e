from django.db import models


class PeriodicJob(models.Model):
    """When a job that runs on a schedule (jobs.schedule.every) is next due. One row per
    job, claimed under a row lock: however many workers run, each due run is queued once."""

    task_path = models.CharField("Job", max_length=255, unique=True)
    next_run_at = models.DateTimeField("Next run at")
    last_queued_at = models.DateTimeField("Last queued at", null=True, blank=True)

    class Meta:
        ordering = ["task_path"]

    def __str__(self) -> str:
        return self.task_path
