"""What a comment card shows beside the comment itself, loaded for a whole page of cards
in a fixed number of queries: its story and section, the comment it answers, who decided
on it or picked it, what its reports said, its author's record and sanctions, and its
text with the watched words marked and its links counted."""

import re
from collections import defaultdict

from django.db.models import Count, QuerySet
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from comments.models import Comment, CommentReport, Sanction, WatchedWord
from comments.rules import LINK, TrackRecord, watched_words

CARD_RELATED = [
    "thread__article__section",
    "thread__closed_by",
    "parent",
    "replied_to",
    "author",
    "decided_by",
    "featured_by",
]


def for_cards(comments: QuerySet) -> QuerySet:
    # A card names its story; the story's text stays in the database.
    return comments.select_related(*CARD_RELATED).defer("thread__article__body")


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


def with_card_details(comments: list[Comment]) -> list[Comment]:
    """Each comment with what its card shows: `report_reasons`, `track_record` (None for
    a comment from nobody the site knows), `sanctions` in force on its account,
    `marked_body` and `links`. Four queries for any number of cards."""
    if not comments:
        return comments
    reasons = _report_reasons(comments)
    records = TrackRecord.of_many(comment.reader_key for comment in comments)
    sanctions = _sanctions(comments)
    watched = watched_words(WatchedWord.objects.values_list("word", flat=True))
    for comment in comments:
        comment.report_reasons = reasons[comment.pk]
        comment.track_record = (
            records.get(comment.reader_key, TrackRecord()) if comment.reader_key else None
        )
        comment.sanctions = sanctions[comment.author_id] if comment.author_id else []
        comment.marked_body = marked(comment.body, watched)
        comment.links = len(LINK.findall(comment.body))
    return comments


def card(comment_id: int) -> Comment:
    """One comment as its card shows it."""
    return with_card_details([for_cards(Comment.objects.all()).get(pk=comment_id)])[0]
