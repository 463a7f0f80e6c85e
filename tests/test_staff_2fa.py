"""The staff sign-in's second factor: a TOTP code from a phone app, for superusers always,
for staff who turn it on, and for all staff with STAFF_REQUIRE_2FA."""

import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from articles.models import Article
from staff.twofactor import PENDING_SECONDS, WRONG_CODE
from tests.factories import force_login_verified, make_article

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-staff-passphrase"
LOGIN = "/admin/login/"
CODE_PAGE = "/admin/login/code/"
SETTINGS_PAGE = "/admin/second-factor/"
START = datetime(2026, 11, 29, 9, 0, 0, tzinfo=UTC)
STEP = timedelta(seconds=30)


@pytest.fixture
def clock():
    """Time stands still unless a test moves it: codes change every 30 s, and a device
    waits 1, 2, 4... seconds after wrong codes."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_now(device: TOTPDevice) -> str:
    """What the phone app shows now for `device` (its key read back from the database)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def sign_in(client, username, password=PASSWORD, next_url="/admin/"):
    return client.post(LOGIN, {"username": username, "password": password, "next": next_url})


def give_code(client, code, next_url="/admin/"):
    return client.post(CODE_PAGE, {"code": code, "next": next_url})


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def superuser(username="chief") -> User:
    return User.objects.create_superuser(username, password=PASSWORD)


def editor(username="eda") -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_a_superuser_without_a_device_is_sent_to_enrolment_and_reaches_nothing_until_confirmed(
    client, clock
):
    chief = superuser()
    draft = make_article(status=Article.Status.DRAFT)

    response = sign_in(client, "chief")

    assert response.status_code == 302
    assert response["Location"].startswith(CODE_PAGE)
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == ["/admin/"]
    for address in ("/admin/", "/admin/articles/article/", "/admin/auth/user/", SETTINGS_PAGE):
        refused = client.get(address)
        assert refused.status_code == 302, address
        assert refused["Location"].startswith(LOGIN), address
    assert client.get(draft.get_absolute_url()).status_code == 404, "no staff preview either"
    enrolment = client.get(CODE_PAGE + "?next=/admin/")
    page = enrolment.content.decode()
    assert "Set up two-factor sign-in" in page
    assert re.search(r"<svg [^>]*class=\"qr-code\"", page), "the QR code is drawn inline"
    assert "<script" not in page.split("</head>")[1], "no inline script under the CSP"
    device = TOTPDevice.objects.get(user=chief)
    assert not device.confirmed

    confirmed = give_code(client, code_now(device))

    assert confirmed.status_code == 302 and confirmed["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert signed_in(client)
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_after_enrolment_a_fresh_sign_in_asks_for_the_code_and_the_right_one_signs_in(clock):
    chief = superuser()
    first = Client()
    sign_in(first, "chief")
    give_code(first, code_now(TOTPDevice.objects.get(user=chief)))
    assert signed_in(first)
    clock.shift(STEP)  # the next code

    laptop = Client()
    response = sign_in(laptop, "chief")

    assert response["Location"].startswith(CODE_PAGE)
    asked = laptop.get(response["Location"]).content.decode()
    assert "Enter your code" in asked and "qr-code" not in asked, "no second enrolment"
    assert not signed_in(laptop)
    assert give_code(laptop, code_now(TOTPDevice.objects.get(user=chief))).status_code == 302
    assert signed_in(laptop)


@pytest.fixture
def enrolled(clock):
    """A superuser with a confirmed device, its last code used a step ago."""
    chief = superuser()
    device = TOTPDevice.objects.create(user=chief, name="phone", confirmed=True)
    clock.shift(STEP)
    return device


def test_a_wrong_code_signs_nobody_in_and_says_so(client, enrolled):
    sign_in(client, "chief")
    right = code_now(enrolled)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = give_code(client, wrong)

    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert not signed_in(client)
    enrolled.refresh_from_db()
    assert enrolled.throttling_failure_count == 1, "the device's throttle is on"
    assert AccessAttempt.objects.get(username="chief").failures_since_start == 1


def test_a_replayed_code_is_refused(enrolled):
    code = code_now(enrolled)
    first = Client()
    sign_in(first, "chief")
    assert give_code(first, code).status_code == 302

    # Someone who watched the code typed, with the password, in the same half-minute.
    watcher = Client(REMOTE_ADDR="203.0.113.9")
    sign_in(watcher, "chief")
    response = give_code(watcher, code)

    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert not signed_in(watcher)
    assert signed_in(first)


def test_right_code_just_after_a_wrong_one_waits_for_the_device_throttle(client, enrolled, clock):
    sign_in(client, "chief")
    give_code(client, "000000" if code_now(enrolled) != "000000" else "111111")

    hurried = give_code(client, code_now(enrolled))

    assert "Too many wrong codes" in hurried.content.decode()
    assert not signed_in(client)
    clock.shift(timedelta(seconds=2))
    assert give_code(client, code_now(enrolled)).status_code == 302
    assert signed_in(client)


def test_wrong_codes_count_toward_the_address_lock_out(enrolled, clock):
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    sign_in(guesser, "chief")
    right = code_now(enrolled)
    answers = []
    for n in range(5):
        clock.shift(timedelta(seconds=2**n))  # past the device's throttle each time
        guess = f"{(int(right) + 1 + n) % 1_000_000:06d}"
        answers.append(give_code(guesser, guess).status_code)

    assert answers == [200, 200, 200, 200, 429]
    assert give_code(guesser, code_now(enrolled)).status_code == 429
    assert not signed_in(guesser)
    # The owner, at another address, still signs in (with the next code).
    clock.shift(STEP)
    owner = Client(REMOTE_ADDR="192.0.2.7")
    sign_in(owner, "chief")
    assert give_code(owner, code_now(enrolled)).status_code == 302


@pytest.mark.parametrize(
    "typed",
    [
        "",
        " ",
        "12345",
        "1234567",
        "12345a",
        "9" * 10_000,
        "<script>alert(1)</script>",
        "{{ code }}",
        "１２３４５６",  # full-width digits, which int() would take
        "١٢٣٤٥٦",  # Arabic-Indic digits
        "123\u200b456",
        "123456\x00",
    ],
)
def test_anything_but_six_digits_is_refused_without_spending_a_try(client, enrolled, typed):
    sign_in(client, "chief")

    response = give_code(client, typed)

    assert response.status_code == 200
    assert "Enter the 6 digits your app shows" in response.content.decode()
    assert not signed_in(client)
    enrolled.refresh_from_db()
    assert enrolled.throttling_failure_count == 0


def test_the_right_code_in_full_width_digits_is_refused(client, enrolled):
    sign_in(client, "chief")
    right = code_now(enrolled)

    response = give_code(
        client, right.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    )

    assert response.status_code == 200
    assert give_code(client, f"{right[:3]} {right[3:]}").status_code == 302, "spaces are fine"


def test_the_code_page_needs_the_password_first_and_forgets_it_after_five_minutes(
    client, enrolled, clock
):
    assert client.get(CODE_PAGE).status_code == 302
    assert give_code(Client(), code_now(enrolled))["Location"].startswith(LOGIN)

    sign_in(client, "chief")
    clock.shift(timedelta(seconds=PENDING_SECONDS + 1))
    late = give_code(client, code_now(enrolled))

    assert late.status_code == 302 and late["Location"].startswith(LOGIN)
    assert "took too long" in client.get(late["Location"]).content.decode()
    assert not signed_in(client)


def test_the_code_page_sends_nobody_to_another_site(client, enrolled):
    sign_in(client, "chief", next_url="https://evil.example/")

    response = give_code(client, code_now(enrolled), next_url="https://evil.example/")

    assert response["Location"] == "/admin/"


def test_an_editor_without_2fa_signs_in_with_the_password_alone(client):
    editor()

    response = sign_in(client, "eda")

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in(client)


def test_with_staff_require_2fa_an_editor_must_enrol_and_an_old_session_is_signed_out(
    client, settings, clock
):
    eda = editor()
    old_session = Client()
    old_session.force_login(eda)
    assert signed_in(old_session)
    settings.STAFF_REQUIRE_2FA = True

    response = sign_in(client, "eda")

    assert response["Location"].startswith(CODE_PAGE)
    assert not signed_in(client)
    assert not signed_in(old_session), "a session without the code no longer counts"
    assert "Set up two-factor sign-in" in client.get(CODE_PAGE).content.decode()
    give_code(client, code_now(TOTPDevice.objects.get(user=eda)))
    assert signed_in(client)


def test_an_editor_turns_it_on_and_then_must_give_codes(client, clock):
    eda = editor()
    sign_in(client, "eda")
    home = client.get("/admin/").content.decode()
    assert f'href="{SETTINGS_PAGE}"' in home, "linked from the user tools"
    assert "is <strong>off</strong>" in client.get(SETTINGS_PAGE).content.decode()

    client.post(SETTINGS_PAGE, {"action": "start"})
    setting_up = client.get(SETTINGS_PAGE).content.decode()
    assert "<svg" in setting_up
    device = TOTPDevice.objects.get(user=eda)
    right = code_now(device)
    wrong = client.post(
        SETTINGS_PAGE, {"action": "confirm", "code": f"{(int(right) + 1) % 1_000_000:06d}"}
    )
    assert WRONG_CODE in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed, "a wrong code saves nothing"
    clock.shift(timedelta(seconds=2))
    client.post(SETTINGS_PAGE, {"action": "confirm", "code": code_now(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert signed_in(client), "this session gave the code"

    clock.shift(STEP)
    again = Client()
    assert sign_in(again, "eda")["Location"].startswith(CODE_PAGE)
    assert not signed_in(again)
    give_code(again, code_now(device))
    assert signed_in(again)


def test_an_editor_turns_it_off_with_a_code_and_a_superuser_cannot(client, clock):
    eda = editor()
    device = force_login_verified(client, eda)
    clock.shift(STEP)

    client.post(SETTINGS_PAGE, {"action": "turn-off", "code": code_now(device)})

    assert not TOTPDevice.objects.filter(user=eda).exists()
    assert sign_in(Client(), "eda")["Location"] == "/admin/"

    boss = Client()
    chiefs_device = force_login_verified(boss, superuser())
    clock.shift(STEP)
    page = boss.post(SETTINGS_PAGE, {"action": "turn-off", "code": code_now(chiefs_device)})
    assert "cannot be turned off" in page.content.decode()
    assert TOTPDevice.objects.filter(pk=chiefs_device.pk).exists()


def test_a_superuser_deletes_a_colleagues_lost_device_but_never_reads_its_key(client, clock):
    eda = editor()
    lost = TOTPDevice.objects.create(user=eda, name="phone", confirmed=True)
    force_login_verified(client, superuser())

    page = client.get(f"/admin/otp_totp/totpdevice/{lost.pk}/change/").content.decode()
    client.post(f"/admin/otp_totp/totpdevice/{lost.pk}/delete/", {"post": "yes"})

    assert "phone" in page and lost.key not in page and "qrcode" not in page
    assert not TOTPDevice.objects.filter(pk=lost.pk).exists()
    assert sign_in(Client(), "eda")["Location"] == "/admin/", "back to the password alone"


def test_turning_it_on_or_off_takes_a_csrf_token(clock):
    eda = editor()
    client = Client(enforce_csrf_checks=True)
    client.force_login(eda)

    response = client.post(SETTINGS_PAGE, {"action": "start"})

    assert response.status_code == 403
    assert not TOTPDevice.objects.filter(user=eda).exists()


def test_a_superuser_session_made_without_the_code_is_signed_out_on_the_site_too(client):
    """force_login stands for any session that skipped the code page (one from before
    the account needed a code)."""
    draft = make_article(status=Article.Status.DRAFT)
    client.force_login(superuser())

    assert client.get(draft.get_absolute_url()).status_code == 404, "no preview"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_createstaff_with_2fa_prints_an_otpauth_address_and_a_text_qr_code(monkeypatch, clock):
    monkeypatch.setenv("STAFF_PASSWORD", PASSWORD)
    out = io.StringIO()

    call_command(
        "createstaff", "eda", "--role", "editor", "--password-from-env", "STAFF_PASSWORD",
        "--2fa", stdout=out,
    )  # fmt: skip

    printed = out.getvalue()
    address = re.search(r"otpauth://totp/\S+", printed).group()
    assert address.startswith("otpauth://totp/Newsroom%3Aeda?secret=")
    qr_rows = [line for line in printed.splitlines() if set(line) <= set("█▀▄ ") and line]
    assert len(qr_rows) >= 15, "a QR code drawn in text"
    assert len({len(row) for row in qr_rows}) == 1, "a square of equal rows"
    device = TOTPDevice.objects.get(user__username="eda")
    assert device.config_url == address
    # The phone that scanned it gives the code at the first sign-in.
    client = Client()
    assert sign_in(client, "eda")["Location"].startswith(CODE_PAGE)
    give_code(client, code_now(device))
    assert signed_in(client)


def test_createstaff_prints_no_enrolment_without_2fa(monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", PASSWORD)
    out = io.StringIO()

    call_command(
        "createstaff", "mo", "--role", "moderator", "--password-from-env", "STAFF_PASSWORD",
        stdout=out,
    )  # fmt: skip

    assert "otpauth://" not in out.getvalue()
    assert not TOTPDevice.objects.exists()
    assert sign_in(Client(), "mo")["Location"] == "/admin/"


def test_the_password_step_gives_a_new_session_key_so_a_fixed_session_gets_nothing(client):
    superuser()
    client.get(LOGIN)
    client.session.save()
    fixed = client.cookies["sessionid"].value
    sign_in(client, "chief")
    assert client.cookies["sessionid"].value != fixed
    attacker = Client()
    attacker.cookies["sessionid"] = fixed
    assert attacker.get(CODE_PAGE).status_code in (302, 400, 403, 404)
    assert b"otpauth" not in attacker.get(CODE_PAGE).content


def test_secret_tokens_in_addresses_are_not_logged(client, caplog):
    with caplog.at_level("INFO", logger="newsroom.requests"):
        client.get("/account/sign-in/a-secret-token-value/")
        client.get("/notifications/unsubscribe/another-secret-value/")
    paths = [r.path for r in caplog.records if r.name == "newsroom.requests"]
    assert paths == ["/account/sign-in/…/", "/notifications/unsubscribe/…/"]


def test_an_empty_post_to_the_code_page_is_told_what_is_missing(client):
    chief = superuser()
    TOTPDevice.objects.create(user=chief, name="phone", confirmed=True)
    sign_in(client, "chief")
    empty = client.post(CODE_PAGE)
    assert "Enter the 6 digits your app shows, nothing else." in empty.content.decode()
    assert not signed_in(client)
