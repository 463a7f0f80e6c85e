from urllib.parse import urlencode

from django import template

from comments.forms import CloseThreadForm, CommentForm, ReportForm
from comments.identity import form_identity
from comments.listing import PICKS, ThreadPage, thread_page, thread_query
from comments.models import Comment
from comments.rules import CommentRules
from pagecache.placeholders import placeholder

register = template.Library()


def _positive_int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@register.inclusion_tag("comments/thread.html", takes_context=True)
def comment_thread(context, article):
    """The story's comments: its Editors' picks, "Comments are closed.", "Comments are
    off for this section." or the form, the count, the thread (or its picks alone), and
    where the section shows it, the moderation tally.

    A story without a thread row yet has an open thread with no comments; the row is
    created by the first comment, never by a page view.
    """
    request = context["request"]
    moderator = request.user.has_perm("comments.moderate_comment")
    rules = CommentRules.for_story(article)
    # The section's policy comes with the story (select_related), as CommentRules reads it.
    policy = getattr(article.section, "comment_policy", None)
    tally = bool(policy and policy.public_tally)
    listing = thread_page(
        rules.thread,
        order=request.GET.get("corder", "oldest"),
        page_number=request.GET.get("cpage"),
        moderator=moderator,
        only_picks=request.GET.get("cfilter") == PICKS,
        tally=tally,
    )
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
    return {
        "article": article,
        "listing": listing,
        "rules": rules,
        "thread": rules.thread,
        "is_open": rules.is_open(),
        "takes_comments": rules.takes_comments(),
        # Where only signed-in readers may comment, guests get "Sign in to comment" and
        # signed-in visitors the form, from the same cached page (comments.identity).
        "hidden_from_guests": placeholder("hidden-from-guests") if rules.signed_in_only else "",
        "hidden_from_signed_in": (
            placeholder("hidden-from-signed-in") if rules.signed_in_only else ""
        ),
        "closes_at": rules.closes_at(),
        "form": form,
        "reply_form": reply_form,
        "reply_to": reply_to,
        "moderator": moderator,
        "comment_status": Comment.Status,
        "can_close": request.user.has_perm("comments.close_thread"),
        # Fields of their own, rendered by the templates (labels wrap them: one form
        # per comment, and ids must not repeat).
        "report_form": ReportForm(auto_id=False),
        "close_form": CloseThreadForm(auto_id="close-%s"),
        # Links to other views of the thread, at their canonical addresses (a page
        # asked at any other is redirected there: comments.pages.story_page_query).
        "page_query": "".join(
            f"&{name}={value}"
            for name, value in thread_query(page=listing.page.number, order=listing.order).items()
        ),
        "tally": tally,
        **_thread_links(article, listing),
    }


def _thread_links(article, listing: ThreadPage) -> dict[str, str | None]:
    def href(**view) -> str:
        query = thread_query(**view)
        return f"?{urlencode(query)}" if query else article.get_absolute_url()

    page, order = listing.page, listing.order
    # Pages of the thread, or of its picks when it is filtered to them.
    view = {"only_picks": True} if listing.only_picks else {"order": order}
    return {
        "oldest_href": href(order="oldest"),
        "newest_href": href(order="newest"),
        "all_comments_href": href(),
        "picks_href": href(only_picks=True),
        "previous_href": (
            href(page=page.previous_page_number(), **view) if page.has_previous() else None
        ),
        "next_href": href(page=page.next_page_number(), **view) if page.has_next() else None,
    }


@register.filter
def thousands(number) -> str:
    """A count as readers read it: 1,312."""
    return f"{number:,}"


@register.simple_tag
def comment_identity(form):
    """Who the form posts as: a guest's name and email fields, or "Commenting as …"
    (comments.identity)."""
    return form_identity(form)


@register.simple_tag
def own_comment_actions(comment):
    """The attributes that show a comment's Edit and Delete links to its author alone,
    Edit only within its window (comments.identity): for the links' <p> and the Edit link."""
    if comment.author_id is None:
        return {}
    return {
        "unless_author": placeholder("hidden-unless-author", comment.author_id),
        "after_deadline": placeholder("hidden-after", int(comment.edit_deadline().timestamp())),
    }
