from django import forms
from django.utils.http import url_has_allowed_host_and_scheme

from articles.text import ReaderEmailField, ReaderTextField, refuse_staff_names
from readers.models import Reader, SignInLink, name_key

NEXT_MAX_LENGTH = SignInLink._meta.get_field("next_path").max_length
NAME_MIN_LENGTH, NAME_MAX_LENGTH = 2, 40
NAME_TAKEN = "That name is taken: please choose another."


def local_path(value: str | None) -> str:
    """`value` when it is a path on this site ("/news/1/…"), else "": a sign-in never
    sends a reader elsewhere ("//evil.example", "https://evil.example", "/\\evil")."""
    if (
        not value
        or len(value) > NEXT_MAX_LENGTH
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or not value.isprintable()
        or any(char.isspace() for char in value)
    ):
        return ""
    return value if url_has_allowed_host_and_scheme(value, allowed_hosts=None) else ""


class NextField(forms.CharField):
    """Where to go afterwards: a local path, or nothing (anything else is dropped, not
    refused: the reader still signs in)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=None, **kwargs)

    def clean(self, value):
        return local_path(value)


class SignInForm(forms.Form):
    email = ReaderEmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Please type your email address.",
            "invalid": "That doesn't look like an email address: check it and try again.",
            "max_length": "That doesn't look like an email address: it is far too long.",
        },
    )
    next = NextField()

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()


class DisplayNameForm(forms.Form):
    display_name = ReaderTextField(
        label="Display name",
        min_length=NAME_MIN_LENGTH,
        max_length=NAME_MAX_LENGTH,
        strip=True,
        help_text=f"Shown with your comments: {NAME_MIN_LENGTH} to {NAME_MAX_LENGTH} characters.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
        error_messages={
            "required": "Please choose a name.",
            "min_length": "Too short: use at least %(limit_value)d characters.",
            "max_length": "Too long: at most %(limit_value)d characters (it has %(show_value)d).",
        },
    )
    next = NextField()

    def __init__(self, *args, reader: Reader, **kwargs):
        super().__init__(*args, **kwargs)
        self.reader = reader

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"]
        refuse_staff_names(name)
        key = name_key(name)
        if not key:
            raise forms.ValidationError("Use at least one letter or digit.", code="no_letters")
        if Reader.objects.name_taken(key, excluding=self.reader):
            raise forms.ValidationError(NAME_TAKEN, code="taken")
        return name

    def name_taken(self) -> None:
        """Another reader took the name between the check and the save."""
        self.add_error("display_name", forms.ValidationError(NAME_TAKEN, code="taken"))
