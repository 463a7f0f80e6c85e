"""What a refused file tells whoever runs an import: one sentence, and that nothing was
imported (the import is one transaction, so nothing was). Both import commands answer
through `refused_files()`, so a file is refused in the same words whatever its format."""

import zlib
from contextlib import contextmanager
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from django.core.management.base import CommandError

from imports.text import TooLarge
from imports.xmlsafe import UnreadableEncoding

NOTHING = "nothing was imported."


@contextmanager
def refused_files(file, *, not_this_format: type[Exception]):
    """Turn what a file can be refused for into a CommandError; `not_this_format` is the
    reader's error for well-formed XML of another kind, whose message says what it is."""
    try:
        yield
    except FileNotFoundError:
        raise CommandError(f"Cannot read {file}: no such file.") from None
    except IsADirectoryError:
        raise CommandError(f"Cannot read {file}: it is a directory, not a file.") from None
    except ParseError as error:
        line, column = error.position
        # expat's own words ("mismatched tag"), without the position it repeats.
        reason = str(error).split(":", 1)[0]
        raise CommandError(
            f"{file} is not well-formed XML at line {line}, column {column} ({reason}); " + NOTHING
        ) from None
    except DefusedXmlException as error:
        raise CommandError(
            f"{file} was refused: it declares entities or a DTD ({type(error).__name__}), "
            f"which an export never needs; {NOTHING}"
        ) from None
    except not_this_format as error:
        raise CommandError(f"{str(error).rstrip('.')}; {NOTHING}") from None
    except (UnreadableEncoding, TooLarge) as error:
        raise CommandError(f"{file} was refused: {error}; {NOTHING}") from None
    except (EOFError, OSError, zlib.error) as error:
        # A truncated or corrupt .gz, an unreadable file.
        raise CommandError(f"{file} could not be read ({error}); {NOTHING}") from None
