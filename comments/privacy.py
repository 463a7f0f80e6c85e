"""Readers' addresses are kept only as long as abuse checks need them.

Comments and reports keep their IP address for COMMENTS_IP_RETENTION_DAYS (flood limits,
report counts and moderators' look-ups read recent ones only); `addresses_erase` then
clears the address and its network, and replaces a report's address-based reporter key
with a neutral one. The signed reader identity (a random number the site issued) is no
address and stays: it is what pre-moderation trust rests on.
Nothing else changes: the comment, its status and report count, and the report itself
(its reason and time) stay, so the abuse statistics stay true.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Cast, Concat

from comments.models import Comment, CommentReport

# Reporter keys that are (or contain) a reader's address, as the report view writes them;
# account keys ("user:<id>") are no address and are kept.
ADDRESS_KEY_PREFIXES = ("ip:", "net:")
ERASED_KEY_PREFIX = "erased:"
# A report's reporter key once its reporter is forgotten: unique per report.
ERASED_KEY = Concat(Value(ERASED_KEY_PREFIX), Cast("pk", CharField()))
# Rows changed per transaction: old rows are locked a moment at a time, never all at once.
BATCH = 5_000


def addresses_erase(*, before: datetime) -> tuple[int, int]:
    """Erase the addresses of comments and reports made before `before`; returns how
    many comments and reports were changed."""
    # The network (an IPv4 address, an IPv6 /64) names a reader's connection as surely.
    comments = Comment.objects.filter(created_at__lt=before).filter(
        Q(ip_address__isnull=False) | ~Q(network="")
    )
    address_key = Q()
    for prefix in ADDRESS_KEY_PREFIXES:
        address_key |= Q(reporter_key__startswith=prefix)
    reports = CommentReport.objects.filter(created_at__lt=before).filter(
        Q(ip_address__isnull=False) | ~Q(network="") | address_key
    )
    # Unique per report, so "one report per reader and comment" still holds.
    erased_key = Case(When(address_key, then=ERASED_KEY), default=F("reporter_key"))
    return (
        _in_batches(comments, ip_address=None, network=""),
        _in_batches(reports, ip_address=None, network="", reporter_key=erased_key),
    )


def reports_forget(reports) -> int:
    """Make these reports nobody's: no address, no network, and a reporter key of their
    own (an erased account's reports still count once each, for nobody)."""
    return reports.update(ip_address=None, network="", reporter_key=ERASED_KEY)


def _in_batches(queryset, **changes) -> int:
    changed = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                return changed
            changed += queryset.model.objects.filter(pk__in=ids).update(**changes)
