import secrets
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS

from articles.text import ReaderEmailField, ReaderTextField, refuse_staff_names
from comments.models import Comment, CommentReport
from comments.readers import is_readers_name
from pagecache.placeholders import placeholder

BODY_MIN_LENGTH = 2
BODY_MAX_LENGTH = 5000
NAME_MAX_LENGTH = Comment._meta.get_field("author_name").max_length
TOKEN_SALT = "comments.form"
# The error code of a submission refused quietly: the reader sees a neutral message.
REFUSED = "refused"
# The error codes of a form that can no longer send: it is shown again, text kept.
EXPIRED = "expired"
ALREADY_USED = "already_used"
EXPIRED_MESSAGE = (
    "This page was open for a long time, so your comment was not sent. "
    "Your text is kept below: wait a moment, then send it again."
)
ALREADY_USED_MESSAGE = (
    "This form has already sent a comment, so this one was not sent. "
    "Your text is kept below: wait a moment, then send it again to post it as a new comment."
)


def form_token(article_pk: int, issued_at: float | None = None) -> str:
    """A signed note of which story the form belongs to, when it was served, and a
    one-time number: each form sends one comment."""
    issued = int(issued_at if issued_at is not None else time.time())
    nonce = secrets.token_urlsafe(12)
    return signing.dumps({"a": article_pk, "t": issued, "n": nonce}, salt=TOKEN_SALT)


def refuse_readers_names(value: str) -> None:
    """A reader's display name belongs to their account: typed by anyone else (in any
    case, spacing or look-alike letters) it is refused."""
    if len(value) > NAME_MAX_LENGTH:
        return
    if is_readers_name(value):
        raise forms.ValidationError(
            "Please choose another name: a reader with an account uses this one.",
            code="readers_name",
        )


# What a guest types to say who they are; a signed-in reader's account says it instead.
IDENTITY_FIELDS = ("author_name", "author_email")


def comment_body_field() -> ReaderTextField:
    """A comment's text, as written and as edited. Reader text is cleaned (NFKC, no
    invisible or private-use characters) before the length limits, the rules and storage
    see it: see `articles.text`."""
    return ReaderTextField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": BODY_MAX_LENGTH}),
        min_length=BODY_MIN_LENGTH,
        max_length=BODY_MAX_LENGTH,
        strip=True,
        error_messages={
            "required": "Please write a comment.",
            "min_length": "Your comment is too short: write at least %(limit_value)d characters.",
            "max_length": "Your comment is too long: at most %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
    )


class CommentForm(forms.ModelForm):
    body = comment_body_field()
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
        field_classes = {"author_name": ReaderTextField, "author_email": ReaderEmailField}

    def __init__(self, *args, article, reader=None, **kwargs):
        """`reader`: the signed-in reader's account (readers.models.signed_in_reader),
        whose comment goes under their display name: their form has no name or email.
        `article` None: a guest's identity fields alone, for the `comment-identity`
        placeholder (comments.identity)."""
        super().__init__(*args, **kwargs)
        self.article = article
        self.reader = reader
        if reader is not None:
            for name in IDENTITY_FIELDS:
                del self.fields[name]
        else:
            self.fields["author_name"].validators += [refuse_staff_names, refuse_readers_names]
        if not self.is_bound and article is not None:
            # Cached pages are shared: each response gets a fresh token in its place,
            # so the timing check stays exact and no two readers share a one-time number.
            self.initial["token"] = placeholder("form-token", article.pk)

    def clean(self):
        cleaned = super().clean()
        token = self.token_payload(self.data.get("token", ""))
        if cleaned.get("website") or token is None:
            raise forms.ValidationError("Refused.", code=REFUSED)
        age = time.time() - token["t"]
        if age < settings.COMMENTS_FORM_MIN_SECONDS:
            raise forms.ValidationError("Refused.", code=REFUSED)
        if age > settings.COMMENTS_FORM_MAX_SECONDS:
            raise forms.ValidationError(EXPIRED_MESSAGE, code=EXPIRED)
        cleaned["form_nonce"] = token["n"]
        return cleaned

    def identity_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in IDENTITY_FIELDS if name in self.fields]

    def other_visible_fields(self) -> list[forms.BoundField]:
        return [field for field in self.visible_fields() if field.name not in IDENTITY_FIELDS]

    def token_payload(self, token: str) -> dict | None:
        """The form's signed note, when it is ours, whole and for this story."""
        try:
            payload = signing.loads(token, salt=TOKEN_SALT)
        except signing.BadSignature:
            return None
        if not isinstance(payload, dict) or payload.get("a") != self.article.pk:
            return None
        if not isinstance(payload.get("t"), int) or not isinstance(payload.get("n"), str):
            return None
        return payload

    def already_used(self) -> None:
        self.add_error(None, forms.ValidationError(ALREADY_USED_MESSAGE, code=ALREADY_USED))

    @property
    def needs_new_token(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, code=EXPIRED) or self.has_error(
            NON_FIELD_ERRORS, code=ALREADY_USED
        )

    def renew_token(self) -> None:
        """A new token for the form shown again with the reader's text, issued now: it
        must wait COMMENTS_FORM_MIN_SECONDS like any other (dated back, a used or stale
        token would be a way round the minimum)."""
        self.data = self.data.copy()
        self.data["token"] = form_token(self.article.pk)

    @property
    def refused(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, code=REFUSED)


class CommentEditForm(forms.Form):
    body = comment_body_field()


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label="Why?", choices=CommentReport.Reason.choices)


class CloseThreadForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional, shown to readers)", max_length=255, required=False
    )


class EraseAccountForm(forms.Form):
    comments = forms.ChoiceField(
        label="Your comments",
        choices=[
            ("keep", "Keep them on the site, signed “A former reader”"),
            ("remove", "Remove them (where others replied, a note says a comment was deleted)"),
        ],
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label="I understand that my account, my address and my sign-in go for good.",
        error_messages={"required": "Tick the box to confirm."},
    )
