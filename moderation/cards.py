"""What a comment card shows beside the comment itself, loaded for a whole page of cards
in a fixed number of queries: its story and section, the comment it answers, who decided
on it or picked it, what its reports said, its author's record and sanctions, and its
text with the watched words marked and its links counted."""

import re
from collections import defaultdict
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from articles.links import link
from comments.models import (
    Comment,
    CommentReport,
    ModerationEvent,
    RejectionReason,
    Sanction,
    WatchedWord,
)
from comments.rules import LINK, TrackRecord, watched_words
from moderation.decisions import DECISION_EVENTS, CardVersion

REASONS = RejectionReason.choices

# A comment's status as staff say it: readers are told a comment was removed, moderators
# rejected it (the word of their queue, their button and their log).
STATUS_FOR_STAFF = {**dict(Comment.Status.choices), Comment.Status.REMOVED: "Rejected"}


def status_for_staff(comment: Comment) -> str:
    return STATUS_FOR_STAFF.get(comment.status, comment.status)


def for_cards(comments: QuerySet) -> QuerySet:
    """With the card's story and section. The rest comes in a query apiece for the whole
    page (with_card_details): a join of every relation a card names takes PostgreSQL
    longer to plan than the page's other queries take to run."""
    return comments.select_related("thread__article__section").defer("thread__article__body")


def marked(text: str, pattern: re.Pattern) -> SafeString:
    """`text`, escaped, with what `pattern` finds in it in <mark>."""
    pieces, start = [], 0
    for found in pattern.finditer(text):
        pieces += [escape(text[start : found.start()]), format_html("<mark>{}</mark>", found[0])]
        start = found.end()
    pieces.append(escape(text[start:]))
    return mark_safe("".join(pieces))  # every piece is escaped above


def _report_reasons(comments: list[Comment]) -> dict[int, list[tuple[str, int]]]:
    """(reason, how many readers gave it) of each comment, the most given first."""
    labels = dict(CommentReport.Reason.choices)
    rows = (
        CommentReport.objects.filter(comment__in=[comment.pk for comment in comments])
        .values("comment_id", "reason")
        .annotate(readers=Count("pk"))
        .order_by("comment_id", "-readers", "reason")
    )
    reasons = defaultdict(list)
    for row in rows:
        reasons[row["comment_id"]].append(
            (labels.get(row["reason"], row["reason"]), row["readers"])
        )
    return reasons


def _sanctions(comments: list[Comment]) -> dict[int, list[Sanction]]:
    """The sanctions in force on the comments' authors' accounts."""
    accounts = {comment.author_id for comment in comments if comment.author_id}
    sanctions = defaultdict(list)
    if accounts:
        for sanction in Sanction.objects.in_force().filter(account__in=accounts):
            sanctions[sanction.account_id].append(sanction)
    return sanctions


def _restored(comments: list[Comment]) -> set[int]:
    """The comments whose last decision restored them (a visible comment's last decision
    is an approval or a restore; its card says which)."""
    decided = [c.pk for c in comments if c.decided_at and c.status == Comment.Status.VISIBLE]
    if not decided:
        return set()
    last = (
        ModerationEvent.objects.filter(comment__in=decided, action__in=DECISION_EVENTS)
        .order_by("comment_id", "-created_at", "-pk")
        .distinct("comment_id")
        .values_list("comment_id", "action")
    )
    return {pk for pk, action in last if action == ModerationEvent.Action.RESTORE}


def _people(comments: list[Comment]) -> None:
    """The accounts a card names (its author, who decided on it, picked it, closed its
    story's comments), set on their fields."""
    named = [(c, field) for c in comments for field in ("author", "decided_by", "featured_by")]
    named += [(comment.thread, "closed_by") for comment in comments]
    ids = {getattr(row, f"{field}_id") for row, field in named} - {None}
    accounts = get_user_model().objects.only("pk", "username", "is_staff").in_bulk(ids)
    for row, field in named:
        account = accounts.get(getattr(row, f"{field}_id"))
        if account is not None:
            setattr(row, field, account)


def with_card_details(comments: list[Comment]) -> list[Comment]:
    """Each comment with what its card shows: the accounts it names, `answering` (the
    comment it answers, or None), `report_reasons`, `track_record` (None for a comment
    from nobody the site knows), `sanctions` in force on its account, `marked_body`,
    `links`, `restored` (its last decision was a restore), and the addresses of its
    decisions and of the comment in its thread. Seven queries for any number of cards."""
    if not comments:
        return comments
    _people(comments)
    answered = Comment.objects.only("pk", "author_name", "body").in_bulk(
        {comment.replied_to_id or comment.parent_id for comment in comments} - {None}
    )
    reasons = _report_reasons(comments)
    records = TrackRecord.of_many(comment.reader_key for comment in comments)
    sanctions = _sanctions(comments)
    watched = watched_words(WatchedWord.objects.values_list("word", flat=True))
    restored = _restored(comments)
    for comment in comments:
        # Built without a reverse() apiece (articles.links): a page has many cards.
        comment.decide_url = link("moderation:decide", comment_id=comment.pk)
        # A reader key is "user:<pk>" or "reader:<token_urlsafe>": quoted all the same.
        comment.person_url = comment.reader_key and link(
            "moderation:person", reader_key=quote(comment.reader_key, safe=":")
        )
        if comment.status == Comment.Status.VISIBLE:
            comment.in_thread_url = link("comments:go-to", comment_pk=comment.pk)
        else:  # readers cannot be sent to it; moderators see it on its story's page
            comment.in_thread_url = f"{comment.thread.article.get_absolute_url()}#comments"
        comment.answering = answered.get(comment.replied_to_id or comment.parent_id)
        comment.report_reasons = reasons[comment.pk]
        comment.track_record = (
            records.get(comment.reader_key, TrackRecord()) if comment.reader_key else None
        )
        comment.sanctions = sanctions[comment.author_id] if comment.author_id else []
        comment.marked_body = marked(comment.body, watched)
        comment.links = len(LINK.findall(comment.body))
        comment.restored = comment.pk in restored
    return comments


def with_form_state(comments: list[Comment], *, queue: str, here: str) -> list[Comment]:
    """Each comment with `form_state`: the hidden fields each of its card's forms sends
    (the version of the comment the card shows, its queue, and the page to come back
    to, at the next card: the one before, for the last)."""
    for index, comment in enumerate(comments):
        neighbour = comments[index + 1 : index + 2] or comments[max(index - 1, 0) : index]
        back = f"{here}#card-{neighbour[0].pk}" if neighbour else here
        comment.form_state = format_html(
            '<input type="hidden" name="seen" value="{}">'
            '<input type="hidden" name="queue" value="{}">'
            '<input type="hidden" name="next" value="{}">',
            str(CardVersion.of(comment)),
            queue,
            back,
        )
    return comments


def reason_options() -> SafeString:
    """The reasons to reject, numbered as their keys: the same for every card."""
    return format_html_join(
        "",
        '<option value="{}">{}. {}</option>',
        ((value, number, label) for number, (value, label) in enumerate(REASONS, start=1)),
    )


def card(comment_id: int) -> Comment:
    """One comment as its card shows it."""
    return with_card_details([for_cards(Comment.objects.all()).get(pk=comment_id)])[0]
