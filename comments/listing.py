"""A page of a story's comment thread, as a tree, in a fixed number of queries.

Top-level comments are paginated; their replies come in one more query through the
`root` column, and the tree is assembled in Python. Readers see visible comments, and
a placeholder for a hidden one only where visible replies hang beneath it; moderators
see everything, labelled.
"""

import math
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q

from comments.models import Comment, Thread

ORDERS = {"oldest": ("created_at", "pk"), "newest": ("-created_at", "-pk")}


@dataclass
class ThreadPage:
    page: Page
    order: str


def readers_top_level(thread: Thread):
    """Top-level comments a reader sees: visible, or standing over visible replies."""
    visible_reply = Comment.objects.filter(root=OuterRef("pk"), status=Comment.Status.VISIBLE)
    return thread.comments.filter(parent=None).filter(
        Q(status=Comment.Status.VISIBLE) | Exists(visible_reply)
    )


def thread_page(
    thread: Thread, *, order: str = "oldest", page_number=None, moderator: bool = False
) -> ThreadPage:
    """A page of the thread's top-level comments with their replies. A thread not saved
    yet (no comment so far) has no comments."""
    order = order if order in ORDERS else "oldest"
    if thread.pk is None:
        top_level = Comment.objects.none()
    elif moderator:
        top_level = thread.comments.filter(parent=None)
    else:
        top_level = readers_top_level(thread)
    page = _page(
        top_level.order_by(*ORDERS[order]),
        page_number,
        likely_one_page=(not moderator and thread.comment_count <= settings.COMMENTS_PER_PAGE),
    )
    _attach_replies(list(page.object_list), moderator=moderator)
    return ThreadPage(page, order)


def _page(ordered, page_number, *, likely_one_page: bool) -> Page:
    """The page of top-level comments asked for. Most threads fit on one page: for them
    one query fetching a row more than a page shows that it is so, and no COUNT runs."""
    per_page = settings.COMMENTS_PER_PAGE
    if likely_one_page:
        rows = list(ordered[: per_page + 1])
        if len(rows) <= per_page:
            return Paginator(rows, per_page).get_page(page_number)
    return Paginator(ordered, per_page).get_page(page_number)


def _attach_replies(top_level: list[Comment], *, moderator: bool) -> None:
    nodes = {comment.pk: comment for comment in top_level}
    for comment in top_level:
        comment.children = []
    replies = Comment.objects.filter(root__in=top_level).order_by("created_at", "pk")
    for reply in replies:
        reply.children = []
        nodes[reply.pk] = reply
        nodes[reply.parent_id].children.append(reply)
    if not moderator:
        for comment in top_level:
            _prune_for_readers(comment)


def _prune_for_readers(comment: Comment) -> bool:
    """Drop hidden comments without visible replies; mark the others as placeholders."""
    comment.children = [child for child in comment.children if _prune_for_readers(child)]
    comment.placeholder = comment.status != Comment.Status.VISIBLE
    return not comment.placeholder or bool(comment.children)


def comment_page_number(comment: Comment) -> int:
    """The page (oldest first, the default) on which a reader finds this comment."""
    root = comment.root or comment
    before = (
        readers_top_level(comment.thread)
        .filter(Q(created_at__lt=root.created_at) | Q(created_at=root.created_at, pk__lte=root.pk))
        .count()
    )
    return max(1, math.ceil(before / settings.COMMENTS_PER_PAGE))
