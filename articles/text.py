"""Reader text, cleaned at the boundary: the one place that decides what a reader may send.

Every form field that takes a reader's text (and the search box) passes it through
`clean_text()` before any rule or storage sees it, so rules work on what people will
actually read:

- NFKC folds compatibility look-alikes into the letters they imitate (fullwidth
  "ｓｐａｍ", mathematical bold, ligatures), so a watched word cannot be dodged with them.
- Invisible and private-use characters go: Unicode categories Cf (zero-width spaces and
  joiners, soft hyphens, bidirectional overrides and isolates, the byte-order mark), Co
  (private use: the page cache's placeholder characters among them) and Cs (lone
  surrogates, which PostgreSQL refuses), and control characters other than tab and
  newlines. Two zero-width spaces are then an empty comment, not a two-letter one.

Bidirectional overrides are stripped, not refused: once gone the text reads in the order it
was written, so the spoofing trick is defeated either way, and a reader pasting Arabic or
Hebrew from another app (which often carries invisible direction marks) is not turned away.

`skeleton()` is the other half: the form a name takes once look-alikes are folded (Unicode's
confusables data, digits and signs used for letters, letters run together or spaced out),
so `imitates()` can tell that "M o d e r a t o r", "m0derator" or a Cyrillic "Моderator"
all read as "moderator".
"""

import functools
import itertools
import re
import unicodedata

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

# Removed from reader text: format (invisible), private-use and surrogate characters, and
# control characters other than tab and newlines. The code points are listed rather than
# looked up one by one: a regular expression cleans megabytes in milliseconds, where a
# Python loop over `unicodedata.category` takes seconds. The table is Unicode 14 (Python
# 3.11); tests/test_reader_text.py checks it against the running Python's own data.
STRIPPED_CATEGORIES = frozenset({"Cf", "Co", "Cs"})
KEPT_CONTROLS = frozenset("\t\n\r")
STRIPPED_RANGES = [
    (0x0000, 0x0008), (0x000B, 0x000C), (0x000E, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD),
    (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891),
    (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064),
    (0x2066, 0x206F), (0xD800, 0xF8FF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD),
]  # fmt: skip
STRIPPED = re.compile(
    "[" + "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in STRIPPED_RANGES) + "]+"
)


def clean_text(value: str) -> str:
    """NFKC, then without invisible, private-use and control characters (tab and newlines
    stay). Normalising once more afterwards keeps the result stable: removing a character
    can bring two others together that compose."""
    text = unicodedata.normalize("NFKC", value)
    kept = STRIPPED.sub("", text)
    return kept if len(kept) == len(text) else unicodedata.normalize("NFKC", kept)


# NFKC can make one character eighteen ("ﷺ"): text far over a field's limit is refused as
# it came, never normalised (a 2.5 MB post would cost seconds of CPU).
RAW_LENGTH_FACTOR = 2


def _cleaned(field: forms.CharField, value):
    if not isinstance(value, str):
        return value
    if field.max_length is not None and len(value) > field.max_length * RAW_LENGTH_FACTOR:
        return value  # the length check refuses it
    return clean_text(value)


class ReaderTextField(forms.CharField):
    """A CharField whose text is cleaned before stripping, length limits and validators."""

    def to_python(self, value):
        return super().to_python(_cleaned(self, value))


class ReaderEmailField(forms.EmailField):
    def to_python(self, value):
        return super().to_python(_cleaned(self, value))


# Signs and digits that stand in for letters. Unicode's confusables data maps "0" to "o"
# and "1" to "l"; "l", "1", "i", "|" and "!" all read as one upright stroke, so they fold
# together ("adm1n", "admln" and "admin" are one name).
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "l": "i",
        "|": "i",
        "!": "i",
        "3": "e",
        "4": "a",
        "@": "a",
        "5": "s",
        "$": "s",
        "7": "t",
        "+": "t",
    }
)
# Pairs that read as one letter at a glance.
_RUN_TOGETHER = (("rn", "m"), ("vv", "w"))


@functools.cache
def _confusables() -> dict[str, str]:
    """Non-ASCII characters that Unicode lists as look-alikes of one ASCII letter or digit,
    mapped to it (Cyrillic "о" → "o", Greek "Μ" → "m"). Loaded on first use: ~0.1 s."""
    from confusable_homoglyphs.confusables import confusables_data

    mapping = {}
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        for homoglyph in homoglyphs:
            plain = "".join(c for c in homoglyph["c"] if unicodedata.category(c)[0] not in "CM")
            if len(plain) == 1 and plain.isascii() and plain.isalnum():
                mapping[char] = plain.lower()
                break
    return mapping


def _fold(char: str) -> str:
    """One character as the ASCII letter it imitates (or itself, lower-cased)."""
    if not char.isascii():
        confusables = _confusables()
        char = confusables.get(char) or confusables.get(char.lower()) or char
    return char.lower().translate(_LEET)


def skeleton_words(value: str) -> list[str]:
    """The name's words, each folded to the letters it imitates. Words break at spaces,
    punctuation and symbols, and where a lower-case letter meets a capital ("ModBob")."""
    text = clean_text(value)
    # Marks go (an accent does not make "Ädmin" another word); letters stay as they are.
    text = "".join(
        c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c)[0] != "M"
    )
    words, word, previous = [], [], ""
    for char in text:
        folded = _fold(char)
        is_letter = folded.isalnum()
        if not is_letter or (previous.islower() and char.isupper()):
            if word:
                words.append("".join(word))
            word = []
        if is_letter:
            word.append(folded)
        previous = char
    if word:
        words.append("".join(word))
    return [_run_together(word) for word in words]


def _run_together(word: str) -> str:
    for pair, letter in _RUN_TOGETHER:
        word = word.replace(pair, letter)
    return word


def skeleton(value: str) -> str:
    """The whole name folded and run together: "M o d-e r a t 0 r" → "moderator"."""
    return _run_together("".join(skeleton_words(value)))


def imitates(value: str, names: list[str]) -> str | None:
    """Which of `names` the text reads as: the whole of it, or any run of its words
    ("The M o d e r a t o r", "Newsroom Staff"). Words are not searched inside, so
    "Badminton Fan" and "Staffordshire Reader" are not "admin" or "staff"."""
    reserved = {skeleton(name): name for name in names if skeleton(name)}
    longest = max((len(key) for key in reserved), default=0)
    words = skeleton_words(value)
    for start in range(len(words)):
        run = ""
        for word in itertools.islice(words, start, None):
            run += word
            if len(run) > 2 * longest:  # "rn" → "m" at most halves a run
                break
            if _run_together(run) in reserved:
                return reserved[_run_together(run)]
    return None


# Names a reader may not take, in a comment or as an account's display name: they would
# pass for the newsroom's own voice. The site's name is added from settings.
STAFF_NAMES = [
    "moderator",
    "moderators",
    "editor",
    "editors",
    "admin",
    "admins",
    "administrator",
    "administrators",
    "staff",
]


def imitates_staff(value: str) -> str | None:
    """The staff word (or the site's name) a reader's name reads as, if any."""
    return imitates(value, [*STAFF_NAMES, settings.NEWSROOM_SITE_NAME])


STAFF_NAME_MESSAGE = (
    "Please choose another name: this one could be mistaken for the newsroom's staff."
)


def refuse_staff_names(value: str) -> None:
    """A form validator: a reader's name (a guest's typed one, a reader's display name)
    may not read as the newsroom's staff."""
    if imitates_staff(value):
        raise ValidationError(STAFF_NAME_MESSAGE, code="staff_name")
