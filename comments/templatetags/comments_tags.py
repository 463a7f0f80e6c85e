from django import template

from comments.forms import CommentForm
from comments.models import Thread

register = template.Library()


@register.inclusion_tag("comments/thread.html", takes_context=True)
def comment_thread(context, article):
    """The story's comments: "Comments are closed." or the form, the count, the comments.

    A story without a thread row yet has an open thread with no comments; the row is
    created by the first comment, never by a page view.
    """
    thread = Thread.objects.filter(article=article).first()
    comments = []
    if thread is not None:
        comments = list(thread.comments.visible().order_by("created_at", "pk"))
    return {
        "request": context["request"],
        "article": article,
        "thread": thread,
        "is_open": thread is None or thread.is_open(),
        "comments": comments,
        "form": context.get("comment_form") or CommentForm(),
    }
