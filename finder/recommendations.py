"""Beyond the list of providers: approaches worth asking about (the editable next-step rules), notes for a
concern or age that needs one, and guides worth reading, each with why. All three read small tables kept in
the cache, not the database per request."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models.signals import m2m_changed, post_delete, post_save

from directory.models import AgeGroup, Condition, Modality
from directory.shared_copy import SharedCopy
from directory.taxonomy import Snapshot, snapshot
from directory.wording import in_sentence, join_words
from guides.models import Guide, Topic

from .models import Evidence, GuidanceNote, NextStepRule

CACHE_SECONDS = 300
MAX_GUIDES = 3
# A concern that itself says earlier treatment did not help (treatment-resistant depression, ...).
RESISTANT_PREFIX = "treatment-resistant-"
# With no age group given, a rule limited to some age groups applies only if it includes this one.
DEFAULT_AGE_GROUP = "adults"


@dataclass(frozen=True)
class Situation:
    """What the suggestions depend on: the person's concerns, what they tried, and who the care is for."""

    concerns: tuple[str, ...] = ()
    tried: tuple[str, ...] = ()  # modality slugs
    tried_therapy: bool = False  # some talk therapy, named or not
    tried_medication: bool = False
    age_group: str = ""

    @property
    def treatment_did_not_help(self) -> bool:
        return bool(self.tried or self.tried_therapy) or any(c.startswith(RESISTANT_PREFIX) for c in self.concerns)


@dataclass
class Suggestion:
    modality: Modality
    why: str
    evidence: int
    concern: str = ""  # the name of the concern it is suggested for, if any

    @property
    def evidence_label(self) -> str:
        return Evidence(self.evidence).label


def _rules() -> tuple[NextStepRule, ...]:
    rules = tuple(NextStepRule.objects.select_related("condition", "after", "suggest").prefetch_related("age_groups"))
    for rule in rules:
        rule.age_slugs = frozenset(group.slug for group in rule.age_groups.all())
    return rules


def _notes() -> tuple[GuidanceNote, ...]:
    return tuple(GuidanceNote.objects.select_related("condition", "age_group"))


@dataclass(frozen=True)
class GuideEntry:
    """What the fit finder needs to recommend a guide, without loading its body."""

    slug: str
    title: str
    url: str
    topic: str
    conditions: frozenset[str]
    modalities: frozenset[str]


def _guides() -> tuple[GuideEntry, ...]:
    return tuple(
        GuideEntry(
            guide.slug, guide.title, guide.get_absolute_url(), guide.topic,
            frozenset(c.slug for c in guide.conditions.all()), frozenset(m.slug for m in guide.modalities.all()),
        )
        for guide in Guide.objects.published().only("slug", "title", "topic").prefetch_related(
            "conditions", "modalities"
        )
    )


next_step_rules = SharedCopy("next-step-rules", _rules, CACHE_SECONDS)
guidance_notes = SharedCopy("guidance-notes", _notes, CACHE_SECONDS)
guide_index = SharedCopy("guide-index", _guides, CACHE_SECONDS)


def _age_group(situation: Situation, taxonomy: Snapshot) -> AgeGroup | None:
    return taxonomy.by_key("age_group").get(situation.age_group)  # type: ignore[return-value]


def _applies(rule: NextStepRule, situation: Situation, concerns_too: set[str], age_group: AgeGroup | None) -> bool:
    if rule.condition and rule.condition.slug not in concerns_too:
        return False
    if rule.after and rule.after.slug not in situation.tried:
        return False
    if (rule.after_any_therapy and not situation.tried_therapy) or (rule.after_medication
                                                                   and not situation.tried_medication):
        return False
    if rule.age_slugs and (age_group.slug if age_group else DEFAULT_AGE_GROUP) not in rule.age_slugs:
        return False
    if rule.suggest.slug in situation.tried and not rule.even_if_tried:
        return False
    return rule.suggest.suits(age_group)


def suggested_next_steps(situation: Situation) -> list[Suggestion]:
    """Approaches worth asking about, strongest evidence first: those for the person's own concerns (the
    narrower concern first), then those that follow only from what they tried. Never one they tried (unless a
    rule says so, like a medication review) nor one below its minimum age for their age group."""
    taxonomy = snapshot()
    broader = taxonomy.broader()
    concerns_too = set(situation.concerns) | taxonomy.broader_than(situation.concerns)
    age_group = _age_group(situation, taxonomy)
    applying = [rule for rule in next_step_rules.get() if _applies(rule, situation, concerns_too, age_group)]
    applying.sort(key=lambda rule: (
        rule.condition is None, rule.evidence, rule.condition is not None and rule.condition.slug not in broader,
        rule.position,
    ))
    suggestions: dict[str, Suggestion] = {}
    for rule in applying:
        concern = in_sentence(rule.condition.name) if rule.condition else ""
        suggestions.setdefault(rule.suggest.slug, Suggestion(rule.suggest, rule.why, rule.evidence, concern))
    return list(suggestions.values())


def notes_for(situation: Situation) -> list[GuidanceNote]:
    """The notes for the person's concerns (a note for depression also for treatment-resistant depression)
    and age group."""
    taxonomy = snapshot()
    concerns_too = set(situation.concerns) | taxonomy.broader_than(situation.concerns)
    return [
        note for note in guidance_notes.get()
        if (note.condition is None or note.condition.slug in concerns_too)
        and (note.age_group is None or note.age_group.slug == situation.age_group)
    ]


def recommended_guides(situation: Situation, suggestions: list[Suggestion]) -> list[dict[str, str]]:
    """A few guides worth reading next, each with why, most specific first. A guide about treatment that did
    not help is offered only to someone it applies to; with concerns given, only guides about them."""
    taxonomy = snapshot()
    related = set(situation.concerns) | taxonomy.broader_than(situation.concerns) | taxonomy.narrower(
        situation.concerns)
    about_them = [guide for guide in guide_index.get() if not related or guide.conditions & related]
    after_treatment = {Topic.TREATMENT_RESISTANCE, Topic.NOT_WORKING}
    if not situation.treatment_did_not_help:
        about_them = [guide for guide in about_them if guide.topic not in after_treatment]
    suggested = {s.modality.slug: s.modality for s in suggestions}
    picks: dict[str, str] = {}
    said = "You said treatment has not helped: this guide explains" if situation.tried or situation.tried_therapy \
        else "Explains"
    for guide in about_them:
        if guide.topic == Topic.TREATMENT_RESISTANCE:
            picks.setdefault(guide.slug, f"{said} treatment resistance and the options beyond the first treatments.")
    for guide in about_them:
        if guide.topic == Topic.NOT_WORKING:
            picks.setdefault(guide.slug, "Covers signs that therapy is not working, and what to do next.")
    for guide in about_them:
        covered = [suggested[slug] for slug in suggested if slug in guide.modalities][:3]
        if covered:
            picks.setdefault(guide.slug, f"Explains {join_words([m.short_name for m in covered])}, approaches worth "
                                         "asking about.")
    for guide in about_them:
        if related:
            picks.setdefault(guide.slug, "Discusses what you said brings you here.")
    for guide in guide_index.get():
        if guide.topic == Topic.FINDING:
            picks.setdefault(guide.slug, "How to choose a provider who fits: credentials, approach and cost.")
    by_slug = {guide.slug: guide for guide in guide_index.get()}
    return [
        {"slug": slug, "title": by_slug[slug].title, "url": by_slug[slug].url, "why": why}
        for slug, why in list(picks.items())[:MAX_GUIDES]
    ]


def forget(**kwargs) -> None:
    next_step_rules.forget()
    guidance_notes.forget()
    guide_index.forget()


def connect_signals() -> None:
    """Forget the copies when a rule, a note, a guide, or a term they name changes."""
    for model in (NextStepRule, GuidanceNote, Guide, Modality, Condition, AgeGroup):
        post_save.connect(forget, sender=model, dispatch_uid=f"finder-save-{model.__name__}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"finder-delete-{model.__name__}")
    for through in (Guide.conditions.through, Guide.modalities.through, NextStepRule.age_groups.through):
        m2m_changed.connect(forget, sender=through, dispatch_uid=f"finder-{through.__name__}")
