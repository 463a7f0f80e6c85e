"""`import_disqus FILE [--dry-run]`: a Disqus XML export's comments (`.xml` or
`.xml.gz`), onto the stories their threads' links name. All or nothing: one
transaction, so a malformed file imports nothing; --dry-run reports and rolls back."""

from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from imports.disqus import NotDisqus, import_disqus
from imports.models import Source
from imports.report import Progress, Report
from imports.store import Importer
from imports.text import ExportFile, TooLarge
from imports.xmlsafe import UnreadableEncoding


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
        try:
            export = ExportFile(file)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}.") from None
        with export:
            progress = Progress("Disqus", export.size)
            try:
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
            except ParseError as error:
                line, column = error.position
                raise CommandError(
                    f"{file} is not well-formed XML at line {line}, column {column} "
                    f"({_parse_problem(error)}); nothing was imported."
                ) from None
            except DefusedXmlException as error:
                raise CommandError(
                    f"{file} declares entities or external references, which an export "
                    f"never needs and which are refused ({type(error).__name__}); "
                    "nothing was imported."
                ) from None
            except NotDisqus as error:
                raise CommandError(f"{str(error).rstrip('.')}; nothing was imported.") from None
            except (UnreadableEncoding, TooLarge) as error:
                raise CommandError(f"{file} was refused: {error}; nothing was imported.") from None
            except (OSError, EOFError) as error:
                # A truncated or corrupt gzip file.
                raise CommandError(f"Cannot read {file}: {error}; nothing was imported.") from None
            progress.finish(posts)
        if dry_run:
            self.stdout.write("Dry run: nothing was saved. This is what the import would do:")
        for line in report.lines():
            self.stdout.write(line)


def _parse_problem(error: ParseError) -> str:
    """expat's own words ("mismatched tag"), without the position it repeats."""
    return str(error).split(":", 1)[0]
