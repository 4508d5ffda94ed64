"""ProviderFilter: the search parameters of /providers/ and /api/providers/, mapped to ProviderQuerySet methods."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.http import QueryDict
from pyroaring import BitMap

from . import facet_index, geo
from .jurisdictions import JURISDICTIONS, normalize_jurisdiction
from .models import ProviderQuerySet, Term, offices_within
from .taxonomy import snapshot

DEFAULT_RADIUS = 25
MAX_RADIUS = 500
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
SORT_CHOICES = [
    ("relevance", "Best match"),
    ("distance", "Distance"),
    ("fee", "Lowest fee"),
    ("recent", "Recently verified"),
    ("name", "Name"),
]
TRUE_VALUES = {"true", "1", "yes", "on"}
# Search facet -> (family in FacetIndex.counts(), attribute of the taxonomy snapshot).
FACETS = {
    "modality": ("modalities", "modalities"),
    "condition": ("conditions", "conditions"),
    "credential": ("credential", "credential_types"),
    "format": ("formats", "formats"),
    "age_group": ("age_groups", "age_groups"),
    "language": ("languages", "languages"),
    "insurance": ("insurance", "insurance_plans"),
}
FALSE_VALUES = {"false", "0", "no", "off", ""}


class TermChoiceField(forms.MultipleChoiceField):
    """Any of several taxonomy keys, checked against the cached taxonomy snapshot; unknown keys are named."""

    def __init__(self, *args, terms: str, label_name: str = "value", upper: bool = False, **kwargs) -> None:
        self.terms = terms
        self.upper = upper
        self.label_name = label_name
        kwargs.setdefault("error_messages", {})["invalid_choice"] = f"Unknown {label_name}: %(value)s."
        super().__init__(*args, choices=partial(_term_choices, terms), **kwargs)

    def clean(self, value: Any) -> list[Term]:
        """The chosen terms (snapshot instances), in the taxonomy's order, each once."""
        if value and isinstance(value, (list, tuple)):
            value = [str(v).strip().upper() if self.upper else str(v).strip().lower() for v in value]
            if any("\x00" in v for v in value):
                raise forms.ValidationError("Null characters are not allowed.", code="null_characters_not_allowed")
        chosen = set(super().clean(value))
        if not chosen:
            return []
        return [term for term in getattr(snapshot(), self.terms) if term.key in chosen]


def _term_choices(terms: str) -> list[tuple[str, str]]:
    return snapshot().choices(terms)


class YesField(forms.Field):
    """true / false (and yes/no, 1/0, on/off); anything else is an error rather than silently ignored."""

    widget = forms.CheckboxInput

    def to_python(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value if value is not None else "").strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class YesWidget(forms.CheckboxInput):
    """Keeps the raw value, so that YesField can reject what is not a yes or a no."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class JurisdictionField(forms.CharField):
    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return ""
        code = normalize_jurisdiction(value)
        if code is None:
            raise forms.ValidationError("Unknown state or province: %(value)s.", params={"value": value})
        return code


class ZipField(forms.CharField):
    """A five-digit US ZIP code that has a known centre."""

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return ""
        code = geo.normalize_zip(value)
        if code is None:
            raise forms.ValidationError("Enter a five-digit US ZIP code, such as 78701.")
        if geo.zip_centre(code) is None:
            raise forms.ValidationError("We do not know where ZIP code %(value)s is.", params={"value": code})
        return code


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


class DeferredJoinPaginator(Paginator):
    """Deep pages read the ids of their rows first, then only those rows.

    OFFSET has to step over every earlier row; stepping over index entries (the page's ids) is far
    cheaper than over whole rows with their annotations.
    """

    deferred_from = 1000

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if bottom < self.deferred_from:
            return super().page(number)
        top = min(bottom + self.per_page, self.count)
        ids = list(self.object_list.prefetch_related(None).values_list("pk", flat=True)[bottom:top])
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


class RankedResults(Sequence):
    """Results whose order is known before their rows are read (see ProviderFilter.paginate): a slice asks
    ids_for(start, stop) for its ids in order, then reads just those rows with rows_for(ids)."""

    def __init__(
        self, total: int, ids_for: Callable[[int, int], list[int]], rows_for: Callable[[list[int]], Iterable[Any]]
    ) -> None:
        self.total, self.ids_for, self.rows_for = total, ids_for, rows_for

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(self.total)
        ids = self.ids_for(start, stop) if start < stop else []
        rows = {row.pk: row for row in self.rows_for(ids)} if ids else {}
        return [rows[pk] for pk in ids if pk in rows]


class TermFilter(django_filters.MultipleChoiceFilter):
    field_class = TermChoiceField


def term_filter(terms: str, label_name: str, method: str, upper: bool = False) -> django_filters.Filter:
    """A filter over one taxonomy (`terms`, an attribute of the taxonomy snapshot), by key."""
    return TermFilter(label=label_name.capitalize(), terms=terms, method=method, label_name=label_name, upper=upper)


class YesFilter(django_filters.Filter):
    field_class = YesField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", YesWidget)
        super().__init__(*args, **kwargs)


class JurisdictionFilter(django_filters.CharFilter):
    field_class = JurisdictionField


class ZipFilter(django_filters.CharFilter):
    field_class = ZipField


class ProviderFilter(django_filters.FilterSet):
    """One FilterSet for the HTML search page and the JSON API; each filter calls one ProviderQuerySet method.

    Its queryset is Provider.objects.published(): the totals and facet counts (hits()) are of published
    providers, the set the facet index holds.
    """

    q = django_filters.CharFilter(method="filter_q", label="Name, approach or concern", max_length=200)
    modality = term_filter("modalities", "approach", "filter_modality")
    condition = term_filter("conditions", "concern", "filter_condition")
    credential = term_filter("credential_types", "credential", "filter_credential", upper=True)
    prescriber = YesFilter(method="filter_prescriber", label="Can prescribe medication")
    format = term_filter("formats", "session format", "filter_format")
    age_group = term_filter("age_groups", "age group", "filter_age_group")
    language = term_filter("languages", "language", "filter_language")
    insurance = term_filter("insurance_plans", "insurance plan", "filter_insurance")
    state = JurisdictionFilter(method="filter_state", label="Licensed in")
    telehealth = YesFilter(method="filter_telehealth", label="Offers telehealth")
    in_person = YesFilter(method="filter_in_person", label="Sees clients in person")
    zip = ZipFilter(method="filter_zip", label="ZIP code", max_length=10)
    max_fee = django_filters.NumberFilter(
        method="filter_max_fee", label="Most you can pay per session ($)", min_value=0, max_digits=7,
        decimal_places=2, error_messages={"invalid": "Enter the fee as a number of dollars, such as 80."},
    )
    sliding_scale = YesFilter(method="filter_sliding_scale", label="Sliding-scale fees")
    free_consultation = YesFilter(method="filter_free_consultation", label="Free first consultation")
    accepting = YesFilter(method="filter_accepting", label="Accepting new clients")
    verified = YesFilter(method="filter_verified", label="License verified by our staff")
    sort = django_filters.ChoiceFilter(
        method="filter_sort", choices=SORT_CHOICES, label="Sort by", empty_label=None,
        error_messages={"invalid_choice": "Sort by relevance, distance, fee, recent or name."},
    )

    sort_choices = SORT_CHOICES

    class Meta:
        form = ProviderFilterForm
        fields: list[str] = []

    def filter_q(self, queryset: ProviderQuerySet, name: str, value: str) -> ProviderQuerySet:
        return queryset.matching_text(value)

    def filter_modality(self, queryset, name, value):
        return queryset.offering(keys(value))

    def filter_condition(self, queryset, name, value):
        return queryset.specializing_in(keys(value))

    def filter_credential(self, queryset, name, value):
        return queryset.holding_credentials(keys(value))

    def filter_prescriber(self, queryset, name, value):
        return queryset.prescribers(value)

    def filter_format(self, queryset, name, value):
        return queryset.serving_formats(keys(value))

    def filter_age_group(self, queryset, name, value):
        return queryset.serving_age_groups(keys(value))

    def filter_language(self, queryset, name, value):
        return queryset.speaking(keys(value))

    def filter_insurance(self, queryset, name, value):
        return queryset.accepting_insurance(keys(value))

    def filter_state(self, queryset, name, value):
        return queryset.licensed_in(value)

    def filter_telehealth(self, queryset, name, value):
        return queryset.offering_telehealth(value)

    def filter_in_person(self, queryset, name, value):
        return queryset.in_person(value, jurisdiction=self.form.cleaned_data.get("state"))

    def filter_zip(self, queryset, name, value):
        return queryset.near(geo.zip_centre(value), self.radius)

    def filter_max_fee(self, queryset, name, value: Decimal):
        return queryset.affordable(value)

    def filter_sliding_scale(self, queryset, name, value):
        return queryset.with_sliding_scale(value)

    def filter_free_consultation(self, queryset, name, value):
        return queryset.with_free_consultation(value)

    def filter_accepting(self, queryset, name, value):
        return queryset.accepting(value)

    def filter_verified(self, queryset, name, value):
        return queryset.verified(value)

    def filter_sort(self, queryset, name, value):
        return queryset.sorted_by(value)

    def filter_queryset(self, queryset: ProviderQuerySet) -> ProviderQuerySet:
        # Filters run in declaration order, so sort sees the rank and distance that q and zip annotate;
        # the form's own fields (radius, page, page_size) shape the results but filter nothing.
        for name, filter_ in self.filters.items():
            if name != "sort":
                queryset = filter_.filter(queryset, self.form.cleaned_data.get(name))
        return self.filter_sort(queryset, "sort", self.form.cleaned_data.get("sort"))

    # -- what the views need -------------------------------------------------------------

    @property
    def radius(self) -> int:
        return (self.form.cleaned_data.get("radius") if self.form.is_bound else None) or DEFAULT_RADIUS

    @property
    def page_size(self) -> int:
        return (self.form.cleaned_data.get("page_size") if self.form.is_bound else None) or DEFAULT_PAGE_SIZE

    def paginate(self, queryset: ProviderQuerySet | None = None, count: int | None = None) -> Page:
        """The requested page of results; raises django.core.paginator.InvalidPage when out of range.

        count, when the caller already knows how many results there are, saves the COUNT query.
        """
        queryset = self.qs if queryset is None else queryset
        data = self.form.cleaned_data
        number = 1 if data.get("page") is None else data["page"]
        if data.get("q") and data.get("sort") in (None, "", "relevance"):
            # Best match first: the order the remembered text matches already hold (facet_index.text_matches).
            ids_for = partial(facet_index.text_matches(data["q"]).ranked_within, self.hits())
            queryset = RankedResults(self.total(), ids_for, self.rows)
        elif data.get("zip") and data.get("sort") == "distance":
            queryset = RankedResults(self.total(), partial(self.nearest_first, queryset), self.rows)
        paging = Paginator if isinstance(queryset, RankedResults) else DeferredJoinPaginator
        paginator = paging(queryset, self.page_size)
        if count is not None:
            paginator.count = count  # count is a cached_property: set, it is never queried
        return paginator.page(number)

    def rows(self, ids: list[int]) -> list:
        """The providers with these ids, as a result card shows them, with their distance when there is a ZIP
        code: read by id alone, the search's conditions already met."""
        rows = list(self.queryset.filter(pk__in=ids).for_cards())
        if self.valid_data().get("zip"):
            nearest = self.nearest_miles()
            for row in rows:
                row.distance_miles = nearest.get(row.pk)
        return rows

    def hits(self) -> BitMap:
        """The ids of every provider the search finds, as a bitmap: the facet index answers the filters it
        knows; free text and distance, from the database, are intersected with its answer."""
        if self._hits is None:
            data = self.valid_data()
            hits = facet_index.current().matching(data)
            if data.get("q"):
                hits &= facet_index.text_matches(data["q"]).ids
            if data.get("zip"):
                hits &= BitMap(self.nearest_miles())
            self._hits = hits
        return self._hits

    _hits: BitMap | None = None

    def valid_data(self) -> dict[str, Any]:
        """The parameters as qs applies them: validated, invalid values left out."""
        return self.form.cleaned_data if self.is_bound and self.errors is not None else {}

    def nearest_miles(self) -> dict[int, float]:
        """Provider id -> miles to its nearest office within the radius of the ZIP code: ProviderQuerySet.near()'s
        rule, read from the offices alone (the facet index knows who is published)."""
        if self._nearest is None:
            self._nearest = {}
            nearby = offices_within(geo.zip_centre(self.valid_data()["zip"]), self.radius)
            for provider, miles in nearby.order_by().values_list("provider_id", "miles"):
                if miles < self._nearest.get(provider, math.inf):
                    self._nearest[provider] = miles
        return self._nearest

    _nearest: dict[int, float] | None = None

    def nearest_first(self, queryset: ProviderQuerySet, start: int, stop: int) -> list[int]:
        """The [start:stop] slice of the results' ids, nearest first (queryset's order: distance, name, id).

        The distances, known from nearest_miles(), place the slice; the database orders only the providers
        at the distances the slice spans, so that ties fall by name as in ProviderQuerySet.by_distance().
        """
        miles = self.nearest_miles()
        if self._by_distance is None:
            self._by_distance = sorted(self.hits(), key=miles.__getitem__)
        ordered = self._by_distance
        if start >= len(ordered):
            return []
        distances = [miles[pk] for pk in ordered]
        low = bisect.bisect_left(distances, distances[start])
        high = bisect.bisect_right(distances, distances[min(stop, len(ordered)) - 1])
        spanned = queryset.prefetch_related(None).filter(pk__in=ordered[low:high]).values_list("pk", flat=True)
        return list(spanned[start - low : stop - low])

    _by_distance: list[int] | None = None

    def counts(self) -> dict[str, Any]:
        """The total and the facet counts of the current results, from the facet index."""
        if self._counts is None:
            facets = facet_index.current().counts(self.hits())
            self._counts = {"features": facets.pop("features"), "facets": facets}
        return self._counts

    _counts: dict[str, Any] | None = None

    def total(self) -> int:
        """How many providers match (no COUNT query: see hits())."""
        return len(self.hits())

    def active(self) -> list[dict[str, str]]:
        """The filters in force, each with its label and the query string that drops it (for chips)."""
        chips = []
        data = self.form.cleaned_data
        for name, filter_ in self.filters.items():
            value = data.get(name)
            if name == "sort" or value in (None, "", [], False):
                continue
            if hasattr(value, "__iter__") and not isinstance(value, str):
                for term in value:
                    chips.append({
                        "label": f"{filter_.label}: {term}",
                        "remove": self.query_without(name, term.key),
                    })
            elif value is True:
                chips.append({"label": str(filter_.label), "remove": self.query_without(name)})
            elif name == "state":
                chips.append({"label": f"Licensed in {JURISDICTIONS[value]}", "remove": self.query_without(name)})
            elif name == "zip":
                # Without a ZIP code there is no distance to sort by.
                also = ("radius", "sort") if data.get("sort") == "distance" else ("radius",)
                chips.append({
                    "label": f"Within {self.radius} miles of {value}",
                    "remove": self.query_without(name, also=also),
                })
            elif name == "max_fee":
                chips.append({"label": f"Fee up to ${value:,.2f}".replace(".00", ""),
                              "remove": self.query_without(name)})
            else:
                chips.append({"label": f"“{value}”", "remove": self.query_without(name)})
        return chips

    def relaxations(self, limit: int = 12) -> list[dict[str, Any]]:
        """For an empty result: the active filters whose removal alone would find someone, with how many."""
        suggestions = []
        for chip in self.active()[:limit]:
            relaxed = type(self)(QueryDict(chip["remove"]), queryset=self.queryset)
            if relaxed.is_valid():
                count = relaxed.total()
                if count:
                    suggestions.append({**chip, "count": count})
        return sorted(suggestions, key=lambda s: -s["count"])

    def facets(self) -> dict[str, dict[str, Any]]:
        """Each filter's options with how many of the current results have them (see counts())."""
        counts = self.counts()
        checked = {name: set(self.data.getlist(name)) if hasattr(self.data, "getlist") else set()
                   for name in self.filters}
        taxonomy = snapshot()
        facets: dict[str, dict[str, Any]] = {}
        for name, (family, terms) in FACETS.items():
            filter_ = self.filters[name]
            found = counts["facets"][family]
            chosen = {v.strip().lower() for v in checked[name]}
            options = [
                {"value": term.key, "label": term.name, "count": found.get(term.key, 0),
                 "checked": term.key.lower() in chosen}
                for term in getattr(taxonomy, terms)
            ]
            facets[name] = {
                "name": name,
                "label": filter_.label,
                "errors": self.errors.get(name) if self.is_bound else None,
                "options": options,
                "any_checked": any(option["checked"] for option in options),
            }
        states = counts["facets"]["jurisdiction"]
        facets["state"] = {
            "name": "state", "label": self.filters["state"].label,
            "options": [
                {"value": code, "label": label, "count": states.get(code, 0)}
                for code, label in sorted(JURISDICTIONS.items(), key=lambda item: item[1])
            ],
        }
        features = {name: n for name, n in counts["features"].items() if name != "total"}
        facets["features"] = {
            name: {
                "name": name, "label": self.filters[name].label, "count": features[name],
                "checked": str(self.data.get(name, "")).strip().lower() in TRUE_VALUES,
                "errors": self.errors.get(name),
            }
            for name in features
        }
        return facets

    def page_links(self, page: Page) -> list[dict[str, Any] | None]:
        """Previous, the numbered pages around this one (None where some are left out), and next."""
        links: list[dict[str, Any] | None] = []
        if page.has_previous():
            number = page.previous_page_number()
            links.append({"number": number, "query": self.query_for_page(number), "label": "Previous", "rel": "prev"})
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
            if number == page.paginator.ELLIPSIS:
                links.append(None)
            else:
                links.append({"number": number, "query": self.query_for_page(number), "current": number == page.number})
        if page.has_next():
            number = page.next_page_number()
            links.append({"number": number, "query": self.query_for_page(number), "label": "Next", "rel": "next"})
        return links

    def query_without(self, name: str, value: str | None = None, also: tuple[str, ...] = ()) -> str:
        """The current query string with one value of name (or all of name) removed, back on page 1."""
        query = QueryDict(mutable=True)
        for key, values in self._given():
            if key in ("page", *also):
                continue
            if key == name:
                values = [] if value is None else [v for v in values if v.strip().lower() != value.lower()]
            if values:
                query.setlist(key, values)
        return query.urlencode()

    def query_for_page(self, number: int) -> str:
        query = QueryDict(mutable=True)
        for key, values in self._given():
            if key != "page":
                query.setlist(key, values)
        query["page"] = str(number)
        return query.urlencode()

    def _given(self) -> list[tuple[str, list[str]]]:
        """The parameters as given, without the empty ones a plain GET form sends for untouched fields."""
        lists = self.data.lists() if hasattr(self.data, "lists") else ((k, [v]) for k, v in self.data.items())
        return [(key, [v for v in values if v.strip()]) for key, values in lists if any(v.strip() for v in values)]


def keys(terms) -> list[str]:
    return [term.key for term in terms or []]
