"""The fit finder: a person's answers in, ranked providers with plain-language reasons out.

No request objects here: the view and the API build an Answers and call find_matches().
Hard rules (contract, section 5) are database filters; soft preferences become one score
expression the database orders by, so the engine never loads the whole table.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Case, Exists, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from pyroaring import BitMap

from . import facet_index, geo
from .jurisdictions import jurisdiction_name
from .models import (
    License,
    Modality,
    NextStepRule,
    Provider,
    Resource,
    costs_at_most,
    has_office,
    linked_to_any,
    offices_within,
)
from .taxonomy import Snapshot, guide_index, snapshot

MEDICATION = "medication-management"
DEFAULT_RADIUS = 25
WIDER_RADIUS = 100
RECENT_ACCEPTING_DAYS = 30
RECENT_VERIFICATION_DAYS = 365

# How much each soft preference counts. The score shown (0-100) is the share of the points that
# could apply to these answers: a preference the person did not state counts for no one.
# Above every score: when the person tried something, a provider whose only approaches are ones
# they tried ranks below everyone else.
WEIGHTS: dict[str, int] = {
    "concern": 30,  # specializes in a concern (a narrower one counts: TRD for depression)
    "preferred_modality": 20,  # offers an approach the person would like
    "alternative": 15,  # offers an evidence-based approach the person has not tried
    "format": 8,  # offers the session format asked for
    "gender": 8,  # the provider's gender is the one asked for
    "distance": 10,  # has an office nearby: full points next door, none at the radius
    "verified_recently": 6,  # a license verified by staff in the last 12 months
    "free_consultation": 5,
    "accepting_confirmed": 4,  # accepting status confirmed in the last 30 days
}


@dataclass(frozen=True)
class Answers:
    """What a person told the fit finder. Never stored or logged."""

    concerns: tuple[str, ...] = ()
    tried: tuple[str, ...] = ()
    state: str = ""
    zip: str = ""
    radius: int = DEFAULT_RADIUS
    mode: str = "either"  # in_person, telehealth or either
    budget: Decimal | None = None
    insurance: str = ""
    language: str = ""
    format: str = ""
    age_group: str = ""
    gender: str = ""
    prescriber: bool = False
    modalities: tuple[str, ...] = ()
    crisis: bool = False
    limit: int = 20

    @property
    def centre(self) -> tuple[float, float] | None:
        return geo.zip_centre(self.zip) if self.zip else None

    @property
    def where(self) -> str:
        """The person's jurisdiction: the one given, else that of the ZIP code."""
        if self.state:
            return self.state
        return (geo.zip_state(self.zip) or "") if self.zip else ""

    def query_string(self) -> str:
        """The GET parameters (contract, section 5) that give these answers: for links that change one."""
        pairs: list[tuple[str, str]] = [("crisis", "true")] if self.crisis else []
        pairs += [("concern", slug) for slug in self.concerns]
        pairs += [("tried", slug) for slug in self.tried]
        for name in ("state", "zip", "insurance", "language", "format", "age_group", "gender"):
            if getattr(self, name):
                pairs.append((name, getattr(self, name)))
        if self.zip and self.radius != DEFAULT_RADIUS:
            pairs.append(("radius", str(self.radius)))
        if self.mode != "either":
            pairs.append(("mode", self.mode))
        if self.budget is not None:
            pairs.append(("budget", format(self.budget.normalize(), "f")))
        pairs += [("prescriber", "true")] if self.prescriber else []
        pairs += [("modality", slug) for slug in self.modalities]
        if self.limit != 20:
            pairs.append(("limit", str(self.limit)))
        return urlencode(pairs)

    @property
    def tried_therapy(self) -> bool:
        return any(slug != MEDICATION for slug in self.tried)

    @property
    def tried_medication(self) -> bool:
        return MEDICATION in self.tried


@dataclass
class Match:
    provider: Provider
    score: int
    reasons: list[str]
    cautions: list[str]
    distance_miles: float | None = None


@dataclass
class Suggestion:
    modality: Modality
    why: str


@dataclass
class Relaxation:
    """One answer, changed, that would give results: offered as a link."""

    param: str
    label: str
    answers: Answers
    count: int

    @property
    def query(self) -> str:
        return self.answers.query_string()


@dataclass
class MatchResult:
    answers: Answers
    matches: list[Match]
    total: int
    suggestions: list[Suggestion] = field(default_factory=list)
    guides: list[dict[str, str]] = field(default_factory=list)
    crisis_resources: list[Resource] = field(default_factory=list)
    relaxations: list[Relaxation] = field(default_factory=list)


# --- Hard rules --------------------------------------------------------------------------


def eligible(answers: Answers) -> QuerySet[Provider]:
    """Providers who can actually see this person: the contract's hard rules, as filters."""
    where = answers.where
    qs = Provider.objects.published().accepting().licensed_in(where)
    centre = answers.centre
    if centre is not None:
        qs = qs.with_distance(centre, answers.radius)
        meets_in_person = Q(distance_miles__isnull=False)
    else:
        meets_in_person = Q(has_office(where))
    if answers.mode == "in_person":
        qs = qs.filter(meets_in_person)
    elif answers.mode == "telehealth":
        qs = qs.offering_telehealth()
    else:
        qs = qs.filter(Q(telehealth=True) | meets_in_person)
    if answers.budget is not None or answers.insurance:
        affordable = costs_at_most(answers.budget) if answers.budget is not None else Q(pk__in=[])
        if answers.insurance:
            affordable |= Q(linked_to_any("insurance", [answers.insurance]))
        qs = qs.filter(affordable)
    qs = qs.speaking([answers.language]).serving_age_groups([answers.age_group])
    return qs.prescribers(answers.prescriber)


def eligible_count(answers: Answers) -> int:
    """How many providers eligible() finds, from the facet index (no COUNT over the table): the same
    rules over its bitmaps, with the offices in range, when there is a ZIP code, from the database.
    Tests hold the two together."""
    index = facet_index.current()
    where = answers.where
    found = index.published & index.features["accepting"]
    if where:
        found &= index.licensed.get(where.upper(), BitMap())
    if answers.mode == "telehealth":
        found &= index.features["telehealth"]
    else:
        centre = answers.centre
        if centre is not None:
            meets_in_person = BitMap(offices_within(centre, answers.radius).values_list("provider_id", flat=True))
        else:
            meets_in_person = index.offices.get(where.upper(), BitMap()) if where else index.features["in_person"]
        found &= meets_in_person if answers.mode == "in_person" else index.features["telehealth"] | meets_in_person
    if answers.budget is not None or answers.insurance:
        affordable = index.costing_at_most(answers.budget) if answers.budget is not None else BitMap()
        if answers.insurance:
            affordable |= index.linked_to_any("insurance", [answers.insurance])
        found &= affordable
    if answers.language:
        found &= index.linked_to_any("languages", [answers.language.lower()])
    if answers.age_group:
        found &= index.linked_to_any("age_groups", [answers.age_group])
    if answers.prescriber:
        found &= index.features["prescriber"]
    return len(found)


# --- Ranking -----------------------------------------------------------------------------


def _points(answers: Answers, lookups: Lookups) -> dict[str, tuple[Q | None, int]]:
    """The soft preferences that apply to these answers: name -> (condition, weight)."""
    today = timezone.localdate()
    points: dict[str, tuple[Q | None, int]] = {}
    # Correlated EXISTS conditions: evaluated for the eligible providers only, never for the whole table.
    if answers.concerns:
        concerns = [*answers.concerns, *sorted(lookups.narrower_than(answers.concerns))]
        points["concern"] = (Q(linked_to_any("conditions", concerns)), 0)
    if answers.modalities:
        points["preferred_modality"] = (Q(linked_to_any("modalities", list(answers.modalities))), 0)
    if answers.tried:
        alternatives = lookups.untried(answers, evidence_based_only=True)
        points["alternative"] = (Q(linked_to_any("modalities", alternatives)), 0)
    if answers.format:
        points["format"] = (Q(linked_to_any("formats", [answers.format])), 0)
    if answers.gender:
        points["gender"] = (Q(gender=answers.gender), 0)
    if answers.centre is not None:
        points["distance"] = (None, 0)
    recently = today - datetime.timedelta(days=RECENT_VERIFICATION_DAYS)
    points["verified_recently"] = (
        Q(Exists(License.objects.filter(provider=OuterRef("pk"), verified_on__gte=recently))), 0
    )
    points["free_consultation"] = (Q(free_consultation=True), 0)
    points["accepting_confirmed"] = (
        Q(accepting_confirmed__gte=today - datetime.timedelta(days=RECENT_ACCEPTING_DAYS)), 0
    )
    return {name: (condition, WEIGHTS[name]) for name, (condition, _) in points.items()}


def ranked(qs: QuerySet[Provider], answers: Answers, lookups: Lookups) -> tuple[QuerySet[Provider], int]:
    """qs ordered best first, with raw_score annotated; also the most points possible."""
    points = _points(answers, lookups)
    terms = []
    for name, (condition, weight) in points.items():
        if name == "distance":
            closeness = Value(1.0) - F("distance_miles") / Value(float(answers.radius))
            terms.append(Case(When(distance_miles__isnull=False, then=closeness * weight), default=Value(0.0),
                              output_field=FloatField()))
        else:
            terms.append(Case(When(condition, then=Value(float(weight))), default=Value(0.0),
                              output_field=FloatField()))
    raw = terms[0]
    for term in terms[1:]:
        raw = raw + term
    if answers.tried:
        # A provider whose only approaches are ones the person tried ranks below everyone else.
        offers_untried = Q(linked_to_any("modalities", lookups.untried(answers, False)))
        offers_tried = Q(linked_to_any("modalities", list(answers.tried)))
        tier = Case(When(~offers_untried & offers_tried, then=Value(0)), default=Value(1), output_field=IntegerField())
    else:
        tier = Value(1, output_field=IntegerField())
    qs = qs.annotate(raw_score=raw, tier=tier).order_by("-tier", "-raw_score", "slug")
    return qs, sum(weight for _, weight in points.values())


# --- Reasons and cautions ----------------------------------------------------------------


def _money(amount: Decimal) -> str:
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else f"${amount:,.2f}"


def _join(names: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _short(modality: Modality) -> str:
    """CBT rather than Cognitive Behavioral Therapy (CBT), where the name carries an abbreviation."""
    if modality.name.endswith(")") and "(" in modality.name:
        return modality.name[modality.name.rindex("(") + 1 : -1]
    return modality.name


def explain(provider: Provider, answers: Answers, lookups: Lookups) -> tuple[list[str], list[str]]:
    """Plain-language reasons this provider fits, and cautions worth knowing before calling."""
    today = timezone.localdate()
    reasons: list[str] = []
    cautions: list[str] = []
    licenses = list(provider.licenses.all())
    modalities = list(provider.modalities.all())
    offered = {m.slug for m in modalities}

    where = answers.where
    distance = getattr(provider, "distance_miles", None)
    place = f"Licensed in {jurisdiction_name(where)}" if where else ""
    if distance is not None and answers.mode != "telehealth":
        office = f"an office {distance:.1f} miles away"
        reasons.append(f"{place}, with {office}" if place else f"Has {office}")
        if provider.telehealth and answers.mode == "either":
            reasons.append("Also offers telehealth")
    elif provider.telehealth and answers.mode != "in_person":
        reasons.append(f"{place} and offers telehealth" if place else "Offers telehealth")
    elif place:
        reasons.append(f"{place}, with an office in the state")

    if answers.concerns:
        concerns = set(answers.concerns) | lookups.narrower_than(answers.concerns)
        specialties = [c for c in provider.conditions.all() if c.slug in concerns]
        if specialties:
            reasons.append(f"Specializes in {_join([c.name.lower() for c in specialties])}")

    if answers.modalities:
        wanted = [m for m in modalities if m.slug in answers.modalities]
        if wanted:
            reasons.append(f"Offers {_join([_short(m) for m in wanted])}, which you asked about")

    if answers.tried:
        tried = [lookups.modalities[s] for s in answers.tried if s in lookups.modalities]
        tried_text = _join([_short(m) for m in tried])
        alternatives = [
            _short(m) for m in modalities if lookups.modalities[m.slug].evidence_based and m.slug not in answers.tried
        ][:2]
        if alternatives:
            noun = "an alternative" if len(alternatives) == 1 else "alternatives"
            reasons.append(f"Offers {_join(alternatives)}, {noun} to {tried_text}, which you said did not help")
        elif offered and offered <= set(answers.tried):
            cautions.append(f"Offers only approaches you said did not help ({tried_text})")

    if answers.budget is not None and provider.lowest_fee is not None and provider.lowest_fee <= answers.budget:
        if provider.has_sliding_scale:
            reasons.append(
                f"Sliding scale from {_money(provider.sliding_scale_min)} fits your {_money(answers.budget)} budget"
            )
        else:
            reasons.append(f"Session fee of {_money(provider.standard_fee)} fits your {_money(answers.budget)} budget")
    if answers.insurance:
        plans = [p for p in provider.insurance.all() if p.slug == answers.insurance]
        if plans:
            reasons.append(f"Accepts {plans[0].name}")

    if answers.prescriber:
        prescribing = sorted({lic.credential_type.name for lic in licenses if lic.credential_type.can_prescribe})
        reasons.append(f"Can prescribe medication ({', '.join(prescribing)})")
    if answers.language:
        reasons.append(f"Speaks {lookups.languages.get(answers.language, answers.language)}")
    if answers.age_group:
        reasons.append(f"Sees {lookups.age_groups.get(answers.age_group, answers.age_group).lower()}")
    if answers.format and any(f.slug == answers.format for f in provider.formats.all()):
        reasons.append(f"Offers {lookups.formats.get(answers.format, answers.format).lower()} sessions")
    if answers.gender and provider.gender == answers.gender:
        reasons.append(f"Is a {provider.get_gender_display().lower()}, as you preferred")
    if provider.free_consultation:
        reasons.append("Offers a free first consultation")

    verified = [lic.verified_on for lic in licenses if lic.verified_on]
    recent_cutoff = today - datetime.timedelta(days=RECENT_VERIFICATION_DAYS)
    if verified and max(verified) >= recent_cutoff:
        reasons.append(f"License verified by our staff on {max(verified):%B %-d, %Y}")
    else:
        cautions.append("License not verified in 12 months" if verified else "License not yet verified by our staff")
    if provider.accepting_confirmed is None or (today - provider.accepting_confirmed).days > RECENT_ACCEPTING_DAYS:
        cautions.append(f"Accepting status not confirmed in {RECENT_ACCEPTING_DAYS} days")
    if provider.is_stale:
        cautions.append("Profile not checked by our staff in 12 months")
    if answers.budget is not None and answers.insurance and provider.lowest_fee is None:
        cautions.append("No fee listed: ask about cost when you call")
    return reasons, cautions


@dataclass
class Lookups:
    """Taxonomy names and rules for one request, from the cached snapshot rather than the database."""

    modalities: dict[str, Modality]
    languages: dict[str, str]
    age_groups: dict[str, str]
    formats: dict[str, str]
    broader: dict[str, str]
    taxonomy: Snapshot
    rules: tuple[NextStepRule, ...]
    crisis_resources: tuple[Resource, ...]

    @classmethod
    def load(cls) -> Lookups:
        taxonomy = snapshot()
        return cls(
            modalities=taxonomy.by_key("modalities"),
            languages=taxonomy.names("languages"),
            age_groups=taxonomy.names("age_groups"),
            formats=taxonomy.names("formats"),
            broader=taxonomy.broader(),
            taxonomy=taxonomy,
            rules=taxonomy.next_step_rules,
            crisis_resources=taxonomy.crisis_resources,
        )

    def narrower_than(self, concerns) -> set[str]:
        """Conditions that count for these (a TRD specialist counts for depression)."""
        return self.taxonomy.narrower(concerns)

    def broader_than(self, concerns) -> set[str]:
        """Conditions these are a kind of (advice about depression applies to TRD)."""
        return {self.broader[slug] for slug in concerns if slug in self.broader}

    def untried(self, answers: Answers, evidence_based_only: bool) -> list[str]:
        return [
            slug for slug, m in self.modalities.items()
            if slug not in answers.tried and (m.evidence_based or not evidence_based_only)
        ]


# --- Beyond the list ---------------------------------------------------------------------


def suggested_next_steps(answers: Answers, lookups: Lookups) -> list[Suggestion]:
    """Approaches worth reading about when something did not help, from the editable rules."""
    if not answers.tried:
        return []
    concerns = set(answers.concerns) | lookups.broader_than(answers.concerns)
    suggestions: dict[str, Suggestion] = {}
    for rule in lookups.rules:
        if rule.suggest.slug in answers.tried and not rule.even_if_tried:
            continue
        if rule.condition and rule.condition.slug not in concerns:
            continue
        if rule.after and rule.after.slug not in answers.tried:
            continue
        if rule.after_any_therapy and not answers.tried_therapy:
            continue
        if rule.after_medication and not answers.tried_medication:
            continue
        suggestions.setdefault(rule.suggest.slug, Suggestion(rule.suggest, rule.why))
    return list(suggestions.values())


# Guide topics (guides.models.Topic values) the fit finder recommends from.
NOT_WORKING = "when-therapy-is-not-working"
TREATMENT_RESISTANCE = "treatment-resistance"
FINDING = "finding-a-provider"
MAX_GUIDES = 3


def recommended_guides(answers: Answers, suggestions: list[Suggestion], lookups: Lookups) -> list[dict[str, str]]:
    """A few guides worth reading next, each with why, most specific first."""
    concerns = set(answers.concerns) | lookups.broader_than(answers.concerns) | lookups.narrower_than(answers.concerns)
    suggested = {s.modality.slug: s.modality for s in suggestions}
    picks: dict[str, str] = {}
    for guide in guide_index():
        if answers.tried and guide.topic == TREATMENT_RESISTANCE and (not concerns or guide.conditions & concerns):
            picks.setdefault(guide.slug, "You said treatment has not helped: this guide explains treatment "
                                         "resistance and the options beyond the first treatments.")
    for guide in guide_index():
        if answers.tried and guide.topic == NOT_WORKING:
            picks.setdefault(guide.slug, "You said something has not helped: this guide covers signs therapy is "
                                         "not working and what to do next.")
    for guide in guide_index():
        covered = [suggested[slug] for slug in sorted(guide.modalities & set(suggested))][:3]
        if covered:
            names = _join([_short(m) for m in covered])
            picks.setdefault(guide.slug, f"Explains {names}, approaches worth asking about.")
    for guide in guide_index():
        if concerns and guide.conditions & concerns and not answers.tried:
            picks.setdefault(guide.slug, "Discusses what you said brings you here.")
    for guide in guide_index():
        if guide.topic == FINDING:
            picks.setdefault(guide.slug, "How to choose a provider who fits: credentials, approach and cost.")
    by_slug = {guide.slug: guide for guide in guide_index()}
    return [
        {"slug": slug, "title": by_slug[slug].title, "url": by_slug[slug].url, "why": why}
        for slug, why in list(picks.items())[:MAX_GUIDES]
    ]


RELAXATIONS: list[tuple[str, str, dict]] = [
    # (param, how the link reads, the changed answer)
    ("mode", "Include telehealth", {"mode": "either"}),
    ("radius", f"Search within {WIDER_RADIUS} miles", {"radius": WIDER_RADIUS}),
    ("budget", "Drop the budget and insurance limit", {"budget": None, "insurance": ""}),
    ("language", "Any language", {"language": ""}),
    ("age_group", "Any age group", {"age_group": ""}),
    ("prescriber", "Include providers who do not prescribe", {"prescriber": False}),
]


def relaxations(answers: Answers) -> list[Relaxation]:
    """Single answers that, changed, would give results: the most results first."""
    found = []
    for param, label, change in RELAXATIONS:
        relaxed = replace(answers, **change)
        if relaxed == answers or (param == "radius" and (not answers.zip or answers.radius >= WIDER_RADIUS)):
            continue
        if param == "mode" and answers.mode == "either":
            continue
        count = eligible_count(relaxed)
        if count:
            found.append(Relaxation(param, label, relaxed, count))
    return sorted(found, key=lambda r: -r.count)


def find_matches(answers: Answers) -> MatchResult:
    """Ranked providers who can see this person, with reasons, next steps and crisis lines."""
    lookups = Lookups.load()
    candidates = eligible(answers)
    ordered, most_points = ranked(candidates, answers, lookups)
    top = list(ordered.for_cards()[: answers.limit])
    matches = []
    for provider in top:
        reasons, cautions = explain(provider, answers, lookups)
        score = round(100 * provider.raw_score / most_points) if most_points else 0
        matches.append(Match(provider, max(0, min(100, score)), reasons, cautions,
                             getattr(provider, "distance_miles", None)))
    total = len(matches) if len(matches) < answers.limit else eligible_count(answers)
    suggestions = suggested_next_steps(answers, lookups)
    return MatchResult(
        answers=answers,
        matches=matches,
        total=total,
        suggestions=suggestions,
        guides=recommended_guides(answers, suggestions, lookups),
        crisis_resources=list(lookups.crisis_resources),
        relaxations=relaxations(answers) if not matches else [],
    )
