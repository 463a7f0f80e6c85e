"""The moderators' queues of comment cards, and the decisions taken from a card.

Every page and decision works without JavaScript (forms that post and come back to the
queue); static/moderation/workspace.js adds the keyboard and decides in place, asking
the same view for the card's new state (`X-Workspace: card`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import timesince
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.views.decorators.http import require_GET, require_POST

from comments.admin import SanctionForm
from comments.forms import CloseThreadForm
from comments.models import Comment, CommentQuerySet, ModerationEvent, RejectionReason, Thread
from comments.services import thread_close
from moderation.access import CLOSE, SANCTION, moderator_required, workspace_context
from moderation.cards import (
    REASONS,
    card,
    for_cards,
    reason_options,
    status_for_staff,
    with_card_details,
    with_form_state,
)
from moderation.decisions import Decision, author_sanction, comment_decide
from moderation.forms import DecisionForm, QueueFilterForm
from moderation.models import SectionAssignment
from moderation.paging import page_of
from moderation.stack import in_fresh_chunk

CARDS_PER_PAGE = 20
# A queue's tab counts up to here, then says "1,000+": counting a million comments
# would cost more than the number tells.
COUNT_UP_TO = 1000


@dataclass(frozen=True)
class Queue:
    slug: str
    name: str
    comments: Callable[[], CommentQuerySet]
    # Newest first by this (and its pages' key): when they were posted, last reported,
    # decided on, or picked.
    newest_by: str
    empty: str
    # Comments waiting for a decision: counted in the tabs, and /moderation/ opens the
    # first of these with any.
    waiting: bool = False


QUEUES = {
    queue.slug: queue
    for queue in [
        Queue(
            "reported",
            "Reported",
            Comment.objects.reported,
            # The newest report first: a comment reported again comes back to the top.
            "reported_at",
            "No reported comment is waiting.",
            waiting=True,
        ),
        Queue(
            "pending",
            "Pending",
            Comment.objects.pending,
            "created_at",
            "No comment is waiting for approval.",
            waiting=True,
        ),
        Queue(
            "unmoderated",
            "Unmoderated",
            Comment.objects.unmoderated,
            "created_at",
            "A moderator has looked at every published comment.",
            waiting=True,
        ),
        Queue(
            "approved",
            "Approved",
            Comment.objects.approved,
            "decided_at",
            "No comment approved by a moderator.",
        ),
        Queue(
            "rejected",
            "Rejected",
            Comment.objects.rejected,
            "decided_at",
            "No comment rejected.",
        ),
        Queue(
            "picks",
            "Editors' picks",
            Comment.objects.editors_picks,
            "featured_at",
            "No Editors' picks.",
        ),
    ]
}


def filtered(comments: CommentQuerySet, *, story=None, section=None) -> CommentQuerySet:
    if story is not None:
        comments = comments.filter(thread__article=story)
    if section is not None:
        comments = comments.filter(thread__article__section=section)
    return comments


def queue_url(slug: str, **params) -> str:
    url = reverse("moderation:queue", args=[slug])
    return f"{url}?{urlencode(params)}" if params else url


def counted(queues: list[CommentQuerySet]) -> list[str]:
    """How many comments each queue holds, up to COUNT_UP_TO ("1,000+" past it): one
    statement of the queues' own counting queries, a round trip for all of them."""
    counts, params = [], []
    for comments in queues:
        query = comments.order_by().values("pk")[: COUNT_UP_TO + 1].query
        sql, query_params = query.sql_with_params()
        counts.append(f"(SELECT COUNT(*) FROM ({sql}) AS queue)")
        params += query_params
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(counts)}", params)
        numbers = cursor.fetchone()
    return [f"{COUNT_UP_TO:,}+" if number > COUNT_UP_TO else str(number) for number in numbers]


def in_parts(comments: CommentQuerySet, mine: list[int]) -> list[tuple[str, CommentQuerySet]]:
    """A moderator's own sections first, then the rest; without sections, all alike."""
    if not mine:
        return [("all", comments)]
    in_mine = {"thread__article__section__in": mine}
    return [("mine", comments.filter(**in_mine)), ("rest", comments.exclude(**in_mine))]


def card_permissions(user) -> dict:
    """What a moderator's cards offer beyond decisions on the comment: asked once a page,
    not once a card (and asked again by the server when they are used)."""
    return {
        "may_sanction": user.has_perm(SANCTION),
        "may_close": user.has_perm(CLOSE),
    }


def queue_tabs(kept: dict, *, story, section) -> list[dict]:
    """Every queue, with the page's filters; the waiting ones with how many wait."""
    waiting = [each for each in QUEUES.values() if each.waiting]
    counts = counted([filtered(each.comments(), story=story, section=section) for each in waiting])
    count_of = dict(zip(waiting, counts, strict=True))
    return [
        {"queue": each, "url": queue_url(each.slug, **kept), "count": count_of.get(each)}
        for each in QUEUES.values()
    ]


@moderator_required
@require_GET
def workspace(request):
    """The first queue with a comment waiting in it, Reported first."""
    for queue in QUEUES.values():
        if queue.waiting and queue.comments().exists():
            return redirect("moderation:queue", queue.slug)
    return redirect("moderation:queue", "reported")


@moderator_required
@require_GET
def queue(request, queue):
    queue = QUEUES.get(queue)
    if queue is None:
        raise Http404("No such queue.")
    form = QueueFilterForm(request.GET, user=request.user)
    filters = form.filters()
    story, section = filters["story"], filters["section"]
    comments = for_cards(filtered(queue.comments(), story=story, section=section))
    mine = SectionAssignment.objects.sections_first_for(request.user)
    page = page_of(
        in_parts(comments, mine), key=queue.newest_by, start=filters["after"], size=CARDS_PER_PAGE
    )
    here = request.get_full_path()
    cards = with_card_details([comment for _, comment in page.rows])
    with_form_state(cards, queue=queue.slug, here=here)
    for (part, _), comment in zip(page.rows, cards, strict=True):
        comment.part = part
    # The filters every link of the page keeps.
    kept = {"story": story.pk if story else None, "section": section.slug if section else None}
    kept = {name: value for name, value in kept.items() if value is not None}
    following = None
    if page.following is not None:
        following = queue_url(queue.slug, **kept, after=str(page.following))
    context = workspace_context(
        request,
        queue.name,
        # The workspace has its own links; the cards want the admin sidebar's width.
        is_nav_sidebar_enabled=False,
        queue=queue,
        tabs=queue_tabs(kept, story=story, section=section),
        cards=cards,
        mine_first=bool(mine),
        following=following,
        newest=queue_url(queue.slug, **kept) if filters["after"] else None,
        form=form,
        story=story,
        reasons=REASONS,
        reason_options=reason_options(),
        **card_permissions(request.user),
    )
    # Twenty cards of template: rendered clear of a stack chunk's edge (moderation.stack).
    return in_fresh_chunk(lambda: render(request, "moderation/queue.html", context))


DONE = {
    Decision.APPROVE: "Approved",
    Decision.REJECT: "Rejected",
    Decision.RESTORE: "Restored",
    Decision.FEATURE: "Made an Editors' pick",
    Decision.UNFEATURE: "Taken out of Editors' picks",
}

# A decision in the log, as the workspace words it.
DECIDED = {
    ModerationEvent.Action.APPROVE: "approved",
    ModerationEvent.Action.REMOVE: "rejected",
    ModerationEvent.Action.RESTORE: "restored",
}


def _whose(comment: Comment) -> str:
    return f"the comment by {comment.author_name or 'a reader'}"


def _when(moment) -> str:
    return f"{timesince(moment)} ago"


CHANGED_SINCE_SEEN = (
    "This comment changed after its card was shown (edited by its author, or reported "
    "again): look at it again."
)


def _on_comment(request, comment: Comment, form: DecisionForm) -> tuple[bool, str]:
    """A decision on the comment itself (its status, or a pick): whether it changed, and
    what its moderator is told."""
    decision = form.cleaned_data["decision"]
    decided = comment_decide(
        comment_id=comment.pk,
        decision=decision,
        actor=request.user,
        seen=form.cleaned_data["seen"],
        rejection_reason=form.cleaned_data["rejection_reason"],
    )
    if decided.changed:
        done = DONE[decision]
        if decision == Decision.REJECT:
            done += f" ({RejectionReason(form.cleaned_data['rejection_reason']).label})"
        return True, f"{done}: {_whose(comment)}."
    if decided.changed_since_seen:
        return False, CHANGED_SINCE_SEEN
    event = decided.overtaken_by
    if event is not None:
        who = "you" if event.actor_id == request.user.pk else (event.actor or "someone")
        why = f" ({event.reason})" if event.reason else ""
        return False, capfirst(
            f"{who} {DECIDED[event.action]} {_whose(comment)}{why} {_when(event.created_at)}, "
            "after this card was shown: nothing changed."
        )
    comment.refresh_from_db(fields=["status"])
    return False, f"Nothing changed: {_whose(comment)} is {status_for_staff(comment).lower()}."


def _on_author(request, comment: Comment) -> tuple[bool | None, str]:
    """A sanction on the comment's author's account, as comments.admin.SanctionForm takes
    it (None: refused, and why)."""
    if not request.user.has_perm(SANCTION):
        raise PermissionDenied
    if comment.author_id is None:
        return None, "A guest wrote this comment: there is no account to sanction."
    fields = ("kind", "days", "reason")
    form = SanctionForm(
        {"account": comment.author_id, **{f: request.POST.get(f, "") for f in fields}}
    )
    if not form.is_valid():
        return None, _first_error(form)
    imposed, sanction = author_sanction(
        sanction=form.save(commit=False), actor=request.user, days=form.cleaned_data["days"]
    )
    whose = f"the account of {comment.author_name or 'this reader'}"
    if imposed:
        return True, f"{sanction.get_kind_display()}: {whose}."
    by = sanction.created_by or "someone"
    return False, (
        f"{capfirst(whose)} is under a sanction already ({sanction.get_kind_display().lower()}, "
        f"by {by}, {_when(sanction.starts_at)}): nothing changed."
    )


def _on_thread(request, comment: Comment) -> tuple[bool | None, str]:
    """Closing the comment's story's comments (None: refused, and why)."""
    if not request.user.has_perm(CLOSE):
        raise PermissionDenied
    form = CloseThreadForm(request.POST)
    if not form.is_valid():
        return None, _first_error(form)
    story = comment.thread.article
    if thread_close(article=story, actor=request.user, reason=form.cleaned_data["reason"]):
        return True, f"Comments are now closed on “{story.headline}”."
    thread = Thread.objects.select_related("closed_by").get(pk=comment.thread_id)
    by = thread.closed_by or "someone"
    return False, (
        f"Comments on “{story.headline}” were closed already (by {by}, "
        f"{_when(thread.closed_at)}): nothing changed."
    )


def _first_error(form) -> str:
    """The first thing wrong with a form, naming its field."""
    name, errors = next(iter(form.errors.items()))
    label = form.fields[name].label if name in form.fields else None
    return f"{label}: {errors[0]}" if label else errors[0]


@moderator_required
@require_POST
def decide(request, comment_id):
    """A decision from a card. Without JavaScript, back to the queue with a message, at
    the next card; the workspace's script asks for the message and the card's new state
    instead (`X-Workspace: card`)."""
    comment = get_object_or_404(Comment.objects.select_related("thread__article"), pk=comment_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        changed, message = None, form.first_error()
    elif form.cleaned_data["decision"] == Decision.SANCTION:
        changed, message = _on_author(request, comment)
    elif form.cleaned_data["decision"] == Decision.CLOSE:
        changed, message = _on_thread(request, comment)
    else:
        changed, message = _on_comment(request, comment, form)
    back = form.cleaned_data.get("next", "")
    if request.headers.get("X-Workspace") != "card":
        say = {None: messages.error, False: messages.warning, True: messages.success}[changed]
        say(request, message)
        return redirect(back or "moderation:workspace")
    if changed is None:
        context = {"message": message, "comment": None}
        return render(request, "moderation/card_decided.html", context, status=400)
    queue = QUEUES.get(form.cleaned_data["queue"])
    (decided,) = with_form_state(
        [card(comment_id)], queue=queue.slug if queue else "", here=back.partition("#")[0]
    )
    context = {
        "message": message,
        "comment": decided,
        # Whether the card stays where it is: a decided comment leaves a waiting queue.
        "stays": queue is not None and queue.comments().filter(pk=comment_id).exists(),
        "reason_options": reason_options(),
        **card_permissions(request.user),
    }
    return render(request, "moderation/card_decided.html", context)
