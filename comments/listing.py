"""A page of a story's comment thread, as a tree, in a fixed number of queries.

Top-level comments are paginated; their replies come in one more query through the
`root` column, and the tree is assembled in Python. Readers see visible comments, and
a placeholder for a hidden one only where visible replies hang beneath it; moderators
see everything, labelled.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q

from articles.models import Article
from comments.models import Comment, Thread
from comments.rules import CommentRules

ORDERS = {"oldest": ("created_at", "pk"), "newest": ("-created_at", "-pk")}
DEFAULT_ORDER = "oldest"
# The story page's query parameters for its thread (articles.views.STORY_PARAMS): the
# page of top-level comments, their order, the comment a Reply link opens a form under.
THREAD_PARAMS = frozenset({"cpage", "corder", "reply_to"})


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
    thread: Thread, *, order: str = DEFAULT_ORDER, page_number=None, moderator: bool = False
) -> ThreadPage:
    """A page of the thread's top-level comments with their replies. A thread not saved
    yet (no comment so far) has no comments."""
    order = order if order in ORDERS else DEFAULT_ORDER
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


def comment_page_number(comment: Comment, *, order: str = DEFAULT_ORDER) -> int:
    """The page on which a reader finds this comment, in this order."""
    root = comment.root or comment
    if order == "newest":
        up_to = Q(created_at__gt=root.created_at) | Q(created_at=root.created_at, pk__gte=root.pk)
    else:
        up_to = Q(created_at__lt=root.created_at) | Q(created_at=root.created_at, pk__lte=root.pk)
    position = readers_top_level(comment.thread).filter(up_to).count()
    return max(1, math.ceil(position / settings.COMMENTS_PER_PAGE))


def readers_page_count(thread: Thread) -> int:
    """How many pages of comments readers have: one for a thread without any."""
    if thread.pk is None:
        return 1
    top_level = readers_top_level(thread).count()
    return max(1, math.ceil(top_level / settings.COMMENTS_PER_PAGE))


def thread_query(
    *, page: int = 1, order: str = DEFAULT_ORDER, reply_to: int | None = None
) -> dict[str, str]:
    """The story page's query for this view of its thread, defaults left out: each page
    of comments has one address, and the page cache one copy of it."""
    query = {}
    if reply_to is not None:
        query["reply_to"] = str(reply_to)
    if page > 1:
        query["cpage"] = str(page)
    if order != DEFAULT_ORDER:
        query["corder"] = order
    return query


def canonical_story_query(story: Article, query: Mapping[str, str]) -> dict[str, str]:
    """The story page's query (normalised, articles.views.STORY_PARAMS) with its thread
    parameters as a reader can reach them: a page past the last is the last one; a Reply
    form opens only under a visible comment of this thread while it is open, on the page
    that comment is on; the first page and the default order go unnamed. Costs a query
    or two, and none for a page asked without a page number or a reply."""
    rules = CommentRules.for_story(story)
    order = query.get("corder", DEFAULT_ORDER)
    target = None
    if "reply_to" in query and rules.thread.pk is not None and rules.is_open():
        visible = rules.thread.comments.visible().select_related("root")
        target = visible.filter(pk=query["reply_to"]).first()
    if target is not None:
        page = comment_page_number(target, order=order)
    else:
        page = int(query.get("cpage", "1"))
        if page > 1:
            page = min(page, readers_page_count(rules.thread))
    others = {name: value for name, value in query.items() if name not in THREAD_PARAMS}
    reply_to = target.pk if target is not None else None
    return {**others, **thread_query(page=page, order=order, reply_to=reply_to)}


def comment_url(comment: Comment) -> str:
    """The comment in its thread: its story on the page where it is (oldest first, the
    thread's default order), at its anchor."""
    query = urlencode(thread_query(page=comment_page_number(comment)))
    story = comment.thread.article.get_absolute_url()
    return f"{story}{'?' if query else ''}{query}#comment-{comment.pk}"
