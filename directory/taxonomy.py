"""The taxonomy: one registry of its parts, and one cached in-memory snapshot of its values.

Each part of the taxonomy (approaches, concerns, credentials, ...) is declared once in KINDS: the search
parameter that filters by it, the Provider relation that holds it, its model, its label, its CSV column
and its Open Referral (HSDS) kind. Search, facets, the CSV and HSDS exchange, the admin's roles and the
generator read this list rather than naming the parts again.

The snapshot holds every value of these small, rarely edited tables (and the crisis lines), read once
and kept in Django's cache, so a search or fit-finder request does not spend a query per table on
them. Saving or deleting any of them in the admin (or loading a fixture) drops the copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save

from .models import (
    AgeGroup,
    Condition,
    CredentialType,
    InsurancePlan,
    Language,
    Modality,
    Resource,
    SessionFormat,
    Term,
)
from .shared_copy import SharedCopy

# Each process of a deployment without a shared cache keeps its own copy: bound how stale it can be.
CACHE_SECONDS = 300


@dataclass(frozen=True)
class Kind:
    """One part of the taxonomy."""

    param: str  # the search parameter (contract section 4)
    model: type[Term]
    relation: str | None  # the Provider many-to-many field; credentials are held through licenses instead
    label: str  # what one value is called, in a sentence: "approach"
    hsds: str | None  # the HSDS taxonomy kind (a top-level term); languages are an HSDS field of their own
    hsds_name: str = ""
    hsds_description: str = ""

    @property
    def csv_column(self) -> str | None:
        """The CSV column listing a provider's values (credentials have a column of licenses)."""
        return self.relation

    @property
    def upper(self) -> bool:
        """Keys written in capitals (credential codes)."""
        return self.model.key_field == "code"


KINDS: tuple[Kind, ...] = (
    Kind("modality", Modality, "modalities", "approach", "modality", "Modalities",
         "Kinds of therapy and treatment a provider offers."),
    Kind("condition", Condition, "conditions", "concern", "condition", "Conditions",
         "Concerns and conditions a provider specializes in."),
    Kind("credential", CredentialType, None, "credential", "credential", "Credentials",
         "Professional credentials; a license names where it was issued."),
    Kind("format", SessionFormat, "formats", "session format", "format", "Session formats",
         "Who takes part in a session."),
    Kind("age_group", AgeGroup, "age_groups", "age group", "age-group", "Age groups", "The ages a provider sees."),
    Kind("language", Language, "languages", "language", None),
    Kind("insurance", InsurancePlan, "insurance", "insurance plan", "insurance", "Insurance plans",
         "Insurance plans a provider accepts."),
)
KIND = {kind.param: kind for kind in KINDS}
# The parts a provider holds through a many-to-many relation, by relation name.
RELATIONS = {kind.relation: kind for kind in KINDS if kind.relation}


@dataclass(frozen=True)
class Snapshot:
    terms: dict[str, tuple[Term, ...]]  # search parameter -> its values, in the taxonomy's order
    crisis_resources: tuple[Resource, ...]

    def of(self, param: str) -> tuple[Term, ...]:
        return self.terms[param]

    @property
    def modalities(self) -> tuple[Modality, ...]:
        return self.terms["modality"]

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self.terms["condition"]

    def choices(self, param: str) -> list[tuple[str, str]]:
        """(key, name) pairs for a form field, in the taxonomy's order."""
        return [(term.key, term.name) for term in self.terms[param]]

    def names(self, param: str) -> dict[str, str]:
        return {term.key: term.name for term in self.terms[param]}

    def by_key(self, param: str) -> dict[str, Term]:
        return {term.key: term for term in self.terms[param]}

    def chosen(self, param: str, keys: Iterable[str]) -> list[Term]:
        """The values with these keys, in the taxonomy's order; unknown keys are left out."""
        wanted = set(keys)
        return [term for term in self.terms[param] if term.key in wanted]

    def broader(self) -> dict[str, str]:
        """Condition slug -> the slug of the broader condition it counts for."""
        by_id = {c.pk: c.slug for c in self.conditions}
        return {c.slug: by_id[c.broader_id] for c in self.conditions if c.broader_id in by_id}

    def narrower(self, concerns: Iterable[str]) -> set[str]:
        """Conditions that count for these (a treatment-resistant depression specialist for depression).

        The same rule as ConditionQuerySet.with_narrower(), which answers it in SQL."""
        concerns = set(concerns)
        return {slug for slug, broader in self.broader().items() if broader in concerns}

    def with_narrower(self, concerns: Iterable[str]) -> list[Condition]:
        """These conditions and the narrower ones that count for them, in the taxonomy's order."""
        concerns = set(concerns)
        return self.chosen("condition", concerns | self.narrower(concerns))

    def broader_than(self, concerns: Iterable[str]) -> set[str]:
        """Conditions these are a kind of (advice about depression applies to treatment-resistant depression)."""
        broader = self.broader()
        return {broader[slug] for slug in concerns if slug in broader}


def _load() -> Snapshot:
    return Snapshot(
        terms={kind.param: tuple(kind.model.objects.all()) for kind in KINDS},
        crisis_resources=tuple(Resource.objects.crisis()),
    )


# A request asks the cache for a short version string, not for the whole pickled snapshot (several
# times per request otherwise): see SharedCopy.
_shared = SharedCopy("taxonomy-snapshot", _load, CACHE_SECONDS)


def snapshot() -> Snapshot:
    return _shared.get()


def forget(**kwargs) -> None:
    _shared.forget()


def connect_signals() -> None:
    for model in (*(kind.model for kind in KINDS), Resource):
        post_save.connect(forget, sender=model, dispatch_uid=f"taxonomy-snapshot-save-{model.__name__}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"taxonomy-snapshot-delete-{model.__name__}")
