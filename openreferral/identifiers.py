"""HSDS identifiers: UUIDs derived from stable keys, so every export names the same thing the same way.

Nothing is stored: an id is uuid5 over this project's namespace and a key that does not change when a
listing is edited (a provider's slug, a practice's name, an office's address). A provider imported from
another HSDS directory keeps the id it had there (its external_id is "hsds:<uuid>").
"""

from __future__ import annotations

import threading
import uuid

from django.db.models import Count, Max

from directory.models import Office, Provider

NAMESPACE = uuid.UUID("5e4bb5d6-af66-4ebc-af5a-c2205c2cf7f5")
IMPORTED_PREFIX = "hsds:"


def stable_id(*parts: object) -> str:
    """The UUID for the key made of parts; the same parts always give the same UUID."""
    return str(uuid.uuid5(NAMESPACE, "|".join(str(part) for part in parts)))


def parse_uuid(value: object) -> str | None:
    """value as a canonical lower-case UUID string, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def slug_service_id(slug: str) -> str:
    return stable_id("service", slug)


def imported_id(external_id: str) -> str | None:
    """The HSDS id a provider had in the directory it was imported from, if it was."""
    if external_id.startswith(IMPORTED_PREFIX):
        return parse_uuid(external_id[len(IMPORTED_PREFIX):])
    return None


def service_id(provider: Provider) -> str:
    return imported_id(provider.external_id) or slug_service_id(provider.slug)


def organization_key(provider: Provider) -> tuple[str, str]:
    """("practice", name) for a provider listed with a practice, else ("provider", slug).

    Providers whose practice names match exactly share one organization.
    """
    if provider.practice_name:
        return ("practice", provider.practice_name)
    return ("provider", provider.slug)


def organization_id(key: tuple[str, str]) -> str:
    return stable_id("organization", *key)


def office_id(slug: str, office: Office) -> str:
    return stable_id("office", slug, office.address, office.city, office.jurisdiction, office.postal_code)


def taxonomy_term_id(code: str) -> str:
    return stable_id("taxonomy_term", code)


TAXONOMY_ID = stable_id("taxonomy", "provider-directory")


class _Index:
    """Which published provider (and organization) an id names.

    A UUID cannot be turned back into its key, so the ids of all published providers are computed once
    and kept; the index is rebuilt only when an id is not found and the published providers changed
    since (their count, newest change or newest row differ). A hit is always confirmed against the
    database by the caller, so a stale entry can never serve an unpublished or renamed listing.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.signature: tuple | None = None
        self.services: dict[str, int] = {}
        self.organizations: dict[str, tuple[str, str]] = {}

    @staticmethod
    def current_signature() -> tuple:
        row = Provider.objects.published().aggregate(n=Count("pk"), updated=Max("updated"), last=Max("pk"))
        return (row["n"], row["updated"], row["last"])

    def rebuild(self, signature: tuple) -> None:
        services: dict[str, int] = {}
        organizations: dict[str, tuple[str, str]] = {}
        rows = Provider.objects.published().values_list("pk", "slug", "external_id", "practice_name")
        for pk, slug, external_id, practice_name in rows.iterator(chunk_size=5000):
            services[imported_id(external_id) or slug_service_id(slug)] = pk
            key = ("practice", practice_name) if practice_name else ("provider", slug)
            organizations[organization_id(key)] = key
        self.services, self.organizations, self.signature = services, organizations, signature

    def lookup(self, table: str, id_: str, recheck: bool = False):
        found = None if recheck else getattr(self, table).get(id_)
        if found is not None:
            return found
        signature = self.current_signature()
        with self.lock:
            if signature != self.signature:
                self.rebuild(signature)
            return getattr(self, table).get(id_)


_index = _Index()


def provider_pk_for_service(id_: str, recheck: bool = False) -> int | None:
    """The primary key of the published provider whose service has this id (confirm it in the database).

    recheck: the last answer was not confirmed; look again if the published providers changed since.
    """
    return _index.lookup("services", id_, recheck)


def organization_key_for(id_: str) -> tuple[str, str] | None:
    return _index.lookup("organizations", id_)
