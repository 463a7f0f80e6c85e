from django import forms

from comments.models import Comment

BODY_MIN_LENGTH = 2
BODY_MAX_LENGTH = 5000


class CommentForm(forms.ModelForm):
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 5}),
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

    class Meta:
        model = Comment
        fields = ["author_name", "author_email", "body"]
        labels = {"author_name": "Name (optional)", "author_email": "Email (optional)"}
        help_texts = {"author_email": "Never shown on the site."}
