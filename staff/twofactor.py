"""The staff sign-in's second factor (a TOTP code from a phone app): who needs one, and
the steps of a sign-in that gives it.

A code is needed by superusers always, by every staff account when STAFF_REQUIRE_2FA is
on, and by any staff account that has turned it on (has a confirmed device). A password
alone never makes a session for such an account: the password step keeps the account as
*pending* in the session, and only the right code signs it in (`auth.login`, then
`django_otp.login`, which marks the session verified). A session that lacks the factor
its user needs is signed out by `staff.middleware` and refused by the admin site.
"""

import re
import time
from base64 import b32encode

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING_KEY = "staff_2fa_pending"
# How long after the right password the code may be given.
PENDING_SECONDS = 5 * 60
DEVICE_NAME = "Authenticator app"
CODE = re.compile(r"[0-9]{6}")

WRONG_CODE = (
    "That code was not accepted: it is wrong, expired or already used. "
    "Enter the next code your app shows."
)
THROTTLED = "Too many wrong codes: wait a few seconds, then enter the code your app shows."


def second_factor_mandatory(user) -> bool:
    """Superusers always; every staff account when STAFF_REQUIRE_2FA is on. These
    accounts cannot turn it off."""
    return user.is_superuser or (user.is_staff and settings.STAFF_REQUIRE_2FA)


def second_factor_required(user) -> bool:
    """Whether signing in as `user` takes a code: mandatory, or turned on by its owner."""
    if second_factor_mandatory(user):
        return True
    if not user.is_staff:
        return False
    # Asked by the middleware and by each admin permission check of a request: one query.
    if not hasattr(user, "_staff_has_confirmed_device"):
        user._staff_has_confirmed_device = confirmed_device(user) is not None
    return user._staff_has_confirmed_device


def lacks_second_factor(user) -> bool:
    """A signed-in user whose session has not given the code their account needs (a
    session from before it was required, or one made without the sign-in pages)."""
    return user.is_authenticated and not user.is_verified() and second_factor_required(user)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def enrolment_device(user) -> TOTPDevice:
    """The device `user` is setting up: made with a fresh key the first time, then the
    same one (so a QR code printed by createstaff stays good) until a code confirms it."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def device_issue(user) -> TOTPDevice:
    """A confirmed device whose key is handed over out of band (createstaff prints it
    in the terminal): the account needs its codes from now on."""
    TOTPDevice.objects.devices_for_user(user, confirmed=None).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)


def unconfirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=False).first()


def clean_code(text: str) -> str | None:
    """Six ASCII digits, spaces allowed between them ("123 456"); None for anything else
    (int() would take full-width or Arabic-Indic digits, and so would the device)."""
    code = text.replace(" ", "")
    return code if CODE.fullmatch(code) else None


def second_factor_check(*, request, user, device: TOTPDevice, code: str) -> str | None:
    """Check `code` against `device` (confirmed, or being set up): None when it is right,
    else the message to show. The device's row is locked while it is checked, so a code
    is taken once (django-otp keeps the last time step used); after wrong codes the device
    throttles itself, and every refused code counts toward the admin sign-in's lock-out
    (django-axes, by address and username, and by address) like a wrong password."""
    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        # AxesMiddleware turns the response into the lock-out page.
        request.axes_locked_out = True
        request.axes_credentials = credentials
        return THROTTLED
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        allowed, _ = device.verify_is_allowed()
        accepted = allowed and device.verify_token(code)
    if accepted:
        return None
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return WRONG_CODE if allowed else THROTTLED


def device_confirm(*, request, device: TOTPDevice) -> None:
    """A code from the device was right: it is the account's second factor from now on,
    and this session has given it."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.devices_for_user(device.user, confirmed=False).delete()
    django_otp.login(request, device)


def sign_in_begin(request, user) -> None:
    """The right password for an account that needs a code: remember it as pending (not
    signed in) for PENDING_SECONDS, with a device to set up if it has none yet."""
    if confirmed_device(user) is None:
        enrolment_device(user)
    # A new session key, as a sign-in gets: a session fixed by someone else beforehand
    # must not be the one that holds the pending account (and its enrolment QR code).
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "since": int(time.time()),
    }


def pending_user(request):
    """The account whose password was given in this session, while the code may still be
    given; None otherwise."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_SECONDS:
        return None
    user = auth.get_user_model()._default_manager.filter(pk=pending.get("user")).first()
    if user is None or not user.is_active or not user.is_staff:
        return None
    user.backend = pending["backend"]
    return user


def sign_in_finish(request, user, device: TOTPDevice) -> None:
    """The right code: sign the pending account in, its session verified by `device`."""
    request.session.pop(PENDING_KEY, None)
    auth.login(request, user)  # a new session key; django-axes resets the failures
    django_otp.login(request, device)


def enrolment_qr(device: TOTPDevice) -> segno.QRCode:
    """The device's otpauth:// address as a QR code, for a phone app to scan."""
    return segno.make(device.config_url, error="m")


def enrolment_key(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def second_factor_turn_off(user) -> None:
    """Remove the account's devices (only where the second factor is not mandatory)."""
    if second_factor_mandatory(user):
        raise PermissionDenied("This account must sign in with a code.")
    TOTPDevice.objects.devices_for_user(user, confirmed=None).delete()
