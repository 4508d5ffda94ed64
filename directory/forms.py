"""The public form for reporting a problem with a listing."""

from __future__ import annotations

from django import forms
from django.db import transaction

from .models import Provider, Report

MAX_DETAILS = 1000


class ReportForm(forms.ModelForm):
    """Stores the reason and what the person wrote, nothing about who they are."""

    reason = forms.ChoiceField(
        label="What is the problem?",
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the problem is.",
                        "invalid_choice": "Choose one of the listed problems."},
    )
    details = forms.CharField(
        label="What was wrong? (optional)",
        required=False,
        max_length=MAX_DETAILS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_DETAILS}),
        help_text=f"Up to {MAX_DETAILS} characters. Please do not include your name or health information.",
    )

    class Meta:
        model = Report
        fields = ["reason", "details"]

    def clean(self) -> dict:
        # The site refuses file parts before any view runs (settings); should that ever change, reports stay text.
        if self.files:
            raise forms.ValidationError("Reports are text only: remove the attached file and describe the problem "
                                        "in words.")
        return super().clean()

    def save_for(self, provider: Provider) -> Report:
        """Save the report and flag the provider for staff to check again."""
        with transaction.atomic():
            report = self.save(commit=False)
            report.provider = provider
            report.save()
            Provider.objects.filter(pk=provider.pk).update(needs_reverification=True)
        return report
