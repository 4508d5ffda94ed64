"""Every public search parameter, declared once: its form field, its SQL rule and its bitmap rule, side by side.

A Rule's `sql` is the ProviderQuerySet method that filters by the parameter; its `bitmap`, where the facet
index can answer the same question, gives the providers that meet it as a bitmap of ids. The FilterSet
(directory.search.filters), the totals and counts of the search (directory.search.results), the fit
finder's eligibility and its count (finder.matching) and the tests that hold SQL and bitmaps together are
all built from RULES. A rule without a bitmap is answered from SQL (the ids of the published providers
that meet it), so adding a filter takes one Rule here and one ProviderQuerySet method.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_
from typing import Any

from django import forms
from pyroaring import BitMap

from .. import geo
from ..jurisdictions import JURISDICTIONS
from ..models import Provider, ProviderQuerySet, money, offices_within
from ..taxonomy import KIND, snapshot
from . import facet_index, text
from .facet_index import FacetIndex
from .fields import DEFAULT_RADIUS, JurisdictionField, TermChoiceField, YesField, YesWidget, ZipField

SqlRule = Callable[[ProviderQuerySet, Any, "Criteria"], ProviderQuerySet]
BitmapRule = Callable[[FacetIndex, Any, "Criteria"], BitMap]


@dataclass(frozen=True)
class Rule:
    name: str  # the public parameter
    label: str
    field: Callable[[str], forms.Field]  # given the label, the form field that validates the parameter
    sql: SqlRule
    bitmap: BitmapRule | None = None
    chip: Callable[[Any, Criteria], str] | None = None  # how an active value reads on its chip
    yes_no: bool = False  # a yes/no filter: its facet counts the providers for whom it holds
    group: str = "more"  # where a yes/no filter's checkbox sits on the search page (results.FEATURE_GROUPS)

    def active(self, value: Any) -> bool:
        return value not in (None, "", [], (), False)

    def filter(self, queryset: ProviderQuerySet, value: Any, criteria: Criteria) -> ProviderQuerySet:
        return self.sql(queryset, value, criteria) if self.active(value) else queryset

    def providers(self, index: FacetIndex, value: Any, criteria: Criteria) -> BitMap:
        """The published providers meeting the rule for value: from the index, else from the database."""
        if self.bitmap is not None:
            return self.bitmap(index, value, criteria)
        ids = self.sql(Provider.objects.published(), value, criteria).order_by().values_list("pk", flat=True)
        return BitMap(ids)


# --- How each kind of parameter reads and is checked ------------------------------------


def terms_rule(param: str, sql: SqlRule, bitmap: BitmapRule | None = None) -> Rule:
    """Any of several values of one part of the taxonomy (directory.taxonomy.KINDS), by key."""
    kind = KIND[param]

    def field(label: str) -> forms.Field:
        return TermChoiceField(required=False, label=label, terms=param, label_name=kind.label, upper=kind.upper)

    return Rule(param, kind.label.capitalize(), field, sql, bitmap)


def any_term(param: str) -> BitmapRule:
    """The bitmap of a taxonomy parameter: providers with any of the chosen values."""
    return lambda index, terms, criteria: index.any_term(param, terms)


def yes_rule(name: str, label: str, sql: SqlRule, bitmap: BitmapRule | None = None, group: str = "more") -> Rule:
    """A yes/no parameter: true filters, false (or absent) does not."""

    def field(label: str) -> forms.Field:
        return YesField(required=False, label=label, widget=YesWidget)

    return Rule(name, label, field, sql, bitmap, yes_no=True, group=group)


def feature(name: str) -> BitmapRule:
    return lambda index, value, criteria: index.features[name]


def in_the_state(by_state: str, anywhere: str) -> BitmapRule:
    """The providers with a feature in the state the search names (FacetIndex.<by_state>[state]), else those
    with it anywhere (FacetIndex.features[anywhere])."""

    def bitmap(index: FacetIndex, yes: bool, criteria: Criteria) -> BitMap:
        state = criteria.get("state")
        return getattr(index, by_state).get(state, BitMap()) if state else index.features[anywhere]

    return bitmap


def _text_field(label: str) -> forms.Field:
    return forms.CharField(required=False, label=label, max_length=text.MAX_QUERY_LENGTH)


def _state_field(label: str) -> forms.Field:
    return JurisdictionField(required=False, label=label)


def _zip_field(label: str) -> forms.Field:
    return ZipField(required=False, label=label, max_length=10)


def _fee_field(label: str) -> forms.Field:
    return forms.DecimalField(
        required=False, label=label, min_value=0, max_digits=7, decimal_places=2,
        error_messages={"invalid": "Enter the fee as a number of dollars, such as 80."},
    )


# --- The rules -----------------------------------------------------------------------------
# In the order the FilterSet applies them: free text first, so that sorting sees its rank.

RULES: tuple[Rule, ...] = (
    Rule(
        "q", "Name, approach or concern", _text_field,
        sql=lambda qs, words, c: text.matching(qs, words),
        bitmap=lambda index, words, c: facet_index.text_matches(words).ids,
        chip=lambda words, c: f"“{words}”",
    ),
    terms_rule("modality", lambda qs, terms, c: qs.offering(terms), any_term("modality")),
    terms_rule(
        "condition", lambda qs, terms, c: qs.specializing_in(terms),
        # A specialist in a narrower condition counts for the broader one (ConditionQuerySet.with_narrower).
        lambda index, terms, c: index.any_term("condition", snapshot().with_narrower(term.key for term in terms)),
    ),
    terms_rule(
        "credential", lambda qs, terms, c: qs.holding_credentials(terms),
        lambda index, terms, c: index.any_of(index.credentials, [term.pk for term in terms]),
    ),
    yes_rule(
        "prescriber", "Can prescribe medication",
        # In the state licensed in, when the search names one: a prescribing license elsewhere does not count.
        lambda qs, yes, c: qs.prescribers(yes, jurisdiction=c.get("state")),
        in_the_state("prescribing", "prescriber"),
        group="credential",
    ),
    terms_rule("format", lambda qs, terms, c: qs.serving_formats(terms), any_term("format")),
    terms_rule("age_group", lambda qs, terms, c: qs.serving_age_groups(terms), any_term("age_group")),
    terms_rule("language", lambda qs, terms, c: qs.speaking(terms), any_term("language")),
    terms_rule("insurance", lambda qs, terms, c: qs.accepting_insurance(terms), any_term("insurance")),
    Rule(
        "state", "Licensed in", _state_field,
        sql=lambda qs, code, c: qs.licensed_in(code),
        bitmap=lambda index, code, c: index.licensed.get(code, BitMap()),
        chip=lambda code, c: f"Licensed in {JURISDICTIONS[code]}",
    ),
    yes_rule("telehealth", "Offers telehealth", lambda qs, yes, c: qs.offering_telehealth(yes), feature("telehealth"),
             group="meet"),
    yes_rule(
        "in_person", "Sees clients in person",
        # In the state licensed in, when the search names one (ProviderQuerySet.in_person).
        lambda qs, yes, c: qs.in_person(yes, jurisdiction=c.get("state")),
        in_the_state("offices", "in_person"),
        group="meet",
    ),
    Rule(
        "zip", "ZIP code", _zip_field,
        sql=lambda qs, code, c: qs.near(geo.zip_centre(code), c.radius),
        bitmap=lambda index, code, c: BitMap(c.nearest_miles(code)),
        chip=lambda code, c: f"Within {c.radius} miles of {code}",
    ),
    Rule(
        "max_fee", "Most you can pay per session ($)", _fee_field,
        sql=lambda qs, fee, c: qs.affordable(fee),
        bitmap=lambda index, fee, c: index.costing_at_most(fee),
        chip=lambda fee, c: f"Fee up to {money(fee)}",
    ),
    yes_rule("sliding_scale", "Sliding-scale fees", lambda qs, yes, c: qs.with_sliding_scale(yes),
             feature("sliding_scale"), group="fees"),
    yes_rule("free_consultation", "Free first consultation", lambda qs, yes, c: qs.with_free_consultation(yes),
             feature("free_consultation"), group="fees"),
    yes_rule("accepting", "Accepting new clients", lambda qs, yes, c: qs.accepting(yes), feature("accepting"),
             group="availability"),
    yes_rule("evenings", "Evening hours", lambda qs, yes, c: qs.with_evening_hours(yes), feature("evenings"),
             group="availability"),
    yes_rule("weekends", "Weekend hours", lambda qs, yes, c: qs.with_weekend_hours(yes), feature("weekends"),
             group="availability"),
    yes_rule("verified", "License verified by our staff", lambda qs, yes, c: qs.verified(yes), feature("verified"),
             group="availability"),
)
RULE = {rule.name: rule for rule in RULES}


# --- Criteria: values for the rules, applied in SQL or over the index ---------------------


@dataclass
class Criteria:
    """Validated values by parameter name (the search's cleaned data, or the fit finder's answers), with the
    groups of which any one may hold (the fit finder's "telehealth or an office nearby").

    queryset() applies them in SQL; providers() answers the same over the facet index.
    """

    values: Mapping[str, Any]
    any_of: Sequence[Mapping[str, Any]] = ()
    extra: Sequence[tuple[Rule, Any]] = ()  # a caller's own rules (the fit finder's), applied as the declared ones
    _nearest: dict[str, dict[int, float]] = field(default_factory=dict, repr=False)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    @property
    def radius(self) -> int:
        return self.values.get("radius") or DEFAULT_RADIUS

    def active(self) -> list[tuple[Rule, Any]]:
        declared = [(rule, self.values.get(rule.name)) for rule in RULES]
        return [(rule, value) for rule, value in (*declared, *self.extra) if rule.active(value)]

    def queryset(self, queryset: ProviderQuerySet) -> ProviderQuerySet:
        for rule, value in self.active():
            queryset = rule.sql(queryset, value, self)
        for group in self.any_of:
            either = [RULE[name].sql(Provider.objects.all(), value, self) for name, value in group.items()]
            queryset = queryset & reduce(or_, either)
        return queryset

    def providers(self, index: FacetIndex) -> BitMap:
        """The published providers meeting every criterion, as a bitmap of ids."""
        found = [rule.providers(index, value, self) for rule, value in self.active()]
        for group in self.any_of:
            found.append(BitMap.union(BitMap(), *(
                RULE[name].providers(index, value, self) for name, value in group.items()
            )))
        # The smallest first: each intersection is then no larger than it. A copy: the index is shared.
        return reduce(and_, sorted(found, key=len), BitMap(index.published))

    def nearest_miles(self, zip_code: str | None = None) -> dict[int, float]:
        """Provider id -> miles to its nearest office within the radius of the ZIP code (the one searched for,
        when none is given): ProviderQuerySet.near()'s rule, read from the offices alone (the facet index
        knows who is published)."""
        zip_code = zip_code or self.values["zip"]
        if zip_code not in self._nearest:
            self._nearest[zip_code] = nearest_miles(geo.zip_centre(zip_code), self.radius)
        return self._nearest[zip_code]


def nearest_miles(centre: tuple[float, float] | None, radius: float) -> dict[int, float]:
    found: dict[int, float] = {}
    if centre is None:
        return found
    for provider, miles in offices_within(centre, radius).order_by().values_list("provider_id", "miles"):
        if miles < found.get(provider, math.inf):
            found[provider] = miles
    return found

