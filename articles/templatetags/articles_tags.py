"""Sidebars, promos and date formats for story pages, as inclusion tags and filters."""

from django import template
from django.utils import timezone

from articles.models import Article, Promo, Section

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


@register.inclusion_tag("includes/section_nav.html")
def section_nav(current=None):
    return {"sections": Section.objects.all(), "current": current}


@register.inclusion_tag("includes/more_from_section.html")
def more_from_section(article):
    """Stories an editor pinned to this one first, then the section's newest others."""
    published = Article.objects.published().defer("body")
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
    stories = Article.objects.latest_print_edition().defer("body")[:FROM_THE_NEWSPAPER]
    return {"stories": stories}
