"""What a comment card shows beside the comment itself, loaded for a whole page of cards
in a fixed number of queries: its story and section, the comment it answers, who decided
on it or picked it, and what its reports said."""

from collections import defaultdict

from django.db.models import Count, QuerySet

from comments.models import Comment, CommentReport

CARD_RELATED = [
    "thread__article__section",
    "parent",
    "replied_to",
    "decided_by",
    "featured_by",
]


def for_cards(comments: QuerySet) -> QuerySet:
    # A card names its story; the story's text stays in the database.
    return comments.select_related(*CARD_RELATED).defer("thread__article__body")


def with_report_reasons(comments: list[Comment]) -> list[Comment]:
    """Each comment with `report_reasons`: (reason, how many readers gave it), the most
    given first. One query for all of them."""
    reasons = defaultdict(list)
    if comments:
        labels = dict(CommentReport.Reason.choices)
        rows = (
            CommentReport.objects.filter(comment__in=[comment.pk for comment in comments])
            .values("comment_id", "reason")
            .annotate(readers=Count("pk"))
            .order_by("comment_id", "-readers", "reason")
        )
        for row in rows:
            label = labels.get(row["reason"], row["reason"])
            reasons[row["comment_id"]].append((label, row["readers"]))
    for comment in comments:
        comment.report_reasons = reasons[comment.pk]
    return comments


def card(comment_id: int) -> Comment:
    """One comment as its card shows it."""
    return with_report_reasons([for_cards(Comment.objects.all()).get(pk=comment_id)])[0]
