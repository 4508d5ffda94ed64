"""Reading HSDS services into providers: all of them or none, and a report of what could not be recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction

from directory import writing
from directory.models import Provider

from . import identifiers as ids
from . import mapping


class ImportFailed(Exception):
    """Nothing was written; errors says why, one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unmapped: dict[str, list[mapping.Unmapped]] = field(default_factory=dict)
    # Licenses a service says are verified that moved to it from another provider: they came in unverified.
    unverified: list[tuple[str, str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"{len(self.created)} created, {len(self.updated)} updated."]
        lines.extend(f"License {' '.join(key)} now belongs to another provider, so it is no longer verified: "
                     "a verifier needs to check it again." for key in self.unverified)
        if self.unmapped:
            lines.append("Not mapped (the rest of each service was imported):")
            for service, problems in self.unmapped.items():
                lines.append(f"  {service}")
                lines.extend(f"    {problem}" for problem in problems)
        return lines


# The HSDS 3.0 schema nests a service at most 16 objects and arrays deep, and an API page of services adds two.
# A file nested deeper is not HSDS, and reading it would only exhaust the stack.
MAX_DEPTH = 18


def _load(path: Path) -> Any:
    too_deep = ImportFailed([f"{path}: nested more than {MAX_DEPTH} levels deep, which HSDS services never are."])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed([f"{path}: cannot be read ({exc})."]) from exc
    except json.JSONDecodeError as exc:
        raise ImportFailed([f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."]) from exc
    except RecursionError:
        raise too_deep from None
    if _deeper_than(data, MAX_DEPTH):
        raise too_deep
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether data nests objects and arrays more than limit deep (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _objects(data: Any, path: Path) -> list[Any]:
    """A list of objects, one object, or an API page ({"contents": [...]})."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return data["contents"]
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return data
    raise ImportFailed([f"{path}: expected a service, a list of services or a page of them."])


def read_files(path: Path) -> tuple[list[Any], dict[str, dict]]:
    """The services (and organizations, to look up by organization_id) in a directory of HSDS files or one file."""
    if path.is_dir():
        services_file = path / "services.json"
        if not services_file.exists():
            raise ImportFailed([f"{path}: no services.json in this directory."])
        services = _objects(_load(services_file), services_file)
        organizations_file = path / "organizations.json"
        organizations = _objects(_load(organizations_file), organizations_file) if organizations_file.exists() else []
    elif path.exists():
        services, organizations = _objects(_load(path), path), []
    else:
        raise ImportFailed([f"{path}: no such file or directory."])
    by_id = {ids.parse_uuid(o.get("id")): o for o in organizations if isinstance(o, dict)}
    by_id.pop(None, None)
    return services, by_id


def import_services(services: list[Any], organizations: dict[str, dict] | None = None, *,
                    publish: bool = True, dry_run: bool = False) -> ImportReport:
    """Create or update one provider per service, matched by its HSDS id; raises ImportFailed, writing nothing."""
    vocabulary = mapping.HsdsTerms()
    errors: list[str] = []
    read: list[mapping.ImportedService] = []
    seen: dict[str, int] = {}
    for position, data in enumerate(services, start=1):
        try:
            service = mapping.read_service(data, vocabulary, organizations)
        except mapping.InvalidService as exc:
            errors.append(f"service {position}: {exc}.")
            continue
        if service.hsds_id in seen:
            errors.append(f"service {position}: id {service.hsds_id} is also service {seen[service.hsds_id]}.")
            continue
        seen[service.hsds_id] = position
        read.append(service)
    errors.extend(_license_clashes(read))
    if errors:
        raise ImportFailed(errors)

    records = [service.record(publish_new=publish) for service in read]
    _match(read, records)
    labels = [_label(service) for service in read]
    for label, record in zip(labels, records, strict=True):
        errors.extend(f"{label}: {problem}" for problem in writing.check_record(record))
    for held in writing.licenses_held_elsewhere(records):
        errors.append(f"{labels[held.index]}: license {' '.join(held.license.key)} belongs to {held.holder_name}.")
    if errors:
        raise ImportFailed(errors)
    try:
        with transaction.atomic():
            written = writing.write_providers(records)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        refusal = " ".join(str(exc).split())[:200]
        raise ImportFailed([f"The database refused the import, and nothing was written ({refusal})."]) from exc

    report = ImportReport(unverified=written.unverified)
    for label, service, record in zip(labels, read, records, strict=True):
        (report.created if record.pk is None else report.updated).append(label)
        if service.unmapped:
            report.unmapped[label] = service.unmapped
    return report


def _label(service: mapping.ImportedService) -> str:
    return f"{service.name} ({service.hsds_id})"


def _license_clashes(services: list[mapping.ImportedService]) -> list[str]:
    """A license can belong to one provider only: two services may not list the same one."""
    errors = []
    owners: dict[tuple[str, str, str], str] = {}
    for service in services:
        for lic in service.licenses:
            if lic.key in owners and owners[lic.key] != service.hsds_id:
                errors.append(f"{_label(service)}: license {' '.join(lic.key)} is also listed by "
                              f"service {owners[lic.key]}.")
            owners[lic.key] = service.hsds_id
    return errors


def _match(services: list[mapping.ImportedService], records: list[writing.ProviderRecord]) -> None:
    """Set each record's pk to the provider it updates: the one with its external ID or, for a service from this
    directory's own export, the one with its slug (unless that provider came from another service)."""
    by_slug = {}
    for service, record, pk in zip(services, records, writing.match(records), strict=True):
        record.pk = pk
        if pk is None and service.own_slug:
            by_slug[service.own_slug] = (service, record)
    for provider in Provider.objects.filter(slug__in=list(by_slug)).only("pk", "slug", "external_id"):
        service, record = by_slug[provider.slug]
        if ids.service_id(provider) == service.hsds_id:
            record.pk = provider.pk
