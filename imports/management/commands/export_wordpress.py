"""`manage.py export_wordpress FILE`: every section, topic, story and comment as a WXR
1.2 file that WordPress's importer (and Disqus's) reads. `-` writes to standard output;
a name ending in `.gz` is compressed. See imports/export.py for what goes where."""

import gzip
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports.export import export_wxr


class Command(BaseCommand):
    help = "Export sections, topics, stories and comments as a WordPress (WXR 1.2) file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write: a .xml or .xml.gz name, or - for stdout.")

    def handle(self, *args, file: str, **options):
        if file == "-":
            counts = export_wxr(_Unterminated(self.stdout))
            self.stderr.write(f"Exported {counts.line()}.")
            return
        target = Path(file)
        # Written beside the target and renamed when complete: a failed export never
        # leaves a half-written file under the name asked for.
        partial = target.with_name(f".{target.name}.partial")
        try:
            if target.is_dir():
                raise CommandError(f"{file} is a folder: name the file to write.")
            if not target.parent.is_dir():
                raise CommandError(f"There is no folder {target.parent} to write {target.name} in.")
            with _private_text_file(partial, gzipped=target.suffix == ".gz") as out:
                counts = export_wxr(out)
            os.replace(partial, target)
        except OSError as error:
            _remove(partial)
            raise CommandError(f"Could not write {file}: {error.strerror or error}.") from None
        except BaseException:
            _remove(partial)
            raise
        self.stdout.write(f"Exported {counts.line()} to {file}.")


@contextmanager
def _private_text_file(path: Path, *, gzipped: bool) -> Iterator[io.TextIOWrapper]:
    """`path` opened for writing UTF-8 text, readable and writable by its owner alone
    (0600, whatever the umask): the export holds readers' emails and IP addresses."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a partial file left by an earlier run keeps its mode
    with os.fdopen(descriptor, "wb") as binary:
        if gzipped:
            with (
                gzip.GzipFile(fileobj=binary, mode="wb") as packed,
                io.TextIOWrapper(packed, encoding="utf-8", newline="\n") as out,
            ):
                yield out
        else:
            with io.TextIOWrapper(binary, encoding="utf-8", newline="\n") as out:
                yield out


def _remove(partial: Path) -> None:
    try:
        partial.unlink(missing_ok=True)
    except OSError:
        pass  # never written (a name too long, a folder that is not there)


class _Unterminated:
    """The command's stdout without the newline Django adds to every write."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")
