from datetime import date, timedelta

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from articles.links import absolute
from articles.models import Article, Section, Topic
from articles.pages import listing_pages, site_pages, story_pages
from articles.ratelimit import search_allowed
from articles.text import clean_text
from pagecache.decorators import one_of, positive_int, reader_page

STORIES_PER_PAGE = 20
HOME_LATEST = 10
HOME_PER_SECTION = 4
SEARCH_MAX_CHARS = 200
SEARCH_NEWEST = 300  # matches ranked per search: the newest this many
NEWS_SITEMAP_HOURS = 48

# The query parameters each page reads; the page cache ignores all others.
PAGE_NUMBER = {"page": positive_int}
# The comment thread's (comments.templatetags.comments_tags): its page, its order
# (comments.listing.ORDERS), the comment a Reply link opens a form under, and its filter
# (any value is read: the comments app knows which it has, and sends a reader asking for
# another to the thread). Whether a value names a page, a comment or a filter there, the
# comments app answers (pagecache.addresses).
STORY_PARAMS = {
    "cpage": positive_int,
    "corder": one_of("oldest", "newest"),
    "reply_to": positive_int,
    "cfilter": lambda value: value or None,
}


def search_text(value: str) -> str:
    """A reader's search as it is run and as the page cache keys it: cut to a sane length,
    cleaned like any reader text (NFKC, no invisible, private-use or control characters:
    NUL bytes, which PostgreSQL refuses, among them), cut again (NFKC can lengthen), spaces
    collapsed. Websearch syntax then parses anything without error."""
    return " ".join(clean_text(value[:SEARCH_MAX_CHARS])[:SEARCH_MAX_CHARS].split())


SEARCH_PARAMS = {"q": lambda value: search_text(value) or None, **PAGE_NUMBER}


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
    asked = request.GET.get("page")
    page = Paginator(listed, STORIES_PER_PAGE).get_page(asked)
    if asked is not None and asked != str(page.number):
        # Past the last page: sent there, so that page numbers without end cannot each
        # render a copy of the last page, nor fill the page cache with them.
        return redirect(f"{request.path}?page={page.number}")
    return render(request, template, {**context, "page": page})


@reader_page(listing_pages, params=PAGE_NUMBER)
def section_detail(request, slug):
    section = get_object_or_404(Section, slug=slug)
    context = {"section": section, "current_section": section}
    return _story_list(request, "articles/section.html", section.articles, context)


@reader_page(listing_pages, params=PAGE_NUMBER)
def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    return _story_list(request, "articles/topic.html", topic.articles, {"topic": topic})


@reader_page(story_pages, params=STORY_PARAMS)
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


@reader_page(listing_pages, params=SEARCH_PARAMS)
def search(request):
    """Repeated searches are answered from the page cache, unlimited; each one rendered
    counts against the client network's limit (articles.ratelimit)."""
    text = search_text(request.GET.get("q", ""))
    page = None
    if text:
        if (
            retry_after := search_allowed(request, f"{text}|{request.GET.get('page', '')}")
        ) is not None:
            response = render(request, "429.html", {"retry_after": retry_after}, status=429)
            response["Retry-After"] = str(retry_after)
            add_never_cache_headers(response)
            return response
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
        {"stories": stories, "site_url": absolute("")},
        content_type="application/xml",
    )


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /comments/",
        "Disallow: /search/",
        f"Sitemap: {absolute(reverse('sitemap'))}",
        f"Sitemap: {absolute(reverse('news-sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
