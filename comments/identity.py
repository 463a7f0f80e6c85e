"""Who a comment form posts as: the one part of a story page that differs between
signed-in readers and guests, served through the page cache's placeholders.

A story page is one cached page for everyone, signed-in readers included. Where a form
says who is commenting it carries the `comment-identity` placeholder (its number says
which form: the thread's, or a reply's), filled per response: a guest gets the name and
email fields, a signed-in reader "Commenting as <display name>" (escaped, at most the
name's length), a reader without a display name a link to choose one. In a section only
signed-in readers may comment in, the form carries `hidden-from-guests` and the "Sign in
to comment" line `hidden-from-signed-in`: each visitor gets the one meant for them,
from the same cached bytes.

A form sent back with errors is rendered for its sender alone (a live page), so its
identity part is rendered in place, with the errors.

A signed-in reader's own comments carry Edit and Delete links in the same shared page:
every comment with an account behind it has them, hidden unless the visitor is that
account (`hidden-unless-author`, numbered with the author's user id), and Edit hidden
once its window has passed (`hidden-after`, numbered with the deadline in Unix seconds).
Neither asks the database. Hiding is a courtesy: the edit and delete views check who is
asking, and when.
"""

import functools
import time

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from comments.forms import NAME_MAX_LENGTH, CommentForm
from pagecache import placeholders
from readers.models import signed_in_reader

# The forms of a story page, by the ids their fields get: the placeholder's number.
FORM_IDS = ("id_%s", "reply_%s")
HIDDEN = " hidden"


def _render(reader, fields) -> str:
    name = reader.display_name[:NAME_MAX_LENGTH] if reader is not None else ""
    return render_to_string(
        "comments/identity.html", {"reader": reader, "display_name": name, "fields": fields}
    )


def form_identity(form: CommentForm) -> SafeString:
    """The form's identity part: in place for a form sent back (its sender's own page),
    else the placeholder, filled for each visitor."""
    if form.is_bound:
        return mark_safe(_render(form.reader, form.identity_fields()))
    number = FORM_IDS.index(form.auto_id) if form.auto_id in FORM_IDS else 0
    return mark_safe(placeholders.placeholder("comment-identity", number))


@functools.cache
def _guests_identity(number: int) -> str:
    """The same for every guest: rendered once per process (rendering the two fields'
    widgets costs about 1.5 ms, on every guest's cached story page otherwise)."""
    guest = CommentForm(article=None, auto_id=FORM_IDS[number])
    return _render(None, guest.identity_fields())


def fill_identity(request, number: int | None) -> str:
    if number is None or not 0 <= number < len(FORM_IDS):
        return ""
    reader = signed_in_reader(request.user)
    if reader is not None:
        return _render(reader, [])
    return _guests_identity(number)


def hidden_from_guests(request, _) -> str:
    return "" if request.user.is_authenticated else HIDDEN


def hidden_from_signed_in(request, _) -> str:
    return HIDDEN if request.user.is_authenticated else ""


def hidden_unless_author(request, author_id: int | None) -> str:
    return "" if request.user.is_authenticated and request.user.pk == author_id else HIDDEN


def hidden_after(request, deadline: int | None) -> str:
    return HIDDEN if deadline is None or time.time() >= deadline else ""


def register() -> None:
    placeholders.register("comment-identity", fill_identity)
    placeholders.register("hidden-from-guests", hidden_from_guests)
    placeholders.register("hidden-from-signed-in", hidden_from_signed_in)
    placeholders.register("hidden-unless-author", hidden_unless_author)
    placeholders.register("hidden-after", hidden_after)
