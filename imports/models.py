"""Where imported rows came from, so that an import run again changes nothing and a
newer export of the same site updates what changed; and the old addresses that answer
with a permanent redirect to an imported story."""

from django.db import models
from django.utils import timezone

from articles.models import Article
from comments.models import Comment


class Source(models.Model):
    """One site or forum imports come from: a WordPress site (its base address) or a
    Disqus forum (its short name). Original ids are unique only within their source."""

    class Kind(models.TextChoices):
        WORDPRESS = "wordpress", "WordPress (WXR)"
        DISQUS = "disqus", "Disqus"

    kind = models.CharField("Kind", max_length=20, choices=Kind.choices)
    name = models.CharField("Site or forum", max_length=500)
    first_imported_at = models.DateTimeField("First imported at", auto_now_add=True)
    last_imported_at = models.DateTimeField("Last imported at", auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="import_source_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class ImportedStory(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="stories")
    original_id = models.CharField("Original id", max_length=100)
    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="imported_as")
    # A hash of the record as last imported: the same record again is "unchanged"
    # without comparing field by field.
    digest = models.CharField(max_length=64)
    # When an import last wrote the story: a story saved here after that (an editor's
    # correction, an unpublishing) is kept as it is by a newer export.
    imported_at = models.DateTimeField("Last imported at", default=timezone.now)
    # The featured image's address on the old site (kept whether or not the file came).
    photo_url = models.URLField("Featured image's address", max_length=1000, blank=True)

    class Meta:
        verbose_name_plural = "imported stories"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "original_id"], name="imported_story_once_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} #{self.original_id}"


class ImportedComment(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="comments")
    original_id = models.CharField("Original id", max_length=100)
    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="imported_as")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "original_id"], name="imported_comment_once_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} #{self.original_id}"


class OldAddressQuerySet(models.QuerySet):
    def story_for(self, address: str) -> Article | None:
        """The published story an old address (path and query, as `old_address()` writes
        it) leads to, if any."""
        found = (
            self.filter(address=address, article__in=Article.objects.published())
            .select_related("article")
            .first()
        )
        return found.article if found else None


class OldAddress(models.Model):
    """An address a story had on the old site (its permalink, `/?p=<id>`): answered with
    a 301 to the story, so links and search rankings survive the move."""

    # Path and query only, normalised by imports.addresses.old_address(): the old site's
    # host is usually this site's host once the move is done.
    address = models.CharField("Old address", max_length=1000, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_addresses")
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, null=True, blank=True, related_name="old_addresses"
    )

    objects = OldAddressQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "old addresses"

    def __str__(self) -> str:
        return self.address
