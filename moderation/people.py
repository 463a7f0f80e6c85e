"""A person's history (a page of its own, and a drawer beside the queues), moderators'
notes on commenters, and the comment search. Staff pages: moderation.access."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from comments.listing import comment_url
from comments.models import Comment
from moderation.access import moderator_required, workspace_context
from moderation.forms import workspace_path
from moderation.history import (
    PERSONAL_DETAILS,
    Person,
    SearchTooSlow,
    rejection_percent,
    search_comments,
    search_time_limit,
)
from moderation.models import PersonNote
from moderation.people_forms import NoteForm, SearchForm

HISTORY_PER_PAGE = 50
RESULTS_PER_PAGE = 50
# Deeper than this, a search is too broad to page through: narrowing it is quicker, and
# an OFFSET into a million rows is not.
RESULTS_MAX_PAGE = 40
TOO_SLOW = "This search took too long: make it more precise."
ADD_NOTE = "moderation.add_personnote"
DRAWER = "drawer"


def _person_or_404(reader_key: str) -> Person:
    person = Person.of(reader_key)
    if person is None:
        raise Http404("Nobody is known by that name.")
    return person


def _back(request, person: Person) -> str:
    """Where a note's form returns to: `next` when it is a page of the workspace (the
    queue the drawer was opened from), else the person's page."""
    target = request.POST.get("next") or request.GET.get("next")
    return workspace_path(target) or reverse("moderation:person", args=[person.reader_key])


def _history(request, person: Person, note_form: NoteForm | None = None) -> dict:
    """What the history shows: personal details only to those who may see them."""
    comments = Paginator(person.comments(), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    may_see_personal_details = request.user.has_perm(PERSONAL_DETAILS)
    record = person.track_record()
    names_used = person.names_used(with_emails=may_see_personal_details)
    return {
        "person": person,
        "name": person.name(names_used),
        "comments": comments,
        "names_used": names_used,
        "networks": person.networks() if may_see_personal_details else [],
        "may_see_personal_details": may_see_personal_details,
        "record": record,
        "rejection_percent": rejection_percent(record),
        "sanctions": person.sanctions(),
        "notes": person.notes(),
        "note_form": note_form or NoteForm(auto_id="note-%s"),
        "next": _back(request, person),
        "may_add_note": request.user.has_perm(ADD_NOTE),
    }


def _person_page(request, person: Person, context: dict, *, status: int = 200):
    title = f"History of {context['name']}"
    return render(
        request,
        "moderation/person.html",
        workspace_context(request, title, **context),
        status=status,
    )


@moderator_required
@require_GET
def person(request, reader_key):
    """Everything moderators know of one commenter. `?part=drawer` gives the history
    alone, for the queues' drawer; `next` is where its note form returns."""
    person = _person_or_404(reader_key)
    context = _history(request, person)
    if request.GET.get("part") == DRAWER:
        context["in_drawer"] = True
        return render(request, "moderation/includes/person_history.html", context)
    return _person_page(request, person, context)


@moderator_required
@require_POST
def add_note(request, reader_key):
    if not request.user.has_perm(ADD_NOTE):
        raise PermissionDenied
    person = _person_or_404(reader_key)
    form = NoteForm(request.POST, auto_id="note-%s")
    if not form.is_valid():
        # The page again, the text kept, the reason beside it: nothing was saved.
        return _person_page(request, person, _history(request, person, form), status=400)
    PersonNote.objects.create(
        reader_key=person.reader_key, text=form.cleaned_data["text"], written_by=request.user
    )
    messages.success(request, "Your note is saved.")
    return redirect(_back(request, person))


@moderator_required
@require_GET
def comment_in_thread(request, comment_id):
    """A comment at its place in its story's thread, whatever its status (moderators
    see hidden comments there); worked out when followed, not for every row listed."""
    comment = get_object_or_404(Comment.objects.select_related("thread__article"), pk=comment_id)
    return redirect(comment_url(comment))


@dataclass(frozen=True)
class ResultsPage:
    """A page of results without a COUNT over every match: one row more than a page
    tells whether there is a next one."""

    comments: list
    number: int
    has_next: bool

    @classmethod
    def of(cls, comments, number: int) -> "ResultsPage":
        start = (number - 1) * RESULTS_PER_PAGE
        found = list(comments[start : start + RESULTS_PER_PAGE + 1])
        return cls(found[:RESULTS_PER_PAGE], number, len(found) > RESULTS_PER_PAGE)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def _page_number(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), RESULTS_MAX_PAGE)


@moderator_required
@require_GET
def search(request):
    """Comments by text and name; by email and network, and listed with them, for those
    who may see readers' personal details."""
    asked = SearchForm.asked(request.GET)
    form = SearchForm(request.GET if asked else None, user=request.user)
    results, status = None, 200
    if asked:
        if form.is_valid():
            found = search_comments(**form.search_terms())
            try:
                with search_time_limit():
                    results = ResultsPage.of(found, _page_number(request.GET.get("page")))
            except SearchTooSlow:
                form.add_error(None, TOO_SLOW)
                status = 400
        else:
            status = 403 if form.refused else 400
    return render(
        request,
        "moderation/search.html",
        workspace_context(
            request,
            "Search comments",
            form=form,
            results=results,
            query=_query_without_page(request),
            last_page=RESULTS_MAX_PAGE,
            may_see_personal_details=form.may_search_personal_data,
        ),
        status=status,
    )


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
