"""The fit finder's own data: what to consider next when something did not help."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from directory.models import Condition, Modality


class NextStepRuleManager(models.Manager):
    def get_by_natural_key(self, condition: str, after: str, any_therapy: bool, medication: bool, suggest: str):
        return self.get(
            condition__slug=condition or None, after__slug=after or None,
            after_any_therapy=any_therapy, after_medication=medication, suggest__slug=suggest,
        )


class NextStepRule(models.Model):
    """When something did not help, an approach worth considering next: editable data, not code.

    A rule applies when every condition it sets holds for a person's answers; blank conditions
    always hold. Suggestions the person already tried are never made.
    """

    condition = models.ForeignKey(
        Condition, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Applies when the person names this concern (or a narrower one). Empty: any concern.",
    )
    after = models.ForeignKey(
        Modality, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Applies when the person tried this approach. Empty: see the two boxes below.",
    )
    after_any_therapy = models.BooleanField(
        default=False, help_text="Applies only when the person tried at least one psychotherapy."
    )
    after_medication = models.BooleanField(
        default=False, help_text="Applies only when the person tried medication."
    )
    suggest = models.ForeignKey(Modality, on_delete=models.CASCADE, related_name="+")
    even_if_tried = models.BooleanField(
        default=False, help_text="Suggest it even when the person tried it (e.g. a medication review)."
    )
    why = models.CharField(max_length=300, help_text="One plain-language line shown with the suggestion.")
    position = models.PositiveSmallIntegerField(default=0)

    objects = NextStepRuleManager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "next step rule"
        constraints = [
            models.CheckConstraint(
                condition=~Q(after__isnull=True, after_any_therapy=False, after_medication=False),
                name="nextsteprule_has_a_trigger",
                violation_error_message="Say what the person tried: an approach, any therapy, or medication.",
            ),
            models.UniqueConstraint(
                fields=["condition", "after", "after_any_therapy", "after_medication", "suggest"],
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

    def trigger_text(self) -> str:
        parts = [str(self.after)] if self.after else []
        if self.after_any_therapy:
            parts.append("therapy")
        if self.after_medication:
            parts.append("medication")
        text = " and ".join(parts) + " did not help"
        return f"{text} ({self.condition})" if self.condition else text
