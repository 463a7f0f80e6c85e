"""Links built from a route's shape (articles.links) are the links reverse() makes."""

import pytest
from django.urls import reverse, set_script_prefix

from tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_story_section_and_topic_links_are_what_reverse_gives():
    story = make_article(slug="malik-says-isi-chief-will-press-us")
    topic = story.topics.create(name="Drone Attacks", slug="drone-attacks")

    assert story.get_absolute_url() == reverse(
        "articles:article", kwargs={"pk": story.pk, "slug": story.slug}
    )
    assert story.get_absolute_url() == f"/news/{story.pk}/malik-says-isi-chief-will-press-us/"
    assert story.section.get_absolute_url() == reverse(
        "articles:section", kwargs={"slug": story.section.slug}
    )
    assert topic.get_absolute_url() == "/topic/drone-attacks/"


def test_links_follow_the_script_prefix_of_a_site_mounted_below_the_root():
    story = make_article()
    set_script_prefix("/paper/")
    try:
        assert story.get_absolute_url() == f"/paper/news/{story.pk}/{story.slug}/"
    finally:
        set_script_prefix("/")
    assert story.get_absolute_url() == f"/news/{story.pk}/{story.slug}/"
