"""Sidebars, promos and date formats for story pages, as inclusion tags and filters."""

import json
from html import unescape

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from articles.links import absolute
from articles.models import SNIPPET_START, SNIPPET_STOP, Article, Promo, Section

register = template.Library()

MORE_FROM_SECTION = 4
FROM_THE_NEWSPAPER = 6


@register.filter
def newsroom_time(value):
    """`July 30, 2012 2:59 pm` in the newsroom's time zone: the seed page's format."""
    if not value:
        return ""
    local = timezone.localtime(value)
    meridiem = "am" if local.hour < 12 else "pm"
    return f"{local:%B} {local.day}, {local.year} {local.hour % 12 or 12}:{local:%M} {meridiem}"


@register.inclusion_tag("includes/section_nav.html", takes_context=True)
def section_nav(context, current=None):
    # A page that has read every section already (the home page) lends them.
    sections = context.get("all_sections")
    if sections is None:
        sections = Section.objects.all()
    return {"sections": sections, "current": current}


@register.inclusion_tag("includes/more_from_section.html")
def more_from_section(article):
    """Stories an editor pinned to this one first, then the section's newest others."""
    published = Article.objects.published().as_links()
    pinned = list(
        published.filter(pinned_in__article=article).order_by(
            "pinned_in__position", "pinned_in__pk"
        )[:MORE_FROM_SECTION]
    )
    if len(pinned) < MORE_FROM_SECTION:
        shown = [article.pk, *(story.pk for story in pinned)]
        pinned += published.filter(section=article.section_id).exclude(pk__in=shown)[
            : MORE_FROM_SECTION - len(pinned)
        ]
    return {"stories": pinned}


@register.inclusion_tag("includes/promos.html")
def story_promos(article):
    return {"promos": Promo.objects.for_article(article)}


@register.inclusion_tag("includes/from_the_newspaper.html")
def from_the_newspaper():
    stories = Article.objects.latest_print_edition().as_links()[:FROM_THE_NEWSPAPER]
    return {"stories": stories}


@register.filter
def search_snippet(snippet: str | None) -> SafeString:
    """A search snippet as safe HTML: tags from the body dropped, text escaped, and only
    then the matches wrapped in <mark>."""
    if not snippet:
        return mark_safe("")
    text = escape(unescape(strip_tags(snippet)))
    return mark_safe(text.replace(SNIPPET_START, "<mark>").replace(SNIPPET_STOP, "</mark>"))


# json.dumps leaves these as they are; inside <script> they could end the element.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag
def site_url(path: str) -> str:
    """`{% site_url section.get_absolute_url %}`: the page's address under SITE_URL."""
    return absolute(path)


@register.inclusion_tag("includes/story_metadata.html")
def story_metadata(article: Article):
    """<title> companions for a story: description, canonical link, OpenGraph, Twitter
    card and schema.org NewsArticle (with the comment thread's count and address)."""
    url = absolute(article.get_absolute_url())
    image = absolute(article.lead_photo.url) if article.lead_photo else ""
    thread = getattr(article, "thread", None)
    author = (
        {"@type": "Person", "name": article.byline}
        if article.byline
        else {"@type": "Organization", "name": settings.NEWSROOM_SITE_NAME}
    )
    news_article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": url,
        "url": url,
        "headline": article.headline,
        "description": article.teaser,
        "dateline": article.dateline,
        "articleSection": article.section.name,
        "datePublished": article.published_at.isoformat(),
        "dateModified": article.updated_at.isoformat(),
        "author": author,
        "publisher": {"@type": "Organization", "name": settings.NEWSROOM_SITE_NAME},
        "commentCount": thread.comment_count if thread else 0,
        "discussionUrl": f"{url}#comments",
    }
    if image:
        news_article["image"] = [image]
    json_ld = json.dumps(news_article, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return {
        "article": article,
        "url": url,
        "image": image,
        "site_name": settings.NEWSROOM_SITE_NAME,
        "json_ld": mark_safe(json_ld),
    }
