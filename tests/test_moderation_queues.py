"""The moderators' queues: which comments each holds, the cards, the decisions taken
from a card (with and without the workspace's script), and who may do any of it."""

import re
import threading
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from articles.models import Article
from comments.models import (
    Comment,
    CommentReport,
    ModerationEvent,
    RejectionReason,
    Sanction,
    Thread,
    WatchedWord,
)
from comments.rules import TrackRecord
from comments.services import comment_moderate, comment_report
from moderation import paging, queues
from moderation.access import surging_threads
from moderation.decisions import CardVersion, Decision, comment_decide
from moderation.models import SectionAssignment
from moderation.paging import Cursor
from tests.conftest import page_text
from tests.factories import (
    force_login_verified,
    make_article,
    make_comments,
    make_reader,
    make_section,
    make_staff,
    readers_comment,
)
from tests.test_moderation import Backend, waiting_for

pytestmark = pytest.mark.django_db

WORKSPACE = "/moderation/"


def queue_url(slug: str) -> str:
    return f"/moderation/queue/{slug}/"


def decide_url(comment: Comment) -> str:
    return f"/moderation/comment/{comment.pk}/decide/"


def one(status="visible", article=None, **fields) -> Comment:
    """One comment in the given state (fields set as a moderator's or readers' actions
    would have left them)."""
    (comment,) = make_comments(article or make_article(), 1, status=status)
    if fields:
        Comment.objects.filter(pk=comment.pk).update(**fields)
        comment.refresh_from_db()
    return comment


def reported_one(article=None, readers: int = 1, **fields) -> Comment:
    comment = one(article=article, **fields)
    for n in range(readers):
        comment_report(
            comment_id=comment.pk, reason="abuse", reporter_key=f"reader:r{n}", ip=f"10.1.0.{n}"
        )
    comment.refresh_from_db()
    return comment


def moderator_without_stories(username: str = "nostories") -> User:
    """Staff who may moderate comments but not see the newsroom's stories in the admin
    (drafts, embargoes)."""
    user = make_staff(username)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="comments", codename="moderate_comment")
    )
    return user


def unpublished_stories() -> list[Article]:
    """A draft and an embargoed story, with headlines that are news."""
    return [
        make_article(headline="Minister resigns", status=Article.Status.DRAFT),
        make_article(headline="Merger agreed", published_at=timezone.now() + timedelta(hours=2)),
    ]


def card_ids(response) -> list[int]:
    return [comment.pk for comment in response.context["cards"]]


def seen(comment: Comment) -> str:
    """The version of the comment its card shows now."""
    comment.refresh_from_db()
    return str(CardVersion.of(comment))


# Who may


@pytest.mark.parametrize("who", ["anonymous", "reader", "account-without-staff"])
def test_strangers_are_sent_to_the_staff_sign_in(client, who):
    comment = one(status="pending")
    if who == "reader":
        client.force_login(make_reader().user)
    elif who == "account-without-staff":
        client.force_login(User.objects.create_user("plainuser"))

    for response in (
        client.get(WORKSPACE),
        client.get(queue_url("pending")),
        client.post(decide_url(comment), {"decision": "approve"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=/moderation/")
    comment.refresh_from_db()
    assert comment.status == "pending"


@pytest.mark.parametrize("group", ["Editors", None])
def test_staff_without_the_moderators_permission_are_refused(client, group):
    comment = one(status="pending")
    client.force_login(make_staff("staffer", group))

    assert client.get(WORKSPACE).status_code == 403
    assert client.get(queue_url("pending")).status_code == 403
    assert client.post(decide_url(comment), {"decision": "approve"}).status_code == 403
    comment.refresh_from_db()
    assert comment.status == "pending" and comment.decided_at is None


def test_a_superuser_needs_the_second_factor_too(client, admin_user):
    client.force_login(admin_user)  # the password alone, no code given
    assert client.get(queue_url("pending")).status_code == 302

    force_login_verified(client, admin_user)
    assert client.get(queue_url("pending")).status_code == 200


def test_decisions_are_post_only_and_csrf_protected(moderator):
    comment = one(status="pending")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(moderator)

    assert browser.get(decide_url(comment)).status_code == 405
    assert browser.post(decide_url(comment), {"decision": "approve"}).status_code == 403
    comment.refresh_from_db()
    assert comment.status == "pending"
    assert not ModerationEvent.objects.exists()


def test_pages_are_never_cached(client, moderator):
    response = client.get(queue_url("reported"))
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_admin_links_moderators_to_the_workspace(client, moderator):
    assert 'href="/moderation/">Moderation</a>' in client.get("/admin/").content.decode()


def test_editors_get_no_link_to_the_workspace(client, editor):
    assert 'href="/moderation/">Moderation</a>' not in client.get("/admin/").content.decode()


def test_the_queue_has_the_admin_frame_without_its_app_list(client, moderator):
    """The queues show no admin sidebar: its list of every app is not built for them,
    and the rest of the frame is the admin's own (user tools, site name and link)."""
    response = client.get(queue_url("reported"))

    frame = admin.site.each_context(response.wsgi_request)
    assert frame["available_apps"], "the admin's app list, as the sidebar would show it"
    assert response.context["available_apps"] == []
    assert response.context["is_nav_sidebar_enabled"] is False
    for name in frame.keys() - {"available_apps", "is_nav_sidebar_enabled", "log_entries"}:
        assert response.context[name] == frame[name], name
    page = response.content.decode()
    assert 'id="nav-sidebar"' not in page and 'id="logout-form"' in page
    assert "<strong>mod</strong>" in page


def test_pages_with_the_admin_sidebar_still_list_the_apps(client, moderator):
    response = client.get("/moderation/search/")

    assert response.context["available_apps"]
    assert 'id="nav-sidebar"' in response.content.decode()


# The queues


def test_the_workspace_opens_the_first_queue_with_comments_waiting(client, moderator):
    assert client.get(WORKSPACE)["Location"] == queue_url("reported")  # nothing anywhere

    one(status="visible")
    assert client.get(WORKSPACE)["Location"] == queue_url("unmoderated")
    one(status="pending")
    assert client.get(WORKSPACE)["Location"] == queue_url("pending")
    reported_one()
    assert client.get(WORKSPACE)["Location"] == queue_url("reported")


def test_each_queue_holds_its_comments(client, moderator):
    mod = make_staff("other", "Moderators")
    article = make_article()
    unmoderated = one(article=article, body="Never looked at.")
    reported = reported_one(article=article)
    pending = one(status="pending", article=article)
    approved = one(status="pending", article=article)
    comment_moderate(comment=approved, action="approve", actor=mod)
    rejected = one(article=article)
    comment_moderate(comment=rejected, action="remove", actor=mod, rejection_reason="spam")
    picked = one(article=article, decided_at=timezone.now(), decided_by=mod)
    Comment.objects.filter(pk=picked.pk).update(featured_at=timezone.now(), featured_by=mod)
    deleted = one(status="deleted", article=article)

    holds = {slug: set(card_ids(client.get(queue_url(slug)))) for slug in queues.QUEUES}

    assert holds == {
        "reported": {reported.pk},
        "pending": {pending.pk},
        "unmoderated": {unmoderated.pk},
        "approved": {approved.pk, picked.pk},
        "rejected": {rejected.pk},
        "picks": {picked.pk},
    }
    assert deleted.pk not in set().union(*holds.values())


def test_an_unknown_queue_is_not_found(client, moderator):
    assert client.get(queue_url("everything")).status_code == 404


def test_the_tabs_count_what_waits_and_stop_counting_at_a_cap(client, moderator, monkeypatch):
    monkeypatch.setattr(queues, "COUNT_UP_TO", 5)
    article = make_article()
    make_comments(article, 7, status="pending")
    reported_one(article=article)

    tabs = {
        tab["queue"].slug: tab["count"] for tab in client.get(queue_url("pending")).context["tabs"]
    }

    assert tabs == {
        "reported": "1",
        "pending": "5+",
        "unmoderated": "0",
        "approved": None,
        "rejected": None,
        "picks": None,
    }


def test_a_card_shows_who_what_where_and_why(client, moderator):
    article = make_article(headline="Floods in the north")
    reader = make_reader(display_name="Farah")
    parent = readers_comment(reader, article, body="The first word on it.")
    reply = one(article=article, body="I disagree entirely.", author_name="Bilal")
    Comment.objects.filter(pk=reply.pk).update(
        parent=parent, root=parent, depth=1, replied_to=parent, reader_key="reader:bilal"
    )
    for n, reason in enumerate(["spam", "spam", "abuse"]):
        comment_report(
            comment_id=reply.pk, reason=reason, reporter_key=f"reader:x{n}", ip=f"10.2.0.{n}"
        )

    response = client.get(queue_url("pending"))  # three reports hid it
    text = page_text(response)

    assert "Bilal on Floods in the north" in text
    assert "In reply to Farah: The first word on it." in text
    assert "I disagree entirely." in text
    assert "Held: reported by 3 readers" in text
    assert "Reported by 3 readers: Spam (2), Abuse or harassment (1)" in text
    html = response.content.decode()
    assert 'href="/moderation/person/reader:bilal/"' in html
    assert f'href="{article.get_absolute_url()}#comments"' in html


def test_a_card_shows_its_authors_record_and_sanctions(client, moderator):
    reader = make_reader(display_name="Farah")
    article = make_article()
    kept = readers_comment(reader, article, body="Kept.")
    comment_moderate(comment=kept, action="approve", actor=moderator)
    for body in ("Gone.", "Gone again."):
        gone = readers_comment(reader, article, body=body)
        comment_moderate(comment=gone, action="remove", actor=moderator)
    waiting = readers_comment(reader, article, body="Still here.")
    Comment.objects.filter(pk=waiting.pk).update(status="pending")
    Sanction.objects.create(
        account=reader.user,
        kind="suspend",
        reason="Insults.",
        ends_at=timezone.now() + timedelta(days=3),
    )
    guest = one(status="pending", article=article, reader_key="reader:cookie")

    response = client.get(queue_url("pending"))
    cards = {c.pk: c for c in response.context["cards"]}
    text = page_text(response)

    assert cards[waiting.pk].track_record == TrackRecord.of(f"user:{reader.user.pk}")
    assert "signed-in reader: 1 approved, 2 rejected" in text
    assert "Account suspended from commenting until" in text and ": Insults." in text
    assert cards[guest.pk].track_record == TrackRecord()
    assert "guest: 0 approved, 0 rejected" in text
    assert "A guest: no account to sanction." in text


def test_track_records_of_many_readers_are_those_of_each(moderator, settings):
    settings.COMMENTS_FLOOD_LIMIT = 100
    article = make_article()
    readers = [make_reader(display_name=f"R{n}") for n in range(3)]
    for n, reader in enumerate(readers):
        for i in range(n + 1):
            comment = readers_comment(reader, article, body=f"Comment {n}-{i}.")
            action = "remove" if i % 2 else "approve"
            Comment.objects.filter(pk=comment.pk).update(status="pending")
            comment_moderate(comment=comment, action=action, actor=moderator)
    keys = [f"user:{reader.user.pk}" for reader in readers]

    many = TrackRecord.of_many([*keys, "", "reader:nobody"])

    assert many == {key: TrackRecord.of(key) for key in keys}
    assert many[keys[2]].approved == 2 and many[keys[2]].rejected == 1


def test_watched_words_are_marked_in_escaped_text_and_links_counted(client, moderator):
    WatchedWord.objects.create(word="scam")
    WatchedWord.objects.create(word="<b>")
    one(
        status="pending",
        body='A SCAM! <script>alert("scam")</script> <b> scammer https://a.example www.b.example',
    )

    response = client.get(queue_url("pending"))
    html = response.content.decode()

    assert "A <mark>SCAM</mark>! &lt;script&gt;alert(&quot;<mark>scam</mark>&quot;)" in html
    assert "<mark>&lt;b&gt;</mark> scammer" in html  # a word inside another is not one
    assert "<script>alert" not in html
    assert "2 links" in page_text(response)


def test_reader_text_on_cards_is_escaped(client, moderator):
    one(
        status="pending",
        body='<script>alert("body")</script> {{ secret }} {% csrf_token %}',
        author_name='<img src=x onerror="alert(1)">',
    )

    html = client.get(queue_url("pending")).content.decode()

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;body&quot;)&lt;/script&gt;" in html
    assert "{{ secret }} {% csrf_token %}" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_the_queue_page_costs_the_same_for_10_and_500_comments(
    client, moderator, assert_queries_do_not_grow, monkeypatch
):
    """Both parts of a moderator's queue (their section, then the rest), each card with
    its story, section, reports and the comment it answers; the page after; a decision
    made in place."""
    monkeypatch.setattr(queues, "CARDS_PER_PAGE", 5)
    article = make_article()
    SectionAssignment.objects.create(moderator=moderator, section=article.section)
    other = make_article()
    sanctioned = make_reader(display_name="Sanctioned")
    Sanction.objects.create(account=sanctioned.user, kind="premoderate", reason="Spam.")
    WatchedWord.objects.create(word="spam")

    def setup(number):
        Comment.objects.update(parent=None, root=None, depth=0)
        Comment.objects.all().delete()
        comments = [
            *make_comments(article, 2, status="pending"),
            *make_comments(other, number, status="pending"),
        ]
        parent = comments[0]
        Comment.objects.filter(pk__in=[c.pk for c in comments[1:]]).update(
            report_count=1, reader_key="reader:many", parent=parent, root=parent, depth=1
        )
        # Every page has an account with a sanction, and a watched word to mark.
        Comment.objects.filter(pk__in=[c.pk for c in comments[:3] + comments[-3:]]).update(
            author=sanctioned.user, reader_key=f"user:{sanctioned.user.pk}", body="Spam here."
        )
        CommentReport.objects.bulk_create(
            CommentReport(comment=c, reason="spam", reporter_key=f"r{c.pk}") for c in comments
        )
        # The address of the next page, as the first page links to it.
        return client.get(queue_url("pending")).context["following"]

    def first_page(number, following):
        response = client.get(queue_url("pending"))
        cards = response.context["cards"]
        assert [c.part for c in cards] == ["mine", "mine", "rest", "rest", "rest"]
        assert all(c.report_reasons == [("Spam", 1)] for c in cards)
        assert "In reply to" in page_text(response)
        assert "Account every comment waits for a moderator: Spam." in page_text(response)
        assert "<mark>Spam</mark> here." in response.content.decode()
        assert response.context["following"] == following

    def next_page(number, following):
        response = client.get(following)
        assert [c.part for c in response.context["cards"]] == ["rest"] * 5

    def decision_in_place(number, following):
        comment = Comment.objects.pending().order_by("-created_at").first()
        response = in_place(client, comment, decision="approve", queue="pending")
        assert 'data-stays="false"' in response.content.decode()
        assert "Approved: the comment by" in page_text(response)

    assert_queries_do_not_grow(setup, first_page, next_page, budget=18)
    assert_queries_do_not_grow(setup, decision_in_place, budget=34)


# Sections, filters, pages


def test_a_moderators_own_sections_come_first(client, moderator):
    mine, theirs = make_section(name="Sport"), make_section(name="Politics")
    SectionAssignment.objects.create(moderator=moderator, section=mine)
    older_mine = one(status="pending", article=make_article(section=mine))
    newer_theirs = one(status="pending", article=make_article(section=theirs))
    Comment.objects.filter(pk=older_mine.pk).update(created_at=timezone.now() - timedelta(days=3))

    response = client.get(queue_url("pending"))

    assert card_ids(response) == [older_mine.pk, newer_theirs.pk]
    text = page_text(response)
    assert text.index("Your sections") < text.index("Other sections")


def test_a_superuser_sees_every_section_alike(client, admin_user):
    force_login_verified(client, admin_user)
    mine = make_section()
    SectionAssignment.objects.create(moderator=admin_user, section=mine)
    older_mine = one(status="pending", article=make_article(section=mine))
    newer = one(status="pending")
    Comment.objects.filter(pk=older_mine.pk).update(created_at=timezone.now() - timedelta(days=3))

    response = client.get(queue_url("pending"))

    assert card_ids(response) == [newer.pk, older_mine.pk]
    assert "Your sections" not in page_text(response)


def test_pages_go_on_where_the_last_ended_even_after_decisions(client, moderator, monkeypatch):
    monkeypatch.setattr(queues, "CARDS_PER_PAGE", 3)
    mine = make_section()
    SectionAssignment.objects.create(moderator=moderator, section=mine)
    ours = make_comments(make_article(section=mine), 4, status="pending")
    others = make_comments(make_article(), 3, status="pending")
    newest_first = [*reversed(ours), *reversed(others)]

    first = client.get(queue_url("pending"))
    assert card_ids(first) == [c.pk for c in newest_first[:3]]
    # Two of the first page's comments are decided before the next page is asked for:
    # with an offset, the next page would skip two waiting comments.
    for comment in newest_first[:2]:
        comment_moderate(comment=comment, action="approve", actor=moderator)
    second = client.get(first.context["following"])
    third = client.get(second.context["following"])

    assert card_ids(second) == [c.pk for c in newest_first[3:6]]
    assert card_ids(third) == [newest_first[6].pk]
    assert third.context["following"] is None
    assert "Newest comments" in page_text(third)


def test_paging_through_a_queue_shows_each_comment_once(client, moderator, monkeypatch):
    """Rejected, one card a page: comments removed before decisions were kept (no time
    of decision) come first, then the decided, newest first; none twice, none missed."""
    monkeypatch.setattr(queues, "CARDS_PER_PAGE", 1)
    article = make_article()
    legacy = make_comments(article, 2, status="removed")
    decided = make_comments(article, 3)
    for comment in decided:
        comment_moderate(comment=comment, action="remove", actor=moderator)

    shown, address = [], queue_url("rejected")
    while address:
        response = client.get(address)
        shown += card_ids(response)
        address = response.context["following"]

    assert shown == [c.pk for c in reversed(legacy)] + [c.pk for c in reversed(decided)]


def test_the_reported_queue_shows_the_newest_report_first_on_every_page(
    client, moderator, monkeypatch
):
    monkeypatch.setattr(queues, "CARDS_PER_PAGE", 1)
    oldest, middle, newest = make_comments(make_article(), 3)  # posted in that order
    # Reported the other way round, then the middle one again, by another reader.
    for n, comment in enumerate([newest, middle, oldest, middle]):
        comment_report(
            comment_id=comment.pk, reason="spam", reporter_key=f"reader:{n}", ip=f"10.6.0.{n}"
        )

    shown, address = [], queue_url("reported")
    while address:
        response = client.get(address)
        shown += card_ids(response)
        address = response.context["following"]

    assert shown == [middle.pk, oldest.pk, newest.pk]


def test_the_reported_queue_reads_its_partial_index():
    """The page reads comment_reported_idx in its order: only ties of the same moment
    are sorted (by number), as at a million comments. Small tables here, so the planner
    is told to avoid what a big one would make it avoid: reading all, sorting all."""
    reported(one())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE comments_comment; SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")

    plan = paging.newest_first(Comment.objects.reported(), "reported_at")[:21].explain()

    assert "Index Scan using comment_reported_idx" in plan
    assert re.search(r"Presorted Key: (\w+\.)?reported_at\b", plan), plan


def test_the_surge_banner_reads_its_partial_index():
    """workspace_context's banner, on every workspace page: the threads in surge mode,
    read from thread_surge_idx, not by a pass over every thread."""
    article = make_article()
    Thread.objects.bulk_create(
        Thread(article=make_article(section=article.section)) for _ in range(3)
    )
    Thread.objects.create(article=article, surge_started_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE comments_thread; SET LOCAL enable_seqscan = off")

    plan = surging_threads()[:10].explain()

    assert "thread_surge_idx" in plan and "Sort" not in plan


@pytest.mark.parametrize(
    "query, message",
    [
        ("story=abc", "No such story"),
        ("story=9" + "9" * 120, "No such story"),
        ("story=-1", "No such story"),
        ("section=no-such-section", "No such section"),
        ("after=garbage", "That page of the queue is gone"),
        ("after=all.99999999999999999999.1", "That page of the queue is gone"),
        ("after=" + "x" * 500, "That page of the queue is gone"),
    ],
)
def test_filters_that_name_nothing_are_reported_and_left_out(client, moderator, query, message):
    comment = one(status="pending")

    response = client.get(f"{queue_url('pending')}?{query}")

    assert response.status_code == 200
    assert message in page_text(response)
    assert card_ids(response) == [comment.pk]


def test_a_story_filter_shows_that_storys_comments_only(client, moderator):
    surging = make_article(headline="Election night")
    on_it = one(status="pending", article=surging)
    one(status="pending")

    response = client.get(f"{queue_url('pending')}?story={surging.pk}")

    assert card_ids(response) == [on_it.pk]
    assert "Only comments on Election night." in page_text(response)
    tabs = {tab["queue"].slug: tab for tab in response.context["tabs"]}
    assert tabs["pending"]["count"] == "1"
    assert tabs["reported"]["url"] == f"{queue_url('reported')}?story={surging.pk}"


@pytest.mark.parametrize("story", [0, 1], ids=["draft", "embargoed"])
def test_a_story_filter_never_names_an_unpublished_story_to_staff_who_may_not_see_it(client, story):
    unpublished = unpublished_stories()[story]
    force_login_verified(client, moderator_without_stories())

    response = client.get(f"{queue_url('pending')}?story={unpublished.pk}")

    assert response.status_code == 200
    assert "No such story: showing comments on every story." in page_text(response)
    assert unpublished.headline not in page_text(response)
    assert response.context["story"] is None


def test_a_story_filter_names_an_unpublished_story_to_staff_who_may_see_it(client, moderator):
    draft, embargoed = unpublished_stories()

    for story in (draft, embargoed):
        response = client.get(f"{queue_url('pending')}?story={story.pk}")
        assert f"Only comments on {story.headline}." in page_text(response)


def test_a_section_filter_shows_that_sections_comments_only(client, moderator):
    sport = make_section(slug="sport")
    in_sport = one(status="pending", article=make_article(section=sport))
    one(status="pending")

    response = client.get(f"{queue_url('pending')}?section=sport")

    assert card_ids(response) == [in_sport.pk]


def test_the_cursor_survives_its_round_trip():
    cursor = Cursor(part="rest", key=timezone.now(), pk=42)
    assert Cursor.parse(str(cursor)) == cursor
    assert Cursor.parse("all.none.7") == Cursor(part="all", key=None, pk=7)
    assert Cursor.parse("all.1.2.3") is None


# Decisions


def test_approving_a_pending_comment_publishes_it(client, moderator):
    comment = one(status="pending", author_name="Amna")

    response = client.post(
        decide_url(comment),
        {"decision": "approve", "seen": "", "queue": "pending", "next": queue_url("pending")},
    )

    assert response.status_code == 302 and response["Location"] == queue_url("pending")
    comment.refresh_from_db()
    assert (comment.status, comment.decided_by) == ("visible", moderator)
    assert comment.thread.comment_count == 1
    assert "Approved: the comment by Amna." in page_text(client.get(queue_url("pending")))


def test_approving_a_reported_comment_clears_it_until_its_next_report(client, moderator):
    comment = reported_one()

    client.post(decide_url(comment), {"decision": "approve", "seen": seen(comment)})

    comment.refresh_from_db()
    assert comment.status == "visible" and comment.decided_by == moderator
    assert card_ids(client.get(queue_url("reported"))) == []
    assert card_ids(client.get(queue_url("approved"))) == [comment.pk]
    event = ModerationEvent.objects.get(comment=comment, action="approve")
    assert event.actor == moderator

    comment_report(comment_id=comment.pk, reason="spam", reporter_key="reader:late", ip="10.3.0.1")
    assert card_ids(client.get(queue_url("reported"))) == [comment.pk]


def test_approving_an_unmoderated_comment_takes_it_out_of_unmoderated(client, moderator):
    comment = one()

    client.post(decide_url(comment), {"decision": "approve", "seen": ""})

    assert card_ids(client.get(queue_url("unmoderated"))) == []
    assert card_ids(client.get(queue_url("approved"))) == [comment.pk]


def test_approving_an_approved_comment_again_changes_nothing(moderator):
    comment = one(status="pending")
    assert comment_moderate(comment=comment, action="approve", actor=moderator)

    assert not comment_moderate(comment=comment, action="approve", actor=moderator)
    assert ModerationEvent.objects.filter(action="approve").count() == 1


def test_rejecting_keeps_the_reason_its_author_is_told(client, moderator):
    comment = one(author_name="Troll")

    client.post(
        decide_url(comment),
        {"decision": "reject", "rejection_reason": "harassment", "seen": ""},
    )

    comment.refresh_from_db()
    assert (comment.status, comment.rejection_reason) == ("removed", "harassment")
    event = ModerationEvent.objects.get(comment=comment)
    assert (event.action, event.reason) == ("remove", RejectionReason.HARASSMENT.label)
    response = client.get(queue_url("rejected"))
    page = page_text(response)
    assert "Rejected (Attacks another reader or person): the comment by Troll." in page
    assert "Rejected by mod" in page and ": Attacks another reader or person" in page
    # Staff say "rejected" throughout; "removed" is the readers' word.
    assert '<span class="card-status">Rejected</span>' in response.content.decode()
    assert "Removed" not in page

    client.post(
        decide_url(comment),
        {"decision": "reject", "rejection_reason": "spam", "seen": seen(comment)},
    )
    assert "Nothing changed: the comment by Troll is rejected." in page_text(
        client.get(queue_url("rejected"))
    )


def test_restoring_a_rejected_comment_brings_it_back(client, moderator):
    comment = one()
    comment_moderate(comment=comment, action="remove", actor=moderator, rejection_reason="spam")

    client.post(decide_url(comment), {"decision": "restore", "seen": seen(comment)})

    comment.refresh_from_db()
    assert (comment.status, comment.rejection_reason) == ("visible", "")
    assert card_ids(client.get(queue_url("rejected"))) == []
    # Its card says what was done last: a restore, not an approval.
    text = page_text(client.get(queue_url("approved")))
    assert "Restored by mod" in text and "Approved by" not in text


def test_making_and_unmaking_an_editors_pick(client, moderator):
    comment = one()

    client.post(decide_url(comment), {"decision": "feature"})
    comment.refresh_from_db()
    assert comment.featured_by == moderator
    assert card_ids(client.get(queue_url("picks"))) == [comment.pk]

    client.post(decide_url(comment), {"decision": "unfeature"})
    comment.refresh_from_db()
    assert comment.featured_at is None
    assert card_ids(client.get(queue_url("picks"))) == []
    actions = list(ModerationEvent.objects.values_list("action", flat=True))
    assert actions == ["unfeature", "feature"]


def test_a_pending_comment_cannot_be_picked(client, moderator):
    comment = one(status="pending")

    client.post(decide_url(comment), {"decision": "feature", "next": queue_url("pending")})

    comment.refresh_from_db()
    assert comment.featured_at is None
    assert "Nothing changed" in page_text(client.get(queue_url("pending")))


def test_the_second_moderator_is_told_who_decided_first_and_changes_nothing(client, moderator):
    comment = reported_one()
    shown = seen(comment)  # both moderators have the card on screen
    first = make_staff("amna", "Moderators")
    comment_decide(
        comment_id=comment.pk,
        decision=Decision.REJECT,
        actor=first,
        seen=CardVersion.of(comment),
        rejection_reason="spam",
    )

    client.post(
        decide_url(comment),
        {"decision": "approve", "seen": shown, "next": queue_url("reported")},
    )

    comment.refresh_from_db()
    assert (comment.status, comment.decided_by) == ("removed", first)
    assert ModerationEvent.objects.filter(actor=moderator).count() == 0
    text = page_text(client.get(queue_url("reported"))).replace("\xa0", " ")
    assert "Amna rejected the comment by Reader 0 (Spam or advertising) 0 minutes ago" in text
    assert "after this card was shown: nothing changed." in text


CHANGED = (
    "This comment changed after its card was shown (edited by its author, or reported "
    "again): look at it again."
)


def test_approving_a_card_shown_before_its_author_edited_it_changes_nothing(client, moderator):
    comment = one(status="pending", body="Harmless words.")
    shown = seen(comment)
    # Its author edits it while the card is on screen.
    Comment.objects.filter(pk=comment.pk).update(
        body="Buy pills at spam.example", edited_at=timezone.now()
    )

    client.post(
        decide_url(comment),
        {"decision": "approve", "seen": shown, "next": queue_url("pending")},
    )

    comment.refresh_from_db()
    assert (comment.status, comment.decided_at) == ("pending", None)
    assert not ModerationEvent.objects.exists()
    assert CHANGED in page_text(client.get(queue_url("pending")))


def test_approving_a_card_shown_before_a_new_report_keeps_the_report(client, moderator):
    comment = reported_one()
    shown = seen(comment)
    comment_report(comment_id=comment.pk, reason="spam", reporter_key="reader:new", ip="10.5.0.1")

    client.post(
        decide_url(comment),
        {"decision": "approve", "seen": shown, "next": queue_url("reported")},
    )

    comment.refresh_from_db()
    assert comment.decided_at is None
    assert not ModerationEvent.objects.filter(action="approve").exists()
    response = client.get(queue_url("reported"))
    assert card_ids(response) == [comment.pk]
    assert CHANGED in page_text(response)


def test_a_card_shown_before_an_edit_and_another_decision_names_the_decision(client, moderator):
    comment = one(status="pending")
    shown = seen(comment)
    first = make_staff("amna", "Moderators")
    comment_decide(
        comment_id=comment.pk, decision=Decision.APPROVE, actor=first, seen=CardVersion.of(comment)
    )
    Comment.objects.filter(pk=comment.pk).update(edited_at=timezone.now())

    client.post(
        decide_url(comment),
        {
            "decision": "reject",
            "rejection_reason": "spam",
            "seen": shown,
            "next": queue_url("pending"),
        },
    )

    comment.refresh_from_db()
    assert (comment.status, comment.decided_by) == ("visible", first)
    text = page_text(client.get(queue_url("pending")))
    assert "Amna approved the comment by Reader 0" in text and CHANGED not in text


def test_in_place_a_card_shown_before_an_edit_comes_back_as_it_is_now(client, moderator):
    comment = one(status="pending", body="Harmless words.")
    shown = seen(comment)
    Comment.objects.filter(pk=comment.pk).update(
        body="Buy pills at spam.example", edited_at=timezone.now()
    )

    response = in_place(client, comment, decision="approve", seen=shown, queue="pending")

    assert response.status_code == 200
    assert CHANGED in page_text(response)
    assert "Buy pills at spam.example" in page_text(response)
    # Its forms now carry the version it shows: deciding again from it works.
    fresh = seen(comment)
    assert f'name="seen" value="{fresh}"' in response.content.decode()
    in_place(client, comment, decision="approve", seen=fresh, queue="pending")
    comment.refresh_from_db()
    assert (comment.status, comment.decided_by) == ("visible", moderator)


def test_a_pick_from_a_card_shown_before_an_edit_is_made(client, moderator):
    comment = one()
    shown = seen(comment)
    Comment.objects.filter(pk=comment.pk).update(edited_at=timezone.now())

    client.post(decide_url(comment), {"decision": "feature", "seen": shown})

    comment.refresh_from_db()
    assert comment.featured_by == moderator


def test_a_card_version_is_written_and_read_back():
    moment = timezone.now()
    version = CardVersion(decided_at=moment, reported_at=moment - timedelta(hours=1))

    assert str(version).count("/") == 2 and "/-/" in str(version)
    assert CardVersion.parse(str(version)) == version
    assert CardVersion.parse(str(CardVersion())) == CardVersion()


def test_a_decision_sent_twice_is_made_once(client, moderator):
    comment = one(status="pending")
    data = {"decision": "approve", "seen": "", "next": queue_url("approved")}

    client.post(decide_url(comment), data)
    client.post(decide_url(comment), data)  # a double click, the back button, a replay

    assert ModerationEvent.objects.filter(comment=comment).count() == 1
    text = page_text(client.get(queue_url("approved"))).replace("\xa0", " ")
    assert "You approved the comment by Reader 0 0 minutes ago" in text


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Say what to do."),
        ({"decision": "delete"}, "Unknown decision."),
        ({"decision": "reject"}, "Choose why it is rejected"),
        ({"decision": "reject", "rejection_reason": "ugly"}, "Choose one of the reasons"),
        ({"decision": "approve", "seen": "yesterday"}, "This card is out of date"),
        ({"decision": "approve", "seen": "2026-01-01T10:00:00"}, "This card is out of date"),
        # A card from before versions named edits and reports.
        ({"decision": "approve", "seen": "2026-01-01T10:00:00+00:00"}, "This card is out of date"),
        ({"decision": "approve", "seen": "-/-"}, "This card is out of date"),
        ({"decision": "approve", "seen": "-/-/-/-"}, "This card is out of date"),
        ({"decision": "approve", "seen": "-/2026-01-01T10:00:00/-"}, "This card is out of date"),
        ({"decision": "approve", "seen": "-/tomorrow/-"}, "This card is out of date"),
        ({"decision": "approve", "seen": "x" * 5000}, "Ensure this value has at most"),
    ],
)
def test_a_bad_decision_gets_a_clear_message_and_saves_nothing(client, moderator, data, message):
    comment = one(status="pending")

    response = client.post(decide_url(comment), {**data, "next": queue_url("pending")})

    assert response.status_code == 302 and response["Location"] == queue_url("pending")
    assert message in page_text(client.get(queue_url("pending")))
    comment.refresh_from_db()
    assert comment.status == "pending" and comment.decided_at is None
    assert not ModerationEvent.objects.exists()


@pytest.mark.parametrize("number", ["999999", "9" * 30])
def test_an_unknown_comment_is_not_found(client, moderator, number):
    response = client.post(f"/moderation/comment/{number}/decide/", {"decision": "approve"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "next_page",
    [
        "//evil.example/",
        "https://evil.example/moderation/",
        "/admin/",
        "/moderation/\r\nLocation: https://evil.example/",
    ],
)
def test_a_decision_only_goes_back_to_the_workspace(client, moderator, next_page):
    comment = one(status="pending")

    response = client.post(decide_url(comment), {"decision": "approve", "next": next_page})

    assert response["Location"] == WORKSPACE


def test_approving_what_readers_already_see_leaves_their_cached_page_as_it_is(client, moderator):
    story = make_article()
    (seen_by_readers,) = make_comments(story, 1)
    (held,) = make_comments(story, 1, status="pending", body="Held back.")
    reported(seen_by_readers)
    reader = Client()
    etag = reader.get(story.get_absolute_url())["ETag"]

    client.post(decide_url(seen_by_readers), {"decision": "approve", "seen": ""})

    assert reader.get(story.get_absolute_url(), headers={"if-none-match": etag}).status_code == 304
    client.post(decide_url(held), {"decision": "approve", "seen": ""})
    fresh = reader.get(story.get_absolute_url(), headers={"if-none-match": etag})
    assert fresh.status_code == 200 and "Held back." in page_text(fresh)


def reported(comment: Comment) -> None:
    comment_report(comment_id=comment.pk, reason="spam", reporter_key="reader:r", ip="10.4.0.1")


def test_without_javascript_a_decision_comes_back_at_the_next_card(client, moderator):
    first, second = make_comments(make_article(), 2, status="pending")

    page = client.get(queue_url("pending")).content.decode()

    here = queue_url("pending")
    assert f'name="next" value="{here}#card-{first.pk}"' in page  # the newest's next
    assert f'name="next" value="{here}#card-{second.pk}"' in page  # the last's: before it
    response = client.post(
        decide_url(second), {"decision": "approve", "next": f"{here}#card-{first.pk}"}
    )
    assert response["Location"] == f"{here}#card-{first.pk}"


def sanction_data(**fields) -> dict:
    return {"decision": "sanction", "kind": "suspend", "days": "7", "reason": "Insults.", **fields}


def test_sanctioning_a_readers_account_from_their_comment(client, moderator):
    reader = make_reader(display_name="Farah")
    comment = readers_comment(reader, body="Something nasty.")

    response = client.post(decide_url(comment), sanction_data(next=queue_url("unmoderated")))

    sanction = Sanction.objects.get(account=reader.user)
    assert (sanction.kind, sanction.reason, sanction.created_by) == (
        "suspend",
        "Insults.",
        moderator,
    )
    assert sanction.ends_at - sanction.starts_at == timedelta(days=7)
    event = ModerationEvent.objects.get(action="sanction")
    assert (event.account, event.actor) == (reader.user, moderator)
    text = page_text(client.get(response["Location"]))
    assert "Suspended from commenting: the account of Farah." in text
    assert "Account suspended from commenting until" in text


def test_a_second_sanction_is_refused_and_says_who_imposed_the_first(client, moderator):
    reader = make_reader(display_name="Farah")
    comment = readers_comment(reader)
    first = make_staff("amna", "Moderators")
    Sanction.objects.create(account=reader.user, kind="ban", reason="Spam.", created_by=first)

    client.post(decide_url(comment), sanction_data(next=queue_url("unmoderated")))

    assert Sanction.objects.count() == 1
    text = page_text(client.get(queue_url("unmoderated"))).replace("\xa0", " ")
    assert (
        "The account of Farah is under a sanction already (banned from commenting, by amna" in text
    )
    assert "nothing changed." in text


@pytest.mark.parametrize(
    "who, fields, message",
    [
        ("guest", {}, "A guest wrote this comment: there is no account to sanction."),
        ("staff", {}, "Account: Staff accounts are not sanctioned here."),
        ("reader", {"reason": ""}, "Reason: This field is required."),
        ("reader", {"reason": "x" * 256}, "Reason: Ensure this value has at most 255"),
        ("reader", {"days": ""}, "Days: Say for how many days the account is suspended."),
        ("reader", {"days": "0"}, "Days: Ensure this value is greater than or equal to 1."),
        ("reader", {"days": "9" * 40}, "Days: Ensure this value is less than or equal to 3650."),
        ("reader", {"kind": "exile"}, "Sanction: Select a valid choice."),
    ],
)
def test_a_bad_sanction_gets_a_clear_message_and_saves_nothing(
    client, moderator, who, fields, message
):
    if who == "guest":
        comment = one(reader_key="reader:guest")
    else:
        account = make_staff("editor", "Editors") if who == "staff" else make_reader().user
        comment = one(author=account, reader_key=f"user:{account.pk}")

    client.post(decide_url(comment), sanction_data(next=queue_url("unmoderated"), **fields))

    assert message in page_text(client.get(queue_url("unmoderated")))
    assert not Sanction.objects.exists() and not ModerationEvent.objects.exists()


def test_closing_a_storys_comments_from_a_card(client, moderator):
    story = make_article(headline="Election night")
    comment = one(article=story)

    client.post(decide_url(comment), {"decision": "close", "reason": "Too heated."})
    client.post(decide_url(comment), {"decision": "close", "reason": "Again."})

    thread = Thread.objects.get(article=story)
    assert (thread.closed_by, thread.close_reason) == (moderator, "Too heated.")
    assert ModerationEvent.objects.filter(action="close").count() == 1
    text = page_text(client.get(queue_url("unmoderated"))).replace("\xa0", " ")
    assert "Comments on “Election night” were closed already (by mod, 0 minutes ago)" in text
    assert "Comments on this story closed by mod" in text


def test_an_over_long_closing_reason_is_refused(client, moderator):
    comment = one()

    client.post(decide_url(comment), {"decision": "close", "reason": "x" * 256})

    assert Thread.objects.get().closed_at is None
    assert "Ensure this value has at most 255 characters" in page_text(
        client.get(WORKSPACE, follow=True)
    )


def test_sanctions_and_closing_need_their_own_permissions(client):
    from django.contrib.auth.models import Permission

    staffer = make_staff("narrow")
    staffer.user_permissions.add(Permission.objects.get(codename="moderate_comment"))
    client.force_login(staffer)
    reader = make_reader(display_name="Farah")
    comment = readers_comment(reader)

    page = client.get(queue_url("unmoderated")).content.decode()
    sanction = client.post(decide_url(comment), sanction_data())
    close = client.post(decide_url(comment), {"decision": "close"})

    assert 'value="sanction"' not in page and 'value="close"' not in page
    assert sanction.status_code == close.status_code == 403
    assert not Sanction.objects.exists()
    assert Thread.objects.get().closed_at is None


# Decisions made in place (the workspace's script)


def in_place(client, comment, **data):
    return client.post(decide_url(comment), data, headers={"X-Workspace": "card"})


def test_only_the_queue_pages_load_the_workspace_script(client, moderator):
    one(reader_key="reader:someone")
    # Its address as the static files' storage writes it (hashed, or not).
    script = re.compile(r'<script src="[^"]*/moderation/workspace[^"]*\.js"')

    assert script.search(client.get(queue_url("unmoderated")).content.decode())
    for address in (
        "/moderation/dashboard/",
        "/moderation/search/?q=Comment",
        "/moderation/person/reader:someone/",
    ):
        response = client.get(address)
        assert response.status_code == 200, address
        assert not script.search(response.content.decode()), address


def test_in_place_a_decided_card_leaves_a_waiting_queue(client, moderator):
    comment = one(status="pending", body="Fine words.")

    response = in_place(
        client, comment, decision="approve", seen="", queue="pending", next=queue_url("pending")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-stays="false"' in html
    assert "Approved: the comment by Reader 0." in page_text(response)
    assert "Approved by mod" in page_text(response)
    # The new card's forms are whole: a CSRF token and where to go back.
    assert 'name="csrfmiddlewaretoken" value="' in html
    assert f'name="next" value="{queue_url("pending")}"' in html
    # Nothing is left waiting for the next page: the message was said in place.
    assert "Approved:" not in page_text(client.get(queue_url("pending")))


def test_in_place_a_card_that_stays_comes_back_with_its_new_state(client, moderator):
    comment = one()

    response = in_place(client, comment, decision="feature", queue="unmoderated")

    html = response.content.decode()
    assert 'data-stays="true"' in html
    assert "Made an Editors' pick: the comment by Reader 0." in page_text(response)
    assert "Editors' pick, chosen by mod" in page_text(response)
    assert 'value="unfeature"' in html


def test_in_place_a_refused_form_says_why_and_leaves_the_card(client, moderator):
    comment = one(status="pending")

    response = in_place(client, comment, decision="reject", queue="pending")

    assert response.status_code == 400
    assert "Choose why it is rejected" in response.content.decode()
    assert "data-card" not in response.content.decode()
    comment.refresh_from_db()
    assert comment.status == "pending"


# Two moderators at once


@pytest.mark.django_db(transaction=True)
def test_two_moderators_deciding_at_once_one_wins_and_the_other_is_told():
    """The first decision holds the thread's and the comment's locks; the second waits
    for them (PostgreSQL shows it waiting), then finds the card it saw is out of date."""
    comment = one(status="pending")
    amna, bilal = make_staff("amna", "Moderators"), make_staff("bilal", "Moderators")
    holding, release = threading.Event(), threading.Event()

    def slow_rejection():
        with transaction.atomic():
            decided = comment_decide(
                comment_id=comment.pk,
                decision=Decision.REJECT,
                actor=amna,
                seen=CardVersion(),
                rejection_reason="spam",
            )
            holding.set()
            release.wait(timeout=30)
        return decided

    first = Backend(slow_rejection)
    second = Backend(
        lambda: comment_decide(
            comment_id=comment.pk, decision=Decision.APPROVE, actor=bilal, seen=CardVersion()
        )
    )
    try:
        first.start()
        assert holding.wait(10), first.outcome
        second.start()
        second_waits = waiting_for(second)
    finally:
        release.set()
    for backend in (first, second):
        backend.join(timeout=30)
        assert not backend.is_alive()

    assert second_waits == ("Lock", [first.pid])
    assert first.outcome.changed is True
    assert second.outcome.changed is False
    assert second.outcome.overtaken_by.actor == amna
    comment.refresh_from_db()
    assert (comment.status, comment.decided_by) == ("removed", amna)
    assert list(ModerationEvent.objects.values_list("action", "actor__username")) == [
        ("remove", "amna")
    ]


# The workspace's migration


def test_the_workspace_migration_dates_earlier_reports_by_their_last(migrations):
    """Comments reported before reported_at was kept take their last report's time: the
    Reported queue's order, and its cards' versions."""
    before, after = (
        [("comments", "0010_comment_replied_to")],
        [("comments", "0011_moderator_workspace")],
    )
    article = make_article()  # with today's models: see test_networks
    executor = migrations
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    thread = old.get_model("comments", "Thread").objects.create(article_id=article.pk)
    OldComment, OldReport = (
        old.get_model("comments", "Comment"),
        old.get_model("comments", "CommentReport"),
    )
    reported_twice = OldComment.objects.create(thread=thread, body="Reported.", report_count=2)
    OldComment.objects.create(thread=thread, body="Never reported.")
    last = timezone.now() - timedelta(hours=1)
    for n, moment in enumerate([last - timedelta(days=1), last]):
        OldReport.objects.create(
            comment=reported_twice, reason="spam", reporter_key=f"ip:{n}", created_at=moment
        )

    executor = MigrationExecutor(connection)
    executor.migrate(after)

    reported_at = dict(Comment.objects.values_list("body", "reported_at"))
    assert reported_at == {"Reported.": last, "Never reported.": None}
