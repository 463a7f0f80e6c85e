"""Imports in the admin: sources are read, with their counts; old addresses are found by
address and kept in the one spelling the redirect looks up."""

import pytest
from django.urls import reverse

from imports.models import ImportedComment, ImportedStory, OldAddress, Source
from tests.factories import make_article, make_comments, make_staff

pytestmark = pytest.mark.django_db


def imported_site() -> tuple[Source, list]:
    source = Source.objects.create(kind=Source.Kind.WORDPRESS, name="https://old.example")
    stories = [make_article(headline=f"Imported {n}") for n in range(3)]
    for number, story in enumerate(stories):
        ImportedStory.objects.create(
            source=source, original_id=str(number), article=story, digest="x"
        )
        OldAddress.objects.create(address=f"/?p={number}", article=story, source=source)
    for number, comment in enumerate(make_comments(stories[0], 4)):
        ImportedComment.objects.create(
            source=source, original_id=str(number), comment=comment, digest="x"
        )
    return source, stories


def test_sources_list_their_kind_and_counts_and_cannot_be_changed(admin_client):
    source, _ = imported_site()
    Source.objects.create(kind=Source.Kind.DISQUS, name="old-forum")

    response = admin_client.get(reverse("admin:imports_source_changelist"))

    assert response.status_code == 200
    rows = {row.name: row for row in response.context["cl"].result_list}
    assert (rows[source.name].stories_count, rows[source.name].comments_count) == (3, 4)
    assert rows[source.name].old_addresses_count == 3
    assert (rows["old-forum"].stories_count, rows["old-forum"].comments_count) == (0, 0)
    page = response.content.decode()
    assert "WordPress (WXR)" in page and "Disqus" in page
    assert reverse("admin:imports_source_add") not in page
    assert admin_client.get(reverse("admin:imports_source_add")).status_code == 403
    change = reverse("admin:imports_source_change", args=[source.pk])
    assert admin_client.post(change, {"name": "renamed"}).status_code == 403
    delete = reverse("admin:imports_source_delete", args=[source.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    source.refresh_from_db()
    assert source.name == "https://old.example"


def test_old_addresses_are_searched_by_address(admin_client):
    imported_site()
    OldAddress.objects.create(address="/2014/05/flood-story", article=make_article())

    response = admin_client.get(reverse("admin:imports_oldaddress_changelist"), {"q": "flood"})

    assert [row.address for row in response.context["cl"].result_list] == ["/2014/05/flood-story"]


def test_an_old_address_added_by_hand_is_kept_in_the_redirects_spelling(admin_client, client):
    story = make_article()
    add = reverse("admin:imports_oldaddress_add")

    response = admin_client.post(
        add, {"address": "https://old.example/2014/05/story/?utm_source=x", "article": story.pk}
    )

    assert response.status_code == 302
    assert OldAddress.objects.get().address == "/2014/05/story"
    refused = admin_client.post(add, {"address": "https://old.example/", "article": story.pk})
    assert "This names no page" in refused.content.decode()
    again = admin_client.post(add, {"address": "/2014/05/story/", "article": story.pk})
    assert "already exists" in again.content.decode()
    assert OldAddress.objects.count() == 1
    assert client.get("/2014/05/story/")["Location"] == story.get_absolute_url()


def test_editors_and_moderators_do_not_see_imports(client):
    for group in ("Editors", "Moderators"):
        user = make_staff(f"someone-{group}", group)
        assert not user.has_perm("imports.view_source")
        assert not user.has_perm("imports.change_oldaddress")
