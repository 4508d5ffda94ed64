"""The fit finder's own data, editable in the admin: which approaches are worth asking about for a person's
concern, age and what they tried (with an evidence order), and notes for concerns and ages that need one."""

from __future__ import annotations

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce

from directory.models import AgeGroup, Condition, Modality


class Evidence(models.IntegerChoices):
    """How strongly guidelines back an approach for a concern: suggestions are listed strongest first."""

    FIRST_LINE = 1, "First-line"
    NEXT = 2, "Often tried next"
    LATER = 3, "When other steps have not helped"


class NextStepRuleManager(models.Manager):
    def get_by_natural_key(self, condition: str, after: str, any_therapy: bool, medication: bool, suggest: str):
        return self.get(
            condition__slug=condition or None, after__slug=after or None,
            after_any_therapy=any_therapy, after_medication=medication, suggest__slug=suggest,
        )


class NextStepRule(models.Model):
    """An approach worth asking about, for a concern and/or after something did not help: data, not code.

    A rule applies when every condition it sets holds for a person's answers; blank conditions always hold.
    Suggestions the person already tried are never made (unless the rule says so), nor an approach below its
    minimum age for the person's age group.
    """

    condition = models.ForeignKey(
        Condition, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Applies when the person names this concern or a narrower one (a rule for depression also "
                  "applies to treatment-resistant depression). Empty: any concern.",
    )
    after = models.ForeignKey(
        Modality, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Applies only when the person tried this approach. Empty: see the two boxes below.",
    )
    after_any_therapy = models.BooleanField(
        default=False, help_text="Applies only when the person tried at least one talk therapy."
    )
    after_medication = models.BooleanField(
        default=False, help_text="Applies only when the person tried medication."
    )
    age_groups = models.ManyToManyField(
        AgeGroup, blank=True, related_name="+",
        help_text="Applies only for these age groups (with no age group given: only if adults are among them). "
                  "Empty: any age. The approach's own minimum age always applies as well.",
    )
    suggest = models.ForeignKey(Modality, on_delete=models.CASCADE, related_name="+")
    even_if_tried = models.BooleanField(
        default=False, help_text="Suggest it even when the person tried it (e.g. a medication review)."
    )
    evidence = models.PositiveSmallIntegerField(
        choices=Evidence.choices, default=Evidence.NEXT,
        help_text="How strongly guidelines back it for this concern: suggestions come strongest first.",
    )
    why = models.CharField(max_length=300, help_text="One plain-language line shown with the suggestion.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Orders rules of the same evidence.")

    objects = NextStepRuleManager()

    class Meta:
        ordering = ["evidence", "position", "id"]
        verbose_name = "next step rule"
        constraints = [
            models.CheckConstraint(
                condition=~Q(condition__isnull=True, after__isnull=True, after_any_therapy=False,
                             after_medication=False),
                name="nextsteprule_has_a_concern_or_trigger",
                violation_error_message="Say which concern it is for, or what the person tried: an approach, "
                                        "any therapy, or medication.",
            ),
            # An empty concern or approach counts as one value here (in SQL, NULLs never clash).
            models.UniqueConstraint(
                Coalesce("condition", Value(0)), Coalesce("after", Value(0)), "after_any_therapy",
                "after_medication", "suggest",
                name="nextsteprule_unique",
                violation_error_message="This suggestion already exists for these answers.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trigger_text()} → {self.suggest}"

    def natural_key(self) -> tuple:
        return (
            self.condition.slug if self.condition else "",
            self.after.slug if self.after else "",
            self.after_any_therapy,
            self.after_medication,
            self.suggest.slug,
        )

    @property
    def triggered(self) -> bool:
        """Whether it applies only after something was tried."""
        return bool(self.after_id or self.after_any_therapy or self.after_medication)

    def trigger_text(self) -> str:
        parts = [str(self.after)] if self.after else []
        if self.after_any_therapy:
            parts.append("therapy")
        if self.after_medication:
            parts.append("medication")
        text = " and ".join(parts) + " did not help" if parts else "Any answers"
        return f"{text} ({self.condition})" if self.condition else text


class GuidanceNoteManager(models.Manager):
    def get_by_natural_key(self, condition: str, age_group: str):
        return self.get(condition__slug=condition or None, age_group__slug=age_group or None)


class GuidanceNote(models.Model):
    """A plain-language note shown with the fit finder's results when a person names a concern or age group
    that needs one (bipolar disorder and medication, eating disorders and a medical check, ...)."""

    condition = models.ForeignKey(
        Condition, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Shown when the person names this concern or a narrower one.",
    )
    age_group = models.ForeignKey(
        AgeGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Shown when the care is for this age group.",
    )
    text = models.TextField(help_text="One or two plain sentences. Phone numbers only from the crisis lines.")
    crisis_first = models.BooleanField(
        default=False, help_text="Also show the crisis lines before any provider, as when the person says they "
                                 "are in crisis.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = GuidanceNoteManager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(condition__isnull=False) | Q(age_group__isnull=False),
                name="guidancenote_has_a_concern_or_age",
                violation_error_message="Say which concern or age group the note is for.",
            ),
            models.UniqueConstraint(
                Coalesce("condition", Value(0)), Coalesce("age_group", Value(0)), name="guidancenote_unique",
                violation_error_message="There is already a note for this concern and age group.",
            ),
        ]

    def __str__(self) -> str:
        return " · ".join(str(part) for part in (self.condition, self.age_group) if part)

    def natural_key(self) -> tuple:
        return (self.condition.slug if self.condition else "", self.age_group.slug if self.age_group else "")
