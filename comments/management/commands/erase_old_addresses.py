from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from comments.privacy import addresses_erase


class Command(BaseCommand):
    help = (
        "Erase readers' IP addresses (of comments and reports) older than "
        "COMMENTS_IP_RETENTION_DAYS, keeping the comments, reports and their counts. "
        "Run it daily."
    )

    def handle(self, *args, **options):
        days = settings.COMMENTS_IP_RETENTION_DAYS
        if days < 0:
            raise CommandError(f"COMMENTS_IP_RETENTION_DAYS must be 0 or more (it is {days}).")
        comments, reports = addresses_erase(before=timezone.now() - timedelta(days=days))
        self.stdout.write(
            f"Erased the addresses of {comments} comment(s) and {reports} report(s) "
            f"older than {days} day(s)."
        )
