"""Readers sign in with a link sent by mail (issue 13): asked for on a form that answers
the same for every address, mailed by a job through a real SMTP server, used once with a
button (never by a GET), within 30 minutes; then a display name nobody else's reads as."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from readers.forms import local_path
from readers.models import Reader, ReaderQuerySet, SignInLink, name_key
from tests.conftest import page_text
from tests.factories import make_reader, make_staff
from tests.servers import free_port

pytestmark = pytest.mark.django_db

SIGN_IN = "/account/sign-in/"
SENT = "/account/sign-in/sent/"
ACCOUNT = "/account/"
STORY = "/news/1/a-story/"
LINK = re.compile(r"http://testserver(/account/sign-in/([A-Za-z0-9_-]+)/)")
REFUSED = "This sign-in link has expired or has already been used. Ask for a new one."


def ask(client, email, **fields):
    return client.post(SIGN_IN, {"email": email, **fields})


def link_in(message) -> str:
    """The path of the sign-in link in a mail."""
    return LINK.search(message.get_content())[1]


def mailed_link(client, smtp_server, run_jobs, email="farah@example.com", **fields) -> str:
    assert ask(client, email, **fields).status_code == 302
    run_jobs()
    return link_in(smtp_server.inbox.to(email)[-1])


def signed_in_user(client):
    return client.session.get("_auth_user_id")


# The whole journey.


def test_a_reader_asks_for_a_link_signs_in_with_the_button_and_chooses_a_name(
    client, smtp_server, run_jobs
):
    form = client.get(f"{SIGN_IN}?next={STORY}")
    assert form.status_code == 200
    assert f'name="next" value="{STORY}"' in form.content.decode()

    asked = ask(client, "Farah@Example.com", next=STORY)
    assert asked.status_code == 302 and asked["Location"] == SENT
    assert smtp_server.inbox.messages == [], "the request only queues the mail"
    sent = client.get(SENT)
    assert (
        "If that address can receive mail, a sign-in link is on its way; "
        "it works once, within 30 minutes" in page_text(sent)
    )

    assert run_jobs() == 1
    [message] = smtp_server.inbox.messages
    assert message["To"] == "farah@example.com"
    assert message["Subject"] == "Your sign-in link for Newsroom"
    text = message.get_content()
    assert "works once, within 30 minutes" in text
    assert "If you did not ask for it, ignore this message" in text
    path = link_in(message)

    # Opening the link (as a mail scanner would) only shows a button.
    shown = client.get(path)
    assert shown.status_code == 200
    assert '<button type="submit">Sign in</button>' in shown.content.decode()
    assert "This link signs in farah@example.com" in page_text(shown), "whose link it is"
    assert shown["Referrer-Policy"] == "same-origin"
    assert signed_in_user(client) is None
    assert SignInLink.objects.live().count() == 1

    signed_in = client.post(path)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == f"{ACCOUNT}?next=%2Fnews%2F1%2Fa-story%2F"
    reader = Reader.objects.get()
    assert reader.email == "farah@example.com"
    assert signed_in_user(client) == str(reader.user.pk)
    assert not reader.user.is_staff and not reader.user.has_usable_password()
    assert not SignInLink.objects.live().exists()

    account = client.get(signed_in["Location"])
    assert "farah@example.com" in page_text(account)
    assert "Choose a display name" in page_text(account)
    chosen = client.post(ACCOUNT, {"display_name": "  Farah K. ", "next": STORY})
    assert chosen.status_code == 302 and chosen["Location"] == STORY
    reader.refresh_from_db()
    assert reader.display_name == "Farah K."
    assert "Farah K." in page_text(client.get(ACCOUNT))


def test_a_reader_with_a_name_goes_where_they_were_going(client, smtp_server, run_jobs):
    make_reader("omar@example.com", display_name="Omar")
    path = mailed_link(client, smtp_server, run_jobs, "omar@example.com", next=STORY)
    response = client.post(path)
    assert response["Location"] == STORY


def test_signing_in_again_finds_the_same_reader(client, smtp_server, run_jobs):
    client.post(mailed_link(client, smtp_server, run_jobs))
    other = Client()
    assert other.post(mailed_link(other, smtp_server, run_jobs))["Location"] == ACCOUNT
    assert Reader.objects.count() == 1 and User.objects.count() == 1
    assert signed_in_user(other) == signed_in_user(client)


def test_the_session_is_a_new_one_after_signing_in(client, smtp_server, run_jobs):
    path = mailed_link(client, smtp_server, run_jobs)
    client.get(path)
    client.cookies["sessionid"] = "a-session-someone-planted-beforehand"
    client.post(path)
    assert client.cookies["sessionid"].value != "a-session-someone-planted-beforehand"
    assert signed_in_user(client)


# Links that must not work.


def test_a_used_link_is_refused_with_a_clear_page_and_changes_nothing(
    client, smtp_server, run_jobs
):
    path = mailed_link(client, smtp_server, run_jobs)
    client.post(path)
    used_at = SignInLink.objects.get().used_at

    stranger = Client()
    for response in (stranger.get(path), stranger.post(path)):
        assert response.status_code == 410
        assert REFUSED in page_text(response)
        assert 'href="/account/sign-in/"' in response.content.decode()
    assert signed_in_user(stranger) is None
    assert SignInLink.objects.get().used_at == used_at


def test_using_one_link_retires_the_addresses_other_links(client, smtp_server, run_jobs):
    first = mailed_link(client, smtp_server, run_jobs)
    second = mailed_link(client, smtp_server, run_jobs)
    assert client.post(second).status_code == 302
    assert Client().post(first).status_code == 410


def test_an_expired_link_is_refused_and_changes_nothing(client, smtp_server, run_jobs):
    path = mailed_link(client, smtp_server, run_jobs)
    with time_machine.travel(timezone.now() + timedelta(minutes=30, seconds=1)):
        assert client.get(path).status_code == 410
        response = client.post(path)
    assert response.status_code == 410 and REFUSED in page_text(response)
    assert signed_in_user(client) is None
    assert not Reader.objects.exists()
    assert SignInLink.objects.get().used_at is None


def test_a_link_works_until_its_30_minutes_are_over(client, smtp_server, run_jobs):
    path = mailed_link(client, smtp_server, run_jobs)
    with time_machine.travel(timezone.now() + timedelta(minutes=29, seconds=50)):
        assert client.post(path).status_code == 302


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character off
        lambda token: token[:-2],  # cut short
        lambda token: token + "x",
        lambda token: token.upper(),
        lambda token: "A" * 43,  # forged: the right shape, made up
        lambda token: "x" * 3000,
    ],
)
def test_a_forged_or_tampered_link_is_refused(client, smtp_server, run_jobs, tamper):
    path = mailed_link(client, smtp_server, run_jobs)
    token = LINK.search("http://testserver" + path)[2]
    forged = f"{SIGN_IN}{tamper(token)}/"
    assert client.get(forged).status_code == 410
    response = client.post(forged)
    assert response.status_code == 410 and REFUSED in page_text(response)
    assert signed_in_user(client) is None
    assert not Reader.objects.exists()
    assert SignInLink.objects.live().count() == 1


def test_the_database_and_the_task_table_never_hold_a_usable_link(client, smtp_server, run_jobs):
    path = mailed_link(client, smtp_server, run_jobs)
    token = path.split("/")[-2]
    for result in DBTaskResult.objects.all():
        assert token not in str(result.args_kwargs) and token not in str(result.return_value)
    assert token not in str(SignInLink.objects.values().get())


# Asking for links: the same answer for everyone, limits, bad input.


def test_known_and_unknown_addresses_get_the_same_answer_and_the_same_job(
    client, smtp_server, run_jobs
):
    make_reader("known@example.com", display_name="Known")
    known, unknown = ask(Client(), "known@example.com"), ask(Client(), "nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.content == unknown.content
    assert Client().get(known["Location"]).content == Client().get(unknown["Location"]).content
    assert DBTaskResult.objects.filter(task_path="readers.tasks.send_sign_in_link").count() == 2
    assert run_jobs() == 2
    assert len(smtp_server.inbox.messages) == 2, "an unknown address gets a link too"


def test_an_address_never_has_more_than_five_live_links(smtp_server, run_jobs, settings):
    settings.READERS_SIGN_IN_RATE_LIMIT = 100
    for _ in range(6):
        assert ask(Client(), "target@example.com").status_code == 302
    assert run_jobs() == 6
    assert len(smtp_server.inbox.to("target@example.com")) == 5
    assert SignInLink.objects.live().count() == 5
    # From any number of networks.
    ask(Client(REMOTE_ADDR="198.51.100.7"), "target@example.com")
    run_jobs()
    assert len(smtp_server.inbox.messages) == 5
    # Once they have expired, a reader may ask again.
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        ask(Client(), "target@example.com")
        run_jobs()
    assert len(smtp_server.inbox.messages) == 6


def test_asking_too_often_from_one_network_gets_a_friendly_429(run_jobs, settings):
    settings.READERS_SIGN_IN_RATE_LIMIT = 5
    settings.READERS_SIGN_IN_RATE_WINDOW = 600
    for number in range(5):
        assert ask(Client(), f"reader{number}@example.com").status_code == 302
    limited = ask(Client(), "reader6@example.com")
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 600
    assert "Too many sign-in links at once" in page_text(limited)
    assert "no-store" in limited["Cache-Control"]
    assert DBTaskResult.objects.count() == 5, "nothing queued for the refused one"
    # Another network has its own allowance; an IPv6 /64 is one network.
    assert ask(Client(REMOTE_ADDR="2001:db8:1:2::1"), "a@example.com").status_code == 302
    for host in ("2001:db8:1:2::2", "2001:db8:1:2::3", "2001:db8:1:2::4", "2001:db8:1:2::5"):
        ask(Client(REMOTE_ADDR=host), "a@example.com")
    assert ask(Client(REMOTE_ADDR="2001:db8:1:2:ffff::9"), "a@example.com").status_code == 429


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "not-an-address",
        "farah@",
        "@example.com",
        "farah@example",
        "farah @example.com",
        "a" * 250 + "@example.com",
        "farah@example.com\nBcc: everyone@example.com",
        "\u200b\u200b",
    ],
)
def test_a_bad_address_gets_a_message_and_queues_nothing(client, address):
    response = ask(client, address)
    assert response.status_code == 400
    text = page_text(response)
    assert "Please type your email address." in text or "look like an email address" in text
    assert not DBTaskResult.objects.exists()


def test_invisible_characters_in_an_address_are_stripped(client, run_jobs, smtp_server):
    assert ask(client, "far\u200bah@exam\u00adple.com").status_code == 302
    run_jobs()
    assert smtp_server.inbox.messages[0]["To"] == "farah@example.com"


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example",
        "//evil.example/account/",
        "https://evil.example",
        "http://testserver/account/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        " /news/",
        "/news/\nSet-Cookie: x=1",
        "/" + "a" * 600,
        "news/1/",
    ],
)
def test_a_next_that_leaves_the_site_is_dropped(client, smtp_server, run_jobs, next_path):
    assert local_path(next_path) == ""
    form = client.get(SIGN_IN, {"next": next_path}).content.decode()
    assert '<input type="hidden" name="next" id="id_next">' in form
    make_reader("omar@example.com", display_name="Omar")
    response = client.post(
        mailed_link(client, smtp_server, run_jobs, "omar@example.com", next=next_path)
    )
    assert response["Location"] == ACCOUNT
    assert SignInLink.objects.get().next_path == ""


def test_local_paths_are_kept():
    assert local_path("/news/1/a-story/?cpage=2#comments") == "/news/1/a-story/?cpage=2#comments"
    assert local_path("/") == "/"


# Staff are never signed in by link.


def test_a_staff_members_address_never_signs_in_a_staff_session(client, smtp_server, run_jobs):
    staff = make_staff("eda", "Editors")
    staff.email = "eda@example.com"
    staff.save()

    response = client.post(mailed_link(client, smtp_server, run_jobs, "eda@example.com"))

    assert response.status_code == 302
    signed_in = User.objects.get(pk=signed_in_user(client))
    assert signed_in != staff
    assert not signed_in.is_staff and not signed_in.is_superuser
    assert client.get("/admin/").status_code == 302, "no way into the admin"


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser", "is_active"])
def test_a_reader_row_on_a_staff_or_disabled_account_is_refused(
    client, smtp_server, run_jobs, flag
):
    reader = make_reader("eda@example.com", display_name="Eda")
    setattr(reader.user, flag, flag != "is_active")
    reader.user.save()

    response = client.post(mailed_link(client, smtp_server, run_jobs, "eda@example.com"))

    assert response.status_code == 410
    assert signed_in_user(client) is None
    assert SignInLink.objects.live().count() == 1, "nothing changed"


def test_a_staff_session_on_the_account_page_is_told_it_is_not_a_readers(client):
    client.force_login(make_staff("eda"))
    response = client.get(ACCOUNT)
    assert response.status_code == 403
    assert "not a reader" in page_text(response)


# The mail server.


def test_mail_server_down_the_job_retries_and_leaves_no_live_link(
    client, smtp_server, run_jobs, settings
):
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    ask(client, "farah@example.com")

    run_jobs()

    assert DBTaskResult.objects.filter(status="FAILED").count() == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 1, "a retry is queued"
    assert not SignInLink.objects.exists(), "no live link left by the failed attempt"

    settings.EMAIL_PORT = live_port
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert run_jobs() == 1
        [message] = smtp_server.inbox.messages
        assert client.post(link_in(message)).status_code == 302
    assert SignInLink.objects.count() == 1


def test_failures_do_not_spend_the_addresses_five_links(client, smtp_server, settings):
    from readers.tasks import send_sign_in_link

    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()
    for _ in range(6):
        with pytest.raises(ConnectionRefusedError):
            send_sign_in_link.call(email="farah@example.com", attempt=8)
    settings.EMAIL_PORT = live_port
    assert send_sign_in_link.call(email="farah@example.com") is True


# The account page, the display name, signing out.


@pytest.fixture
def signed_in_reader(client):
    reader = make_reader("farah@example.com")
    client.force_login(reader.user)
    return reader


def test_the_account_page_sends_strangers_to_the_sign_in_form(client):
    response = client.get(ACCOUNT)
    assert response.status_code == 302
    assert response["Location"] == f"{SIGN_IN}?next=%2Faccount%2F"
    assert 'value="/account/"' in client.get(response["Location"]).content.decode()


def test_the_address_is_shown_only_on_the_readers_own_page(client, signed_in_reader):
    signed_in_reader.set_display_name("Farah")
    assert "farah@example.com" in page_text(client.get(ACCOUNT))
    home = Client().get("/")
    assert "farah@example.com" not in home.content.decode()


@pytest.mark.parametrize("taken", ["Reader", "rEADER", "R\u0435ader", "R e a d e r", "Reаdеr"])
def test_a_name_that_reads_as_another_readers_is_taken(client, signed_in_reader, taken):
    make_reader(display_name="Reader")
    response = client.post(ACCOUNT, {"display_name": taken})
    assert response.status_code == 400
    assert "That name is taken: please choose another." in page_text(response)
    signed_in_reader.refresh_from_db()
    assert signed_in_reader.display_name == ""


def test_name_keys_fold_case_width_and_look_alikes():
    names = ("Reader", "rEADER", "R\u0435ader", "ＲＥＡＤＥＲ", "Reäder", "Re-ader")
    keys = {name_key(name) for name in names}
    assert keys == {"reader"}
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("Farah") != name_key("Sarah")
    assert name_key("محمد") == "محمد"


def test_a_reader_may_keep_their_own_name_in_another_case(client, signed_in_reader):
    signed_in_reader.set_display_name("Farah")
    assert client.post(ACCOUNT, {"display_name": "FARAH"}).status_code == 302
    signed_in_reader.refresh_from_db()
    assert signed_in_reader.display_name == "FARAH"


@pytest.mark.parametrize(
    "name", ["Moderator", "m0derator", "\u041cоderator", "A d m i n", "Newsroom", "The Editors"]
)
def test_staff_like_names_are_refused(client, signed_in_reader, name):
    response = client.post(ACCOUNT, {"display_name": name})
    assert response.status_code == 400
    assert "could be mistaken for the newsroom" in page_text(response)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Please choose a name."),
        ("\u200b\u200b\u200b", "Please choose a name."),
        ("F\u200b", "Too short"),
        ("x" * 41, "Too long"),
        ("\ufdfa" * 3, "Too long"),  # 18 letters each once NFKC has its way
        ("...", "Use at least one letter or digit."),
    ],
)
def test_empty_invisible_short_and_long_names_are_refused(client, signed_in_reader, name, message):
    response = client.post(ACCOUNT, {"display_name": name})
    assert response.status_code == 400
    assert message in page_text(response)


def test_markup_in_a_name_is_shown_as_text(client, signed_in_reader):
    client.post(ACCOUNT, {"display_name": "<b>Farah</b>"})
    assert "&lt;b&gt;Farah&lt;/b&gt;" in client.get(ACCOUNT).content.decode()


def test_a_name_taken_between_the_check_and_the_save_gets_the_same_message(
    client, signed_in_reader, monkeypatch
):
    make_reader(display_name="Farah")
    # The other reader saved the name after this form's check looked.
    monkeypatch.setattr(ReaderQuerySet, "name_taken", lambda self, key, excluding=None: False)
    response = client.post(ACCOUNT, {"display_name": "farah"})
    assert response.status_code == 400
    assert "That name is taken: please choose another." in page_text(response)
    signed_in_reader.refresh_from_db()
    assert signed_in_reader.display_name == ""


def test_sign_out_is_post_only_and_needs_the_csrf_token(signed_in_reader):
    client = Client(enforce_csrf_checks=True)
    client.force_login(signed_in_reader.user)
    assert client.get("/account/sign-out/").status_code == 405
    assert client.post("/account/sign-out/").status_code == 403
    assert signed_in_user(client)

    page = client.get(ACCOUNT).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = client.post("/account/sign-out/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user(client) is None


def test_asking_for_a_link_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert ask(client, "farah@example.com").status_code == 403
    assert not DBTaskResult.objects.exists()


def test_every_account_page_is_private_and_never_stored(client, smtp_server, run_jobs):
    path = mailed_link(client, smtp_server, run_jobs)
    responses = [
        client.get(SIGN_IN),
        ask(client, "nope"),
        client.get(SENT),
        client.get(path),
        client.get(f"{SIGN_IN}forged/"),
        client.get(ACCOUNT),
        client.post(path),
        client.get(ACCOUNT),
        client.post(ACCOUNT, {"display_name": "Farah"}),
        client.post(ACCOUNT, {"display_name": ""}),
        client.get("/account/sign-out/"),
        client.post("/account/sign-out/"),
    ]
    for response in responses:
        cache_control = response["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, response


def test_the_header_link_is_the_same_for_everyone_on_cached_pages(client, signed_in_reader):
    signed_in_reader.set_display_name("Farah")
    anonymous = Client().get("/")
    reader = client.get("/")
    assert 'href="/account/">Your account</a>' in anonymous.content.decode()
    assert reader.content == anonymous.content
    assert "Farah" not in reader.content.decode()


# The admin.


def test_superusers_find_readers_by_address_and_see_links_without_tokens(
    admin_client, smtp_server, run_jobs
):
    make_reader("farah@example.com", display_name="Farah")
    path = mailed_link(Client(), smtp_server, run_jobs)

    readers = admin_client.get("/admin/readers/reader/", {"q": "farah@example"})
    assert "Farah" in page_text(readers) and "farah@example.com" in page_text(readers)
    links = admin_client.get("/admin/readers/signinlink/")
    assert links.status_code == 200 and "farah@example.com" in page_text(links)
    link = SignInLink.objects.get()
    detail = admin_client.get(f"/admin/readers/signinlink/{link.pk}/change/").content.decode()
    assert path.split("/")[-2] not in detail and link.token_hash not in detail


def test_moderators_and_editors_see_no_readers_addresses(client, moderator):
    make_reader("farah@example.com", display_name="Farah")
    for url in ("/admin/readers/reader/", "/admin/readers/signinlink/"):
        assert client.get(url).status_code == 403
    assert "farah@example.com" not in client.get("/admin/").content.decode()


def test_one_address_gets_at_most_the_days_links_however_many_networks_ask(
    db, settings, smtp_server, run_jobs
):
    from readers.tasks import delete_past_links, send_sign_in_link

    settings.READERS_SIGN_IN_LINKS_PER_DAY = 3
    sent = 0
    for _ in range(3):
        for _ in range(2):
            sent += bool(send_sign_in_link.call(email="victim@example.com"))
        SignInLink.objects.update(used_at=timezone.now())  # spent: not live any more
    assert sent == 3
    assert len(smtp_server.inbox.messages) == 3
    with time_machine.travel(timezone.now() + timedelta(days=1, hours=1)):
        assert send_sign_in_link.call(email="victim@example.com")
    with time_machine.travel(timezone.now() + timedelta(days=2, hours=1)):
        assert delete_past_links.call() == 3
    assert SignInLink.objects.count() == 1
