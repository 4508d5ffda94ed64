"""The small, rarely edited tables every search reads: taxonomy, next-step rules, crisis lines.

Read once and kept in Django's cache, so a search or fit-finder request does not spend a query per
table on them. Saving or deleting any of them in the admin (or loading a fixture) drops the copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import (
    AgeGroup,
    Condition,
    CredentialType,
    InsurancePlan,
    Language,
    Modality,
    NextStepRule,
    Resource,
    SessionFormat,
)
from .shared_copy import SharedCopy

# Each process of a deployment without a shared cache keeps its own copy: bound how stale it can be.
CACHE_SECONDS = 300
SNAPSHOT_MODELS = (
    Modality, Condition, CredentialType, SessionFormat, AgeGroup, Language, InsurancePlan, NextStepRule, Resource
)


@dataclass(frozen=True)
class Snapshot:
    modalities: tuple[Modality, ...]
    conditions: tuple[Condition, ...]
    credential_types: tuple[CredentialType, ...]
    formats: tuple[SessionFormat, ...]
    age_groups: tuple[AgeGroup, ...]
    languages: tuple[Language, ...]
    insurance_plans: tuple[InsurancePlan, ...]
    next_step_rules: tuple[NextStepRule, ...]
    crisis_resources: tuple[Resource, ...]

    def choices(self, name: str) -> list[tuple[str, str]]:
        """(key, name) pairs for a form field, in the taxonomy's order."""
        return [(term.key, term.name) for term in getattr(self, name)]

    def names(self, name: str) -> dict[str, str]:
        return {term.key: term.name for term in getattr(self, name)}

    def by_key(self, name: str) -> dict:
        return {term.key: term for term in getattr(self, name)}

    def broader(self) -> dict[str, str]:
        """Condition slug -> the slug of the broader condition it counts for."""
        by_id = {c.pk: c.slug for c in self.conditions}
        return {c.slug: by_id[c.broader_id] for c in self.conditions if c.broader_id in by_id}

    def narrower(self, concerns) -> set[str]:
        """Conditions that count for these (a treatment-resistant depression specialist for depression)."""
        return {slug for slug, broader in self.broader().items() if broader in concerns}


def _load() -> Snapshot:
    return Snapshot(
        modalities=tuple(Modality.objects.all()),
        conditions=tuple(Condition.objects.all()),
        credential_types=tuple(CredentialType.objects.all()),
        formats=tuple(SessionFormat.objects.all()),
        age_groups=tuple(AgeGroup.objects.all()),
        languages=tuple(Language.objects.all()),
        insurance_plans=tuple(InsurancePlan.objects.all()),
        next_step_rules=tuple(NextStepRule.objects.select_related("condition", "after", "suggest")),
        crisis_resources=tuple(Resource.objects.crisis()),
    )


# A request asks the cache for a short version string, not for the whole pickled snapshot (several
# times per request otherwise): see SharedCopy.
_shared = SharedCopy("taxonomy-snapshot", _load, CACHE_SECONDS)


def snapshot() -> Snapshot:
    return _shared.get()


def cached_snapshot() -> Snapshot | None:
    """The snapshot if this process or the cache already holds it; None rather than reading the tables."""
    return _shared.get_if_held()


def forget(**kwargs) -> None:
    _shared.forget()
    cache.delete(GUIDES_CACHE_KEY)


GUIDES_CACHE_KEY = "directory:guide-index:v1"


@dataclass(frozen=True)
class GuideEntry:
    """What the fit finder needs to recommend a guide, without loading its body."""

    slug: str
    title: str
    url: str
    topic: str
    conditions: frozenset[str]
    modalities: frozenset[str]


def guide_index() -> tuple[GuideEntry, ...]:
    """Every published guide, in title order, from the cache."""
    found = cache.get(GUIDES_CACHE_KEY)
    if found is None:
        from guides.models import Guide

        found = tuple(
            GuideEntry(
                guide.slug, guide.title, guide.get_absolute_url(), guide.topic,
                frozenset(c.slug for c in guide.conditions.all()), frozenset(m.slug for m in guide.modalities.all()),
            )
            for guide in Guide.objects.published().only("slug", "title", "topic").prefetch_related(
                "conditions", "modalities"
            )
        )
        cache.set(GUIDES_CACHE_KEY, found, CACHE_SECONDS)
    return found


def _connect_guides() -> None:
    from guides.models import Guide

    post_save.connect(forget, sender=Guide, dispatch_uid="guide-index-save")
    post_delete.connect(forget, sender=Guide, dispatch_uid="guide-index-delete")
    for through in (Guide.conditions.through, Guide.modalities.through):
        m2m_changed.connect(forget, sender=through, dispatch_uid=f"guide-index-{through.__name__}")


for _model in SNAPSHOT_MODELS:
    post_save.connect(forget, sender=_model, dispatch_uid=f"taxonomy-snapshot-save-{_model.__name__}")
    post_delete.connect(forget, sender=_model, dispatch_uid=f"taxonomy-snapshot-delete-{_model.__name__}")
_connect_guides()
