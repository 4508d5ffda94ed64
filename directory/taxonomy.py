"""The small, rarely edited tables every search reads: taxonomy, next-step rules, crisis lines.

Read once and kept in Django's cache, so a search or fit-finder request does not spend a query per
table on them. Saving or deleting any of them in the admin (or loading a fixture) drops the copy.
"""

from __future__ import annotations

import uuid
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

CACHE_KEY = "directory:taxonomy-snapshot:v1"
VERSION_KEY = "directory:taxonomy-snapshot-version:v1"
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


# This process's copy, tagged with the version it was read under: a request asks the cache for the
# short version string only, not for the whole pickled snapshot (several times per request otherwise).
_local: tuple[str, Snapshot] | None = None


def snapshot() -> Snapshot:
    global _local
    version = cache.get(VERSION_KEY)
    if version is not None and _local is not None and _local[0] == version:
        return _local[1]
    found = cache.get(CACHE_KEY) if version is not None else None
    if found is None:
        found = _load()
        version = uuid.uuid4().hex
        cache.set_many({CACHE_KEY: found, VERSION_KEY: version}, CACHE_SECONDS)
    _local = (version, found)
    return found


def cached_snapshot() -> Snapshot | None:
    """The snapshot if this process or the cache already holds it; None rather than reading the tables."""
    version = cache.get(VERSION_KEY)
    if version is not None and _local is not None and _local[0] == version:
        return _local[1]
    return snapshot() if version is not None else None


def forget(**kwargs) -> None:
    cache.delete_many([VERSION_KEY, CACHE_KEY, GUIDES_CACHE_KEY])


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
