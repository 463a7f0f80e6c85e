"""The moderators' queues of comment cards, and the decisions taken from a card.

Every page and decision works without JavaScript (forms that post and come back to the
queue); static/moderation/workspace.js adds the keyboard and decides in place, asking
the same view for the card's new state (`X-Workspace: card`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import timesince
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.views.decorators.http import require_GET, require_POST

from comments.models import Comment, CommentQuerySet, ModerationEvent, RejectionReason
from moderation.access import moderator_required, workspace_context
from moderation.cards import card, for_cards, with_report_reasons
from moderation.forms import DecisionForm, QueueFilterForm
from moderation.models import SectionAssignment
from moderation.paging import page_of
from moderation.services import Decision, comment_decide

CARDS_PER_PAGE = 25
# A queue's tab counts up to here, then says "1000+": counting a million comments
# would cost more than the number tells.
COUNT_UP_TO = 1000


@dataclass(frozen=True)
class Queue:
    slug: str
    name: str
    comments: Callable[[], CommentQuerySet]
    # Newest first by this: when they were posted, decided on, or picked.
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
            "created_at",
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


def counted(comments: CommentQuerySet) -> str:
    number = comments.order_by()[: COUNT_UP_TO + 1].count()
    return f"{COUNT_UP_TO}+" if number > COUNT_UP_TO else str(number)


def in_parts(comments: CommentQuerySet, mine: list[int]) -> list[tuple[str, CommentQuerySet]]:
    """A moderator's own sections first, then the rest; without sections, all alike."""
    if not mine:
        return [("all", comments)]
    in_mine = {"thread__article__section__in": mine}
    return [("mine", comments.filter(**in_mine)), ("rest", comments.exclude(**in_mine))]


def queue_tabs(kept: dict, *, story, section) -> list[dict]:
    """Every queue, with the page's filters; the waiting ones with how many wait."""
    return [
        {
            "queue": each,
            "url": queue_url(each.slug, **kept),
            "count": counted(filtered(each.comments(), story=story, section=section))
            if each.waiting
            else None,
        }
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
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    story, section = filters["story"], filters["section"]
    comments = for_cards(filtered(queue.comments(), story=story, section=section))
    mine = SectionAssignment.objects.sections_first_for(request.user)
    page = page_of(
        in_parts(comments, mine), key=queue.newest_by, start=filters["after"], size=CARDS_PER_PAGE
    )
    cards = with_report_reasons([comment for _, comment in page.rows])
    for (part, _), comment in zip(page.rows, cards, strict=True):
        comment.part = part
    # The filters every link of the page keeps.
    kept = {"story": story.pk if story else None, "section": section.slug if section else None}
    kept = {name: value for name, value in kept.items() if value is not None}
    following = None
    if page.following is not None:
        following = queue_url(queue.slug, **kept, after=str(page.following))
    return render(
        request,
        "moderation/queue.html",
        workspace_context(
            request,
            queue.name,
            queue=queue,
            tabs=queue_tabs(kept, story=story, section=section),
            cards=cards,
            mine_first=bool(mine),
            following=following,
            newest=queue_url(queue.slug, **kept) if filters["after"] else None,
            form=form,
            story=story,
            here=request.get_full_path(),
            reasons=RejectionReason.choices,
        ),
    )


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


def _said(comment: Comment, decided, form: DecisionForm, actor) -> str:
    """What the moderator is told of their decision."""
    whose = f"the comment by {comment.author_name or 'a reader'}"
    if decided.changed:
        done = DONE[form.cleaned_data["decision"]]
        if form.cleaned_data["decision"] == Decision.REJECT:
            reason = RejectionReason(form.cleaned_data["rejection_reason"]).label
            done = f"{done} ({reason})"
        return f"{done}: {whose}."
    event = decided.overtaken_by
    if event is not None:
        who = "You" if event.actor_id == actor.pk else (event.actor or "Someone")
        what = DECIDED[event.action]
        why = f" ({event.reason})" if event.reason else ""
        return capfirst(
            f"{who} {what} {whose}{why} {timesince(event.created_at)} ago, after this card "
            "was shown: nothing changed."
        )
    return f"Nothing changed: {whose} is {comment.get_status_display().lower()} already."


@moderator_required
@require_POST
def decide(request, comment_id):
    """A decision from a card. Without JavaScript, back to the queue with a message; the
    workspace's script asks for the message and the card's new state instead."""
    get_object_or_404(Comment.objects.only("pk"), pk=comment_id)
    form = DecisionForm(request.POST)
    in_place = request.headers.get("X-Workspace") == "card"
    if not form.is_valid():
        message = form.first_error()
        if in_place:
            context = {"message": message, "changed": False, "comment": None}
            return render(request, "moderation/decided.html", context, status=400)
        messages.error(request, message)
        return redirect(form.cleaned_data.get("next") or "moderation:workspace")
    decided = comment_decide(
        comment_id=comment_id,
        decision=form.cleaned_data["decision"],
        actor=request.user,
        seen=form.cleaned_data["seen"],
        rejection_reason=form.cleaned_data["rejection_reason"],
    )
    comment = card(comment_id)
    message = _said(comment, decided, form, request.user)
    back = form.cleaned_data["next"]
    if not in_place:
        (messages.success if decided.changed else messages.warning)(request, message)
        return redirect(back or "moderation:workspace")
    queue = QUEUES.get(form.cleaned_data["queue"])
    context = {
        "message": message,
        "changed": decided.changed,
        "comment": comment,
        "queue": queue,
        # Whether the card stays where it is: a decided comment leaves a waiting queue.
        "stays": queue is not None and queue.comments().filter(pk=comment_id).exists(),
        "here": back,
        "reasons": RejectionReason.choices,
    }
    return render(request, "moderation/decided.html", context)
