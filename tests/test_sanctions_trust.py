"""Moderators act on a person, not an address: sanctions on an account (suspend, ban,
always pre-moderate), and trust earned or lost from what moderators decided."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from comments.models import Comment, ModerationEvent, Sanction, SectionPolicy
from comments.rules import AccountSanctioned, TrackRecord, report_weight
from comments.services import (
    SanctionInForce,
    comment_moderate,
    comment_post,
    sanction_impose,
    sanction_lift,
)
from tests.conftest import page_text
from tests.factories import comment_form_data, make_article, make_comments, make_reader, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod(db):
    return make_staff("mod", "Moderators")


def impose(account, kind, mod, days=None, reason="Abuse of other readers", message=""):
    return sanction_impose(
        sanction=Sanction(account=account, kind=kind, reason=reason, message=message),
        actor=mod,
        days=days,
    )


def post_as(reader, article, body="My view.", **fields):
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.force_login(reader.user)
    return client.post(
        f"/comments/post/{article.pk}/", comment_form_data(article, body=body, **fields)
    )


def posted(article, reader_key, author=None, body="A comment.", ip="203.0.113.9"):
    return comment_post(
        article=article,
        parent_id=None,
        author_name="Ayesha",
        author_email="",
        body=body,
        ip=ip,
        reader_key=reader_key,
        author=author,
    )


# Sanctions


def test_a_suspended_reader_is_told_until_when_and_nothing_is_saved(mod):
    reader = make_reader(display_name="Ayesha")
    article = make_article()
    impose(reader.user, Sanction.Kind.SUSPEND, mod, days=3)

    response = post_as(reader, article, body="Still here.")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Your account may not comment until" in page
    assert "Abuse of other readers" in page
    assert "Still here." in page, "what they wrote is kept in the form"
    assert not Comment.objects.exists()


def test_a_ban_says_so_and_a_suspension_ends_by_itself(mod):
    banned, suspended = make_reader(display_name="B"), make_reader(display_name="S")
    article = make_article()
    impose(banned.user, Sanction.Kind.BAN, mod)
    impose(suspended.user, Sanction.Kind.SUSPEND, mod, days=2)

    assert "may no longer comment" in post_as(banned, article).content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        assert post_as(suspended, article, body="Back.").status_code == 302
        assert post_as(banned, article, body="Me too.").status_code == 400
    assert list(Comment.objects.values_list("body", flat=True)) == ["Back."]


def test_the_service_refuses_a_sanctioned_account_whatever_the_view(mod):
    reader = make_reader(display_name="Banned")
    impose(reader.user, Sanction.Kind.BAN, mod)
    with pytest.raises(AccountSanctioned):
        posted(make_article(), f"user:{reader.user.pk}", author=reader.user)
    assert not Comment.objects.exists()


def test_lifting_a_sanction_lets_the_reader_comment_and_both_are_in_the_audit_log(mod):
    reader = make_reader(display_name="Ayesha")
    sanction = impose(reader.user, Sanction.Kind.BAN, mod)

    assert sanction_lift(sanction=sanction, actor=mod) is True
    assert sanction_lift(sanction=sanction, actor=mod) is False, "lifted once"

    assert post_as(reader, make_article()).status_code == 302
    events = ModerationEvent.objects.order_by("created_at", "pk")
    assert [(e.action, e.account_id, e.actor_id) for e in events] == [
        (ModerationEvent.Action.SANCTION, reader.user.pk, mod.pk),
        (ModerationEvent.Action.LIFT, reader.user.pk, mod.pk),
    ]
    assert "Abuse of other readers" in events[0].reason


def test_always_premoderate_holds_every_comment_of_that_account(mod):
    reader = make_reader(display_name="Watched")
    impose(reader.user, Sanction.Kind.PREMODERATE, mod)
    result = posted(make_article(), f"user:{reader.user.pk}", author=reader.user)
    assert result.held
    assert "always pre-moderated" in result.comment.held_reason


def test_the_reader_is_mailed_the_reason_and_message_by_the_worker(mod, smtp_server, run_jobs):
    reader = make_reader(email="ayesha@example.com")
    impose(
        reader.user,
        Sanction.Kind.SUSPEND,
        mod,
        days=7,
        message="Please keep to the subject of the story.",
    )
    impose(make_reader().user, Sanction.Kind.BAN, mod)  # no message: no mail

    assert smtp_server.inbox.messages == [], "sent by the worker, not the request"
    run_jobs()
    [mail] = smtp_server.inbox.messages
    assert mail["To"] == "ayesha@example.com"
    text = mail.get_content()
    assert "suspended your account from commenting until" in text
    assert "Abuse of other readers" in text and "Please keep to the subject" in text


def test_moderators_impose_and_lift_sanctions_in_the_admin_and_editors_cannot(mod):
    reader = make_reader()
    client = Client()
    client.force_login(mod)
    form = {"account": reader.user.pk, "kind": "suspend", "reason": "Spam", "message": ""}

    missing_days = client.post("/admin/comments/sanction/add/", form)
    assert "Say for how many days" in missing_days.content.decode()
    staff = client.post("/admin/comments/sanction/add/", {**form, "account": mod.pk, "days": "3"})
    assert "Staff accounts are not sanctioned here" in staff.content.decode()
    assert not Sanction.objects.exists()

    assert client.post("/admin/comments/sanction/add/", {**form, "days": "3"}).status_code == 302
    sanction = Sanction.objects.get()
    assert (sanction.created_by, sanction.is_in_force()) == (mod, True)
    assert sanction.ends_at - sanction.starts_at == timedelta(days=3)

    client.post(
        "/admin/comments/sanction/",
        {"action": "lift", "_selected_action": [sanction.pk]},
    )
    sanction.refresh_from_db()
    assert sanction.lifted_by == mod

    editor = Client()
    editor.force_login(make_staff("eda", "Editors"))
    assert editor.get("/admin/comments/sanction/").status_code == 403
    assert editor.post("/admin/comments/sanction/add/", {**form, "days": "3"}).status_code == 403


def test_the_service_imposes_one_sanction_at_a_time_whoever_calls_it(mod):
    reader = make_reader()
    first = impose(reader.user, Sanction.Kind.PREMODERATE, mod)

    with pytest.raises(SanctionInForce) as refused:
        impose(reader.user, Sanction.Kind.BAN, mod, message="Goodbye.")

    assert refused.value.sanction == first
    assert list(Sanction.objects.all()) == [first]
    assert ModerationEvent.objects.filter(action=ModerationEvent.Action.SANCTION).count() == 1
    # Once it is lifted, or has run out, another may be imposed.
    sanction_lift(sanction=first, actor=mod)
    assert impose(reader.user, Sanction.Kind.BAN, mod).is_in_force()


def test_the_admin_refuses_a_second_sanction_and_says_which_is_in_force(mod):
    reader = make_reader()
    impose(reader.user, Sanction.Kind.BAN, mod, reason="Threats")
    client = Client()
    client.force_login(mod)
    form = {"account": reader.user.pk, "kind": "suspend", "days": "3", "reason": "Spam"}

    response = client.post("/admin/comments/sanction/add/", form, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [
        (f"/admin/comments/sanction/?account__id__exact={reader.user.pk}", 302)
    ]
    text = " ".join(page_text(response).split())
    assert "This account is under a sanction already (banned from commenting, by mod, since" in (
        text
    )
    assert "nothing changed. Lift it first to impose another." in text
    assert "was added successfully" not in text
    assert list(Sanction.objects.values_list("kind", "reason")) == [("ban", "Threats")]
    assert ModerationEvent.objects.filter(action=ModerationEvent.Action.SANCTION).count() == 1


def test_an_erased_account_leaves_its_sanctions_and_audit_without_the_person(mod):
    reader = make_reader()
    impose(reader.user, Sanction.Kind.BAN, mod)
    reader.user.delete()
    assert Sanction.objects.get().account is None
    assert ModerationEvent.objects.get().account is None


# Trust


def approve(comment, mod):
    Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.PENDING)
    comment_moderate(comment=comment, action=ModerationEvent.Action.APPROVE, actor=mod)


def test_a_section_that_holds_new_commenters_holds_them_until_enough_approvals(mod, settings):
    settings.COMMENTS_NEW_COMMENTER_APPROVALS = 2
    article = make_article()
    SectionPolicy.objects.create(section=article.section, hold_new_commenters=True)

    first = posted(article, "reader:new", body="One.")
    assert first.held and "new commenter: 0 of 2" in first.comment.held_reason
    comment_moderate(comment=first.comment, action=ModerationEvent.Action.APPROVE, actor=mod)
    second = posted(article, "reader:new", body="Two.")
    assert second.held and "1 of 2" in second.comment.held_reason
    comment_moderate(comment=second.comment, action=ModerationEvent.Action.APPROVE, actor=mod)

    assert not posted(article, "reader:new", body="Three.").held
    assert posted(article, "reader:other", body="Hello.", ip="198.51.100.1").held


def test_a_reader_whose_recent_comments_moderators_removed_is_premoderated(mod, settings):
    settings.COMMENTS_FLOOD_LIMIT = 100
    article = make_article()
    comments = [posted(article, "reader:x", body=f"Text {n}.").comment for n in range(4)]
    for comment in comments[:3]:
        comment_moderate(comment=comment, action=ModerationEvent.Action.REMOVE, actor=mod)
    approve(comments[3], mod)

    assert TrackRecord.of("reader:x") == TrackRecord(
        approved=1, rejected=3, recent_approved=1, recent_rejected=3
    )
    result = posted(article, "reader:x", body="Again.")
    assert result.held
    assert "moderators removed 3 of this reader's recent comments" in result.comment.held_reason

    # A month later those removals are old history: the reader starts afresh.
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert not posted(article, "reader:x", body="Fresh start.").held


def test_removals_by_reports_alone_are_not_a_moderators_rejection(settings):
    settings.COMMENTS_FLOOD_LIMIT = 100
    article = make_article()
    for n in range(3):
        comment = posted(article, "reader:y", body=f"Text {n}.").comment
        Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.REMOVED)
    assert TrackRecord.of("reader:y").rejected == 0
    assert not posted(article, "reader:y", body="Fine.").held


def test_reports_from_a_reader_whose_reports_moderators_reject_count_for_less(mod):
    article = make_article()
    victims = make_comments(article, 3, body="A fair point.")
    target = make_comments(article, 1, body="Another fair point.")[0]
    doubtful = Client(REMOTE_ADDR="10.9.0.1")
    for comment in victims:
        doubtful.post(f"/comments/{comment.pk}/report/", {"reason": "abuse"})
    reporter_key = Comment.objects.get(pk=victims[0].pk).reports.get().reporter_key
    assert report_weight(reporter_key) == 1.0
    for comment in victims:
        approve(comment, mod)  # the moderator finds nothing wrong
    assert report_weight(reporter_key) == 0.5

    doubtful.post(f"/comments/{target.pk}/report/", {"reason": "abuse"})
    for n in range(2):
        Client(REMOTE_ADDR=f"10.8.0.{n}").post(
            f"/comments/{target.pk}/report/", {"reason": "abuse"}
        )
    target.refresh_from_db()
    assert (target.report_count, target.report_weight) == (3, 2.5)
    assert target.status == Comment.Status.VISIBLE, "three reports, but one counts for half"

    Client(REMOTE_ADDR="10.8.0.9").post(f"/comments/{target.pk}/report/", {"reason": "abuse"})
    target.refresh_from_db()
    assert target.status == Comment.Status.PENDING
    assert target.report_weight == 3.5
