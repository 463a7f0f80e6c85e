from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from articles.models import Article
from comments.forms import CommentForm
from comments.services import ThreadClosed, comment_post


@require_POST
def post_comment(request, article_pk):
    article = get_object_or_404(
        Article.objects.published().select_related("section"), pk=article_pk
    )
    form = CommentForm(request.POST)
    if not form.is_valid():
        # Show the story again with the errors next to the fields and the reader's text kept.
        context = {"article": article, "current_section": article.section, "comment_form": form}
        return render(request, "articles/article_detail.html", context, status=400)
    try:
        comment = comment_post(
            article=article,
            author_name=form.cleaned_data["author_name"],
            author_email=form.cleaned_data["author_email"],
            body=form.cleaned_data["body"],
            ip=request.META.get("REMOTE_ADDR"),
        )
    except ThreadClosed:
        messages.error(request, "Comments are closed on this story; your comment was not saved.")
        return redirect(article)
    messages.success(request, "Thank you: your comment is published.")
    return redirect(f"{article.get_absolute_url()}#comment-{comment.pk}")
