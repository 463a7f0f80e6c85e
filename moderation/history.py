"""A commenter as moderators see them, and the comment search.

A person is who the site knows them as (`Comment.reader_key`): their account
("user:<pk>") or the random identity of their reader cookie ("reader:<id>"). Names and
emails are what they typed, and never an identity: they are shown, and searched, as
clues. Every question here is one query, whatever the number of comments.
"""

import ipaddress
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, F, Max, Value
from django.db.utils import OperationalError
from psycopg2.errors import QueryCanceled

from articles.ratelimit import network_of
from comments.models import Comment, Sanction
from comments.rules import TrackRecord
from moderation.models import PersonNote
from readers.models import Reader

# What the site issues (comments.readers): an account's number, or a cookie's
# token_urlsafe identity of at most 40 characters. Anything else names nobody.
READER_KEY = re.compile(r"user:[1-9][0-9]{0,17}|reader:[A-Za-z0-9_-]{1,40}")

# Readers' personal details (the emails they typed, their account's address, their
# networks and IP addresses) are shown in the workspace, and searched, only to staff with
# this permission: "Can search comments by email and network" means "may see readers'
# personal details" here. Other moderators judge comments by their words and record.
PERSONAL_DETAILS = "comments.search_comment"

# What a row of the history or of the search shows: a comment and its story's headline
# (a story's body and search document stay in the database).
ROW_FIELDS = (
    "thread__article__headline",
    "author_name",
    "author_email",
    "network",
    "reader_key",
    "body",
    "status",
    "created_at",
    "held_reason",
    "report_count",
    "rejection_reason",
    "featured_at",
)
# The names, emails and networks a person used: the most recently used few.
ALIASES_SHOWN = 10
NOTES_SHOWN = 100


NEWEST_FIRST = ["-created_at", "-pk"]
# One person's comments are sorted by a computed key, which no index offers: the planner
# then reads their own rows (comment_reader_idx) and sorts them, rather than walk the
# whole site's comments from the newest looking for theirs (a quarter of a second, on a
# million comments, for a prolific commenter who stopped commenting a while ago).
ONE_PERSONS_NEWEST_FIRST = [(F("created_at") + Value(timedelta(0))).desc(), "-pk"]


def rows(comments, order=NEWEST_FIRST):
    """Comments as the history and the search list them, newest first."""
    return comments.select_related("thread__article").only(*ROW_FIELDS).order_by(*order)


@dataclass(frozen=True)
class Person:
    reader_key: str
    account: object | None = None  # the User behind "user:<pk>", while it exists

    @classmethod
    def of(cls, reader_key: str) -> "Person | None":
        """The person a reader key names, or None for a key the site never issues and for
        anyone moderators have nothing on (no comment, no note): an account number alone
        is nobody to show, or every reader's address could be read by counting."""
        if not READER_KEY.fullmatch(reader_key):
            return None
        if not cls._is_known(reader_key):
            return None
        account = None
        if reader_key.startswith("user:"):
            users = get_user_model().objects.select_related("reader")
            account = users.filter(pk=int(reader_key.removeprefix("user:"))).first()
        return cls(reader_key, account)

    @staticmethod
    def _is_known(reader_key: str) -> bool:
        return (
            Comment.objects.filter(reader_key=reader_key).exists()
            or PersonNote.objects.filter(reader_key=reader_key).exists()
        )

    @property
    def reader(self) -> Reader | None:
        """The reader's account details (display name, address); none for a guest or staff."""
        try:
            return self.account.reader if self.account is not None else None
        except Reader.DoesNotExist:
            return None

    def name(self, names_used: list[dict]) -> str:
        """What to call them: an account's display name (a staff account's username),
        else the name they last typed."""
        reader = self.reader
        if reader is not None:
            return str(reader)
        if self.account is not None:
            return self.account.get_username()
        typed = [used["author_name"] for used in names_used if used["author_name"]]
        return typed[0] if typed else "Anonymous"

    @property
    def is_guest(self) -> bool:
        return self.reader_key.startswith("reader:")

    def comments(self):
        return rows(
            Comment.objects.filter(reader_key=self.reader_key), order=ONE_PERSONS_NEWEST_FIRST
        )

    def names_used(self, *, with_emails: bool) -> list[dict]:
        """The names they typed, the most recently used first; with the email typed beside
        each for those who may see it (`PERSONAL_DETAILS`), else names alone, so not even
        the number of emails shows."""
        fields = ("author_name", "author_email") if with_emails else ("author_name",)
        used = Comment.objects.filter(reader_key=self.reader_key).values(*fields)
        return list(
            used.annotate(last_used=Max("created_at"), comments=Count("pk")).order_by("-last_used")[
                :ALIASES_SHOWN
            ]
        )

    def networks(self) -> list[dict]:
        """The networks they commented from, the most recently used first (addresses are
        erased after COMMENTS_IP_RETENTION_DAYS)."""
        used = Comment.objects.filter(reader_key=self.reader_key).exclude(network="")
        return list(
            used.values("network")
            .annotate(last_used=Max("created_at"), comments=Count("pk"))
            .order_by("-last_used")[:ALIASES_SHOWN]
        )

    def track_record(self) -> TrackRecord:
        return TrackRecord.of(self.reader_key)

    def sanctions(self) -> list[Sanction]:
        """Every sanction on their account, in force or not (a guest has none)."""
        if self.account is None:
            return []
        return list(
            Sanction.objects.filter(account=self.account).select_related("created_by", "lifted_by")
        )

    def notes(self) -> list[PersonNote]:
        notes = PersonNote.objects.filter(reader_key=self.reader_key).select_related("written_by")
        return list(notes[:NOTES_SHOWN])


def rejection_percent(record: TrackRecord) -> int | None:
    """The share of their decided comments that moderators rejected; None before any
    decision."""
    decided = record.approved + record.rejected
    return round(100 * record.rejected / decided) if decided else None


# A network search reads the network index (Comment.network holds an IPv4 address as a
# /32, an IPv6 address as its /64): a wider network is its list of those, so at most an
# IPv4 /24 (256 addresses) or an IPv6 /56 (256 /64s).
IPV4_WIDEST, IPV6_WIDEST = 24, 56


class NotANetwork(ValueError):
    """What was typed is no address or network a search can take; the message says why."""


def networks_in(value: str) -> list[str]:
    """The stored networks an address or a network covers: "203.0.113.9" is
    ["203.0.113.9/32"], "203.0.113.0/24" its 256 addresses, "2001:db8:1:2::9" and
    "2001:db8:1::/56" the /64s they cover."""
    value = value.strip()
    if "/" not in value:
        network = network_of(value)
        if network is None:
            raise NotANetwork("Give an IP address (203.0.113.9) or a network (203.0.113.0/24).")
        return [network]
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise NotANetwork(
            "Give an IP address (203.0.113.9) or a network (203.0.113.0/24)."
        ) from None
    if network.version == 4:
        if network.prefixlen < IPV4_WIDEST:
            raise NotANetwork(f"Search at most a /{IPV4_WIDEST} IPv4 network at a time.")
        return [f"{address}/32" for address in network]
    if network.prefixlen >= 64:
        return [network_of(str(network.network_address))]
    if network.prefixlen < IPV6_WIDEST:
        raise NotANetwork(f"Search at most a /{IPV6_WIDEST} IPv6 network at a time.")
    return [str(subnet) for subnet in network.subnets(new_prefix=64)]


def search_comments(
    *, text: str = "", author: str = "", email: str = "", networks: list[str] | None = None
):
    """Comments containing the text, by a name or an email containing what was given (in
    any case: comment_search_idx), or from the networks; newest first."""
    comments = Comment.objects.all()
    if text:
        comments = comments.filter(body__icontains=text)
    if author:
        comments = comments.filter(author_name__icontains=author)
    if email:
        comments = comments.filter(author_email__icontains=email)
    if networks:
        comments = comments.filter(network__in=networks)
    return rows(comments)


class SearchTooSlow(Exception):
    """The search ran past MODERATION_SEARCH_TIMEOUT_MS and PostgreSQL cancelled it."""


@contextmanager
def search_time_limit():
    """Run the search's queries under a statement timeout: a term common enough to match
    most of a million comments, or one the trigram index cannot narrow, is stopped instead
    of holding a connection (and a core) for as long as it takes. SET LOCAL ends with the
    block's transaction; it is reset on the way out all the same, for a caller already in
    a transaction (a test, ATOMIC_REQUESTS), whose later queries must not inherit it."""
    milliseconds = int(settings.MODERATION_SEARCH_TIMEOUT_MS)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {milliseconds}")
            yield
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = DEFAULT")
    except OperationalError as error:
        # Only the timeout's cancellation: a lost connection is still an error.
        if isinstance(error.__cause__, QueryCanceled):
            raise SearchTooSlow from error
        raise
