from django.db import models


class PageVersion(models.Model):
    """The version of one scope of reader pages: a page's cache key and ETag carry the
    versions of what it shows, so a change makes it fresh at once, in every worker.

    Kept in the database (not the cache) so that every gunicorn worker sees a bump, even
    with the per-process local-memory cache.
    """

    scope = models.CharField(max_length=100, primary_key=True)
    version = models.CharField(max_length=40)
    changed_at = models.DateTimeField()
    # The moment the scope changes by itself (a scheduled story goes live): the first
    # request after it bumps the version.
    valid_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.scope} @ {self.version}"
