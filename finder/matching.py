"""The fit finder: a person's answers in, ranked providers with plain-language reasons out.

No request objects here: the view and the API build an Answers and call find_matches().
Hard rules (contract, section 5) are database filters; soft preferences become one score
expression the database orders by, so the engine never loads the whole table.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from pyroaring import BitMap

from directory import geo
from directory.jurisdictions import CANADIAN_PROVINCES, jurisdiction_name
from directory.models import License, Modality, Provider, Resource, availability_cutoff, linked_to_any, money
from directory.search import facet_index
from directory.search.facet_index import FacetIndex
from directory.search.fields import DEFAULT_RADIUS
from directory.search.rules import Criteria, Rule
from directory.taxonomy import Snapshot, snapshot
from directory.wording import in_sentence, join_words

from .ranking import Preference, Scoring
from .recommendations import (
    Situation,
    Suggestion,
    notes_for,
    recommended_guides,
    suggested_next_steps,
)

MEDICATION = "medication-management"
TALK_THERAPY = "talk-therapy"  # the answer "talk therapy, not sure which kind" to what was tried
WIDER_RADIUS = 100
RECENT_VERIFICATION_DAYS = 365

# How much each soft preference counts. The score (0-100) is the share of the points that could apply
# to these answers: a preference the person did not state counts for no one.
WEIGHTS: dict[str, int] = {
    "concern": 30,  # specializes in a concern (a narrower one counts: TRD for depression)
    "preferred_modality": 20,  # offers an approach the person would like
    "next_step": 15,  # offers an approach worth asking about for these answers (the suggestions)
    "alternative": 10,  # something was tried: offers an evidence-based approach not tried
    "format": 8,  # offers the session format asked for
    "gender": 8,  # the provider's gender is the one asked for
    "distance": 10,  # has an office nearby: full points next door, none at the radius
    "verified_recently": 6,  # a license verified by staff in the last 12 months
    "free_consultation": 5,
    "availability_recent": 4,  # accepting status confirmed within settings.AVAILABILITY_STALE_DAYS
}
# A provider whose only approaches are ones the person tried (medication management never counts as one:
# a different medication plan is a next step) keeps its points scaled into [0, alternative): so it ranks,
# and shows a lower score, below anyone who offers an evidence-based alternative.
DEMOTED_CEILING = WEIGHTS["alternative"] - 1
# An unconfirmed basic listing from the NPI registry keeps this share of its points: it orders such listings
# among themselves, and rounds to a score of 0, so the scores still read in the order of the results.
UNCONFIRMED_SHARE = 0.001

# The score in words, shown on the page (the number stays in the API): the least score for each.
FIT_WORDS: tuple[tuple[int, str], ...] = ((60, "Strong fit"), (35, "Good fit"), (0, "Possible fit"))


def fit_words(score: int) -> str:
    return next(words for least, words in FIT_WORDS if score >= least)


# The fit finder's own hard rule, declared as the search's rules are.
GENDER = Rule(
    "gender", "Provider's gender", lambda label: forms.ChoiceField(required=False, label=label),
    sql=lambda qs, gender, criteria: qs.of_gender(gender),
    bitmap=lambda index, gender, criteria: index.genders.get(gender, BitMap()),
)


@dataclass(frozen=True)
class Answers:
    """What a person told the fit finder. Never stored or logged."""

    concerns: tuple[str, ...] = ()
    tried: tuple[str, ...] = ()
    tried_talk_therapy: bool = False  # talk therapy, not sure which kind
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
    gender_required: bool = False  # only providers of that gender (contract section 5)
    prescriber: bool = False
    evenings: bool = False  # needs evening hours (with weekends too: either will do)
    weekends: bool = False
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
        pairs += [("tried", TALK_THERAPY)] if self.tried_talk_therapy else []
        for name in ("state", "zip", "insurance", "language", "format", "age_group", "gender"):
            if getattr(self, name):
                pairs.append((name, getattr(self, name)))
        if self.zip and self.radius != DEFAULT_RADIUS:
            pairs.append(("radius", str(self.radius)))
        if self.mode != "either":
            pairs.append(("mode", self.mode))
        if self.budget is not None:
            pairs.append(("budget", format(self.budget.normalize(), "f")))
        pairs += [("gender_required", "true")] if self.gender_required else []
        pairs += [("prescriber", "true")] if self.prescriber else []
        pairs += [("evenings", "true")] if self.evenings else []
        pairs += [("weekends", "true")] if self.weekends else []
        pairs += [("modality", slug) for slug in self.modalities]
        if self.limit != 20:
            pairs.append(("limit", str(self.limit)))
        return urlencode(pairs)

    @property
    def tried_therapy(self) -> bool:
        return self.tried_talk_therapy or any(slug != MEDICATION for slug in self.tried)

    @property
    def tried_medication(self) -> bool:
        return MEDICATION in self.tried

    @property
    def tried_the_same(self) -> tuple[str, ...]:
        """What a provider would only be offering again: what was tried, but never medication management (a
        different medication plan is a next step)."""
        return tuple(slug for slug in self.tried if slug != MEDICATION)

    @property
    def situation(self) -> Situation:
        return Situation(self.concerns, self.tried, self.tried_therapy, self.tried_medication, self.age_group)


@dataclass
class Match:
    provider: Provider
    score: int
    reasons: list[str]
    cautions: list[str]
    distance_miles: float | None = None

    @property
    def fit(self) -> str:
        return fit_words(self.score)


@dataclass(frozen=True)
class Note:
    """A plain-language note for the answers as a whole; the link, if any, is named in the text."""

    text: str
    link: str = ""
    link_text: str = ""


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
    notes: list[Note] = field(default_factory=list)
    crisis_first: bool = False  # crisis lines before any provider: the person is in crisis, or a concern says so


# --- Hard rules --------------------------------------------------------------------------


def criteria(answers: Answers) -> Criteria:
    """The contract's hard rules for these answers, as the search's declared rules (directory.search.rules):
    accepting new clients, licensed where the person is, a way to meet them, within budget or insurance,
    their language and age group, a prescriber licensed there when they need one, and evening or weekend hours
    when they need them."""
    taxonomy = snapshot()
    values = {
        "accepting": True,
        "state": answers.where,
        "radius": answers.radius,
        "language": taxonomy.chosen("language", [answers.language.lower()]),
        "age_group": taxonomy.chosen("age_group", [answers.age_group]),
        "prescriber": answers.prescriber,
    }
    # In person: an office within reach of the ZIP code, else in the state (the in_person rule with a state).
    in_person = {"zip": answers.zip} if answers.centre is not None else {"in_person": True}
    any_of = []
    if answers.mode == "in_person":
        values.update(in_person)
    elif answers.mode == "telehealth":
        values["telehealth"] = True
    else:
        any_of.append({"telehealth": True, **in_person})
    affordable = {}
    if answers.budget is not None:
        affordable["max_fee"] = answers.budget
    if answers.insurance:
        affordable["insurance"] = taxonomy.chosen("insurance", [answers.insurance])
    if affordable:
        any_of.append(affordable)
    hours = {name: True for name in ("evenings", "weekends") if getattr(answers, name)}
    if len(hours) == 1:
        values.update(hours)
    elif hours:
        any_of.append(hours)  # outside working hours: either will do
    extra = [(GENDER, answers.gender)] if answers.gender_required else []
    return Criteria(values, any_of, extra)


def eligible(answers: Answers) -> QuerySet[Provider]:
    """Providers who can actually see this person: the contract's hard rules, as filters."""
    return criteria(answers).queryset(Provider.objects.published())


def eligible_count(answers: Answers) -> int:
    """How many providers eligible() finds, from the facet index (no COUNT over the table)."""
    return len(criteria(answers).providers(facet_index.current()))


# --- Ranking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NextSteps:
    """What a provider may offer that is worth it for these answers: the approaches suggested (strongest
    evidence first) and, when something was tried, the other evidence-based talk therapies not tried, and
    medication management (a different plan is a next step). Never one below its minimum age."""

    suggested: tuple[Modality, ...] = ()
    alternatives: tuple[Modality, ...] = ()

    @classmethod
    def of(cls, answers: Answers, suggestions: list[Suggestion], taxonomy: Snapshot) -> NextSteps:
        suggested = tuple(s.modality for s in suggestions)
        if not (answers.tried or answers.tried_talk_therapy):
            return cls(suggested)
        age_group = taxonomy.by_key("age_group").get(answers.age_group)
        # Brain stimulation and other medical treatments are a next step only where a rule suggests them for the
        # person's concern (TMS or ECT for treatment-resistant depression), never as any alternative to therapy.
        return cls(suggested, tuple(
            m for m in taxonomy.modalities
            if m.evidence_based and m.slug not in answers.tried_the_same and m.suits(age_group)
            and (m.category == Modality.Category.PSYCHOTHERAPY or m.slug == MEDICATION)
        ))

    @property
    def in_order(self) -> list[Modality]:
        """The suggested ones first, then the other alternatives."""
        slugs = {m.slug for m in self.suggested}
        return [*self.suggested, *(m for m in self.alternatives if m.slug not in slugs)]


def scoring(answers: Answers, steps: NextSteps, taxonomy: Snapshot) -> Scoring:
    """The soft preferences that apply to these answers, each answered in SQL and over the facet index."""
    today = timezone.localdate()
    found: list[Preference] = []

    def prefer(name: str, sql: Q, bitmap: Callable[[FacetIndex], BitMap]) -> None:
        found.append(Preference(name, WEIGHTS[name], sql, bitmap))

    def offering(terms: list[Modality]) -> tuple[Q, Callable[[FacetIndex], BitMap]]:
        return Q(linked_to_any("modalities", terms)), lambda index: index.any_term("modality", terms)

    if answers.concerns:
        concerns = taxonomy.with_narrower(answers.concerns)
        prefer("concern", Q(linked_to_any("conditions", concerns)), lambda index: index.any_term("condition", concerns))
    preferred = preferred_modalities(answers, taxonomy)
    if preferred:
        prefer("preferred_modality", *offering(preferred))
    if steps.suggested:
        prefer("next_step", *offering(list(steps.suggested)))
    if steps.alternatives:
        prefer("alternative", *offering(list(steps.alternatives)))
    if answers.format:
        formats = taxonomy.chosen("format", [answers.format])
        prefer("format", Q(linked_to_any("formats", formats)), lambda index: index.any_term("format", formats))
    if answers.gender:
        prefer("gender", Q(gender=answers.gender), lambda index: index.genders.get(answers.gender, BitMap()))
    recently = today - datetime.timedelta(days=RECENT_VERIFICATION_DAYS)
    prefer("verified_recently",
           Q(Exists(License.objects.current().filter(provider=OuterRef("pk"), verified_on__gte=recently))),
           lambda index: index.verified_since(recently))
    prefer("free_consultation", Q(free_consultation=True), lambda index: index.features["free_consultation"])
    prefer("availability_recent", Provider.availability_recent_q(),
           lambda index: index.confirmed_since(availability_cutoff()))
    distance = (answers.centre, answers.radius, WEIGHTS["distance"]) if answers.centre is not None else None
    demoted = None
    if answers.tried_the_same:
        # Offers only approaches the person tried (medication management never counts as one).
        same = taxonomy.chosen("modality", answers.tried_the_same)
        others = [m for m in taxonomy.modalities if m.slug not in answers.tried_the_same]
        demoted = Preference(
            "only_the_same", 0,
            Q(linked_to_any("modalities", same)) & ~Q(linked_to_any("modalities", others)),
            lambda index: index.any_term("modality", same) - index.any_term("modality", others),
        )
    # A basic listing from the NPI registry that its provider has not confirmed ranks below every confirmed one
    # (Provider.unconfirmed_registry_listing): its points shrink to a share that rounds to a score of 0.
    unconfirmed = Preference("unconfirmed_registry_listing", 0, Q(unconfirmed_registry_listing=True),
                             lambda index: index.features["unconfirmed_registry_listing"])
    return Scoring(tuple(found), distance, demoted, DEMOTED_CEILING, last=unconfirmed, last_share=UNCONFIRMED_SHARE)


def preferred_modalities(answers: Answers, taxonomy: Snapshot) -> list[Modality]:
    """The approaches the person would like, leaving out any below its minimum age for their age group."""
    age_group = taxonomy.by_key("age_group").get(answers.age_group)
    return [m for m in taxonomy.chosen("modality", answers.modalities) if m.suits(age_group)]


def ranked(answers: Answers, steps: NextSteps, taxonomy: Snapshot) -> tuple[list[Provider], int, int]:
    """The best answers.limit eligible providers, best first, scored over the facet index, with raw_score (and
    distance_miles with a ZIP code) set; also the most points possible, and how many are eligible."""
    index = facet_index.current()
    hard_rules = criteria(answers)
    eligible_ids = hard_rules.providers(index)
    nearest = hard_rules.nearest_miles(answers.zip) if answers.centre is not None else {}
    points = scoring(answers, steps, taxonomy)
    best = points.top(index, eligible_ids, nearest, answers.limit)
    rows = Provider.objects.filter(pk__in=[pk for pk, _ in best]).for_cards().in_bulk()
    top = []
    for pk, raw_score in best:
        provider = rows.get(pk)
        if provider is not None:  # deleted since the index was read
            provider.raw_score = raw_score
            provider.distance_miles = nearest.get(pk)
            top.append(provider)
    return top, points.most, len(eligible_ids)


# --- Reasons and cautions ----------------------------------------------------------------


def explain(provider: Provider, answers: Answers, steps: NextSteps,
            taxonomy: Snapshot) -> tuple[list[str], list[str]]:
    """Plain-language reasons this provider fits, and cautions worth knowing before calling."""
    today = timezone.localdate()
    known = taxonomy.by_key("modality")
    reasons: list[str] = []
    cautions: list[str] = []
    licenses = provider.current_licenses
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
        concerns = taxonomy.with_narrower(answers.concerns)
        listed = {c.slug for c in provider.conditions.all()}
        specialties = [c for c in provider.conditions.all() if c.slug in {c.slug for c in concerns}]
        if specialties:
            reasons.append(f"Specializes in {join_words([in_sentence(c.name) for c in specialties])}")
        broader = taxonomy.broader()
        missing = [
            c for c in taxonomy.chosen("condition", answers.concerns)
            if not ({c.slug, broader.get(c.slug)} | taxonomy.narrower([c.slug])) & listed
        ]
        if missing:
            cautions.append(f"Does not list {join_words([in_sentence(c.name) for c in missing], 'or')} among their "
                            "specialties: ask whether they treat it")

    preferred = {m.slug for m in preferred_modalities(answers, taxonomy)}
    wanted = [m for m in modalities if m.slug in preferred]
    if wanted:
        reasons.append(f"Offers {join_words([m.short_name for m in wanted])}, which you asked about")

    worth = [m for m in steps.in_order if m.slug in offered and m.slug not in preferred]
    if MEDICATION in {m.slug for m in worth} and answers.tried_medication:
        reasons.append("Offers medication management: a different medication plan is a next step when medication "
                       "did not help")
    others = [m for m in worth if m.slug != MEDICATION or not answers.tried_medication][:2]
    named_tried = join_words([known[s].short_name for s in answers.tried if s in known])
    if others and named_tried:
        noun = "an alternative" if len(others) == 1 else "alternatives"
        reasons.append(f"Offers {join_words([m.short_name for m in others])}, {noun} to {named_tried}, which you "
                       "said did not help")
    elif others and answers.tried_talk_therapy:
        reasons.append(f"Offers {join_words([m.short_name for m in others])}, worth asking about when therapy did "
                       "not help")
    elif others:
        reasons.append(f"Offers {join_words([m.short_name for m in others])}, worth asking about for what brings "
                       "you here")
    same = [known[s] for s in answers.tried_the_same if s in offered]
    if same and offered <= set(answers.tried_the_same):
        cautions.append(f"Offers only {join_words([m.short_name for m in same])}, which you said did not help")

    if answers.budget is not None and provider.lowest_fee is not None and provider.lowest_fee <= answers.budget:
        if provider.has_sliding_scale:
            reasons.append(
                f"Sliding scale from {money(provider.sliding_scale_min)} fits your {money(answers.budget)} budget"
            )
        else:
            reasons.append(f"Session fee of {money(provider.standard_fee)} fits your {money(answers.budget)} budget")
    if answers.insurance:
        plans = [p for p in provider.insurance.all() if p.slug == answers.insurance]
        if plans:
            reasons.append(f"Accepts {plans[0].name}")

    if answers.prescriber:
        prescribing = sorted({
            lic.credential_type.name for lic in licenses
            if lic.credential_type.can_prescribe and (not where or lic.jurisdiction == where)
        })
        reasons.append(f"Can prescribe medication in {jurisdiction_name(where)} ({', '.join(prescribing)})" if where
                       else f"Can prescribe medication ({', '.join(prescribing)})")
    asked_hours = ((answers.evenings, provider.evenings, "in the evening"),
                   (answers.weekends, provider.weekends, "at weekends"))
    hours = [words for asked, offered, words in asked_hours if asked and offered]
    if hours:
        reasons.append(f"Sees clients {join_words(hours)}, as you asked")
    if answers.language:
        reasons.append(f"Speaks {taxonomy.names('language').get(answers.language, answers.language)}")
    if answers.age_group:
        reasons.append(f"Sees {taxonomy.names('age_group').get(answers.age_group, answers.age_group).lower()}")
    if answers.format and any(f.slug == answers.format for f in provider.formats.all()):
        reasons.append(f"Offers {taxonomy.names('format').get(answers.format, answers.format).lower()} sessions")
    if answers.gender and provider.gender == answers.gender:
        asked = "as you asked" if answers.gender_required else "as you preferred"
        reasons.append(f"Is a {provider.get_gender_display().lower()}, {asked}")
    if provider.free_consultation:
        reasons.append("Offers a free first consultation")

    verified = [lic.verified_on for lic in licenses if lic.verified_on]
    recent_cutoff = today - datetime.timedelta(days=RECENT_VERIFICATION_DAYS)
    if verified and max(verified) >= recent_cutoff:
        reasons.append(f"License verified by our staff on {max(verified):%B %-d, %Y}")
    else:
        cautions.append("License not verified in 12 months" if verified else "License not yet verified by our staff")
    if not provider.availability_recent:
        cautions.append("Availability not confirmed recently: ask whether they have openings")
    if provider.is_stale:
        cautions.append("Profile not checked by our staff in 12 months")
    if answers.budget is not None and answers.insurance and provider.lowest_fee is None:
        cautions.append("No fee listed: ask about cost when you call")
    return reasons, cautions


RELAXATIONS: list[tuple[str, str, dict]] = [
    # (param, how the link reads, the changed answer)
    ("mode", "Include telehealth", {"mode": "either"}),
    ("radius", f"Search within {WIDER_RADIUS} miles", {"radius": WIDER_RADIUS}),
    ("budget", "Drop the budget and insurance limit", {"budget": None, "insurance": ""}),
    ("language", "Any language", {"language": ""}),
    ("age_group", "Any age group", {"age_group": ""}),
    ("prescriber", "Include providers who do not prescribe", {"prescriber": False}),
    ("hours", "Any hours", {"evenings": False, "weekends": False}),
    ("gender_required", "Any gender", {"gender_required": False}),
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


def empty_notes(answers: Answers) -> list[Note]:
    """When nobody fits: why, plainly, then where else to look (PATHWAYS.md)."""
    where = answers.where
    if where and not Criteria({"state": where}).providers(facet_index.current()):
        notes = [Note(f"No provider licensed in {jurisdiction_name(where)} is listed here yet. A provider can only "
                      "see you if they are licensed where you are.")]
    elif where:
        notes = [Note(f"Providers licensed in {jurisdiction_name(where)} are listed, but none fits every answer.")]
    else:
        notes = [Note("No provider listed here fits every answer.")]
    if where in CANADIAN_PROVINCES:
        notes.append(Note("To talk with someone now, call or text 9-8-8, the Suicide Crisis Helpline, any time."))
        return notes
    notes.append(Note("FindTreatment.gov, the US government's locator of licensed treatment services, lists "
                      "places near you, and a community mental health center near you can also help.",
                      "https://findtreatment.gov/", "FindTreatment.gov"))
    notes.append(Note("To talk with someone now, call or text 988 any time."))
    return notes


def find_matches(answers: Answers) -> MatchResult:
    """Ranked providers who can see this person, with reasons, next steps, notes and crisis lines."""
    taxonomy = snapshot()
    situation = answers.situation
    suggestions = suggested_next_steps(situation)
    steps = NextSteps.of(answers, suggestions, taxonomy)
    top, most_points, total = ranked(answers, steps, taxonomy)
    matches = []
    for provider in top:
        reasons, cautions = explain(provider, answers, steps, taxonomy)
        score = round(100 * provider.raw_score / most_points) if most_points else 0
        matches.append(Match(provider, max(0, min(100, score)), reasons, cautions,
                             getattr(provider, "distance_miles", None)))
    guidance = notes_for(situation)
    notes = [Note(note.text) for note in guidance] + ([] if matches else empty_notes(answers))
    return MatchResult(
        answers=answers,
        matches=matches,
        total=total,
        suggestions=suggestions,
        guides=recommended_guides(situation, suggestions),
        crisis_resources=list(taxonomy.crisis_resources),
        relaxations=relaxations(answers) if not matches else [],
        notes=notes,
        crisis_first=answers.crisis or any(note.crisis_first for note in guidance),
    )
