"""The two staff roles, as groups with exact permissions. This migration owns them.

Editors write and publish stories and manage sections, topics and promos; they never
delete (only superusers do). Moderators run comment threads: approve, remove, restore,
close and reopen, keep the watch list and the sections' comment policies; they can read
stories but not add or change them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Editors": [
        ("articles", "article", ["add", "change", "view"]),
        ("articles", "section", ["add", "change", "view"]),
        ("articles", "topic", ["add", "change", "view"]),
        ("articles", "promo", ["add", "change", "view"]),
        # Pinning related stories (the pins, not the stories, can be deleted).
        ("articles", "relatedstory", ["add", "change", "delete", "view"]),
        ("comments", "thread", ["view"]),
        ("comments", "comment", ["view"]),
        ("comments", "sectionpolicy", ["add", "change", "view"]),
    ],
    "Moderators": [
        ("articles", "article", ["view"]),
        ("comments", "thread", ["view", "change", "close_thread"]),
        ("comments", "comment", ["view", "change", "moderate_comment"]),
        ("comments", "commentreport", ["view"]),
        ("comments", "moderationevent", ["view"]),
        ("comments", "sectionpolicy", ["add", "change", "view"]),
        ("comments", "watchedword", ["add", "change", "delete", "view"]),
    ],
}


def codename(action: str, model: str) -> str:
    # Custom permissions are named in full; the default ones are "<action>_<model>".
    return action if "_" in action else f"{action}_{model}"


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; a fresh database
    # needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    assign_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def assign_roles(Group, Permission) -> None:
    """Create the groups and give each exactly its permissions (the tests also call it,
    to restore the roles after a transactional test emptied the database)."""
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(
                content_type__app_label=app_label,
                content_type__model=model,
                codename=codename(action, model),
            )
            for app_label, model, actions in grants
            for action in actions
        ]
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("comments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
