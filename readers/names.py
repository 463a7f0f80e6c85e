"""What a display name looks like, for telling two names apart as readers would.

`name_key()` is what `Reader.name_key` holds: two readers may not pass for each other,
and a guest may not type a name that reads as a reader's.
"""

import unicodedata

from articles.text import skeleton


def name_key(display_name: str) -> str:
    """The name with look-alike letters, digits used for letters, spacing and punctuation
    folded (`articles.text.skeleton`, from Unicode's confusables), then case-folded ("ß"
    is "ss") and NFKC again: "Reader", "rEADER", "R e a d e r" and a Cyrillic "Rеader"
    have one key. Empty for a name with no letters or digits."""
    return unicodedata.normalize("NFKC", skeleton(display_name).casefold())
