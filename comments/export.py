"""A reader's own comments as data they can take away: JSON and CSV."""

import csv
import io
import json

from django.db.models import Exists, OuterRef

from articles.links import absolute
from articles.models import Article
from comments.models import Comment

UNPUBLISHED = "(a story no longer on the site)"

FIELDS = ["id", "story", "story_url", "posted_at", "edited_at", "status", "in_reply_to", "text"]
# A cell starting with one of these is a formula to a spreadsheet: a comment reading
# "=HYPERLINK(...)" must open as text, not run. (OWASP's advice: a leading quote.)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def own_comments(account) -> list[dict]:
    """Every comment the account wrote, oldest first, in one query."""
    comments = (
        Comment.objects.filter(author=account)
        .select_related("thread__article")
        .annotate(
            on_the_site=Exists(Article.objects.published().filter(pk=OuterRef("thread__article")))
        )
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": comment.pk,
            # Every comment is theirs to take; a story no longer published keeps its
            # headline and address to itself (it may come back under others).
            "story": comment.thread.article.headline if comment.on_the_site else UNPUBLISHED,
            "story_url": (
                absolute(comment.thread.article.get_absolute_url()) if comment.on_the_site else ""
            ),
            "posted_at": comment.created_at.isoformat(),
            "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
            "status": comment.get_status_display(),
            "in_reply_to": comment.parent_id,
            "text": comment.body,
        }
        for comment in comments.iterator(chunk_size=500)
    ]


def as_json(rows: list[dict]) -> str:
    return json.dumps({"comments": rows}, ensure_ascii=False, indent=2)


def as_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _cell(row[name]) for name in FIELDS})
    return out.getvalue()


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
