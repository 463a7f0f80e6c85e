from datetime import timedelta

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Reply notifications"

    def ready(self) -> None:
        from comments.signals import comment_published, comment_rejected
        from jobs import schedule
        from notifications import tasks

        # Comments know nothing of notifications (they depend on no app built on them):
        # they announce a published comment, and this app queues its own job.
        comment_published.connect(tasks.queue_notify_reply, dispatch_uid="notifications.reply")
        comment_rejected.connect(
            tasks.queue_notify_rejection, dispatch_uid="notifications.rejection"
        )
        schedule.every(timedelta(days=1), tasks.send_digests)
