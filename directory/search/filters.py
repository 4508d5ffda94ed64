"""ProviderFilter: the search parameters of /providers/ and /api/providers/, built from the declared rules."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

from ..models import ProviderQuerySet
from . import rules
from .fields import MAX_RADIUS
from .rules import Criteria, Rule

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
SORT_CHOICES = [
    ("relevance", "Best match"),
    ("distance", "Distance"),
    ("fee", "Lowest fee"),
    ("recent", "Recently verified"),
    ("name", "Name"),
]


class ProviderFilterForm(forms.Form):
    """Parameters that shape the results without filtering: radius, page and page size."""

    radius = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_RADIUS, label="Within (miles)",
        error_messages={
            "min_value": f"Choose a radius from 1 to {MAX_RADIUS} miles.",
            "max_value": f"Choose a radius from 1 to {MAX_RADIUS} miles.",
            "invalid": "Enter the radius as a whole number of miles.",
        },
    )
    page = forms.IntegerField(required=False, error_messages={"invalid": "Enter the page as a whole number."})
    page_size = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE,
        error_messages={
            "min_value": f"Choose a page size from 1 to {MAX_PAGE_SIZE}.",
            "max_value": f"Choose a page size from 1 to {MAX_PAGE_SIZE}.",
            "invalid": "Enter the page size as a whole number.",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("sort") == "distance" and not data.get("zip") and "zip" not in self.errors:
            self.add_error("sort", "Sorting by distance needs a ZIP code.")
        return data


class RuleFilter(django_filters.Filter):
    """One declared rule (directory.search.rules) as a filter: its field validates, its SQL filters."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        super().__init__(label=rule.label)

    @property
    def field(self) -> forms.Field:
        if not hasattr(self, "_field"):
            self._field = self.rule.field(self.label)
        return self._field

    def filter(self, queryset: ProviderQuerySet, value: Any) -> ProviderQuerySet:
        return self.rule.filter(queryset, value, self.parent.criteria())


class ProviderFilter(django_filters.FilterSet):
    """One FilterSet for the HTML search page and the JSON API: a filter per declared rule, then the sort.

    Its queryset is Provider.objects.published(), the set the facet index holds: directory.search.results
    reads the totals and counts of the same criteria from it.
    """

    sort = django_filters.ChoiceFilter(
        method="filter_sort", choices=SORT_CHOICES, label="Sort by", empty_label=None,
        error_messages={"invalid_choice": "Sort by relevance, distance, fee, recent or name."},
    )

    sort_choices = SORT_CHOICES

    class Meta:
        form = ProviderFilterForm
        fields: list[str] = []

    @classmethod
    def get_filters(cls) -> dict[str, django_filters.Filter]:
        # The rules in their declared order, so that sort (last) sees the rank and distance q and zip annotate.
        declared = super().get_filters()
        return {**{rule.name: RuleFilter(rule) for rule in rules.RULES}, **declared}

    def filter_sort(self, queryset: ProviderQuerySet, name: str, value: str) -> ProviderQuerySet:
        return queryset.sorted_by(value)

    def filter_queryset(self, queryset: ProviderQuerySet) -> ProviderQuerySet:
        # Sorted even when no sort is given: best match first for a text search.
        for name, filter_ in self.filters.items():
            if name != "sort":
                queryset = filter_.filter(queryset, self.form.cleaned_data.get(name))
        return self.filter_sort(queryset, "sort", self.form.cleaned_data.get("sort"))

    def criteria(self) -> Criteria:
        """The parameters as qs applies them: validated, invalid values left out."""
        if not hasattr(self, "_criteria"):
            valid = self.is_bound and self.errors is not None
            self._criteria = Criteria(self.form.cleaned_data if valid else {})
        return self._criteria
