"""A page of a story's comment thread, as a tree, in a fixed number of queries.

Top-level comments are paginated; their replies come in one more query through the
`root` column, and the tree is assembled in Python. Readers see visible comments, and
a placeholder for a hidden one only where visible replies hang beneath it; moderators
see everything, labelled.

Above the thread, the newest of its Editors' picks; the thread filtered to them
(`cfilter=picks`) lists them all, flat, a page at a time. The thread's counts that the
page shows (how many picks, how many comments moderators removed) ride on the page's
own query: a thread without picks costs no query more.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Subquery

from articles.models import Article
from comments.models import Comment, Thread
from comments.rules import CommentRules

ORDERS = {"oldest": ("created_at", "pk"), "newest": ("-created_at", "-pk")}
DEFAULT_ORDER = "oldest"
# The thread filter's one value: Editors' picks alone.
PICKS = "picks"
# Newest first, in the box above the thread and in the filtered thread alike: the box is
# the filtered list's first few, so following "Show only Editors' picks" moves nothing.
PICKS_ORDER = ("-featured_at", "-pk")
PICKS_SHOWN = 5  # in the box above the thread
# The story page's query parameters for its thread (articles.views.STORY_PARAMS): the
# page of top-level comments (or of picks), their order, the comment a Reply link opens
# a form under, and the filter.
THREAD_PARAMS = frozenset({"cpage", "corder", "reply_to", "cfilter"})


@dataclass
class ThreadPage:
    """A page of the thread (or, `only_picks`, of its Editors' picks), with the thread's
    counts the story page shows."""

    page: Page
    order: str
    only_picks: bool = False
    picks_count: int = 0  # the thread's Editors' picks readers see
    # The newest few of them, for the box above the thread (not when filtered to them).
    picks: list[Comment] = field(default_factory=list)
    # Comments moderators removed (the public tally); None when it was not asked for.
    removed_count: int | None = None


class RowCount(Subquery):
    """How many rows a queryset has, as a subquery. One that names no outer row is run
    once for the whole query (PostgreSQL's InitPlan), however many rows that returns."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet, **extra) -> None:
        super().__init__(queryset.order_by().values("pk"), **extra)


def readers_top_level(thread: Thread):
    """Top-level comments a reader sees: visible, or standing over visible replies."""
    visible_reply = Comment.objects.filter(root=OuterRef("pk"), status=Comment.Status.VISIBLE)
    return thread.comments.filter(parent=None).filter(
        Q(status=Comment.Status.VISIBLE) | Exists(visible_reply)
    )


def thread_page(
    thread: Thread,
    *,
    order: str = DEFAULT_ORDER,
    page_number=None,
    moderator: bool = False,
    only_picks: bool = False,
    tally: bool = False,
) -> ThreadPage:
    """A page of the thread's top-level comments with their replies, and the newest of
    its Editors' picks; or, `only_picks`, a page of its picks alone. `tally`: with how
    many comments moderators removed. A thread not saved yet (no comment so far) has no
    comments."""
    if only_picks:
        return _picks_page(thread, page_number=page_number, tally=tally)
    order = order if order in ORDERS else DEFAULT_ORDER
    if thread.pk is None:
        top_level = Comment.objects.none()
    elif moderator:
        top_level = thread.comments.filter(parent=None)
    else:
        top_level = readers_top_level(thread)
    page = _page(
        _with_thread_counts(top_level, thread, picks=True, removed=tally).order_by(*ORDERS[order]),
        page_number,
        likely_one_page=(not moderator and thread.comment_count <= settings.COMMENTS_PER_PAGE),
    )
    rows = list(page.object_list)
    _attach_replies(rows, moderator=moderator)
    listing = ThreadPage(page, order)
    # A pick is visible, so its top-level comment is on some page: no rows, no picks.
    listing.picks_count = rows[0].thread_picks if rows else 0
    if listing.picks_count:
        listing.picks = list(thread.comments.editors_picks().order_by(*PICKS_ORDER)[:PICKS_SHOWN])
        # The moderators' pages hold more top-level comments than readers': one page
        # for them is one page for readers.
        link_in_thread(thread, listing.picks, on_one_page=page.paginator.num_pages == 1)
    if tally:
        listing.removed_count = _removed_count(thread, rows)
    return listing


def _picks_page(thread: Thread, *, page_number, tally: bool) -> ThreadPage:
    """A page of the thread's Editors' picks, flat, newest pick first, each linked to its
    place in the thread."""
    picks = thread.comments.editors_picks() if thread.pk is not None else Comment.objects.none()
    page = _page(
        _with_thread_counts(picks, thread, removed=tally).order_by(*PICKS_ORDER),
        page_number,
        # Picks are few: the first page (an address without a page number) is likely all.
        likely_one_page=page_number is None,
    )
    rows = list(page.object_list)
    link_in_thread(thread, rows, on_one_page=False)
    listing = ThreadPage(page, DEFAULT_ORDER, only_picks=True, picks_count=page.paginator.count)
    if tally:
        listing.removed_count = _removed_count(thread, rows)
    return listing


def _with_thread_counts(
    comments: QuerySet, thread: Thread, *, picks: bool = False, removed: bool = False
) -> QuerySet:
    """The thread's picks and removed comments counted on each row of `comments`, by
    subqueries run once: the page's own query brings them."""
    if thread.pk is None:
        return comments
    counts = {}
    if picks:
        counts["thread_picks"] = RowCount(thread.comments.editors_picks())
    if removed:
        counts["thread_removed"] = RowCount(thread.comments.rejected())
    return comments.annotate(**counts)


def _removed_count(thread: Thread, rows: list[Comment]) -> int:
    """From the page's rows; a page without any (every comment removed, none left to
    stand over replies) asks on its own."""
    if rows:
        return rows[0].thread_removed
    return thread.comments.rejected().count() if thread.pk is not None else 0


def picks_page_count(thread: Thread) -> int:
    """How many pages the thread's Editors' picks fill: one when there are none."""
    if thread.pk is None:
        return 1
    picks = thread.comments.editors_picks().count()
    return max(1, math.ceil(picks / settings.COMMENTS_PER_PAGE))


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


def _up_to(created_at, pk, order: str) -> Q:
    """Top-level comments that come before this one in this order, and itself (values,
    or OuterRef for a row of an outer query)."""
    if order == "newest":
        return Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gte=pk)
    return Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lte=pk)


def _page_of(position: int) -> int:
    return max(1, math.ceil(position / settings.COMMENTS_PER_PAGE))


def comment_page_number(comment: Comment, *, order: str = DEFAULT_ORDER) -> int:
    """The page on which a reader finds this comment, in this order."""
    root = comment.root or comment
    up_to = _up_to(root.created_at, root.pk, order)
    return _page_of(readers_top_level(comment.thread).filter(up_to).count())


def link_in_thread(thread: Thread, comments: Iterable[Comment], *, on_one_page: bool) -> None:
    """Give each of the thread's `comments` its `url`, as comment_url would: the pages
    they are on in one query for them all, and none when the thread is known to fit on
    one page."""
    comments = list(comments)
    pages = {}
    if comments and not on_one_page:
        before = readers_top_level(thread).filter(
            _up_to(OuterRef("created_at"), OuterRef("pk"), DEFAULT_ORDER)
        )
        roots = Comment.objects.filter(pk__in={c.root_id or c.pk for c in comments}).order_by()
        positions = roots.annotate(position=RowCount(before)).values_list("pk", "position")
        pages = {pk: _page_of(position) for pk, position in positions}
    story = thread.article.get_absolute_url()
    for comment in comments:
        comment.url = _url_in_thread(story, comment.pk, pages.get(comment.root_id or comment.pk, 1))


def readers_page_count(thread: Thread) -> int:
    """How many pages of comments readers have: one for a thread without any."""
    if thread.pk is None:
        return 1
    top_level = readers_top_level(thread).count()
    return max(1, math.ceil(top_level / settings.COMMENTS_PER_PAGE))


def thread_query(
    *,
    page: int = 1,
    order: str = DEFAULT_ORDER,
    reply_to: int | None = None,
    only_picks: bool = False,
) -> dict[str, str]:
    """The story page's query for this view of its thread, defaults left out: each page
    of comments has one address, and the page cache one copy of it. Filtered to the
    Editors' picks, the thread has pages of them and nothing else to choose."""
    if only_picks:
        return {"cfilter": PICKS, **({"cpage": str(page)} if page > 1 else {})}
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
    that comment is on; the first page and the default order go unnamed. The filter
    names the Editors' picks or nothing (any other value goes); filtered, the thread has
    pages of picks alone, with no order or Reply form. Costs a query or two, and none
    for a page asked without a page number or a reply."""
    rules = CommentRules.for_story(story)
    others = {name: value for name, value in query.items() if name not in THREAD_PARAMS}
    if query.get("cfilter") == PICKS:
        page = int(query.get("cpage", "1"))
        if page > 1:
            page = min(page, picks_page_count(rules.thread))
        return {**others, **thread_query(page=page, only_picks=True)}
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
    reply_to = target.pk if target is not None else None
    return {**others, **thread_query(page=page, order=order, reply_to=reply_to)}


def comment_url(comment: Comment) -> str:
    """The comment in its thread: its story on the page where it is (oldest first, the
    thread's default order), at its anchor."""
    story = comment.thread.article.get_absolute_url()
    return _url_in_thread(story, comment.pk, comment_page_number(comment))


def _url_in_thread(story: str, comment_pk: int, page: int) -> str:
    query = urlencode(thread_query(page=page))
    return f"{story}{'?' if query else ''}{query}#comment-{comment_pk}"
