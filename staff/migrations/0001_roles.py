"""The Editors and Moderators groups, as staff.roles defines them.

comments 0002 created them before the roles moved here and is now empty; on a database
that ran it, this migration brings the groups' permissions up to date.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from staff import roles


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; a fresh database
    # needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles.assign_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=roles.PERMISSIONS).delete()


class Migration(migrations.Migration):
    # Every model the roles grant permissions on must exist: the latest of both apps.
    dependencies = [
        ("articles", "0004_article_slug_no_plain_index"),
        ("comments", "0003_comment_form_nonce"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
