from django.conf import settings
from django.db import models
from django.utils import timezone

from articles.models import Section


class SectionAssignmentQuerySet(models.QuerySet):
    def sections_first_for(self, user) -> list[int]:
        """The sections whose comments come first in `user`'s queues: their own, none for
        a superuser."""
        if user.is_superuser:
            return []
        return list(self.filter(moderator=user).values_list("section_id", flat=True))


class SectionAssignment(models.Model):
    """A moderator looks after a section: its comments come first in their queues.
    Moderators without assignments (and superusers) see every section alike."""

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Moderator",
        on_delete=models.CASCADE,
        related_name="moderated_sections",
    )
    section = models.ForeignKey(
        Section, verbose_name="Section", on_delete=models.CASCADE, related_name="+"
    )

    objects = SectionAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "moderator's section"
        verbose_name_plural = "moderators' sections"
        constraints = [
            models.UniqueConstraint(fields=["moderator", "section"], name="assignment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.moderator} moderates {self.section}"


class PersonNote(models.Model):
    """A moderator's note on a commenter, kept with their history. A commenter is who the
    site knows them as (`Comment.reader_key`: their account, or their reader cookie)."""

    reader_key = models.CharField("Reader", max_length=100, db_index=True)
    text = models.TextField("Note", max_length=2000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="By",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField("Written at", default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "note on a commenter"
        verbose_name_plural = "notes on commenters"

    def __str__(self) -> str:
        return f"Note on {self.reader_key}"
