from django.db import models
from django.db.models import Subquery
from django.urls import reverse
from django.utils import timezone


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
        return reverse("articles:section", kwargs={"slug": self.slug})


class Topic(models.Model):
    name = models.CharField("Name", max_length=150, unique=True)
    slug = models.SlugField("Slug", max_length=150, unique=True)
    description = models.TextField("Description", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:topic", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """The one definition of what readers may see: published, and not scheduled."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())

    def latest_print_edition(self) -> "ArticleQuerySet":
        """Published stories of the newest print edition (one query, via a subquery)."""
        published = self.published()
        newest = (
            published.exclude(print_edition_date=None)
            .order_by("-print_edition_date")
            .values("print_edition_date")[:1]
        )
        return published.filter(print_edition_date=Subquery(newest))


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    headline = models.CharField("Headline", max_length=255)
    slug = models.SlugField(
        "Slug", max_length=255, help_text="The story's address: words from the headline."
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
    body = models.TextField("Body", help_text="Paragraphs separated by a blank line.")
    byline = models.CharField("Byline", max_length=255, blank=True)
    lead_photo_caption = models.CharField("Lead photo caption", max_length=500, blank=True)
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
    created_at = models.DateTimeField("Created at", auto_now_add=True)
    updated_at = models.DateTimeField("Updated at", auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_published_idx"),
            models.Index(fields=["section", "status", "-published_at"], name="article_section_idx"),
            models.Index(fields=["print_edition_date"], name="article_print_edition_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published"]),
                name="article_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def get_absolute_url(self) -> str:
        return reverse("articles:article", kwargs={"pk": self.pk, "slug": self.slug})

    def paragraphs(self) -> list[str]:
        """The body split at blank lines; each becomes its own <p>."""
        normalized = self.body.replace("\r\n", "\n")
        return [p.strip("\n") for p in normalized.split("\n\n") if p.strip()]


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
