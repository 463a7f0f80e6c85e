"""Moderators search comments by email and network, assign sections and keep notes on
commenters (comments 0011, moderation 0001)."""

from importlib import import_module

from django.db import migrations

create_groups = import_module("staff.migrations.0001_roles").create_groups


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_moderators_sanction"),
        ("comments", "0011_moderator_workspace"),
        ("moderation", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
