"""The mails: one reply at once, or a day's replies in a digest; a comment moderators
rejected, and why. Plain text only: reader text goes out as the reader wrote it, and no
mail client renders it as markup."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import Truncator

from articles.links import absolute
from comments.listing import comment_url
from comments.models import Comment
from notifications.tokens import unsubscribe_token
from readers.models import Reader


def one_line(text: str) -> str:
    """Header text: a name or headline with line breaks would end the header."""
    return " ".join(text.split())


def replier_name(reply: Comment) -> str:
    return one_line(reply.author_name) or "Someone"


def unsubscribe_url(reader: Reader, thread_id: int | None = None) -> str:
    token = unsubscribe_token(user_id=reader.user_id, thread_id=thread_id)
    return absolute(reverse("notifications:unsubscribe", kwargs={"token": token}))


def _message(reader: Reader, subject: str, body: str) -> EmailMessage:
    return EmailMessage(
        subject=one_line(subject),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reader.email],
        headers={
            # RFC 8058: the mail client's own "Unsubscribe" button POSTs
            # "List-Unsubscribe=One-Click" to this address; it stops all reply mail.
            "List-Unsubscribe": f"<{unsubscribe_url(reader)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # RFC 3834: no out-of-office answers to a robot.
            "Auto-Submitted": "auto-generated",
        },
    )


def _item(reply: Comment, reader: Reader) -> dict:
    return {
        "name": replier_name(reply),
        "headline": one_line(reply.thread.article.headline),
        "body": reply.body,
        "their_comment": Truncator(reply.answers.body).words(30),
        "url": absolute(comment_url(reply)),
        "thread_unsubscribe_url": unsubscribe_url(reader, reply.thread_id),
    }


def _footer() -> dict:
    return {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "preferences_url": absolute(reverse("notifications:preferences")),
    }


def reply_mail(reply: Comment, reader: Reader) -> EmailMessage:
    item = _item(reply, reader)
    body = render_to_string(
        "notifications/reply_mail.txt",
        {**item, **_footer(), "unsubscribe_url": unsubscribe_url(reader)},
    )
    return _message(reader, f"{item['name']} replied to your comment on “{item['headline']}”", body)


def digest_mail(replies: list[Comment], reader: Reader) -> EmailMessage:
    items = [_item(reply, reader) for reply in replies]
    body = render_to_string(
        "notifications/digest_mail.txt",
        {"items": items, **_footer(), "unsubscribe_url": unsubscribe_url(reader)},
    )
    count = len(items)
    subject = (
        f"{items[0]['name']} replied to your comment on “{items[0]['headline']}”"
        if count == 1
        else f"{count} replies to your comments"
    )
    return _message(reader, subject, body)


def rejection_mail(comment: Comment, reader: Reader) -> EmailMessage:
    """To the author of a comment moderators removed, with one of RejectionReason's
    reasons: which, on which story, and where they see their comments."""
    headline = one_line(comment.thread.article.headline)
    body = render_to_string(
        "notifications/rejection_mail.txt",
        {
            "headline": headline,
            "reason": comment.get_rejection_reason_display(),
            "their_comment": Truncator(comment.body).words(30),
            "story_url": absolute(comment.thread.article.get_absolute_url()),
            "your_comments_url": absolute(reverse("comments-account:your-comments")),
            **_footer(),
            "unsubscribe_url": unsubscribe_url(reader),
        },
    )
    return _message(reader, f"Your comment on “{headline}” was removed", body)
