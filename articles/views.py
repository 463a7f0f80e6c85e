from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers

from articles.models import Article, Section, Topic

STORIES_PER_PAGE = 20


def home(request):
    stories = Article.objects.published().select_related("section")[:STORIES_PER_PAGE]
    return render(request, "articles/home.html", {"stories": stories})


def section_detail(request, slug):
    section = get_object_or_404(Section, slug=slug)
    stories = section.articles.published().select_related("section")
    page = Paginator(stories, STORIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "articles/section.html",
        {"section": section, "page": page, "current_section": section},
    )


def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    stories = topic.articles.published().select_related("section")
    page = Paginator(stories, STORIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "articles/topic.html", {"topic": topic, "page": page})


def article_detail(request, pk, slug):
    article = Article.objects.published().select_related("section").filter(pk=pk).first()
    preview = article is None
    if preview:
        # Drafts and scheduled stories: a preview for staff, "not found" for everyone else.
        if not request.user.has_perm("articles.view_article"):
            raise Http404("No such story.")
        article = get_object_or_404(Article.objects.select_related("section"), pk=pk)
    if slug != article.slug:
        return redirect(article, permanent=not preview)
    response = render(
        request,
        "articles/article_detail.html",
        {"article": article, "current_section": article.section, "preview": preview},
    )
    if preview:
        add_never_cache_headers(response)  # private, no-store: never kept by a cache
    return response
