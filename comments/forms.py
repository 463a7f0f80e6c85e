import re
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS

from comments.models import Comment, CommentReport

BODY_MIN_LENGTH = 2
BODY_MAX_LENGTH = 5000
TOKEN_SALT = "comments.form"
# The error code of a submission refused quietly: the reader sees a neutral message.
REFUSED = "refused"


# Cached story pages carry this marker instead of a token; each response gets a fresh
# token in its place, so the timing check stays exact however long the page is cached.
FORM_TOKEN_MARKER = re.compile("\ue010form-token:([0-9]+)\ue011")


def form_token_marker(article_pk: int) -> str:
    return f"\ue010form-token:{article_pk}\ue011"


def fill_form_tokens(html: str) -> str:
    return FORM_TOKEN_MARKER.sub(lambda match: form_token(int(match.group(1))), html)


def form_token(article_pk: int, issued_at: float | None = None) -> str:
    """A signed note of which story the form belongs to and when it was served."""
    issued = int(issued_at if issued_at is not None else time.time())
    return signing.dumps({"a": article_pk, "t": issued}, salt=TOKEN_SALT)


# Bidirectional overrides and isolates can make text read differently from what it is
# (a classic spoofing trick); a comment carrying them is refused with a message.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def refuse_bidi_controls(value: str) -> None:
    if BIDI_CONTROLS.search(value):
        raise forms.ValidationError(
            "Please remove the invisible text-direction characters from your text.",
            code="bidi",
        )


class CommentForm(forms.ModelForm):
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": BODY_MAX_LENGTH}),
        min_length=BODY_MIN_LENGTH,
        max_length=BODY_MAX_LENGTH,
        strip=True,
        validators=[refuse_bidi_controls],
        error_messages={
            "required": "Please write a comment.",
            "min_length": "Your comment is too short: write at least %(limit_value)d characters.",
            "max_length": "Your comment is too long: at most %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    token = forms.CharField(widget=forms.HiddenInput, max_length=200)
    # The honeypot, the django-contrib-comments way: hidden from people, filled by bots.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = Comment
        fields = ["author_name", "author_email", "body"]
        labels = {"author_name": "Name (optional)", "author_email": "Email (optional)"}
        help_texts = {"author_email": "Never shown on the site."}

    def __init__(self, *args, article, **kwargs):
        super().__init__(*args, **kwargs)
        self.article = article
        self.fields["author_name"].validators.append(refuse_bidi_controls)
        if not self.is_bound:
            self.initial["token"] = form_token_marker(article.pk)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website") or not self.token_is_fresh(self.data.get("token", "")):
            raise forms.ValidationError("Refused.", code=REFUSED)
        return cleaned

    def token_is_fresh(self, token: str) -> bool:
        """Served for this story, at least a few seconds and at most a few hours ago."""
        try:
            payload = signing.loads(token, salt=TOKEN_SALT)
        except signing.BadSignature:
            return False
        if not isinstance(payload, dict) or payload.get("a") != self.article.pk:
            return False
        if not isinstance(payload.get("t"), int):
            return False
        age = time.time() - payload["t"]
        return settings.COMMENTS_FORM_MIN_SECONDS <= age <= settings.COMMENTS_FORM_MAX_SECONDS

    @property
    def refused(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, code=REFUSED)


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label="Why?", choices=CommentReport.Reason.choices)


class CloseThreadForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional, shown to readers)", max_length=255, required=False
    )
