"""GuideFilter: the parameters of /guides/ and /api/guides/, mapped to GuideQuerySet methods, nothing more."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

from directory.models import Condition, Modality

from .models import GuideQuerySet, Topic


class SlugChoiceField(forms.ModelMultipleChoiceField):
    """Any of several taxonomy slugs; an unknown slug is named in the error."""

    def __init__(self, *args, label_name: str = "value", **kwargs) -> None:
        kwargs.setdefault("error_messages", {})["invalid_choice"] = f"Unknown {label_name}: %(value)s."
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> Any:
        if value:
            value = [str(v).strip().lower() for v in value]
            # PostgreSQL refuses NUL in a query; no slug contains one, so it is unknown, not an error.
            for v in value:
                if "\x00" in v:
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": v.strip("\x00")}
                    )
        return super().clean(value)


class SlugFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = SlugChoiceField


class GuideFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search guides", max_length=200)
    condition = SlugFilter(
        queryset=Condition.objects.all(), to_field_name="slug", method="filter_condition",
        label="Concern", label_name="concern",
    )
    modality = SlugFilter(
        queryset=Modality.objects.all(), to_field_name="slug", method="filter_modality",
        label="Approach", label_name="approach",
    )
    topic = django_filters.ChoiceFilter(
        method="filter_topic", choices=Topic.choices, label="Topic",
        error_messages={"invalid_choice": "Unknown topic: %(value)s."},
    )

    class Meta:
        fields: list[str] = []

    def filter_q(self, queryset: GuideQuerySet, name: str, value: str) -> GuideQuerySet:
        return queryset.matching(value)

    def filter_condition(self, queryset: GuideQuerySet, name: str, value) -> GuideQuerySet:
        return queryset.about_condition([c.slug for c in value])

    def filter_modality(self, queryset: GuideQuerySet, name: str, value) -> GuideQuerySet:
        return queryset.using_modality([m.slug for m in value])

    def filter_topic(self, queryset: GuideQuerySet, name: str, value: str) -> GuideQuerySet:
        return queryset.on_topic(value)
