from datetime import date, timedelta

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from articles.models import Article, Section, Topic
from articles.pages import listing_pages, site_pages, story_pages
from articles.text import clean_text
from pagecache.decorators import reader_page

STORIES_PER_PAGE = 20
HOME_LATEST = 10
HOME_PER_SECTION = 4
SEARCH_MAX_CHARS = 200
SEARCH_NEWEST = 300  # matches ranked per search: the newest this many
NEWS_SITEMAP_HOURS = 48


@reader_page(listing_pages)
def home(request):
    published = Article.objects.published().for_listing()
    latest = list(published[: HOME_LATEST + 1])
    lead, latest = (latest[0], latest[1:]) if latest else (None, [])
    sections = list(Section.objects.all())
    by_section = {section.pk: [] for section in sections}
    # One more than shown, in case the lead story is among a section's newest.
    for story in published.latest_per_section(HOME_PER_SECTION + 1):
        if story != lead:
            by_section[story.section_id].append(story)
    for stories in by_section.values():
        stories.sort(key=lambda story: story.published_at, reverse=True)
        del stories[HOME_PER_SECTION:]
    context = {
        "lead": lead,
        "latest": latest,
        "by_section": [(s, by_section[s.pk]) for s in sections if by_section[s.pk]],
        "all_sections": sections,
    }
    return render(request, "articles/home.html", context)


def _story_list(request, template: str, stories, context: dict):
    """A page of published stories, newest first, for a section or a topic."""
    listed = stories.published().for_listing()
    page = Paginator(listed, STORIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, template, {**context, "page": page})


@reader_page(listing_pages)
def section_detail(request, slug):
    section = get_object_or_404(Section, slug=slug)
    context = {"section": section, "current_section": section}
    return _story_list(request, "articles/section.html", section.articles, context)


@reader_page(listing_pages)
def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    return _story_list(request, "articles/topic.html", topic.articles, {"topic": topic})


@reader_page(story_pages)
def article_detail(request, pk, slug):
    # With the thread and its section's comment policy, which the comment thread shows.
    stories = Article.objects.select_related("section__comment_policy", "thread")
    article = stories.published().filter(pk=pk).first()
    preview = article is None
    if preview:
        # Drafts and scheduled stories: a preview for staff, "not found" for everyone else.
        if not request.user.has_perm("articles.view_article"):
            raise Http404("No such story.")
        article = get_object_or_404(stories, pk=pk)
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


@reader_page(listing_pages)
def newspaper(request, edition=None):
    """ "From The Newspaper": one print edition's stories by section (the latest by default)."""
    dates = Article.objects.print_edition_dates()
    if edition is None:
        edition = dates.first()
    else:
        try:
            edition = date.fromisoformat(edition)
        except ValueError:
            raise Http404("No such edition.") from None
    stories = (
        Article.objects.published()
        .exclude(print_edition_date=None)
        .filter(print_edition_date=edition)
        .for_listing()
        .order_by("section__order", "section__name", "-published_at")
    )
    if edition is not None and not stories:
        raise Http404("No such edition.")
    context = {"edition": edition, "stories": stories, "previous": None, "next": None}
    if edition is not None:
        context["previous"] = dates.filter(print_edition_date__lt=edition).first()
        context["next"] = dates.filter(print_edition_date__gt=edition).last()
    return render(request, "articles/newspaper.html", context)


def search(request):
    # Whatever arrives is cut to a sane length and cleaned like any reader text (NFKC, no
    # invisible, private-use or control characters: NUL bytes, which PostgreSQL refuses,
    # among them), then cut again (NFKC can lengthen); websearch syntax parses the rest.
    raw = request.GET.get("q", "")[:SEARCH_MAX_CHARS]
    text = clean_text(raw)[:SEARCH_MAX_CHARS].strip()
    page = None
    if text:
        results = Article.objects.published().for_listing().search(text, newest=SEARCH_NEWEST)
        page = Paginator(results, STORIES_PER_PAGE).get_page(request.GET.get("page"))
    capped = page is not None and page.paginator.count >= SEARCH_NEWEST
    context = {"query": text, "page": page, "capped": capped, "newest": SEARCH_NEWEST}
    return render(request, "articles/search.html", context)


@reader_page(site_pages)
def news_sitemap(request):
    """Google News sitemap: stories published in the last 48 hours."""
    since = timezone.now() - timedelta(hours=NEWS_SITEMAP_HOURS)
    stories = Article.objects.published().filter(published_at__gte=since).defer("body")[:1000]
    return render(
        request,
        "articles/news_sitemap.xml",
        {"stories": stories, "site_url": request.build_absolute_uri("/").rstrip("/")},
        content_type="application/xml",
    )


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /comments/",
        "Disallow: /search/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        f"Sitemap: {request.build_absolute_uri(reverse('news-sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
