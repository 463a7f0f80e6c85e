"""The staff sign-in's code page and each staff member's second-factor page (both in
the admin, see staff.sites); the rules and steps are in staff.twofactor."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from staff import twofactor
from staff.forms import CodeForm


class SignInView(LoginView):
    """Django's sign-in, except that the right password of an account that needs a code
    signs nobody in: it leads to the code page."""

    def form_valid(self, form):
        user = form.get_user()
        if not twofactor.second_factor_required(user):
            return super().form_valid(form)
        twofactor.sign_in_begin(self.request, user)
        query = urlencode({REDIRECT_FIELD_NAME: self.get_success_url()})
        return redirect(
            f"{reverse('admin:login_code', current_app=self.request.current_app)}?{query}"
        )


def _next_url(request) -> str:
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else reverse("admin:index")


def _enrolment(device) -> dict:
    qr = twofactor.enrolment_qr(device)
    return {
        # segno draws the code as one SVG path: no script, no external image (the CSP
        # allows neither), and a white background for the admin's dark theme. Safe to mark
        # so: the markup is segno's, from path data and our fixed title, no account text.
        "qr_svg": mark_safe(
            qr.svg_inline(scale=4, light="#fff", svgclass="qr-code", title="QR code")
        ),
        "key": twofactor.enrolment_key(device),
    }


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def sign_in_code(request, site):
    """After the right password: the code from the account's app, or, for an account
    that needs one and has none, setting the app up with a code to confirm it."""
    user = twofactor.pending_user(request)
    next_url = _next_url(request)
    if user is None:
        if twofactor.PENDING_KEY in request.session:
            messages.info(request, "Signing in took too long: enter your password again.")
        return redirect(f"{reverse('admin:login')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
    device = twofactor.confirmed_device(user)
    enrolling = device is None
    if enrolling:
        device = twofactor.enrolment_device(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        refusal = twofactor.second_factor_check(
            request=request, user=user, device=device, code=form.cleaned_data["code"]
        )
        if refusal is None:
            if enrolling:
                twofactor.device_confirm(request=request, device=device)
            twofactor.sign_in_finish(request, user, device)
            return redirect(next_url)
        form.add_error("code", refusal)
    context = {
        **site.each_context(request),
        "title": "Set up two-factor sign-in" if enrolling else "Enter your code",
        "form": form,
        "username": user.get_username(),
        "enrolling": enrolling,
        "next": next_url,
        **(_enrolment(device) if enrolling else {}),
    }
    return render(request, "staff/sign_in_code.html", context)


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def second_factor_settings(request, site):
    """Any staff member turns two-factor sign-in on for themselves (set up an app, confirm
    a code), or off with a code when their account does not require it."""
    user = request.user
    mandatory = twofactor.second_factor_mandatory(user)
    device = twofactor.confirmed_device(user)
    action = request.POST.get("action")
    form = CodeForm(request.POST if action in ("confirm", "turn-off") else None)
    if action == "start" and device is None:
        twofactor.enrolment_device(user)
        return redirect("admin:second_factor")
    if action == "confirm" and device is None and form.is_valid():
        enrolling = twofactor.unconfirmed_device(user)
        if enrolling is None:
            return redirect("admin:second_factor")
        refusal = twofactor.second_factor_check(
            request=request, user=user, device=enrolling, code=form.cleaned_data["code"]
        )
        if refusal is None:
            twofactor.device_confirm(request=request, device=enrolling)
            messages.success(request, "Two-factor sign-in is on: signing in now takes a code.")
            return redirect("admin:second_factor")
        form.add_error("code", refusal)
    if action == "turn-off" and device is not None and not mandatory and form.is_valid():
        refusal = twofactor.second_factor_check(
            request=request, user=user, device=device, code=form.cleaned_data["code"]
        )
        if refusal is None:
            twofactor.second_factor_turn_off(user)
            messages.success(request, "Two-factor sign-in is off: your password alone signs in.")
            return redirect("admin:second_factor")
        form.add_error("code", refusal)
    enrolling = None if device else twofactor.unconfirmed_device(user)
    context = {
        **site.each_context(request),
        "title": "Two-factor sign-in",
        "form": form,
        "device": device,
        "mandatory": mandatory,
        "enrolling": enrolling,
        **(_enrolment(enrolling) if enrolling else {}),
    }
    return render(request, "staff/second_factor.html", context)
