"""The reader's choices about reply mail, and unsubscribing from a mail without signing in.
Both pages are about one person: private, never cached."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from comments.models import Thread
from notifications.forms import ReplyPreferencesForm
from notifications.models import (
    Frequency,
    ReplyPreference,
    ThreadReplyPreference,
    gets_reply_mail,
    threads_commented_in,
)
from notifications.tokens import InvalidToken, read_token
from readers.models import Reader, signed_in_reader


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request):
    reader = signed_in_reader(request.user)
    if reader is None:  # staff: only readers' accounts get mail about replies
        raise Http404("Only readers get mail about replies.")
    threads = list(threads_commented_in(reader))
    data = request.POST if request.method == "POST" else None
    form = ReplyPreferencesForm(data, reader=reader, threads=threads)
    if form.is_bound and form.is_valid():
        form.save()
        messages.success(request, "Your choices are saved.")
        return redirect("notifications:preferences")
    context = {"form": form, "max_per_hour": settings.NOTIFY_MAX_PER_HOUR}
    status = 400 if form.is_bound else 200
    return render(request, "notifications/preferences.html", context, status=status)


def _invalid_link(request):
    return render(request, "notifications/unsubscribe.html", {"state": "invalid"}, status=400)


# The token in the address is the only credential, never a cookie: a mail client's
# RFC 8058 one-click POST comes from the mail provider's servers, with no session and no
# CSRF token, and must still work. A forged request gains nothing without the signed
# token of the reader it names, and all a token can do is turn mail off. A GET changes
# nothing (mail scanners fetch every link they see); only the POST unsubscribes.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    try:
        scope = read_token(token)
    except InvalidToken:
        return _invalid_link(request)
    reader = Reader.objects.filter(user_id=scope.user_id).first()
    thread = None
    if scope.thread_id is not None:
        thread = Thread.objects.select_related("article").filter(pk=scope.thread_id).first()
    if reader is None or (scope.thread_id is not None and thread is None):
        return _invalid_link(request)
    if request.method == "POST":
        if thread is None:
            ReplyPreference.stop_all(reader)
        else:
            ThreadReplyPreference.choose(reader, thread, Frequency.NONE)
        state = "done"
    else:
        state = "confirm" if gets_reply_mail(reader, thread) else "already"
    return render(request, "notifications/unsubscribe.html", {"state": state, "thread": thread})
