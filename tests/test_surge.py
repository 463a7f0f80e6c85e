"""Surge mode: a story flooded with comments, or with comments moderators reject, slows
down by itself (one comment per reader per few minutes, newcomers held), shows it, and
ends by itself when the hour is calm; every switch is in the moderation log."""

from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from comments.models import Comment, ModerationEvent, SectionPolicy, Thread
from comments.rules import SlowMode
from comments.services import comment_moderate, comment_post
from comments.surge import SurgeThresholds, surge_update, surges_review
from comments.tasks import review_surges
from tests.conftest import page_text
from tests.factories import (
    comment_form_data,
    force_login_verified,
    make_article,
    make_comments,
    make_reader,
    make_staff,
)

pytestmark = pytest.mark.django_db

SURGE_START, SURGE_END = ModerationEvent.Action.SURGE_START, ModerationEvent.Action.SURGE_END
BUSY_NOTE = "This story is busy: one comment per reader every 5 minutes."


@pytest.fixture(autouse=True)
def small_thresholds(settings):
    """Thresholds a test reaches in a few rows; the settings' shape, smaller numbers."""
    settings.COMMENTS_SURGE_COMMENTS_PER_HOUR = 3
    settings.COMMENTS_SURGE_REJECTION_PERCENT = 40
    settings.COMMENTS_SURGE_MIN_DECISIONS = 10
    settings.COMMENTS_SURGE_MIN_REJECTED_NETWORKS = 5
    settings.COMMENTS_SURGE_SLOW_MINUTES = 5
    settings.COMMENTS_SURGE_END_SHARE = 0.5


def comments_in_the_last_hour(story, number: int, minutes_ago: int = 10, **fields):
    """`number` comments on the story, posted `minutes_ago` (a real window: no sleeps)."""
    made = make_comments(story, number, **fields)
    Comment.objects.filter(pk__in=[c.pk for c in made]).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return made


def each_from_its_own_network(comments) -> None:
    for number, comment in enumerate(comments, start=1):
        Comment.objects.filter(pk=comment.pk).update(network=f"198.51.100.{number}/32")


def post(client, story, **fields):
    return client.post(f"/comments/post/{story.pk}/", comment_form_data(story, **fields))


def post_as(story, reader_key: str, ip: str = "203.0.113.7", body: str = "Busy day.", **extra):
    return comment_post(
        article=story,
        parent_id=extra.pop("parent_id", None),
        author_name="A reader",
        author_email="",
        body=body,
        ip=ip,
        reader_key=reader_key,
        **extra,
    )


def thread_of(story) -> Thread:
    return Thread.objects.get(article=story)


def in_surge(story) -> Thread:
    """A story whose last hour passed the rate: its next comment starts the surge."""
    comments_in_the_last_hour(story, 3)
    post_as(story, "reader:starter", ip="198.51.100.1", body="The comment that tips it.")
    thread = thread_of(story)
    assert thread.surge_started_at is not None
    return thread


def test_passing_the_rate_starts_a_surge_at_once_with_an_event_and_a_log_line(client, caplog):
    story = make_article()
    comments_in_the_last_hour(story, 3)
    # Older comments are not the last hour's.
    comments_in_the_last_hour(story, 5, minutes_ago=61)

    with caplog.at_level("INFO", logger="comments.moderation"):
        response = post(client, story, body="One more voice.")

    assert response.status_code == 302
    thread = thread_of(story)
    assert thread.surge_started_at is not None
    assert thread.surge_reason == "4 comments in the last hour"
    event = ModerationEvent.objects.get(action=SURGE_START)
    assert (event.thread, event.actor, event.reason) == (thread, None, thread.surge_reason)
    logged = [r for r in caplog.records if getattr(r, "action", None) == "surge-start"]
    assert [(r.article, r.reason) for r in logged] == [(story.pk, "4 comments in the last hour")]


def test_at_the_rate_exactly_nothing_starts(client):
    story = make_article()
    comments_in_the_last_hour(story, 2)

    post(client, story, body="The third of the hour.")

    assert thread_of(story).surge_started_at is None
    assert not ModerationEvent.objects.filter(action=SURGE_START).exists()


def test_slow_mode_refuses_a_second_comment_from_the_same_reader_and_network(client):
    story = make_article()
    comments_in_the_last_hour(story, 3)
    post(client, story, body="First, and it tips the story into surge.")
    assert thread_of(story).surge_started_at is not None
    before = Comment.objects.count()

    again = post(client, story, body="My second thought, too soon.")

    assert again.status_code == 429
    assert 4 * 60 < int(again["Retry-After"]) <= 5 * 60
    page = unescape(again.content.decode())
    assert "This story is busy: you can comment again in 5 minutes." in page
    assert "My second thought, too soon." in page, "the reader's text is kept in the form"
    assert Comment.objects.count() == before
    # Clearing cookies makes no new reader: the network is the same.
    fresh_cookie = post(Client(), story, body="Me again, without my cookie.")
    assert fresh_cookie.status_code == 429
    assert Comment.objects.count() == before
    # Another reader, elsewhere, may comment (held: it is their first comment).
    other = post(Client(REMOTE_ADDR="10.1.2.3"), story, body="Someone else entirely.")
    assert other.status_code == 302
    assert Comment.objects.filter(body="Someone else entirely.").exists()


def test_a_networks_held_or_removed_comments_do_not_lock_out_its_other_readers():
    story = make_article()
    in_surge(story)
    attacker = post_as(story, "reader:attacker", ip="192.0.2.66", body="Spam, held.").comment
    assert attacker.status == Comment.Status.PENDING  # a newcomer in surge
    colleague = post_as(story, "reader:colleague", ip="192.0.2.66", body="Same office.")
    assert colleague.comment.status == Comment.Status.PENDING

    Comment.objects.filter(pk=colleague.comment.pk).update(status=Comment.Status.REMOVED)
    neighbour = post_as(story, "reader:neighbour", ip="192.0.2.66", body="Same network.")
    assert neighbour.comment.thread == thread_of(story)

    # The reader's own comments count whatever became of them.
    with pytest.raises(SlowMode):
        post_as(story, "reader:attacker", ip="203.0.113.99", body="Elsewhere now.")
    with pytest.raises(SlowMode):
        post_as(story, "reader:colleague", ip="203.0.113.98", body="Removed, still waits.")
    # A visible comment from the network still counts for the network.
    Comment.objects.filter(pk=neighbour.comment.pk).update(status=Comment.Status.VISIBLE)
    with pytest.raises(SlowMode):
        post_as(story, "reader:fresh-cookie", ip="192.0.2.66", body="Cleared my cookies.")


def test_slow_mode_counts_replies_and_says_how_long_is_left():
    story = make_article()
    thread = in_surge(story)
    first = thread.comments.get(body="The comment that tips it.")

    with time_machine.travel(timezone.now() + timedelta(minutes=3, seconds=10)):
        with pytest.raises(SlowMode) as refused:
            post_as(story, "reader:starter", ip="198.51.100.1", parent_id=first.pk)
        assert str(refused.value) == "This story is busy: you can comment again in 2 minutes."
        with pytest.raises(SlowMode, match="in 2 minutes"):
            # Another reader on the same network: the same wait.
            post_as(story, "reader:roommate", ip="198.51.100.1")

    with time_machine.travel(timezone.now() + timedelta(minutes=4, seconds=30)):
        with pytest.raises(SlowMode, match="in 1 minute\\.$"):
            post_as(story, "reader:starter", ip="203.0.113.200")  # the same reader elsewhere

    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        posted = post_as(story, "reader:starter", ip="198.51.100.1", parent_id=first.pk)
    assert posted.comment.parent == first


def test_a_double_click_in_slow_mode_shows_the_comment_it_sent():
    story = make_article()
    thread = in_surge(story)

    again = post_as(story, "reader:starter", ip="198.51.100.1", body="The comment that tips it.")

    assert again.duplicate
    assert again.comment == thread.comments.get(body="The comment that tips it.")


def test_slow_mode_is_per_story(client):
    story, other_story = make_article(), make_article()
    in_surge(story)

    posted = post_as(other_story, "reader:starter", ip="198.51.100.1")

    assert posted.comment.thread.article == other_story


def test_a_first_time_commenter_is_held_in_surge_and_a_reader_with_an_approved_comment_is_not():
    story = make_article()
    in_surge(story)
    moderator = make_staff("mod", "Moderators")
    regular = post_as(make_article(), "reader:regular", ip="192.0.2.1", body="Earlier.").comment
    Comment.objects.filter(pk=regular.pk).update(status=Comment.Status.PENDING)
    comment_moderate(comment=regular, action="approve", actor=moderator)

    newcomer = post_as(story, "reader:newcomer", ip="192.0.2.50", body="Hello all.")
    known = post_as(story, "reader:regular", ip="192.0.2.1", body="Back again.")

    assert newcomer.held
    assert newcomer.comment.status == Comment.Status.PENDING
    assert newcomer.comment.held_reason == "first comment during a surge"
    assert not known.held
    assert known.comment.status == Comment.Status.VISIBLE


def test_a_signed_in_newcomer_is_held_and_told_so(client):
    story = make_article()
    in_surge(story)
    reader = make_reader(display_name="Newcomer")
    client.force_login(reader.user)

    response = post(client, story, body="My first comment here.")

    comment = Comment.objects.get(body="My first comment here.")
    assert comment.held_reason == "first comment during a surge"
    assert "waiting for a moderator" in page_text(client.get(response["Location"]))


def test_a_pre_moderated_section_holds_newcomers_once_not_twice():
    story = make_article()
    SectionPolicy.objects.create(section=story.section, moderation="pre")
    in_surge(story)

    held = post_as(story, "reader:newcomer", ip="192.0.2.50").comment

    assert held.held_reason == "pre-moderated section: no approved comment from this reader yet"


def test_the_job_starts_a_surge_on_rejections_once_enough_comments_were_decided(run_jobs):
    story = make_article()
    # Posted earlier (the rate is not what this is about), decided in the last hour.
    comments = comments_in_the_last_hour(story, 10, minutes_ago=90)
    each_from_its_own_network(comments)
    decided_now = timezone.now() - timedelta(minutes=5)
    # Nine decisions, five of them removals: a share past 40%, but too few to judge by.
    Comment.objects.filter(pk__in=[c.pk for c in comments[:5]]).update(
        status=Comment.Status.REMOVED, decided_at=decided_now
    )
    Comment.objects.filter(pk__in=[c.pk for c in comments[5:9]]).update(decided_at=decided_now)

    assert review_surges.call() == {"started": 0, "ended": 0}
    assert thread_of(story).surge_started_at is None

    Comment.objects.filter(pk=comments[9].pk).update(decided_at=decided_now)
    # Through the worker's schedule, as in production.
    assert run_jobs(scheduled=True) >= 1

    thread = thread_of(story)
    assert thread.surge_reason == "50% of the last hour's decided comments rejected (5 of 10)"
    assert ModerationEvent.objects.filter(action=SURGE_START, thread=thread).count() == 1


def test_rejections_from_fewer_networks_than_the_minimum_start_no_surge():
    # One attacker, getting their own comments removed, must not slow the story for all.
    story = make_article()
    comments = comments_in_the_last_hour(story, 10, minutes_ago=90)
    each_from_its_own_network(comments[:3])
    Comment.objects.filter(pk__in=[c.pk for c in comments[3:]]).update(network="203.0.113.0/24")
    Comment.objects.filter(pk__in=[c.pk for c in comments]).update(
        status=Comment.Status.REMOVED, decided_at=timezone.now() - timedelta(minutes=5)
    )

    # Ten rejections out of ten, but from four networks (one attacker's and three).
    assert surges_review() == {"started": 0, "ended": 0}
    post_as(story, "reader:one", ip="192.0.2.1")
    assert thread_of(story).surge_started_at is None

    Comment.objects.filter(pk=comments[9].pk).update(network="192.0.2.0/24")
    assert surges_review() == {"started": 1, "ended": 0}


def test_rejections_from_one_network_do_not_keep_a_surge_going():
    story = make_article()
    thread = in_surge(story)
    later = timezone.now() + timedelta(minutes=61)
    spam = comments_in_the_last_hour(story, 10, minutes_ago=0)
    Comment.objects.filter(pk__in=[c.pk for c in spam]).update(
        created_at=later - timedelta(minutes=70),
        network="203.0.113.0/24",
        status=Comment.Status.REMOVED,
        decided_at=later - timedelta(minutes=5),
    )

    with time_machine.travel(later):
        assert surges_review() == {"started": 0, "ended": 1}
    thread.refresh_from_db()
    assert thread.surge_started_at is None


def test_removed_comments_do_not_count_toward_the_rate():
    story = make_article()
    removed = comments_in_the_last_hour(story, 3, status=Comment.Status.REMOVED)
    comments_in_the_last_hour(story, 2, status=Comment.Status.PENDING)

    post_as(story, "reader:one", ip="192.0.2.1")

    # Two held and one visible: three, at the rate, not past it.
    assert thread_of(story).surge_started_at is None
    Comment.objects.filter(pk=removed[0].pk).update(status=Comment.Status.PENDING)
    post_as(story, "reader:two", ip="192.0.2.2")
    assert thread_of(story).surge_reason == "5 comments in the last hour"


def test_decisions_older_than_an_hour_start_nothing():
    story = make_article()
    comments = comments_in_the_last_hour(story, 10, minutes_ago=120)
    Comment.objects.filter(pk__in=[c.pk for c in comments]).update(
        status=Comment.Status.REMOVED, decided_at=timezone.now() - timedelta(minutes=61)
    )

    assert surges_review() == {"started": 0, "ended": 0}


def test_the_job_ends_the_surge_when_the_hour_is_calm_and_slow_mode_with_it(client):
    story = make_article()
    thread = in_surge(story)
    # An hour on, the comments that started it are older than the window.
    later = timezone.now() + timedelta(minutes=61)

    with time_machine.travel(later):
        assert surges_review() == {"started": 0, "ended": 1}

    thread.refresh_from_db()
    assert (thread.surge_started_at, thread.surge_reason) == (None, "")
    end = ModerationEvent.objects.get(action=SURGE_END)
    assert end.thread == thread and end.actor is None
    assert end.reason.startswith("calm again: 0 comments in the last hour")
    with time_machine.travel(later):
        again = post_as(story, "reader:starter", ip="198.51.100.1", body="Calm now.")
    assert again.comment.status == Comment.Status.VISIBLE


def test_a_surge_lasts_until_the_hour_falls_below_half_the_threshold(settings):
    settings.COMMENTS_SURGE_COMMENTS_PER_HOUR = 10
    story = make_article()
    comments = comments_in_the_last_hour(story, 11)
    with_lock = Thread.objects.select_related("article").get(article=story)
    assert surge_update(with_lock, SurgeThresholds.of(None)) == "surge-start"
    # Five of the hour's eleven leave the window: six left, not yet below five.
    Comment.objects.filter(pk__in=[c.pk for c in comments[:5]]).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    assert surges_review() == {"started": 0, "ended": 0}

    Comment.objects.filter(pk=comments[5].pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert surges_review() == {"started": 0, "ended": 0}, "five is half, not below it"
    Comment.objects.filter(pk=comments[6].pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert surges_review() == {"started": 0, "ended": 1}


def test_a_second_comment_past_the_rate_logs_no_second_start():
    story = make_article()
    in_surge(story)

    post_as(story, "reader:another", ip="192.0.2.9")
    surges_review()

    assert ModerationEvent.objects.filter(action=SURGE_START).count() == 1


def test_section_thresholds_override_the_site_settings(settings):
    settings.COMMENTS_SURGE_COMMENTS_PER_HOUR = 300
    story = make_article()
    SectionPolicy.objects.create(
        section=story.section, surge_comments_per_hour=2, surge_slow_minutes=1
    )
    comments_in_the_last_hour(story, 2)

    post_as(story, "reader:one", ip="192.0.2.1")

    assert thread_of(story).surge_reason == "3 comments in the last hour"
    with pytest.raises(SlowMode, match="in 1 minute\\.$"):
        post_as(story, "reader:one", ip="192.0.2.1", body="And another thing.")
    unaffected = make_article()
    comments_in_the_last_hour(unaffected, 5)
    post_as(unaffected, "reader:two", ip="192.0.2.2")
    assert thread_of(unaffected).surge_started_at is None


def test_zero_turns_a_measure_off_for_the_section():
    story = make_article()
    SectionPolicy.objects.create(
        section=story.section, surge_comments_per_hour=0, surge_rejection_percent=0
    )
    comments = comments_in_the_last_hour(story, 20)
    Comment.objects.filter(pk__in=[c.pk for c in comments]).update(
        status=Comment.Status.REMOVED, decided_at=timezone.now()
    )

    post_as(story, "reader:one", ip="192.0.2.1")
    surges_review()

    assert thread_of(story).surge_started_at is None
    assert not ModerationEvent.objects.filter(action=SURGE_START).exists()


def test_turning_both_measures_off_ends_a_surge_at_the_next_review():
    story = make_article()
    in_surge(story)
    SectionPolicy.objects.create(
        section=story.section, surge_comments_per_hour=0, surge_rejection_percent=0
    )

    assert surges_review() == {"started": 0, "ended": 1}


def test_the_cached_story_page_says_so_when_a_surge_starts_and_ends():
    story = make_article()
    url = story.get_absolute_url()
    comments = comments_in_the_last_hour(story, 10, minutes_ago=90)
    each_from_its_own_network(comments)
    assert BUSY_NOTE not in page_text(Client().get(url))
    # A bulk update renews no page: only the surge's start can change what readers see.
    Comment.objects.filter(pk__in=[c.pk for c in comments]).update(
        status=Comment.Status.VISIBLE, decided_at=timezone.now()
    )
    Comment.objects.filter(pk__in=[c.pk for c in comments[:6]]).update(
        status=Comment.Status.REMOVED
    )
    assert BUSY_NOTE not in page_text(Client().get(url)), "still the cached page"

    surges_review()

    assert thread_of(story).surge_started_at is not None
    assert BUSY_NOTE in page_text(Client().get(url))
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surges_review()
        assert BUSY_NOTE not in page_text(Client().get(url))


def test_surge_thresholds_are_grouped_in_the_section_policy_admin(client):
    story = make_article()
    chief = make_staff("chief")
    chief.is_superuser = True
    chief.save()
    force_login_verified(client, chief)

    page = client.get("/admin/comments/sectionpolicy/add/")
    text = page_text(page)
    assert "Surge mode" in text and "What readers see" in text
    assert "3 comments an hour, 40% rejected" in text

    refused = client.post(
        "/admin/comments/sectionpolicy/add/",
        {"section": story.section.pk, "surge_comments_per_hour": "-5", "surge_slow_minutes": ""},
    )
    assert refused.status_code == 200
    assert "greater than or equal to 0" in page_text(refused)
    assert not SectionPolicy.objects.exists()


def test_a_regular_whose_comments_were_never_approved_is_not_held_but_one_new_since_the_surge_is():
    # In a post-moderated section moderators seldom approve visible comments: a comment
    # standing from before the surge makes a regular; one from after it does not.
    story = make_article()
    regular = post_as(make_article(), "reader:regular", ip="192.0.2.1", body="Last week.")
    Comment.objects.filter(pk=regular.comment.pk).update(
        created_at=timezone.now() - timedelta(days=7)
    )
    in_surge(story)
    arrived = post_as(make_article(), "reader:arrived", ip="192.0.2.2", body="Just came.")
    assert not arrived.held  # on a calm story

    known = post_as(story, "reader:regular", ip="192.0.2.1", body="Back again.")
    newcomer = post_as(story, "reader:arrived", ip="192.0.2.2", body="Me too.")

    assert not known.held
    assert newcomer.held
    assert newcomer.comment.held_reason == "first comment during a surge"
