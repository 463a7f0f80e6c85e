from datetime import timedelta

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from jobs import schedule, tasks

        schedule.every(timedelta(minutes=5), tasks.requeue_stalled)
        schedule.every(timedelta(days=1), tasks.delete_finished)
