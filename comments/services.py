"""Actions on comment threads that span several rows."""

from django.db import transaction

from articles.models import Article
from comments.models import Comment, Thread


class ThreadClosed(Exception):
    """The thread was closed before the comment could be saved."""


def comment_post(
    *, article: Article, author_name: str, author_email: str, body: str, ip: str | None
) -> Comment:
    """Save a reader's comment, unless the story's thread is closed.

    The thread row is locked while we check it is open and save, so a comment can
    never land after a moderator's close, even when the two race.
    """
    Thread.objects.get_or_create(article=article)
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(article=article)
        if not thread.is_open():
            raise ThreadClosed
        comment = Comment.objects.create(
            thread=thread,
            author_name=author_name,
            author_email=author_email,
            body=body,
            ip_address=ip,
        )
        thread.refresh_comment_count()
    return comment
