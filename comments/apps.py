from datetime import timedelta

from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = "Comments"

    def ready(self) -> None:
        from comments import pages, tasks
        from jobs import schedule

        pages.register()
        schedule.every(timedelta(days=1), tasks.erase_old_addresses)
        schedule.every(timedelta(minutes=1), tasks.review_surges)
