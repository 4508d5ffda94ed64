"""Beyond the list of providers: approaches worth asking about next (the editable next-step rules) and guides
worth reading, each with why. Both read small tables kept in the cache, not the database per request."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models.signals import m2m_changed, post_delete, post_save

from directory.models import Condition, Modality
from directory.shared_copy import SharedCopy
from directory.taxonomy import snapshot
from directory.wording import join_words
from guides.models import Guide, Topic

from .models import NextStepRule

CACHE_SECONDS = 300
MAX_GUIDES = 3


@dataclass
class Suggestion:
    modality: Modality
    why: str


@dataclass(frozen=True)
class GuideEntry:
    """What the fit finder needs to recommend a guide, without loading its body."""

    slug: str
    title: str
    url: str
    topic: str
    conditions: frozenset[str]
    modalities: frozenset[str]


def _rules() -> tuple[NextStepRule, ...]:
    return tuple(NextStepRule.objects.select_related("condition", "after", "suggest"))


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
guide_index = SharedCopy("guide-index", _guides, CACHE_SECONDS)


def suggested_next_steps(concerns: tuple[str, ...], tried: tuple[str, ...], tried_therapy: bool,
                         tried_medication: bool) -> list[Suggestion]:
    """Approaches worth reading about when something did not help, from the editable rules."""
    if not tried:
        return []
    concerns_too = set(concerns) | snapshot().broader_than(concerns)
    suggestions: dict[str, Suggestion] = {}
    for rule in next_step_rules.get():
        if rule.suggest.slug in tried and not rule.even_if_tried:
            continue
        if rule.condition and rule.condition.slug not in concerns_too:
            continue
        if rule.after and rule.after.slug not in tried:
            continue
        if rule.after_any_therapy and not tried_therapy:
            continue
        if rule.after_medication and not tried_medication:
            continue
        suggestions.setdefault(rule.suggest.slug, Suggestion(rule.suggest, rule.why))
    return list(suggestions.values())


def recommended_guides(concerns: tuple[str, ...], tried: tuple[str, ...],
                       suggestions: list[Suggestion]) -> list[dict[str, str]]:
    """A few guides worth reading next, each with why, most specific first."""
    taxonomy = snapshot()
    related = set(concerns) | taxonomy.broader_than(concerns) | taxonomy.narrower(concerns)
    suggested = {s.modality.slug: s.modality for s in suggestions}
    guides = guide_index.get()
    picks: dict[str, str] = {}
    for guide in guides:
        if tried and guide.topic == Topic.TREATMENT_RESISTANCE and (not related or guide.conditions & related):
            picks.setdefault(guide.slug, "You said treatment has not helped: this guide explains treatment "
                                         "resistance and the options beyond the first treatments.")
    for guide in guides:
        if tried and guide.topic == Topic.NOT_WORKING:
            picks.setdefault(guide.slug, "You said something has not helped: this guide covers signs therapy is "
                                         "not working and what to do next.")
    for guide in guides:
        covered = [suggested[slug] for slug in sorted(guide.modalities & set(suggested))][:3]
        if covered:
            picks.setdefault(guide.slug, f"Explains {join_words([m.short_name for m in covered])}, approaches worth "
                                         "asking about.")
    for guide in guides:
        if related and guide.conditions & related and not tried:
            picks.setdefault(guide.slug, "Discusses what you said brings you here.")
    for guide in guides:
        if guide.topic == Topic.FINDING:
            picks.setdefault(guide.slug, "How to choose a provider who fits: credentials, approach and cost.")
    by_slug = {guide.slug: guide for guide in guides}
    return [
        {"slug": slug, "title": by_slug[slug].title, "url": by_slug[slug].url, "why": why}
        for slug, why in list(picks.items())[:MAX_GUIDES]
    ]


def forget(**kwargs) -> None:
    next_step_rules.forget()
    guide_index.forget()


def connect_signals() -> None:
    """Forget both copies when a rule, a guide, or a term they name changes."""
    for model in (NextStepRule, Guide, Modality, Condition):
        post_save.connect(forget, sender=model, dispatch_uid=f"finder-save-{model.__name__}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"finder-delete-{model.__name__}")
    for through in (Guide.conditions.through, Guide.modalities.through):
        m2m_changed.connect(forget, sender=through, dispatch_uid=f"finder-{through.__name__}")
