from django import template
from django.utils import timezone
from django.utils.html import format_html

from articles.cache import CSRF_MARKER
from comments.forms import CommentForm
from comments.listing import thread_page
from comments.models import CommentReport

register = template.Library()


@register.simple_tag
def csrf_input():
    """The CSRF field of a form on a cacheable page: filled in per response."""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', CSRF_MARKER)


def _positive_int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@register.inclusion_tag("comments/thread.html", takes_context=True)
def comment_thread(context, article):
    """The story's comments: "Comments are closed." or the form, the count, the thread.

    A story without a thread row yet has an open thread with no comments; the row is
    created by the first comment, never by a page view.
    """
    request = context["request"]
    moderator = request.user.has_perm("comments.moderate_comment")
    listing = thread_page(
        article,
        order=request.GET.get("corder", "oldest"),
        page_number=request.GET.get("cpage"),
        moderator=moderator,
    )
    closes_at = listing.thread.auto_close_at(listing.policy)
    if not listing.is_open or (closes_at is not None and closes_at <= timezone.now()):
        closes_at = None  # closed, or open past its deadline because a moderator reopened it
    if closes_at is not None:
        # A cached copy of this page must not outlive the thread's automatic close.
        earlier = getattr(request, "page_expires_at", None)
        request.page_expires_at = min(closes_at, earlier) if earlier else closes_at
    # A form sent back with errors is shown where it was: under the comment replied to,
    # or at the top. Otherwise a Reply link (?reply_to=) opens an empty reply form.
    sent = context.get("comment_form")
    reply_to = _positive_int(sent["parent"].value()) if sent is not None else None
    if reply_to:
        form, reply_form = CommentForm(article=article), sent
    else:
        form = sent or CommentForm(article=article)
        reply_to = _positive_int(request.GET.get("reply_to"))
        reply_form = (
            CommentForm(article=article, initial={"parent": reply_to}) if reply_to else None
        )
    if reply_form is not None:
        reply_form.auto_id = "reply_%s"  # ids must differ from the main form's
    kept = request.GET.copy()
    kept.pop("reply_to", None)
    kept.pop("cpage", None)
    return {
        "article": article,
        "listing": listing,
        "thread": listing.thread,
        "is_open": listing.is_open,
        "auto_close_at": closes_at,
        "form": form,
        "reply_form": reply_form,
        "reply_to": reply_to,
        "moderator": moderator,
        "can_close": request.user.has_perm("comments.close_thread"),
        "report_reasons": CommentReport.Reason.choices,
        "order_query": kept.urlencode(),
        "page_query": f"&cpage={listing.page.number}&corder={listing.order}",
    }
