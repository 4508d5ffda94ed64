"""Guide pages: plain-language articles imported from documents and kept in the admin."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.functional import cached_property

from directory.models import Condition, Modality

if TYPE_CHECKING:
    from .rendering import Rendered

WORDS_PER_MINUTE = 200


class Topic(models.TextChoices):
    FINDING = "finding-a-provider", "Finding a provider"
    TREATMENT_RESISTANCE = "treatment-resistance", "Treatment resistance"
    APPROACHES = "therapy-approaches", "Therapy approaches"
    NOT_WORKING = "when-therapy-is-not-working", "When therapy is not working"
    MEDICATION = "medication", "Medication"
    COMPLEMENTARY = "complementary-approaches", "Complementary approaches"


class GuideQuerySet(models.QuerySet):
    """Every public guide filter is one method here. Blank input is a no-op, so the methods chain."""

    def published(self) -> GuideQuerySet:
        return self.filter(published=True)

    def matching(self, q: str | None) -> GuideQuerySet:
        """Every word of q appears in the title, a summary, the body or a tag's name."""
        words = (q or "").split()
        if not words:
            return self
        qs = self
        for word in words:
            qs = qs.filter(
                Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Q(in_short__icontains=word)
                | Q(body__icontains=word)
                | Exists(Guide.modalities.through.objects.filter(guide=OuterRef("pk"), modality__name__icontains=word))
                | Exists(
                    Guide.conditions.through.objects.filter(guide=OuterRef("pk"), condition__name__icontains=word)
                )
            )
        return qs

    def about_condition(self, slugs: list[str] | None) -> GuideQuerySet:
        """A guide about a narrower condition (treatment-resistant depression) counts for the broader one."""
        slugs = [s for s in (slugs or []) if s]
        if not slugs:
            return self
        counted = Condition.objects.with_narrower(slugs).values("pk")
        return self.filter(
            Exists(Guide.conditions.through.objects.filter(guide=OuterRef("pk"), condition__in=counted))
        )

    def using_modality(self, slugs: list[str] | None) -> GuideQuerySet:
        slugs = [s for s in (slugs or []) if s]
        if not slugs:
            return self
        return self.filter(
            Exists(Guide.modalities.through.objects.filter(guide=OuterRef("pk"), modality__slug__in=slugs))
        )

    def on_topic(self, topic: str | None) -> GuideQuerySet:
        return self.filter(topic=topic) if topic else self

    def for_cards(self) -> GuideQuerySet:
        return self.prefetch_related(
            models.Prefetch("modalities", queryset=Modality.objects.only("slug", "name", "position")),
            models.Prefetch("conditions", queryset=Condition.objects.only("slug", "name", "position")),
        )

    def related_to(self, guide: Guide) -> GuideQuerySet:
        """Other guides sharing the most modalities and conditions with guide, the closest first."""
        modalities = guide.modalities.values("pk")
        conditions = guide.conditions.values("pk")
        return (
            self.exclude(pk=guide.pk)
            .annotate(
                shared=Count("modalities", filter=Q(modalities__in=modalities), distinct=True)
                + Count("conditions", filter=Q(conditions__in=conditions), distinct=True)
            )
            .filter(shared__gt=0)
            .order_by("-shared", "title")
        )


class GuideManager(models.Manager.from_queryset(GuideQuerySet)):
    def get_by_natural_key(self, slug: str) -> Guide:
        return self.get(slug=slug)


class Guide(models.Model):
    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=600, help_text="One or two sentences shown in the guide list.")
    body = models.TextField(
        help_text="Markdown. Start sections with ## and sub-sections with ###; tables use | pipes |. "
        "Script and styles are removed when the page is shown."
    )
    in_short = models.TextField(
        "In short", max_length=800, blank=True,
        help_text="A plain-language summary at the top of the page: short sentences, everyday words "
        "(US grade 8 or below).",
    )
    source = models.CharField(
        max_length=200, blank=True,
        help_text="The document this guide was imported from. Kept for the import; never shown publicly.",
    )
    reviewed_on = models.DateField(null=True, blank=True, help_text="When an editor last reviewed the guide.")
    reviewed_by = models.CharField(
        max_length=200, blank=True, help_text="Who reviewed it, as shown on the page (e.g. a team's name)."
    )
    topic = models.CharField(max_length=40, choices=Topic.choices)
    conditions = models.ManyToManyField(Condition, blank=True, related_name="guides")
    modalities = models.ManyToManyField(Modality, blank=True, related_name="guides")
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False)
    published = models.BooleanField(default=True, help_text="Unpublished guides never appear publicly.")
    # Empty for guides loaded from the shipped fixture, which carries no timestamps so it stays reproducible.
    updated = models.DateTimeField(auto_now=True, null=True)

    objects = GuideManager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""), name="guide_title_required", violation_error_message="A guide needs a title."
            ),
            models.CheckConstraint(
                condition=~Q(slug=""), name="guide_slug_required", violation_error_message="A guide needs a slug."
            ),
            models.CheckConstraint(
                condition=Q(reviewed_on__isnull=True) | ~Q(reviewed_by=""),
                name="guide_reviewed_by_someone",
                violation_error_message="A review date needs the name of who reviewed the guide.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    natural_key.dependencies = ["directory.modality", "directory.condition"]

    def get_absolute_url(self) -> str:
        return reverse("guide_detail", args=[self.slug])

    def save(self, *args, **kwargs) -> None:
        self.reading_minutes = reading_minutes(self.body)
        # update_or_create saves only the fields it was given: the reading time goes with the body.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "reading_minutes"}
        super().save(*args, **kwargs)

    def opens_with_summary(self) -> bool:
        """The body's first paragraph already says the summary, so the page need not say it twice."""
        first = next((b for b in self.body.split("\n\n") if b.strip() and not b.lstrip().startswith("#")), "")
        return bool(self.summary.strip()) and self.summary.strip() in first

    @cached_property
    def rendered(self) -> Rendered:
        from .rendering import render_body

        return render_body(self.body, notes=self.notes.all())


class EditorNoteManager(models.Manager):
    def get_by_natural_key(self, claim: str, guide_slug: str) -> EditorNote:
        return self.get(claim=claim, guide__slug=guide_slug)


class EditorNote(models.Model):
    """An editor's remark on one claim in a guide, shown right after the paragraph that makes the claim."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="notes")
    claim = models.CharField(
        max_length=300,
        help_text="Words quoted exactly from the body; the note is shown after the paragraph that contains them.",
    )
    note = models.TextField(help_text="Plain text, shown after the label “Editor's note”.")

    objects = EditorNoteManager()

    class Meta:
        ordering = ["guide", "id"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "claim"], name="editornote_one_per_claim"),
            models.CheckConstraint(
                condition=~Q(claim="") & ~Q(note=""),
                name="editornote_claim_and_note_required",
                violation_error_message="An editor's note needs the claim it is about and the note itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"“{self.claim}”"

    def natural_key(self) -> tuple[str, str]:
        return (self.claim, *self.guide.natural_key())

    natural_key.dependencies = ["guides.guide"]


def reading_minutes(markdown_text: str) -> int:
    return max(1, math.ceil(len(re.findall(r"\w+", markdown_text or "")) / WORDS_PER_MINUTE))
