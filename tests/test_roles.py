import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from staff import roles
from tests.factories import make_article

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-newsroom-passphrase"


def permissions(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


EDITING = {
    *(
        f"articles.{a}_{m}"
        for a in ("add", "change", "view")
        for m in ("article", "section", "topic", "promo")
    ),
    *(f"articles.{a}_relatedstory" for a in ("add", "change", "delete", "view")),
    "comments.view_thread",
    "comments.view_comment",
    *(f"comments.{a}_sectionpolicy" for a in ("add", "change", "view")),
}
MODERATION = {
    "articles.view_article",
    "comments.view_thread",
    "comments.change_thread",
    "comments.close_thread",
    "comments.view_comment",
    "comments.change_comment",
    "comments.moderate_comment",
    "comments.search_comment",
    "comments.view_commentreport",
    "comments.view_moderationevent",
    *(f"comments.{a}_sectionpolicy" for a in ("add", "change", "view")),
    *(f"comments.{a}_watchedword" for a in ("add", "change", "delete", "view")),
    *(f"comments.{a}_sanction" for a in ("add", "change", "view")),
    *(f"moderation.{a}_sectionassignment" for a in ("add", "change", "delete", "view")),
    "moderation.add_personnote",
    "moderation.view_personnote",
}


def test_editors_group_has_exactly_the_editing_permissions():
    assert permissions("Editors") == EDITING


def test_moderators_group_has_exactly_the_moderation_permissions():
    assert permissions("Moderators") == MODERATION


def test_staff_migration_creates_the_groups_and_unapplying_it_removes_them(migrations):
    executor = migrations
    executor.migrate([("staff", None)])
    assert not Group.objects.filter(name__in=["Editors", "Moderators"]).exists()
    # A fresh database has no permissions yet when the migrations run: Django creates
    # them only after the last one.
    Permission.objects.all().delete()

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("staff"))

    assert permissions("Editors") == EDITING
    assert permissions("Moderators") == MODERATION


def test_assigning_the_roles_again_takes_back_a_permission_added_by_hand():
    editors = Group.objects.get(name="Editors")
    editors.permissions.add(Permission.objects.get(codename="delete_article"))

    roles.assign_roles(Group, Permission)
    roles.assign_roles(Group, Permission)

    assert permissions("Editors") == EDITING
    assert Group.objects.filter(name__in=["Editors", "Moderators"]).count() == 2


def create(username: str, role: str, monkeypatch) -> object:
    monkeypatch.setenv("STAFF_PASSWORD", PASSWORD)
    call_command("createstaff", username, "--role", role, "--password-from-env", "STAFF_PASSWORD")
    return get_user_model().objects.get(username=username)


def test_createstaff_makes_an_editor_who_can_write_but_not_delete(client, monkeypatch):
    editor = create("eda", "editor", monkeypatch)
    article = make_article()

    assert editor.is_staff and not editor.is_superuser
    assert editor.has_perm("articles.change_article")
    assert not editor.has_perm("articles.delete_article")
    client.force_login(editor)
    assert client.get("/admin/articles/article/add/").status_code == 200
    assert client.get(f"/admin/articles/article/{article.pk}/delete/").status_code == 403


def test_moderator_cannot_reach_article_forms(client, monkeypatch):
    moderator = create("mo", "moderator", monkeypatch)
    article = make_article()
    client.force_login(moderator)

    assert client.get("/admin/comments/comment/").status_code == 200
    assert client.get("/admin/articles/article/add/").status_code == 403
    response = client.post(
        f"/admin/articles/article/{article.pk}/change/", {"headline": "Rewritten"}
    )
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.headline != "Rewritten"


def test_createstaff_refuses_a_weak_password_and_saves_nothing(monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "123")

    with pytest.raises(CommandError, match="too short"):
        call_command(
            "createstaff", "weak", "--role", "editor", "--password-from-env", "STAFF_PASSWORD"
        )

    assert not get_user_model().objects.filter(username="weak").exists()


def test_createstaff_refuses_an_existing_username(monkeypatch):
    create("taken", "moderator", monkeypatch)

    with pytest.raises(CommandError, match="already exists"):
        create("taken", "editor", monkeypatch)


def test_createstaff_refuses_a_role_that_does_not_exist(monkeypatch):
    with pytest.raises(CommandError, match="invalid choice"):
        create("root", "admin", monkeypatch)

    assert not get_user_model().objects.filter(username="root").exists()
