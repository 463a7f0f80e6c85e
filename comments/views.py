from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from articles.models import Article
from comments import export
from comments.forms import (
    CloseThreadForm,
    CommentEditForm,
    CommentForm,
    EraseAccountForm,
    ReportForm,
)
from comments.listing import comment_url
from comments.models import CHANGEABLE_BY_AUTHOR, Comment, ModerationEvent
from comments.readers import Reader, reader_of
from comments.rules import (
    AccountSanctioned,
    CommentRules,
    CommentsOff,
    CommentUnavailable,
    DisplayNameNeeded,
    EditLimitReached,
    EditWindowClosed,
    Flooding,
    FormAlreadyUsed,
    SignInRequired,
    SlowMode,
    ThreadClosed,
    UnknownAddress,
)
from comments.services import (
    MODERATION,
    account_erase,
    comment_delete,
    comment_edit,
    comment_moderate,
    comment_post,
    comment_report,
    thread_close,
    thread_reopen,
)
from readers.models import signed_in_reader

# Refusals for spam signals say nothing about which rule caught them.
NEUTRAL_REFUSAL = "Your comment could not be posted. Please wait a moment and try again."
CLOSED = "Comments are closed on this story; your comment was not saved."
COMMENTS_OFF = "Comments are off for this section; your comment was not saved."
SIGN_IN_REQUIRED = (
    "Only signed-in readers may comment on this story: sign in to comment. "
    "Your comment was not saved."
)
DISPLAY_NAME_NEEDED = (
    "Choose a display name first: your comments are shown under it. Your comment was not saved."
)
YOUR_COMMENTS_PER_PAGE = 20


def client_ip(request) -> str | None:
    """The reader's address as the project works it out (behind a trusted proxy it is
    not the connection's): the same answer the admin's lock-outs get."""
    return import_string(settings.CLIENT_IP_CALLABLE)(request)


def _story_with_form(request, article, form):
    """The story again, with the errors next to the fields and the reader's text kept."""
    if form.needs_new_token:
        form.renew_token()
    context = {"article": article, "current_section": article.section, "comment_form": form}
    return render(request, "articles/article_detail.html", context, status=400)


def _may_not_comment(request, article, refusal: Exception):
    """Who may comment refused this visitor: say why, and where to go instead."""
    if isinstance(refusal, DisplayNameNeeded):
        messages.error(request, DISPLAY_NAME_NEEDED)
        return redirect("readers:account")
    signing_in_helps = isinstance(refusal, SignInRequired)
    messages.error(request, SIGN_IN_REQUIRED if signing_in_helps else COMMENTS_OFF)
    return redirect(f"{article.get_absolute_url()}#comments")


@require_POST
def post_comment(request, article_pk):
    article = get_object_or_404(
        Article.objects.published().select_related("section__comment_policy"), pk=article_pk
    )
    # Before the form: whoever may not comment here is told so, whatever they sent.
    # (comment_post asks again under the thread's lock.)
    try:
        CommentRules.for_story(article).check_may_comment(request.user)
    except (CommentsOff, SignInRequired, DisplayNameNeeded) as refusal:
        return _may_not_comment(request, article, refusal)
    form = CommentForm(request.POST, article=article, reader=signed_in_reader(request.user))
    if not form.is_valid():
        if form.refused:
            messages.error(request, NEUTRAL_REFUSAL)
            return redirect(article)
        return _story_with_form(request, article, form)
    reader = reader_of(request)
    try:
        posted = comment_post(
            article=article,
            parent_id=form.cleaned_data["parent"],
            author_name=form.cleaned_data.get("author_name", ""),
            author_email=form.cleaned_data.get("author_email", ""),
            body=form.cleaned_data["body"],
            ip=client_ip(request),
            reader_key=reader.key,
            form_nonce=form.cleaned_data["form_nonce"],
            author=request.user if request.user.is_authenticated else None,
        )
    except FormAlreadyUsed:
        form.already_used()
        return _story_with_form(request, article, form)
    except AccountSanctioned as refusal:
        # Said plainly, next to the text they wrote, which is kept in the form for them.
        form.add_error(None, str(refusal))
        return _story_with_form(request, article, form)
    except ThreadClosed:
        messages.error(request, CLOSED)
        return redirect(article)
    except (CommentsOff, SignInRequired, DisplayNameNeeded) as refusal:
        return _may_not_comment(request, article, refusal)
    except (Flooding, UnknownAddress):
        messages.error(request, NEUTRAL_REFUSAL)
        return redirect(article)
    except SlowMode as refusal:
        # A rule the reader is told of (unlike a spam signal): when they may send it, next
        # to the text they wrote, kept for them.
        form.add_error(None, str(refusal))
        response = _story_with_form(request, article, form)
        response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
        return response
    except CommentUnavailable:
        messages.error(
            request, "The comment you replied to is not available; your reply was not saved."
        )
        return redirect(article)
    if posted.held:
        messages.info(
            request,
            "Thank you. Your comment is waiting for a moderator and will appear once approved.",
        )
        response = redirect(f"{article.get_absolute_url()}#comments")
    else:
        if posted.duplicate:
            messages.info(request, "You have already posted this comment; here it is.")
        else:
            messages.success(request, "Thank you: your comment is published.")
        response = redirect(comment_url(posted.comment))
    if posted.duplicate and reader.new_cookie:
        # A double click whose second request left before the first's cookie came back
        # (it is the same form): the reader keeps the identity the comment was saved under.
        reader = Reader.reissued(posted.comment.reader_key) or reader
    # The identity a moderator's approval of this comment will trust, from now on.
    reader.remember(response)
    return response


def _comment_or_404(comment_pk) -> Comment:
    return get_object_or_404(
        Comment.objects.select_related("thread__article"),
        pk=comment_pk,
        thread__article__in=Article.objects.published(),
    )


@never_cache
@require_GET
def your_comments(request):
    """A signed-in reader's own comments, newest first, whatever their status: their page
    alone, never kept by a cache."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    comments = Comment.objects.written_by(request.user).for_their_author()
    page = Paginator(comments, YOUR_COMMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "comments/your_comments.html", {"page": page})


@require_GET
def go_to_comment(request, comment_pk):
    """To a comment's place in its thread: the page of the thread it is on. A comment
    readers do not see takes its author to the thread, anyone else nowhere."""
    comment = _comment_or_404(comment_pk)
    if comment.status == Comment.Status.VISIBLE:
        return redirect(comment_url(comment))
    if request.user.is_authenticated and comment.author_id == request.user.pk:
        return redirect(f"{comment.thread.article.get_absolute_url()}#comments")
    raise Http404("No such comment.")


@require_POST
def report_comment(request, comment_pk):
    comment = _comment_or_404(comment_pk)
    article = comment.thread.article
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please choose why you are reporting this comment.")
        return redirect(comment_url(comment))
    # A reader without the cookie gets one now, and their report counts under it: most
    # reporters report once, so asking them to come back would lose honest reports, while
    # a reporter who drops the cookie every time still counts once per network.
    reader = reader_of(request)
    try:
        comment_report(
            comment_id=comment.pk,
            reason=form.cleaned_data["reason"],
            reporter_key=reader.key,
            ip=client_ip(request),
        )
    except ThreadClosed:
        messages.error(request, "Comments are closed on this story; reports are not taken.")
        return redirect(article)
    except CommentUnavailable:
        messages.info(request, "That comment is already with our moderators.")
        return redirect(article)
    except UnknownAddress:
        messages.error(request, "Your report could not be taken. Please try again later.")
        return redirect(comment_url(comment))
    messages.success(request, "Thank you for the report: a moderator will look at it.")
    response = redirect(f"{article.get_absolute_url()}#comments")
    reader.remember(response)
    return response


@require_POST
@permission_required("comments.moderate_comment", raise_exception=True)
def moderate_comment(request, comment_pk):
    comment = get_object_or_404(Comment.objects.select_related("thread__article"), pk=comment_pk)
    action = request.POST.get("action", "")
    if action not in MODERATION:
        return HttpResponseBadRequest("Unknown moderation action.")
    changed = comment_moderate(
        comment=comment,
        action=action,
        actor=request.user,
        reason=request.POST.get("reason", "")[:255],
    )
    label = ModerationEvent.Action(action).label
    if changed:
        messages.success(request, f"{label}: the comment by {comment.author_name or 'a reader'}.")
    else:
        messages.info(request, "Nothing to do: the comment was already in that state.")
    return redirect(f"{comment.thread.article.get_absolute_url()}#comment-{comment.pk}")


def _change_thread(request, article_pk, change, *, done: str, unchanged: str):
    """Close or reopen a story's thread (`change` is the service), and say what happened."""
    article = get_object_or_404(Article, pk=article_pk)
    if change(article=article, actor=request.user):
        messages.success(request, done)
    else:
        messages.info(request, unchanged)
    return redirect(f"{article.get_absolute_url()}#comments")


@require_POST
@permission_required("comments.close_thread", raise_exception=True)
def close_thread(request, article_pk):
    form = CloseThreadForm(request.POST)
    if not form.is_valid():
        article = get_object_or_404(Article, pk=article_pk)
        messages.error(request, "Comments were not closed: " + " ".join(form.errors["reason"]))
        return redirect(f"{article.get_absolute_url()}#comments")
    return _change_thread(
        request,
        article_pk,
        partial(thread_close, reason=form.cleaned_data["reason"]),
        done="Comments are now closed on this story.",
        unchanged="Comments were already closed.",
    )


@require_POST
@permission_required("comments.close_thread", raise_exception=True)
def reopen_thread(request, article_pk):
    return _change_thread(
        request,
        article_pk,
        thread_reopen,
        done="Comments are open again on this story.",
        unchanged="Comments were already open.",
    )


def _own_comment_or_404(request, comment_pk) -> Comment:
    """The signed-in reader's own comment, not yet removed or deleted; anyone else's is
    "not found", so nothing is learned about it."""
    if not request.user.is_authenticated:
        raise Http404("No such comment.")
    return get_object_or_404(
        Comment.objects.select_related("thread__article"),
        pk=comment_pk,
        author=request.user,
        status__in=CHANGEABLE_BY_AUTHOR,
        thread__article__in=Article.objects.published(),
    )


def _posted(request):
    """The form data of a POST (bound even when it sent no field: an empty POST is told
    what is missing), None for a GET."""
    return request.POST if request.method == "POST" else None


@never_cache
@require_http_methods(["GET", "POST"])
def edit_comment(request, comment_pk):
    comment = _own_comment_or_404(request, comment_pk)
    article = comment.thread.article
    deadline = comment.edit_deadline()
    form = CommentEditForm(_posted(request), initial={"body": comment.body})
    if form.is_bound and form.is_valid():
        try:
            edited = comment_edit(
                comment_id=comment.pk, author=request.user, body=form.cleaned_data["body"]
            )
        except EditWindowClosed:
            form.add_error(None, "The time to edit this comment has passed; it stands as posted.")
        except EditLimitReached:
            form.add_error(None, "This comment has been edited as often as it may be.")
        except ThreadClosed:
            messages.error(request, "Comments are closed on this story; your edit was not saved.")
            return redirect(article)
        except AccountSanctioned as refusal:
            form.add_error(None, str(refusal))
        except CommentUnavailable:
            raise Http404("No such comment.") from None
        else:
            if edited.held:
                messages.info(request, "Your edited comment is waiting for a moderator.")
                return redirect(f"{article.get_absolute_url()}#comments")
            messages.success(request, "Your comment is updated.")
            return redirect(comment_url(edited.comment))
    context = {"comment": comment, "article": article, "form": form, "deadline": deadline}
    status = 400 if form.errors else 200
    return render(request, "comments/edit.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def delete_comment(request, comment_pk):
    comment = _own_comment_or_404(request, comment_pk)
    article = comment.thread.article
    if request.method == "POST":
        try:
            comment_delete(comment_id=comment.pk, author=request.user)
        except ThreadClosed:
            messages.error(request, "Comments are closed on this story; nothing was changed.")
            return redirect(article)
        except CommentUnavailable:
            raise Http404("No such comment.") from None
        messages.success(request, "Your comment is deleted.")
        return redirect(f"{article.get_absolute_url()}#comments")
    return render(request, "comments/delete.html", {"comment": comment, "article": article})


def _readers_account(request):
    """The signed-in reader's account (readers.models.signed_in_reader); anyone else,
    staff included, finds nothing here (404)."""
    reader = signed_in_reader(request.user)
    if reader is None:
        raise Http404("No reader's account here.")
    return reader.user


@never_cache
@require_GET
def download_own_comments(request, data_format):
    account = _readers_account(request)
    if data_format not in ("json", "csv"):
        raise Http404("Comments come as JSON or CSV.")
    rows = export.own_comments(account)
    if data_format == "json":
        response = HttpResponse(export.as_json(rows), content_type="application/json")
    else:
        response = HttpResponse(export.as_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-comments.{data_format}"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def erase_account(request):
    account = _readers_account(request)
    form = EraseAccountForm(_posted(request))
    if form.is_bound and form.is_valid():
        try:
            account_erase(account=account, keep_comments=form.cleaned_data["comments"] == "keep")
        except AccountSanctioned as sanctioned:
            form.add_error(
                None,
                "Your account is under a moderator's sanction, so it cannot be erased until "
                f"the sanction ends; write to the newsroom to ask sooner. ({sanctioned})",
            )
        else:
            logout(request)
            messages.success(request, "Your account is erased. Thank you for reading.")
            return redirect("articles:home")
    status = 400 if form.errors else 200
    return render(request, "comments/erase_account.html", {"form": form}, status=status)
