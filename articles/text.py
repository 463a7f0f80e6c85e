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
import unicodedata

from django import forms

# Removed from reader text: format (invisible), private-use and surrogate characters.
STRIPPED_CATEGORIES = frozenset({"Cf", "Co", "Cs"})
KEPT_CONTROLS = frozenset("\t\n\r")


def clean_text(value: str) -> str:
    """NFKC, then without invisible, private-use and control characters (tab and newlines
    stay). Normalising once more afterwards keeps the result stable: removing a character
    can bring two others together that compose."""
    text = unicodedata.normalize("NFKC", value)
    kept = "".join(char for char in text if _kept(char))
    return unicodedata.normalize("NFKC", kept)


def _kept(char: str) -> bool:
    category = unicodedata.category(char)
    if category in STRIPPED_CATEGORIES:
        return False
    return category != "Cc" or char in KEPT_CONTROLS


class ReaderTextField(forms.CharField):
    """A CharField whose text is cleaned before stripping, length limits and validators."""

    def to_python(self, value):
        if isinstance(value, str):
            value = clean_text(value)
        return super().to_python(value)


class ReaderEmailField(forms.EmailField):
    def to_python(self, value):
        if isinstance(value, str):
            value = clean_text(value)
        return super().to_python(value)


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
        for word in words[start:]:
            run += word
            if len(run) > 2 * longest:  # "rn" → "m" at most halves a run
                break
            if _run_together(run) in reserved:
                return reserved[_run_together(run)]
    return None
