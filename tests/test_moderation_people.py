"""A person's history (page and drawer), moderators' notes on commenters, the comment
search, and the admin of moderators' sections (issue 14)."""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.utils import timezone

from comments.models import Comment, ModerationEvent, RejectionReason, Sanction, Thread
from comments.services import comment_feature, comment_moderate, sanction_impose
from moderation.models import PersonNote, SectionAssignment
from tests.conftest import page_text
from tests.factories import (
    force_login_verified,
    make_article,
    make_reader,
    make_section,
    make_staff,
    readers_comment,
)

pytestmark = pytest.mark.django_db

GUEST = "reader:Zq3fK9-x_2mLp0aVbCdEfG"
SEARCH = "/moderation/search/"


def person_url(reader_key: str) -> str:
    return f"/moderation/person/{reader_key}/"


def note_url(reader_key: str) -> str:
    return f"/moderation/person/{reader_key}/note/"


def guest_comment(article, reader_key=GUEST, *, minutes_ago=0, **fields) -> Comment:
    """A guest's comment as posting stores it: their cookie's identity, their network."""
    thread, _ = Thread.objects.get_or_create(article=article)
    fields.setdefault("author_name", "Bilal")
    fields.setdefault("author_email", "bilal@example.com")
    fields.setdefault("body", "A guest's view.")
    fields.setdefault("ip_address", "198.51.100.7")
    fields.setdefault("network", "198.51.100.7/32")
    return Comment.objects.create(
        thread=thread,
        reader_key=reader_key,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def bulk_guest_comments(article, reader_key: str, number: int, **fields) -> list[Comment]:
    thread, _ = Thread.objects.get_or_create(article=article)
    now = timezone.now()
    return Comment.objects.bulk_create(
        Comment(
            thread=thread,
            reader_key=reader_key,
            author_name=fields.get("author_name", f"Name {i % 3}"),
            author_email=fields.get("author_email", f"guest{i % 2}@example.com"),
            body=fields.get("body", f"Comment number {i}."),
            network=fields.get("network", f"198.51.100.{i % 4}/32"),
            status=Comment.Status.REMOVED if i % 5 == 0 else Comment.Status.VISIBLE,
            rejection_reason=RejectionReason.SPAM if i % 5 == 0 else "",
            created_at=now - timedelta(minutes=i),
        )
        for i in range(number)
    )


def sign_in(client, username: str, *permissions: str):
    """A staff member holding exactly these permissions ("app.codename")."""
    user = make_staff(username)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client.force_login(user)
    return user


def listed_bodies(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<div class="history-comment-body">([^<]*)</div>', html)


# Access


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", person_url(GUEST)),
        ("get", person_url(GUEST) + "?part=drawer"),
        ("post", note_url(GUEST)),
        ("get", SEARCH + "?q=hello"),
        ("get", "/moderation/comment/1/in-thread/"),
    ],
)
def test_strangers_are_sent_to_sign_in_and_editors_refused(client, method, path):
    guest_comment(make_article())

    stranger = getattr(client, method)(path, {"text": "A note."} if method == "post" else None)
    client.force_login(make_staff("edith", "Editors"))
    editor = getattr(client, method)(path, {"text": "A note."} if method == "post" else None)

    assert stranger.status_code == 302
    assert stranger["Location"].startswith("/admin/login/")
    assert editor.status_code == 403
    assert not PersonNote.objects.exists()


def test_a_superuser_without_the_second_factor_is_sent_to_sign_in(client, admin_user):
    guest_comment(make_article())
    client.force_login(admin_user)

    response = client.get(person_url(GUEST))

    assert response.status_code == 302


def test_a_verified_superuser_sees_the_history(client, admin_user):
    guest_comment(make_article(), body="Seen by the superuser.")
    force_login_verified(client, admin_user)

    response = client.get(person_url(GUEST))

    assert response.status_code == 200
    assert "Seen by the superuser." in page_text(response)


# The history


def test_history_lists_every_comment_newest_first_with_status_reason_and_pick(client, moderator):
    story = make_article(headline="Floods in Sindh")
    oldest = guest_comment(story, body="Oldest words.", minutes_ago=30)
    pending = guest_comment(story, body="Pending words.", minutes_ago=20, status="pending")
    removed = guest_comment(story, body="Removed words.", minutes_ago=10)
    picked = guest_comment(story, body="Picked words.", minutes_ago=5)
    comment_moderate(
        comment=removed,
        action=ModerationEvent.Action.REMOVE,
        actor=moderator,
        rejection_reason=RejectionReason.HARASSMENT,
    )
    comment_feature(comment=picked, actor=moderator)
    guest_comment(story, reader_key="reader:someone-else", body="Not theirs.")

    response = client.get(person_url(GUEST))
    text = page_text(response)

    assert response.status_code == 200
    assert listed_bodies(response) == [
        "Picked words.",
        "Removed words.",
        "Pending words.",
        "Oldest words.",
    ]
    assert "Not theirs." not in text
    assert "Rejected: Attacks another reader or person" in " ".join(text.split())
    assert "Pending review" in text
    assert "Editors' pick" in text
    html = response.content.decode()
    for comment in (oldest, pending, removed, picked):
        assert f'href="/moderation/comment/{comment.pk}/in-thread/"' in html
    assert html.count("Floods in Sindh") >= 4


def test_counts_and_rejection_rate_come_from_what_moderators_decided(client, moderator):
    story = make_article()
    comments = [
        guest_comment(story, body=f"Words {i}.", minutes_ago=i, status=Comment.Status.PENDING)
        for i in range(5)
    ]
    for comment in comments[:3]:
        comment_moderate(comment=comment, action=ModerationEvent.Action.APPROVE, actor=moderator)
    comment_moderate(comment=comments[3], action=ModerationEvent.Action.REMOVE, actor=moderator)
    # comments[4] is undecided: not in the rate.

    text = " ".join(page_text(client.get(person_url(GUEST))).split())

    assert "Comments 5" in text
    assert "Approved 3" in text
    assert "Rejected 1" in text
    assert "Rejection rate 25%" in text


def test_a_person_nobody_decided_on_has_no_rate_yet(client, moderator):
    guest_comment(make_article())

    text = " ".join(page_text(client.get(person_url(GUEST))).split())

    assert "Rejection rate none decided yet" in text


def test_history_shows_the_names_emails_and_networks_they_used(client, moderator):
    story = make_article()
    guest_comment(story, author_name="Bilal", author_email="bilal@example.com", minutes_ago=9)
    guest_comment(
        story,
        author_name="B. Ahmed",
        author_email="other@example.com",
        network="2001:db8:1:2::/64",
        minutes_ago=1,
    )

    text = page_text(client.get(person_url(GUEST)))

    # The name they typed last names them; every name, email and network is listed.
    assert "B. Ahmed" in text.split("A guest")[0]
    for clue in ("Bilal", "bilal@example.com", "other@example.com", "198.51.100.7/32"):
        assert clue in text
    assert "2001:db8:1:2::/64" in text


def personal_details_to_hide():
    """A guest and an account, each with an email typed, a network, and (the account) a
    verified address of its own: the pages that could show them, by key."""
    story = make_article()
    guest_comment(story, author_email="typed@example.com", body="A guest's words.")
    reader = make_reader(email="verified@example.com", display_name="Farah Khan")
    account = f"user:{reader.user.pk}"
    guest_comment(
        story,
        reader_key=account,
        author_name="Farah",
        author_email="farah.typed@example.com",
        ip_address="2001:db8:7:7::1",
        network="2001:db8:7:7::/64",
        body="An account's words.",
    )
    return [
        person_url(GUEST),
        person_url(GUEST) + "?part=drawer",
        person_url(account),
        person_url(account) + "?part=drawer",
        SEARCH + "?q=words",
        SEARCH + "?author=farah",
    ]


PERSONAL_DETAILS = (
    "typed@example.com",
    "verified@example.com",
    "farah.typed@example.com",
    "198.51.100.7",
    "2001:db8:7:7",
)


def test_a_moderator_who_may_not_see_personal_details_sees_no_email_or_network(client):
    pages = personal_details_to_hide()
    sign_in(client, "narrow", "comments.moderate_comment", "comments.view_comment")

    for page in pages:
        response = client.get(page)
        html = response.content.decode()
        assert response.status_code == 200, page
        assert "words." in html, page  # the comments are there ...
        for detail in PERSONAL_DETAILS:
            assert detail not in html, (page, detail)  # ... their authors' details are not
    assert "Names they typed" in page_text(client.get(pages[0]))


def test_a_moderator_who_may_see_personal_details_sees_emails_and_networks(client):
    pages = personal_details_to_hide()
    sign_in(
        client,
        "wide",
        "comments.moderate_comment",
        "comments.view_comment",
        "comments.search_comment",
    )

    shown = " ".join(page_text(client.get(page)) for page in pages)

    for detail in PERSONAL_DETAILS:
        assert detail in shown, detail
    assert "Names and emails they typed" in shown


def test_an_accounts_history_names_the_reader_and_lists_their_sanctions(client, moderator):
    reader = make_reader(email="farah@example.com", display_name="Farah Khan")
    readers_comment(reader, body="Farah's comment.")
    lifted = sanction_impose(
        sanction=Sanction(account=reader.user, kind=Sanction.Kind.SUSPEND, reason="Old row"),
        actor=moderator,
        days=2,
    )
    Sanction.objects.filter(pk=lifted.pk).update(
        starts_at=timezone.now() - timedelta(days=10), ends_at=timezone.now() - timedelta(days=8)
    )
    sanction_impose(
        sanction=Sanction(account=reader.user, kind=Sanction.Kind.PREMODERATE, reason="Spam"),
        actor=moderator,
    )
    key = f"user:{reader.user.pk}"

    response = client.get(person_url(key))
    text = " ".join(page_text(response).split())
    html = response.content.decode()

    assert response.status_code == 200
    assert "Farah Khan" in text
    assert "farah@example.com" in text
    assert "Farah's comment." in text
    assert "Every comment waits for a moderator (in force): Spam" in text
    assert "Suspended from commenting: Old row" in text
    assert text.count("(in force)") == 1
    assert f'href="/admin/comments/sanction/add/?account={reader.user.pk}"' in html
    assert f'href="/admin/comments/sanction/?account__id__exact={reader.user.pk}"' in html


def test_the_admin_opens_on_the_persons_sanctions_and_a_prefilled_form(client, moderator):
    reader = make_reader(display_name="Farah Khan")
    other = make_reader(display_name="Someone Else")
    for account in (reader.user, other.user):
        sanction_impose(
            sanction=Sanction(account=account, kind=Sanction.Kind.BAN, reason=f"Ban {account.pk}"),
            actor=moderator,
        )

    listed = client.get(f"/admin/comments/sanction/?account__id__exact={reader.user.pk}")
    form = client.get(f"/admin/comments/sanction/add/?account={reader.user.pk}")

    assert listed.status_code == 200
    assert f"Ban {reader.user.pk}" in listed.content.decode()
    assert f"Ban {other.user.pk}" not in listed.content.decode()
    assert f'name="account" value="{reader.user.pk}"' in form.content.decode()


def test_a_guest_is_told_that_sanctions_need_an_account(client, moderator):
    guest_comment(make_article())

    response = client.get(person_url(GUEST))

    assert "a guest has none to sanction" in page_text(response)
    assert "/admin/comments/sanction/add/?account=" not in response.content.decode()


def test_a_moderator_without_sanction_permissions_gets_no_sanction_links(client):
    reader = make_reader(display_name="Farah Khan")
    readers_comment(reader)
    sign_in(client, "narrow", "comments.moderate_comment")

    response = client.get(person_url(f"user:{reader.user.pk}"))

    assert response.status_code == 200
    assert "/admin/comments/sanction/add/?account=" not in response.content.decode()
    assert "/admin/comments/sanction/?account__id__exact=" not in response.content.decode()


def test_history_is_paged_fifty_at_a_time(client, moderator):
    bulk_guest_comments(make_article(), GUEST, 60)

    first = client.get(person_url(GUEST))
    second = client.get(person_url(GUEST) + "?page=2")
    past_the_end = client.get(person_url(GUEST) + "?page=99")

    assert len(listed_bodies(first)) == 50
    assert listed_bodies(first)[0] == "Comment number 0."
    assert listed_bodies(second) == [f"Comment number {i}." for i in range(50, 60)]
    assert listed_bodies(past_the_end) == listed_bodies(second)
    assert f'href="{person_url(GUEST)}?page=2"' in first.content.decode()
    assert "Comments 60" in " ".join(page_text(first).split())


def test_the_drawer_is_the_history_alone_and_the_page_frames_it(client, moderator):
    guest_comment(make_article(), body="In the drawer.")

    drawer = client.get(person_url(GUEST) + "?part=drawer")
    page = client.get(person_url(GUEST))

    drawer_html, page_html = drawer.content.decode(), page.content.decode()
    assert drawer.status_code == page.status_code == 200
    assert [t.name for t in drawer.templates][0] == "moderation/includes/person_history.html"
    assert "<html" not in drawer_html and "<html" in page_html
    assert 'class="person-history"' in drawer_html and 'class="person-history"' in page_html
    assert "In the drawer." in drawer_html and "In the drawer." in page_html
    assert "moderation/people." in page_html and "moderation/people." not in drawer_html
    assert "Full history" in drawer_html and "Full history" not in page_html
    # Neither is kept by a cache: the history changes with every decision.
    assert "no-store" in drawer["Cache-Control"] and "no-store" in page["Cache-Control"]


def test_the_drawers_note_form_returns_to_the_queue_it_was_opened_from(client, moderator):
    guest_comment(make_article())

    drawer = client.get(person_url(GUEST) + "?part=drawer&next=/moderation/queue/reported/")
    outside = client.get(person_url(GUEST) + "?part=drawer&next=https://evil.example/")

    elsewhere = client.get(person_url(GUEST) + "?part=drawer&next=/admin/auth/user/")

    assert 'name="next" value="/moderation/queue/reported/"' in drawer.content.decode()
    assert f'name="next" value="{person_url(GUEST)}"' in outside.content.decode()
    assert f'name="next" value="{person_url(GUEST)}"' in elsewhere.content.decode()


@pytest.mark.parametrize(
    "reader_key",
    [
        "reader:nobody-knows-me",
        "user:999999",
        "user:0",
        "user:abc",
        "<script>alert(1)</script>",
        "reader:" + "x" * 41,
        "x" * 5000,
        "reader:%00",
        "reader:é",
        "user:99999999999999999999999",
    ],
)
def test_unknown_or_hostile_reader_keys_are_not_found(client, moderator, reader_key):
    guest_comment(make_article())

    response = client.get(person_url(reader_key))
    drawer = client.get(person_url(reader_key) + "?part=drawer")

    assert response.status_code == drawer.status_code == 404
    assert "<script>alert" not in response.content.decode()


def test_an_account_without_comments_or_notes_is_not_found(client, moderator):
    """Else walking the account numbers would list every reader's address."""
    reader = make_reader(email="quiet@example.com", display_name="Quiet Reader")
    key = f"user:{reader.user.pk}"

    page = client.get(person_url(key))
    drawer = client.get(person_url(key) + "?part=drawer")
    note = client.post(note_url(key), {"text": "On a stranger."})

    assert page.status_code == drawer.status_code == note.status_code == 404
    assert "quiet@example.com" not in page.content.decode() + drawer.content.decode()
    assert not PersonNote.objects.exists()


def test_an_account_with_a_note_but_no_comments_has_a_history(client, moderator):
    reader = make_reader(display_name="Quiet Reader")
    key = f"user:{reader.user.pk}"
    PersonNote.objects.create(reader_key=key, text="Wrote to us by mail.")

    response = client.get(person_url(key))

    assert response.status_code == 200
    assert "Quiet Reader" in page_text(response)
    assert "No comments." in page_text(response)


def test_reader_text_is_escaped_in_the_history(client, moderator):
    guest_comment(
        make_article(headline="<b>Headline</b>"),
        author_name="<img src=x onerror=alert(1)>",
        body="<script>alert('body')</script> {{ request }} {% csrf_token %}",
    )

    html = client.get(person_url(GUEST)).content.decode()

    assert "<script>alert('body')" not in html
    assert "&lt;script&gt;alert(&#x27;body&#x27;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>Headline</b>" not in html
    assert "{{ request }} {% csrf_token %}" in html


def test_a_history_link_takes_the_moderator_to_the_comment_in_its_thread(client, moderator):
    story = make_article()
    visible = guest_comment(story)
    removed = guest_comment(story, status=Comment.Status.REMOVED)

    to_visible = client.get(f"/moderation/comment/{visible.pk}/in-thread/")
    to_removed = client.get(f"/moderation/comment/{removed.pk}/in-thread/")
    to_nothing = client.get("/moderation/comment/999999/in-thread/")

    assert to_visible.status_code == to_removed.status_code == 302
    assert to_visible["Location"] == f"{story.get_absolute_url()}#comment-{visible.pk}"
    assert to_removed["Location"] == f"{story.get_absolute_url()}#comment-{removed.pk}"
    assert to_nothing.status_code == 404


# Notes


def test_a_moderator_adds_a_note_and_sees_it_newest_first(client, moderator):
    guest_comment(make_article())
    PersonNote.objects.create(
        reader_key=GUEST, text="An older note.", created_at=timezone.now() - timedelta(days=1)
    )

    response = client.post(note_url(GUEST), {"text": "  Warned about links.  "})
    page = client.get(person_url(GUEST))

    assert response.status_code == 302
    assert response["Location"] == person_url(GUEST)
    note = PersonNote.objects.get(text="Warned about links.")
    assert (note.reader_key, note.written_by) == (GUEST, moderator)
    text = page_text(page)
    assert text.index("Warned about links.") < text.index("An older note.")
    assert "Your note is saved." in text
    assert "mod" in text.split("Warned about links.")[0].split("Moderators' notes")[1]


def test_a_note_returns_to_a_local_next_and_never_leaves_the_site(client, moderator):
    guest_comment(make_article())

    local = client.post(
        note_url(GUEST), {"text": "One.", "next": "/moderation/queue/pending/?story=3"}
    )
    foreign = client.post(note_url(GUEST), {"text": "Two.", "next": "https://evil.example/"})
    sneaky = client.post(note_url(GUEST), {"text": "Three.", "next": "//evil.example/"})
    # A page of the site outside the workspace: a note never sends its moderator there.
    on_site = client.post(note_url(GUEST), {"text": "Four.", "next": "/admin/auth/user/"})
    story = client.post(note_url(GUEST), {"text": "Five.", "next": "/news/"})

    assert local["Location"] == "/moderation/queue/pending/?story=3"
    for refused in (foreign, sneaky, on_site, story):
        assert refused["Location"] == person_url(GUEST)
    assert PersonNote.objects.count() == 5


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Write the note first"),
        ("   \n  ", "Write the note first"),
        ("\u200b\u200b\u200d\ufeff", "Write the note first"),
        ("x" * 2001, "A note is at most 2000 characters (this one has 2001)"),
        ("x" * 100_000, "A note is at most 2000 characters"),
    ],
)
def test_an_empty_or_overlong_note_is_refused_with_a_message_and_saves_nothing(
    client, moderator, text, message
):
    guest_comment(make_article(), body="Still listed.")

    response = client.post(note_url(GUEST), {"text": text})

    assert response.status_code == 400
    content = page_text(response)
    assert message in content
    assert "nothing was saved" in content or "was not saved" in content
    assert "Still listed." in content
    assert not PersonNote.objects.exists()


def test_a_refused_note_keeps_its_text_for_another_try(client, moderator):
    guest_comment(make_article())

    response = client.post(note_url(GUEST), {"text": "<b>" + "y" * 2000})

    assert response.status_code == 400
    assert "&lt;b&gt;yyyy" in response.content.decode()


def test_a_note_of_exactly_the_limit_is_saved(client, moderator):
    guest_comment(make_article())

    client.post(note_url(GUEST), {"text": "z" * 2000})

    assert PersonNote.objects.get().text == "z" * 2000


def test_note_text_is_escaped_and_invisible_characters_dropped(client, moderator):
    guest_comment(make_article())

    client.post(note_url(GUEST), {"text": "<script>alert(1)</script>\u202eevil"})
    html = client.get(person_url(GUEST)).content.decode()

    assert PersonNote.objects.get().text == "<script>alert(1)</script>evil"
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;evil" in html


def test_notes_are_post_only(client, moderator):
    guest_comment(make_article())

    response = client.get(note_url(GUEST) + "?text=Sneaky")

    assert response.status_code == 405
    assert not PersonNote.objects.exists()


def test_notes_need_a_csrf_token(moderator):
    guest_comment(make_article())
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(moderator)

    refused = browser.post(note_url(GUEST), {"text": "Forged."})
    page = browser.get(person_url(GUEST))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    accepted = browser.post(note_url(GUEST), {"text": "Genuine.", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert list(PersonNote.objects.values_list("text", flat=True)) == ["Genuine."]


def test_a_moderator_without_the_note_permission_reads_notes_but_cannot_add(client):
    guest_comment(make_article())
    PersonNote.objects.create(reader_key=GUEST, text="Someone else's note.")
    sign_in(client, "narrow", "comments.moderate_comment")

    page = client.get(person_url(GUEST))
    response = client.post(note_url(GUEST), {"text": "Mine."})

    assert "Someone else's note." in page_text(page)
    assert "Save the note" not in page_text(page)
    assert response.status_code == 403
    assert PersonNote.objects.count() == 1


@pytest.mark.parametrize("reader_key", ["reader:nobody-knows-me", "user:999999", "bad<key>"])
def test_no_note_is_kept_on_nobody(client, moderator, reader_key):
    response = client.post(note_url(reader_key), {"text": "On nobody."})

    assert response.status_code == 404
    assert not PersonNote.objects.exists()


def test_notes_alone_make_a_history(client, moderator):
    PersonNote.objects.create(reader_key="reader:gone-quiet", text="Was trouble in 2025.")

    response = client.get(person_url("reader:gone-quiet"))

    assert response.status_code == 200
    assert "Was trouble in 2025." in page_text(response)


# Search


def search(client, **params):
    return client.get(SEARCH + "?" + urlencode(params))


def test_the_search_page_without_a_question_shows_the_form_and_runs_nothing(client, moderator):
    guest_comment(make_article(), body="Anything at all.")

    response = client.get(SEARCH)

    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()
    assert "Anything at all." not in page_text(response)


def test_search_by_text_finds_any_part_in_any_case_newest_first(client, moderator):
    story = make_article(headline="Budget day")
    guest_comment(story, body="The BUDGET is a disgrace.", minutes_ago=10)
    guest_comment(story, body="Budgetary matters bore me.", minutes_ago=5)
    guest_comment(story, body="Nothing to see here.", minutes_ago=1)

    response = search(client, q="budget")

    assert response.status_code == 200
    assert listed_bodies(response) == ["Budgetary matters bore me.", "The BUDGET is a disgrace."]
    html = response.content.decode()
    assert f'href="{person_url(GUEST)}"' in html
    assert "/in-thread/" in html
    assert "Budget day" in html


def test_search_by_name_and_text_together(client, moderator):
    story = make_article()
    guest_comment(story, author_name="Zainab", body="Prices are up.")
    guest_comment(story, reader_key="reader:other", author_name="Zainab", body="Hello.")
    guest_comment(story, reader_key="reader:third", author_name="Omar", body="Prices!")

    by_name = search(client, author="zain")
    both = search(client, author="zainab", q="prices")

    assert sorted(listed_bodies(by_name)) == ["Hello.", "Prices are up."]
    assert listed_bodies(both) == ["Prices are up."]


def test_search_text_imitating_like_syntax_matches_only_itself(client, moderator):
    story = make_article()
    guest_comment(story, body="100% sure_thing")
    guest_comment(story, reader_key="reader:other", body="1000 sureXthing")

    response = search(client, q="0% sure_")

    assert listed_bodies(response) == ["100% sure_thing"]


def test_search_by_email_and_by_network(client, moderator):
    story = make_article()
    guest_comment(story, author_email="spam@bad.example", body="From bad.", network="")
    guest_comment(
        story,
        reader_key="reader:v4",
        author_email="",
        body="From 203.0.113.9.",
        ip_address="203.0.113.9",
        network="203.0.113.9/32",
    )
    guest_comment(
        story,
        reader_key="reader:v4b",
        author_email="",
        body="From 203.0.113.200.",
        ip_address="203.0.113.200",
        network="203.0.113.200/32",
    )
    guest_comment(
        story,
        reader_key="reader:v6",
        author_email="",
        body="From 2001:db8:1:2::.",
        ip_address="2001:db8:1:2::99",
        network="2001:db8:1:2::/64",
    )

    assert listed_bodies(search(client, email="@BAD.example")) == ["From bad."]
    assert listed_bodies(search(client, network="203.0.113.9")) == ["From 203.0.113.9."]
    assert sorted(listed_bodies(search(client, network="203.0.113.0/24"))) == [
        "From 203.0.113.200.",
        "From 203.0.113.9.",
    ]
    assert listed_bodies(search(client, network="2001:db8:1:2::1")) == ["From 2001:db8:1:2::."]
    assert listed_bodies(search(client, network="2001:db8:1::/56")) == ["From 2001:db8:1:2::."]
    assert listed_bodies(search(client, network="::ffff:203.0.113.9")) == ["From 203.0.113.9."]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": ""}, "Say what to search for."),
        ({"q": "   "}, "Say what to search for."),
        ({"q": "\u200b\u200b\u200b"}, "Say what to search for."),
        ({"q": "ab"}, "Search for at least 3 letters or digits in a row"),
        ({"q": "___"}, "Search for at least 3 letters or digits in a row"),
        ({"q": "%%%"}, "Search for at least 3 letters or digits in a row"),
        ({"q": "..."}, "Search for at least 3 letters or digits in a row"),
        ({"q": "a.b c_d e%f"}, "Search for at least 3 letters or digits in a row"),
        ({"author": "_%_%"}, "Search for at least 3 letters or digits in a row"),
        ({"email": "@.@.@"}, "Search for at least 3 letters or digits in a row"),
        ({"author": "x" * 101}, "Search for at most 100 characters."),
        ({"q": "x" * 5000}, "Search for at most 200 characters."),
        ({"network": "not an address"}, "Give an IP address"),
        ({"network": "203.0.113.0/16"}, "Search at most a /24 IPv4 network at a time."),
        ({"network": "2001:db8::/32"}, "Search at most a /56 IPv6 network at a time."),
        ({"network": "<script>"}, "Give an IP address"),
    ],
)
def test_bad_searches_get_a_clear_message_and_search_nothing(client, moderator, params, message):
    guest_comment(make_article(), body="Should not be listed.")

    response = search(client, **params)

    assert response.status_code == 400
    text = page_text(response)
    assert message in text
    assert "Should not be listed." not in text
    assert "<script>" not in response.content.decode()


def test_a_search_that_runs_too_long_is_stopped_with_a_message(client, moderator, settings):
    """For real: PostgreSQL cancels the query at the timeout (a millisecond here, which
    reading and sorting thousands of matches outlasts); the page says what to do."""
    bulk_guest_comments(make_article(), GUEST, 5_000, body="Common words everywhere.")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        timeout_before = cursor.fetchone()[0]

    settings.MODERATION_SEARCH_TIMEOUT_MS = 1
    too_slow = search(client, q="common", page=40)
    settings.MODERATION_SEARCH_TIMEOUT_MS = 2000
    in_time = search(client, q="common", page=40)

    assert too_slow.status_code == 400
    assert "This search took too long: make it more precise." in page_text(too_slow)
    assert listed_bodies(too_slow) == []
    assert 'name="q"' in too_slow.content.decode()
    assert in_time.status_code == 200
    assert len(listed_bodies(in_time)) == 50
    # The timeout was the search's alone: later queries on the connection run unhurried.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == timeout_before


def test_only_the_timeout_is_answered_as_a_slow_search(client, moderator, monkeypatch):
    """Any other database error is an error still, not "make it more precise"."""
    from django.db.utils import OperationalError

    from moderation import people

    class LostConnection:
        def __getitem__(self, page):
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(people, "search_comments", lambda **terms: LostConnection())

    response = search(client, q="common")

    # The site's answer to a database out of reach (newsroom's middleware), not advice.
    assert response.status_code == 503
    assert "took too long" not in page_text(response)


def test_search_results_are_paged_without_counting_every_match(client, moderator):
    bulk_guest_comments(make_article(), GUEST, 55, body="Needle in a haystack.")

    first = search(client, q="needle")
    second = search(client, q="needle", page=2)
    beyond = search(client, q="needle", page=10_000)
    nonsense = search(client, q="needle", page="x")

    assert len(listed_bodies(first)) == 50
    assert len(listed_bodies(second)) == 5
    assert 'href="?q=needle&amp;page=2"' in first.content.decode()
    assert 'href="?q=needle&amp;page=1"' in second.content.decode()
    assert 'rel="next"' not in second.content.decode()
    assert beyond.status_code == 200 and listed_bodies(beyond) == []
    assert listed_bodies(nonsense) == listed_bodies(first)


def test_a_search_finding_nothing_says_so(client, moderator):
    guest_comment(make_article())

    assert "No comment matches" in page_text(search(client, q="zeppelin"))


def test_a_moderator_without_the_search_permission_is_not_offered_email_or_network(client):
    guest_comment(make_article(), author_email="spam@bad.example", body="Personal data.")
    sign_in(client, "narrow", "comments.moderate_comment")

    form = client.get(SEARCH)
    by_text = search(client, q="personal")
    by_email = search(client, email="spam@bad.example")
    by_network = search(client, q="personal", network="198.51.100.7")

    assert 'name="email"' not in form.content.decode()
    assert 'name="network"' not in form.content.decode()
    assert listed_bodies(by_text) == ["Personal data."]
    for refused in (by_email, by_network):
        assert refused.status_code == 403
        assert "needs the permission" in page_text(refused)
        assert "Personal data." not in page_text(refused)


def test_a_moderator_with_the_search_permission_is_offered_email_and_network(client, moderator):
    html = client.get(SEARCH).content.decode()

    assert 'name="email"' in html and 'name="network"' in html


def test_reader_text_is_escaped_in_search_results(client, moderator):
    guest_comment(
        make_article(), author_name="<i>Evil</i>", body="<script>alert('x')</script> marker"
    )

    html = search(client, q="marker").content.decode()

    assert "<script>alert('x')</script>" not in html
    assert "&lt;i&gt;Evil&lt;/i&gt;" in html


# Query budgets


def test_the_history_costs_the_same_queries_for_10_and_500_comments(
    client, moderator, assert_queries_do_not_grow
):
    story = make_article()

    def setup(number):
        key = f"reader:size-{number}"
        bulk_guest_comments(story, key, number)
        PersonNote.objects.create(reader_key=key, text="Watch this one.", written_by=moderator)
        return key

    def full_page(number, key):
        response = client.get(person_url(key))
        assert response.status_code == 200
        assert len(listed_bodies(response)) == min(number, 50)
        assert f"Comments {number}" in " ".join(page_text(response).split())

    def second_page(number, key):
        assert client.get(person_url(key) + "?page=2").status_code == 200

    def drawer(number, key):
        response = client.get(person_url(key) + "?part=drawer")
        assert "Watch this one." in response.content.decode()

    assert_queries_do_not_grow(setup, full_page, second_page, drawer, budget=20)


def test_an_accounts_history_costs_the_same_for_10_and_500_comments(
    client, moderator, assert_queries_do_not_grow
):
    story = make_article()

    def setup(number):
        reader = make_reader(display_name=f"Reader of {number}")
        sanction_impose(
            sanction=Sanction(account=reader.user, kind=Sanction.Kind.BAN, reason="Abuse"),
            actor=moderator,
        )
        key = f"user:{reader.user.pk}"
        bulk_guest_comments(story, key, number)
        return key

    def full_page(number, key):
        response = client.get(person_url(key))
        assert f"Reader of {number}" in page_text(response)

    assert_queries_do_not_grow(setup, full_page, budget=20)


def test_search_costs_the_same_queries_for_10_and_500_matches(
    client, moderator, assert_queries_do_not_grow
):
    story = make_article()

    def setup(number):
        Comment.objects.all().delete()
        bulk_guest_comments(story, f"reader:size-{number}", number, body="Haystack needle.")

    def by_text(number, _):
        assert len(listed_bodies(search(client, q="needle"))) == min(number, 50)

    def by_network(number, _):
        assert listed_bodies(search(client, network="198.51.100.0/24"))

    assert_queries_do_not_grow(setup, by_text, by_network, budget=15)


def test_the_search_reads_the_trigram_index():
    """The planner picks comment_search_idx for a rare word (with sequential scans off:
    a test database is too small for it to bother otherwise)."""
    from moderation.history import search_comments

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = search_comments(text="zeppelin", author="ayesha", email="example").explain()

    assert "comment_search_idx" in plan


def test_the_history_reads_the_persons_own_rows():
    """Their comments come through comment_reader_idx and are sorted, however many they
    are; never a walk through the site's newest comments looking for theirs (which the
    planner would pick for a frequent commenter, and which reads the whole table when
    their comments are old)."""
    from moderation.history import Person

    story = make_article()
    bulk_guest_comments(story, "reader:everyone-else", 20_000)
    bulk_guest_comments(story, GUEST, 2_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE comments_comment")
    plan = Person.of(GUEST).comments()[:50].explain()

    assert "comment_reader_idx" in plan
    assert "comment_created_brin" not in plan


# The admin of moderators' sections


def test_a_moderator_assigns_a_section_and_removes_it(client, moderator):
    section = make_section(name="Sport")
    colleague = make_staff("sana", "Moderators")

    added = client.post(
        "/admin/moderation/sectionassignment/add/",
        {"moderator": colleague.pk, "section": section.pk},
    )
    assignment = SectionAssignment.objects.get()
    listed = client.get("/admin/moderation/sectionassignment/")
    removed = client.post(
        f"/admin/moderation/sectionassignment/{assignment.pk}/delete/", {"post": "yes"}
    )

    assert added.status_code == 302
    assert (assignment.moderator, assignment.section) == (colleague, section)
    assert re.search(r"sana\s*Sport", page_text(listed))
    assert removed.status_code == 302
    assert not SectionAssignment.objects.exists()


def test_a_section_is_assigned_to_a_moderator_once(client, moderator):
    section = make_section()
    SectionAssignment.objects.create(moderator=moderator, section=section)

    response = client.post(
        "/admin/moderation/sectionassignment/add/",
        {"moderator": moderator.pk, "section": section.pk},
    )

    assert response.status_code == 200
    assert "already exists" in page_text(response)
    assert SectionAssignment.objects.count() == 1


def test_only_moderators_can_be_assigned_sections(client, moderator):
    section = make_section()
    editor = make_staff("eda", "Editors")
    reader = make_reader(display_name="Not staff")

    form = client.get("/admin/moderation/sectionassignment/add/").content.decode()
    for outsider in (editor, reader.user):
        response = client.post(
            "/admin/moderation/sectionassignment/add/",
            {"moderator": outsider.pk, "section": section.pk},
        )
        assert response.status_code == 200
        assert "Select a valid choice" in page_text(response)

    assert f'value="{moderator.pk}"' in form
    assert f'value="{editor.pk}"' not in form
    assert not SectionAssignment.objects.exists()


def test_an_editor_cannot_assign_sections(client):
    section = make_section()
    editor = make_staff("eda", "Editors")
    client.force_login(editor)

    listed = client.get("/admin/moderation/sectionassignment/")
    added = client.post(
        "/admin/moderation/sectionassignment/add/", {"moderator": editor.pk, "section": section.pk}
    )

    assert listed.status_code == added.status_code == 403
    assert not SectionAssignment.objects.exists()


def test_notes_are_listed_read_only_in_the_admin_with_a_link_to_the_history(client, moderator):
    note = PersonNote.objects.create(reader_key=GUEST, text="<b>Careful</b>", written_by=moderator)

    listed = client.get("/admin/moderation/personnote/")
    opened = client.get(f"/admin/moderation/personnote/{note.pk}/change/")
    add = client.get("/admin/moderation/personnote/add/")
    delete = client.post(f"/admin/moderation/personnote/{note.pk}/delete/", {"post": "yes"})

    html = listed.content.decode()
    assert listed.status_code == opened.status_code == 200
    assert f'href="{person_url(GUEST)}"' in html
    assert "&lt;b&gt;Careful&lt;/b&gt;" in html
    assert 'name="text"' not in opened.content.decode()
    assert add.status_code == delete.status_code == 403
    assert PersonNote.objects.count() == 1
