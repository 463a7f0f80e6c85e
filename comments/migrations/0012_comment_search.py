"""The moderators' search (moderation.search): a trigram index over the upper-cased text,
name and email of every comment, so that "contains" searches read the index instead of a
million rows. pg_trgm ships with PostgreSQL (and the embedded server) and is a trusted
extension: the database's owner may create it. Built concurrently: comments keep coming
while a large table is indexed."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("comments", "0011_moderator_workspace"),
    ]

    operations = [
        TrigramExtension(),
        AddIndexConcurrently(
            model_name="comment",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("body"), name="gin_trgm_ops"
                ),
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("author_name"), name="gin_trgm_ops"
                ),
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("author_email"), name="gin_trgm_ops"
                ),
                name="comment_search_idx",
            ),
        ),
    ]
