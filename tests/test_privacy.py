"""Readers' addresses and emails: erased after COMMENTS_IP_RETENTION_DAYS by a daily
command (the abuse statistics stay), and seen in the admin by moderators only."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from articles.ratelimit import network_of
from comments import privacy
from comments.models import Comment, CommentReport, Thread
from tests.factories import force_login_verified, make_article, make_staff

pytestmark = pytest.mark.django_db

EMAIL, ADDRESS, REPORTER = "hidden.reader@example.org", "203.0.113.77", "198.51.100.23"
IPV6 = "2001:db8:85a3::8a2e:370:7334"


def comment(*, days_ago: float, ip: str | None = ADDRESS, **fields) -> Comment:
    thread, _ = Thread.objects.get_or_create(article=fields.pop("article", None) or make_article())
    return Comment.objects.create(
        thread=thread,
        author_name=fields.pop("author_name", "Reader"),
        author_email=fields.pop("author_email", EMAIL),
        body=fields.pop("body", "A comment."),
        ip_address=ip,
        network=network_of(ip) if ip else "",
        created_at=timezone.now() - timedelta(days=days_ago),
        **fields,
    )


def report(on: Comment, *, days_ago: float, key: str, ip: str | None = REPORTER):
    return CommentReport.objects.create(
        comment=on,
        reason=CommentReport.Reason.SPAM,
        reporter_key=key,
        ip_address=ip,
        network=network_of(ip) if ip else "",
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def erase() -> str:
    out = io.StringIO()
    call_command("erase_old_addresses", stdout=out)
    return out.getvalue()


# The command


def test_erase_old_addresses_erases_only_addresses_older_than_the_retention(settings):
    settings.COMMENTS_IP_RETENTION_DAYS = 90
    old = comment(days_ago=91, report_count=2, status=Comment.Status.PENDING)
    old_v6 = comment(days_ago=400, ip=IPV6)
    recent = comment(days_ago=89)
    old_by_address = report(old, days_ago=91, key=f"ip:{REPORTER}")
    old_by_account = report(old, days_ago=91, key="user:7", ip="198.51.100.99")
    recent_report = report(recent, days_ago=1, key=f"ip:{REPORTER}")

    output = erase()

    assert "Erased the addresses of 2 comment(s) and 2 report(s) older than 90 day(s)." in output
    for row in (old, old_v6, recent, old_by_address, old_by_account, recent_report):
        row.refresh_from_db()
    assert old.ip_address is None and old_v6.ip_address is None
    assert old.network == old_v6.network == ""
    assert (recent.ip_address, recent.network) == (ADDRESS, f"{ADDRESS}/32")
    assert (old_by_address.ip_address, old_by_address.network) == (None, "")
    assert old_by_address.reporter_key == f"erased:{old_by_address.pk}"
    assert REPORTER not in old_by_address.reporter_key
    assert (old_by_account.ip_address, old_by_account.reporter_key) == (None, "user:7")
    assert (recent_report.ip_address, recent_report.reporter_key) == (REPORTER, f"ip:{REPORTER}")
    # The abuse statistics stay: every comment, report, reason, count and status.
    assert CommentReport.objects.count() == 3
    assert (old.report_count, old.status, old.author_email) == (2, "pending", EMAIL)
    assert old_by_address.reason == CommentReport.Reason.SPAM


def test_erasing_again_changes_nothing_and_says_so():
    comment(days_ago=200)
    erase()

    assert "0 comment(s) and 0 report(s)" in erase()
    assert not Comment.objects.exclude(ip_address=None).exists()


def test_the_retention_comes_from_the_setting(settings):
    settings.COMMENTS_IP_RETENTION_DAYS = 7
    week_old, fresh = comment(days_ago=8), comment(days_ago=6)

    erase()

    assert Comment.objects.get(pk=week_old.pk).ip_address is None
    assert Comment.objects.get(pk=fresh.pk).ip_address == ADDRESS


def test_zero_days_erases_every_address_and_a_negative_retention_is_refused(settings):
    settings.COMMENTS_IP_RETENTION_DAYS = 0
    comment(days_ago=0.001)
    erase()
    assert not Comment.objects.exclude(ip_address=None).exists()

    settings.COMMENTS_IP_RETENTION_DAYS = -1
    with pytest.raises(CommandError, match="0 or more"):
        erase()


def test_many_old_rows_are_erased_in_batches(monkeypatch):
    monkeypatch.setattr(privacy, "BATCH", 3)
    story = make_article()
    old = [comment(days_ago=100 + i, article=story) for i in range(8)]
    for number, row in enumerate(old):
        report(row, days_ago=100, key=f"ip:198.51.100.{number}")
        report(row, days_ago=100, key=f"net:2001:db8:{number}::/64", ip=None)

    output = erase()

    assert "8 comment(s) and 16 report(s)" in output
    assert not Comment.objects.exclude(ip_address=None).exists()
    keys = set(CommentReport.objects.values_list("reporter_key", flat=True))
    assert len(keys) == 16 and all(key.startswith("erased:") for key in keys)


# The admin: editors see readers' comments, never their emails or addresses.


@pytest.fixture
def reported_comment():
    story = make_article()
    made = comment(days_ago=1, article=story, body="Reported words here.")
    report(made, days_ago=0, key=f"ip:{REPORTER}")
    return made


def private_details(html: str) -> list[str]:
    return [value for value in (EMAIL, ADDRESS, REPORTER, "IP address") if value in html]


def test_an_editors_comment_pages_show_no_email_or_address(client, editor, reported_comment):
    pages = [
        "/admin/comments/comment/",
        f"/admin/comments/comment/{reported_comment.pk}/change/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert private_details(response.content.decode()) == [], page
    listing = client.get("/admin/comments/comment/").content.decode()
    assert "Reported words here." in listing  # the editor does see the comment itself
    # Searching by email or address finds nothing: it would say who commented.
    assert (
        "Reported words here."
        not in client.get(f"/admin/comments/comment/?q={EMAIL}").content.decode()
    )


@pytest.mark.parametrize(
    "lookup",
    [
        f"ip_address={ADDRESS}",
        "ip_address__startswith=203.",
        f"author_email={EMAIL}",
        "author_email__iendswith=example.org",
        "ip_address__isnull=False",
    ],
)
def test_an_editor_cannot_filter_comments_by_email_or_address(
    client, editor, reported_comment, lookup
):
    response = client.get(f"/admin/comments/comment/?{lookup}")

    assert response.status_code == 400
    assert private_details(response.content.decode()) == []


def test_a_moderators_comment_pages_show_email_and_addresses(client, moderator, reported_comment):
    listing = client.get("/admin/comments/comment/").content.decode()
    detail = client.get(f"/admin/comments/comment/{reported_comment.pk}/change/").content.decode()
    by_email = client.get(f"/admin/comments/comment/?q={EMAIL}").content.decode()
    by_address = client.get(f"/admin/comments/comment/?ip_address={ADDRESS}")

    assert ADDRESS in listing
    assert EMAIL in detail and ADDRESS in detail
    assert REPORTER in detail  # the report inline's address
    assert "Reported words here." in by_email
    assert by_address.status_code == 200
    assert "Reported words here." in by_address.content.decode()


def test_a_superuser_sees_reader_details(client, reported_comment, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pw")
    force_login_verified(client, admin)

    detail = client.get(f"/admin/comments/comment/{reported_comment.pk}/change/").content.decode()

    assert EMAIL in detail and ADDRESS in detail


def test_staff_without_the_moderation_permission_see_no_details_whatever_their_other_rights(
    client, reported_comment
):
    viewer = make_staff("viewer")
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_comment", "view_commentreport"])
    )
    client.force_login(viewer)

    detail = client.get(f"/admin/comments/comment/{reported_comment.pk}/change/").content.decode()

    assert "Reported words here." in detail
    assert private_details(detail) == []
