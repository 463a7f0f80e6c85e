"""Moderators impose and lift sanctions on readers' accounts (comments 0007)."""

from importlib import import_module

from django.db import migrations

# The same step as 0001: create any missing permissions, then give each group exactly
# what staff.roles says.
create_groups = import_module("staff.migrations.0001_roles").create_groups


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_roles"),
        ("comments", "0007_sanctions_and_trust"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
