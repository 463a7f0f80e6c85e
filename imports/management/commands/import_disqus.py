"""`import_disqus FILE [--dry-run]`: a Disqus XML export's comments (`.xml` or
`.xml.gz`), onto the stories their threads' links name. All or nothing: one
transaction, so a malformed file imports nothing; --dry-run reports and rolls back."""

from django.core.management.base import BaseCommand
from django.db import transaction

from imports.disqus import NotDisqus, import_disqus
from imports.models import Source
from imports.refusals import refused_files
from imports.report import Progress, Report
from imports.store import Importer
from imports.text import ExportFile


class Command(BaseCommand):
    help = "Import the comments of a Disqus XML export (.xml or .xml.gz) onto their stories."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Disqus's XML export, .xml or .xml.gz")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read the whole file and report what would change, changing nothing.",
        )

    def handle(self, *args, file: str, dry_run: bool, **options):
        report = Report()
        with refused_files(file, not_this_format=NotDisqus):
            with ExportFile(file) as export:
                progress = Progress("Disqus", export.size)
                with transaction.atomic():
                    posts = import_disqus(
                        export.stream,
                        report=report,
                        importer_for=lambda forum: Importer(
                            kind=Source.Kind.DISQUS, source_name=forum, report=report
                        ),
                        on_progress=lambda rows: progress.show(export.position(), rows),
                    )
                    if dry_run:
                        transaction.set_rollback(True)
                progress.finish(posts)
        if dry_run:
            self.stdout.write("Dry run: nothing was saved. This is what the import would do:")
        for line in report.lines():
            self.stdout.write(line)
