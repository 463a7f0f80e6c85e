import secrets
from datetime import timedelta
from pathlib import PurePosixPath

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import connection, models
from django.db.models import F, Subquery
from django.utils import timezone

from articles.html import body_blocks, sanitize_body
from articles.links import link

SEARCH_CONFIG = "english"
# Search snippets mark matches with private-use characters, turned into <mark> only
# after the snippet has been stripped of tags and escaped.
SNIPPET_START, SNIPPET_STOP = "\ue000", "\ue001"
LEAD_PHOTO_MAX_BYTES = 10 * 1024 * 1024
# An edit this long after publication is a correction readers are told about.
CORRECTION_AFTER = timedelta(minutes=5)


def validate_photo_size(photo) -> None:
    if photo.size > LEAD_PHOTO_MAX_BYTES:
        raise ValidationError(
            "The photo is too large (%(size)s MB): the limit is %(limit)s MB.",
            params={
                "size": f"{photo.size / 1024 / 1024:.1f}",
                "limit": LEAD_PHOTO_MAX_BYTES // 1024 // 1024,
            },
        )


def lead_photo_path(article, filename: str) -> str:
    """Where an uploaded photo is kept: a random name under the month of its upload, with
    only the extension of the name it came with (the admin re-encodes photos first)."""
    extension = PurePosixPath(filename).suffix.lower()
    if not extension[1:].isalnum() or len(extension) > 5:
        extension = ""
    return f"lead-photos/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{extension}"


class Section(models.Model):
    name = models.CharField("Name", max_length=100, unique=True)
    slug = models.SlugField("Slug", max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(
        "Order", default=0, help_text="Sections are listed in the navigation by this number."
    )

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return link("articles:section", slug=self.slug)


class Topic(models.Model):
    name = models.CharField("Name", max_length=150, unique=True)
    slug = models.SlugField("Slug", max_length=150, unique=True)
    description = models.TextField("Description", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return link("articles:topic", slug=self.slug)


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """The one definition of what readers may see: published, and not scheduled."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())

    def for_listing(self) -> "ArticleQuerySet":
        """What a list of stories shows: section, comment count (through the thread's
        stored count), no bodies."""
        return self.select_related("section", "thread").defer("body")

    def as_links(self) -> "ArticleQuerySet":
        """Just what a link to a story shows: its address, headline and teaser. Fewer
        columns make the query cheaper to build and to read, on every story page."""
        return self.only("slug", "headline", "teaser")

    def latest_per_section(self, per_section: int) -> "ArticleQuerySet":
        """The newest few published stories of each section. A LATERAL join reads a few
        rows per section from the section index (a window over every story would read
        them all, and a UNION of per-section queries costs more to build than to run)."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT newest.id FROM articles_section AS section
                CROSS JOIN LATERAL (
                    SELECT story.id FROM articles_article AS story
                    WHERE story.section_id = section.id
                      AND story.status = %s AND story.published_at <= %s
                    ORDER BY story.published_at DESC, story.id DESC
                    LIMIT %s
                ) AS newest
                """,
                [Article.Status.PUBLISHED, timezone.now(), per_section],
            )
            ids = [row[0] for row in cursor.fetchall()]
        return self.filter(pk__in=ids)

    def search(self, text: str, *, newest: int = 300) -> "ArticleQuerySet":
        """Stories matching a reader's words, best first: headline weighs most, then the
        teaser, then the body. Any input is safe: websearch syntax never fails to parse.

        Ranking reads each match's search document, so it is done among the `newest`
        matching stories only: a word found in most of 100,000 stories still answers
        in milliseconds, and a news reader wants the recent ones anyway.
        """
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        candidates = (
            self.filter(search_document=query).order_by("-published_at").values("pk")[:newest]
        )
        return (
            self.filter(pk__in=Subquery(candidates))
            .annotate(
                rank=SearchRank(F("search_document"), query),
                snippet=SearchHeadline(
                    "body",
                    query,
                    config=SEARCH_CONFIG,
                    start_sel=SNIPPET_START,
                    stop_sel=SNIPPET_STOP,
                    max_words=35,
                    min_words=15,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "-published_at", "-pk")
        )

    def print_edition_dates(self) -> "ArticleQuerySet":
        """The dates of the print editions that published stories appeared in, newest
        first (a date repeats once per story: take one with first() or last())."""
        return (
            self.published()
            .exclude(print_edition_date=None)
            .order_by("-print_edition_date")
            .values_list("print_edition_date", flat=True)
        )

    def latest_print_edition(self) -> "ArticleQuerySet":
        """Published stories of the newest print edition (one query, via a subquery)."""
        newest = self.print_edition_dates()[:1]
        return self.published().filter(print_edition_date=Subquery(newest))


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def get_queryset(self) -> ArticleQuerySet:
        # The search document is for the database's own use; reading it back for every
        # listed story would cost more than the rest of the row.
        return super().get_queryset().defer("search_document")


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    headline = models.CharField("Headline", max_length=255)
    # Stories are found by id (the slug in the address is for people); uniqueness per
    # day has its own index, so the slug needs no index of its own.
    slug = models.SlugField(
        "Slug",
        max_length=255,
        db_index=False,
        help_text="The story's address: words from the headline.",
    )
    section = models.ForeignKey(
        Section, verbose_name="Section", on_delete=models.PROTECT, related_name="articles"
    )
    topics = models.ManyToManyField(
        Topic, verbose_name="Topics", blank=True, related_name="articles"
    )
    dateline = models.CharField(
        "Dateline",
        max_length=100,
        blank=True,
        help_text="Where the story was filed, e.g. DUBAI. Shown in bold before the body.",
    )
    teaser = models.TextField(
        "Teaser", blank=True, help_text="One or two sentences shown in lists of stories."
    )
    body = models.TextField(
        "Body",
        help_text="Paragraphs separated by a blank line. HTML is allowed for links, bold, "
        "italic, block quotes, subheadings (h2, h3) and lists; anything else is removed "
        "when you save.",
    )
    byline = models.CharField("Byline", max_length=255, blank=True)
    lead_photo = models.ImageField(
        "Lead photo",
        upload_to=lead_photo_path,
        blank=True,
        width_field="lead_photo_width",
        height_field="lead_photo_height",
        validators=[
            FileExtensionValidator(["jpg", "jpeg", "png", "gif", "webp"]),
            validate_photo_size,
        ],
        help_text="JPEG, PNG, GIF or WebP, at most 10 MB and 50 megapixels. Kept without "
        "its metadata (camera, place) and at most 4,000 pixels wide or high.",
    )
    lead_photo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lead_photo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lead_photo_caption = models.CharField("Caption", max_length=500, blank=True)
    lead_photo_alt = models.CharField(
        "Alt text",
        max_length=300,
        blank=True,
        help_text="What the photo shows, for readers who cannot see it.",
    )
    status = models.CharField("Status", max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "Published at",
        default=timezone.now,
        help_text="A time in the future schedules the story: readers see it from then on.",
    )
    print_edition_date = models.DateField(
        "Print edition date",
        null=True,
        blank=True,
        help_text="The newspaper edition this story ran in, for “From The Newspaper”.",
    )
    # Full-text search document, kept by PostgreSQL itself (a generated column), so
    # every write path — the admin, fixtures, bulk inserts — keeps it current.
    search_document = models.GeneratedField(
        expression=(
            SearchVector("headline", weight="A", config=SEARCH_CONFIG)
            + SearchVector("teaser", weight="B", config=SEARCH_CONFIG)
            + SearchVector("body", weight="C", config=SEARCH_CONFIG)
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # The newsroom-clock day of publication: slugs are unique per day.
    publication_date = models.DateField("Publication date", editable=False)
    created_at = models.DateTimeField("Created at", auto_now_add=True)
    updated_at = models.DateTimeField("Updated at", auto_now=True)

    objects = ArticleManager()

    class Meta:
        verbose_name = "story"
        verbose_name_plural = "stories"
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_published_idx"),
            models.Index(fields=["section", "status", "-published_at"], name="article_section_idx"),
            models.Index(fields=["print_edition_date"], name="article_print_edition_idx"),
            GinIndex(fields=["search_document"], name="article_search_idx"),
            # /media/ finds the story a photo belongs to, to serve it only if published.
            models.Index(
                fields=["lead_photo"],
                name="article_lead_photo_idx",
                condition=~models.Q(lead_photo=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published"]),
                name="article_status_valid",
            ),
            models.UniqueConstraint(
                fields=["publication_date", "slug"], name="article_slug_unique_per_day"
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def save(self, *args, **kwargs) -> None:
        self.body = sanitize_body(self.body)
        self.publication_date = timezone.localdate(self.published_at)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "published_at" in update_fields:
            kwargs["update_fields"] = {*update_fields, "publication_date"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return link("articles:article", pk=self.pk, slug=self.slug)

    def clean(self) -> None:
        # The unique constraint names a field the form does not show, so the form would
        # not check it: check here, with a message an editor understands.
        if self.published_at and self.slug:
            same_day = Article.objects.filter(
                slug=self.slug, publication_date=timezone.localdate(self.published_at)
            ).exclude(pk=self.pk)
            if same_day.exists():
                raise ValidationError(
                    {"slug": "Another story published that day has this slug: change it."}
                )

    def was_corrected(self) -> bool:
        """Edited after publication: readers see "Updated <time>"."""
        return self.updated_at - max(self.published_at, self.created_at) > CORRECTION_AFTER

    def body_blocks(self):
        """The body as sanitised blocks: paragraphs (each its own <p>) and block elements."""
        return body_blocks(self.body)


class RelatedStory(models.Model):
    """A story an editor pins to another's "More From This Section", in order."""

    MAX_PER_STORY = 4

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(
        Article,
        verbose_name="Related story",
        on_delete=models.CASCADE,
        related_name="pinned_in",
    )
    position = models.PositiveSmallIntegerField("Position", default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "related story"
        verbose_name_plural = "related stories (shown first, at most four)"
        constraints = [
            models.UniqueConstraint(fields=["article", "related"], name="related_story_once"),
            models.CheckConstraint(
                condition=~models.Q(article=models.F("related")), name="related_story_not_self"
            ),
        ]

    def __str__(self) -> str:
        return str(self.related)


class PromoQuerySet(models.QuerySet):
    def for_article(self, article: Article) -> "PromoQuerySet":
        """Active story-page promos for this story's section (no sections = everywhere)."""
        return (
            self.filter(is_active=True)
            .filter(models.Q(sections=None) | models.Q(sections=article.section_id))
            .select_related("topic")
            .distinct()
        )


class Promo(models.Model):
    """A box beside the story: "Explore: <topic>" or a link such as a quiz."""

    class Kind(models.TextChoices):
        EXPLORE = "explore", "Explore a topic"
        QUIZ = "quiz", "Quiz"
        LINK = "link", "Link"

    kind = models.CharField("Kind", max_length=20, choices=Kind.choices, default=Kind.LINK)
    title = models.CharField(
        "Title",
        max_length=255,
        blank=True,
        help_text="Shown in the box. Explore boxes may leave it blank: “Explore: <topic>”.",
    )
    topic = models.ForeignKey(
        Topic,
        verbose_name="Topic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text="For Explore boxes: the topic page the box links to.",
    )
    url = models.CharField(
        "Link", max_length=500, blank=True, help_text="For quiz and link boxes: where it leads."
    )
    sections = models.ManyToManyField(
        Section,
        verbose_name="Shown in sections",
        blank=True,
        help_text="Story pages of these sections show the box; none chosen means every section.",
    )
    is_active = models.BooleanField("Active", default=True)
    order = models.PositiveSmallIntegerField("Order", default=0)

    objects = PromoQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="explore") | models.Q(topic__isnull=False),
                name="promo_explore_has_topic",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        if self.topic_id:
            return f"Explore: {self.topic.name}"
        return self.url

    @property
    def link(self) -> str:
        if self.kind == self.Kind.EXPLORE and self.topic_id:
            return self.topic.get_absolute_url()
        return self.url
