from datetime import timedelta

from django.apps import AppConfig


class ReadersConfig(AppConfig):
    name = "readers"
    verbose_name = "Readers"

    def ready(self) -> None:
        from jobs import schedule
        from readers import tasks

        schedule.every(timedelta(days=1), tasks.delete_past_links)
