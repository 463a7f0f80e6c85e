"""The forms of a person's history and of the comment search. Text is cleaned like any
reader text (articles.text: NFKC, no invisible or private-use characters) before its
length is measured or a query sees it."""

from django import forms
from django.core.validators import RegexValidator

from articles.text import ReaderTextField, clean_text
from moderation.history import PERSONAL_DETAILS, NotANetwork, networks_in
from moderation.models import PersonNote

NOTE_MAX_LENGTH = PersonNote._meta.get_field("text").max_length
# The trigram index (pg_trgm) keeps only letters and digits: a term without three of them
# in a row ("___", "%%%", "a.b") gives it no trigram to look up, and would read every
# comment. Three in a row is also the shortest term it can find at all.
SEARCH_MIN_RUN = 3
HAS_A_TRIGRAM = RegexValidator(
    rf"[^\W_]{{{SEARCH_MIN_RUN}}}",
    f"Search for at least {SEARCH_MIN_RUN} letters or digits in a row: punctuation and "
    "spaces alone narrow nothing.",
    code="no_trigram",
)
# Emails and networks are personal data: searching by them needs PERSONAL_DETAILS.
PERSONAL_FIELDS = ("email", "network")


class NoteForm(forms.Form):
    text = ReaderTextField(
        label="Add a note",
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        help_text="Seen by moderators only, with your name.",
        error_messages={
            "required": "Write the note first: an empty note was not saved.",
            "max_length": "A note is at most %(limit_value)d characters (this one has "
            "%(show_value)d): nothing was saved.",
        },
    )


def search_field(label: str, max_length: int, **kwargs) -> ReaderTextField:
    return ReaderTextField(
        label=label,
        required=False,
        max_length=max_length,
        strip=True,
        validators=[HAS_A_TRIGRAM],
        error_messages={"max_length": "Search for at most %(limit_value)d characters."},
        **kwargs,
    )


class SearchForm(forms.Form):
    q = search_field("Text", 200, widget=forms.TextInput(attrs={"type": "search"}))
    author = search_field("Name", 100)
    email = search_field("Email", 254)
    network = forms.CharField(
        label="IP address or network",
        required=False,
        max_length=50,
        help_text="203.0.113.9, 203.0.113.0/24, 2001:db8:1:2::/64",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_search_personal_data = user.has_perm(PERSONAL_DETAILS)
        self.refused = False  # asked for a search the user may not make

    @classmethod
    def asked(cls, data) -> bool:
        """Did the request ask anything of the search (a page number alone does not)?"""
        return any(name in data for name in cls.base_fields)

    def visible_fields(self):
        """The fields shown: email and network only to those who may search by them."""
        return [
            field
            for field in super().visible_fields()
            if self.may_search_personal_data or field.name not in PERSONAL_FIELDS
        ]

    def clean_network(self) -> list[str]:
        value = clean_text(self.cleaned_data["network"]).strip()
        if not value:
            return []
        try:
            return networks_in(value)
        except NotANetwork as error:
            raise forms.ValidationError(str(error), code="network") from None

    def clean(self):
        cleaned = super().clean()
        personal = [name for name in PERSONAL_FIELDS if self.data.get(name, "").strip()]
        if personal and not self.may_search_personal_data:
            self.refused = True
            raise forms.ValidationError(
                "Searching by email or network needs the permission “Can search comments "
                "by email and network”, which your account does not have: nothing was "
                "searched.",
                code="permission",
            )
        if not self.errors and not any(cleaned.get(name) for name in self.fields):
            raise forms.ValidationError("Say what to search for.", code="empty")
        return cleaned

    def search_terms(self) -> dict:
        return {
            "text": self.cleaned_data["q"],
            "author": self.cleaned_data["author"],
            "email": self.cleaned_data["email"],
            "networks": self.cleaned_data["network"],
        }
