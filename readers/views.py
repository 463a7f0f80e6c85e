"""Readers' accounts: sign-in by email link, sign-out, the account page.

Every page here is the visitor's own: never cached (`private, no-store`), never served
by the page cache. Asking for a link answers the same for every address, known or not,
and only queues a job (readers.tasks): no mail is sent, and no account looked up, while
the request waits.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from readers.forms import DisplayNameForm, SignInForm, local_path
from readers.models import NameTaken, SignInLink, signed_in_reader, token_hash
from readers.ratelimit import sign_in_allowed
from readers.services import sign_in_link_redeem
from readers.tasks import send_sign_in_link

# Links are used by a reader's own browser: the session they start is an ordinary one.
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _account_url(next_path: str = "") -> str:
    url = reverse("readers:account")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    status = 200
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            if (retry_after := sign_in_allowed(request)) is not None:
                return _too_many_requests(request, retry_after)
            send_sign_in_link.enqueue(
                email=form.cleaned_data["email"], next_path=form.cleaned_data["next"]
            )
            return redirect("readers:sign-in-sent")
        status = 400
    else:
        form = SignInForm(initial={"next": local_path(request.GET.get("next"))})
    context = {"form": form, "minutes": settings.READERS_SIGN_IN_LINK_MINUTES}
    return render(request, "readers/sign_in.html", context, status=status)


def _too_many_requests(request, retry_after: int):
    context = {"retry_after": retry_after}
    response = render(request, "readers/sign_in_limited.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


@never_cache
def sign_in_sent(request):
    context = {"minutes": settings.READERS_SIGN_IN_LINK_MINUTES}
    return render(request, "readers/sign_in_sent.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link(request, token):
    """GET only shows a button: mail scanners and link previews fetch links, and must
    not spend them. The POST signs in."""
    if request.method == "GET":
        link = SignInLink.objects.live().filter(token_hash=token_hash(token)).first()
        if link is not None:
            # The address it signs in: a link someone else asked for (and forwarded, to
            # have you comment as them) says so before you press the button.
            context = {"token": token, "email": link.email}
            response = render(request, "readers/sign_in_link.html", context)
        else:
            response = _link_refused(request)
    elif (signed_in := sign_in_link_redeem(token=token)) is None:
        response = _link_refused(request)
    else:
        # login() starts a new session (a new key: a session fixed beforehand by someone
        # else is worth nothing) and a new CSRF token.
        login(request, signed_in.reader.user, backend=SESSION_BACKEND)
        if not signed_in.reader.display_name:
            response = redirect(_account_url(signed_in.next_path))
        else:
            response = redirect(signed_in.next_path or _account_url())
    # The token is in this page's address: no other site learns it from a Referer.
    # ("no-referrer" would also make the browser send "Origin: null" with the button's
    # POST, which Django's CSRF check rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


def _link_refused(request):
    return render(request, "readers/sign_in_link_refused.html", status=410)


@never_cache
@require_POST
def sign_out(request):
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect("articles:home")


@never_cache
@require_http_methods(["GET", "POST"])
def account(request):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('readers:sign-in')}?{urlencode({'next': request.path})}")
    reader = signed_in_reader(request.user)
    if reader is None:
        return render(request, "readers/not_a_reader.html", status=403)
    status = 200
    if request.method == "POST":
        form = DisplayNameForm(request.POST, reader=reader)
        if form.is_valid():
            try:
                reader.set_display_name(form.cleaned_data["display_name"])
            except NameTaken:
                form.name_taken()
            else:
                messages.success(request, f"Your display name is now “{reader.display_name}”.")
                return redirect(form.cleaned_data["next"] or _account_url())
        status = 400
    else:
        form = DisplayNameForm(
            reader=reader,
            initial={
                "display_name": reader.display_name,
                "next": local_path(request.GET.get("next")),
            },
        )
    return render(request, "readers/account.html", {"reader": reader, "form": form}, status=status)
