"""The scopes every reader page reads (articles.pages.SITE and LISTINGS) get their first
versions here, so that no reader's request has to create them. (A scope that is missing
all the same, after a flush in tests, gets one on its first read.)"""

import uuid

from django.db import migrations
from django.utils import timezone


def create_versions(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    PageVersion = apps.get_model("pagecache", "PageVersion")
    now = timezone.now()
    next_scheduled = (
        Article.objects.filter(status="published", published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    for scope, valid_until in (("site", next_scheduled), ("listings", None)):
        PageVersion.objects.update_or_create(
            scope=scope,
            defaults={"version": uuid.uuid4().hex, "changed_at": now, "valid_until": valid_until},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_delete_pageversion"),
        ("pagecache", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_versions, migrations.RunPython.noop)]
