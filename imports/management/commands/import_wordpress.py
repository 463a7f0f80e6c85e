"""manage.py import_wordpress FILE: a WordPress export (WXR) into stories and comments."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from imports.models import Source
from imports.pipeline import read_ahead
from imports.records import Named
from imports.refusals import refused_files
from imports.report import Progress, Report
from imports.store import Importer
from imports.wordpress import NotWxr, read_wxr

DEFAULT_SECTION = Named("imported", "Imported")
# The progress bar is redrawn every this many stories (cheap enough, often enough).
PROGRESS_EVERY = 50


class Command(BaseCommand):
    help = (
        "Import a WordPress export (WXR, .xml or .xml.gz): posts become stories, their "
        "comments our comments; running it again changes only what changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The WXR file (Tools › Export in WordPress).")
        parser.add_argument(
            "--section-map",
            action="append",
            default=[],
            metavar="OLD=NEW",
            help="A WordPress category (its slug) and the slug of our section it goes to; "
            "repeat for more. Other categories go to the default section.",
        )
        parser.add_argument(
            "--default-section",
            default=DEFAULT_SECTION.slug,
            metavar="SLUG",
            help="The section for posts whose category is not mapped (default: imported).",
        )
        parser.add_argument(
            "--media-dir",
            metavar="DIR",
            help="A copy of the site's wp-content/uploads: featured images become lead "
            "photos (through the admin's upload checks).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read everything, report, save nothing."
        )

    def handle(self, *args, file, section_map, default_section, media_dir, dry_run, **options):
        mapping = dict(_mapping(each) for each in section_map)
        default = Named(slugify(default_section), default_section.replace("-", " ").title())
        if not default.slug:
            raise CommandError(f"--default-section {default_section!r} is not a slug.")
        if media_dir and not Path(media_dir).is_dir():
            raise CommandError(f"--media-dir {media_dir}: no such directory.")
        report = Report()
        with refused_files(file, not_this_format=NotWxr):
            with read_wxr(file, report, media_dir=media_dir) as reader:
                progress = Progress("import_wordpress", reader.total_bytes, stream=self.stderr)
                with transaction.atomic():
                    importer = Importer(
                        kind=Source.Kind.WORDPRESS,
                        source_name=reader.site,
                        report=report,
                        default_section=default,
                        section_map=mapping,
                    )
                    stories = rows = 0
                    for story, comments in read_ahead(reader, rows=_rows):
                        importer.add_story(story, comments)
                        stories += 1
                        rows += 1 + len(comments)
                        if stories % PROGRESS_EVERY == 0:
                            progress.show(reader.bytes_read, rows)
                    importer.finish()
                    progress.finish(rows)
                    if dry_run:
                        transaction.set_rollback(True)
        if dry_run:
            self.stdout.write("Dry run: nothing was saved. This is what the import would do:")
        for line in report.lines():
            self.stdout.write(line)


def _rows(item: tuple) -> int:
    story, comments = item
    return 1 + len(comments)


def _mapping(text: str) -> tuple[str, str]:
    old, equals, new = text.partition("=")
    if not equals or not slugify(old) or not slugify(new):
        raise CommandError(f"--section-map {text!r}: write it as old-category=our-section.")
    return slugify(old), slugify(new)
