"""A superuser's sign-in in chromium: the password, then the code from the phone app; and a
new superuser setting up the app from the QR code on the page."""

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.conftest import serious_accessibility_violations

pytestmark = pytest.mark.browser

PASSWORD = "a-long-superuser-passphrase"


def code_now(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def watch_for_csp_refusals(page) -> list[str]:
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Refused" in message.text else None,
    )
    return refused


def enter_password(page, base_url, username):
    page.goto(base_url + "/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/login/code/**")


def test_a_superuser_signs_in_with_a_code_and_a_new_one_enrols_a_phone(
    demo_site, accessible_page, browser, artifacts
):
    chief = User.objects.create_superuser("chief", password=PASSWORD)
    phone = TOTPDevice.objects.create(user=chief, name="phone", confirmed=True)
    page = accessible_page
    refused = watch_for_csp_refusals(page)

    enter_password(page, demo_site, "chief")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Code").fill("000000" if code_now(phone) != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code was not accepted")).to_be_visible()
    page.screenshot(path=artifacts / "staff-2fa-wrong-code.png", full_page=True)
    page.wait_for_timeout(1100)  # the device waits a second after a wrong code
    page.get_by_label("Code").fill(code_now(phone))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    expect(page.get_by_role("link", name="Two-factor sign-in")).to_be_visible()
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_text("cannot be turned off")).to_be_visible()

    # A second superuser, with no app yet, sets one up from the QR code on the page.
    newcomer = User.objects.create_superuser("deputy", password=PASSWORD)
    desk = browser.new_context().new_page()
    refused_at_desk = watch_for_csp_refusals(desk)
    enter_password(desk, demo_site, "deputy")
    expect(desk.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    qr = desk.locator("svg.qr-code")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 100 and box["width"] == box["height"], "a square code a phone can read"
    desk.screenshot(path=artifacts / "staff-2fa-enrolment.png", full_page=True)
    desk.get_by_label("Code").fill(code_now(TOTPDevice.objects.get(user=newcomer)))
    desk.get_by_role("button", name="Confirm and sign in").click()
    desk.wait_for_url("**/admin/")
    assert TOTPDevice.objects.get(user=newcomer).confirmed
    assert refused == [] and refused_at_desk == []
