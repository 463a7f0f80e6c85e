from django.core.management import call_command
from django.core.management.base import BaseCommand

from articles.models import Article


class Command(BaseCommand):
    help = (
        "Load the demo newsroom (fixtures/demo.json) into an empty database. "
        "A database that already has stories is left alone, so editors' changes survive."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when stories exist: demo rows are reset, nothing is duplicated.",
        )

    def handle(self, *args, force: bool = False, **options):
        if Article.objects.exists() and not force:
            self.stdout.write("Stories already present; demo data not loaded.")
            return
        call_command("loaddata", "demo", verbosity=options["verbosity"])
