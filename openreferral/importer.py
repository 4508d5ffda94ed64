"""Reading HSDS services into providers: all of them or none, and a report of what could not be recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from directory.models import CredentialType, License, Office, Provider

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

    def lines(self) -> list[str]:
        lines = [f"{len(self.created)} created, {len(self.updated)} updated."]
        if self.unmapped:
            lines.append("Not mapped (the rest of each service was imported):")
            for service, problems in self.unmapped.items():
                lines.append(f"  {service}")
                lines.extend(f"    {problem}" for problem in problems)
        return lines


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed([f"{path}: cannot be read ({exc})."]) from exc
    except json.JSONDecodeError as exc:
        raise ImportFailed([f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."]) from exc


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

    report = ImportReport()
    credentials = {c.code: c for c in CredentialType.objects.all()}
    term_pks = _term_pks()
    with transaction.atomic():
        for service in read:
            label = f"{service.name} ({service.hsds_id})"
            try:
                with transaction.atomic():
                    created = _save(service, credentials, term_pks, publish)
            except (IntegrityError, ValidationError, DatabaseError) as exc:
                errors.append(f"{label}: {_message(exc)}")
                continue
            (report.created if created else report.updated).append(label)
            if service.unmapped:
                report.unmapped[label] = service.unmapped
        if errors:
            # Leaving the block with an exception rolls back every service already written.
            raise ImportFailed(errors)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _term_pks() -> dict[str, dict[str, int]]:
    """{relation: {term key: primary key}}, so each provider's terms are set without looking them up again."""
    relations = [kind.relation for kind in mapping.KINDS if kind.relation] + ["languages"]
    pks = {}
    for relation in relations:
        model = Provider._meta.get_field(relation).related_model
        pks[relation] = dict(model.objects.order_by().values_list(model.key_field, "pk"))
    return pks


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return f"the database refused it ({' '.join(str(exc).split())[:200]})"


def _license_clashes(services: list[mapping.ImportedService]) -> list[str]:
    """A license can belong to one provider only: within the file, and against providers not being imported."""
    errors = []
    owners: dict[tuple[str, str, str], str] = {}
    for service in services:
        for lic in service.licenses:
            key = (lic.code, lic.jurisdiction, lic.number)
            if key in owners and owners[key] != service.hsds_id:
                errors.append(f"{service.name} ({service.hsds_id}): license {' '.join(key)} is also listed by "
                              f"service {owners[key]}.")
            owners[key] = service.hsds_id
    return errors


def _existing(service: mapping.ImportedService) -> Provider | None:
    provider = Provider.objects.filter(external_id=service.external_id).first()
    if provider is None and service.own_slug:
        provider = Provider.objects.filter(slug=service.own_slug).first()
        if provider is not None and ids.service_id(provider) != service.hsds_id:
            provider = None
    return provider


def _save(service: mapping.ImportedService, credentials: dict[str, CredentialType],
          term_pks: dict[str, dict[str, int]], publish: bool) -> bool:
    """Write one service; True when it created a provider."""
    provider = _existing(service)
    created = provider is None
    if created:
        provider = Provider(external_id=service.external_id, published=publish and service.publish)
        if service.own_slug and not Provider.objects.filter(slug=service.own_slug).exists():
            provider.slug = service.own_slug
    elif not service.publish:
        provider.published = False
    for name, value in service.fields.items():
        setattr(provider, name, value)
    provider.full_clean(exclude=["slug", "external_id"], validate_unique=False, validate_constraints=False)
    provider.save()
    if service.last_modified:
        # Keep the source's time of change, so an unchanged listing exports unchanged.
        Provider.objects.filter(pk=provider.pk).update(updated=service.last_modified)
    for relation, keys in service.terms.items():
        getattr(provider, relation).set([term_pks[relation][key] for key in keys])
    _save_licenses(provider, service, credentials)
    _save_offices(provider, service)
    return created


def _save_licenses(provider: Provider, service: mapping.ImportedService,
                   credentials: dict[str, CredentialType]) -> None:
    kept = []
    for lic in service.licenses:
        existing = License.objects.filter(
            credential_type=credentials[lic.code], jurisdiction=lic.jurisdiction, number=lic.number
        ).first()
        if existing is not None and existing.provider_id != provider.pk:
            raise ValidationError(
                f"license {lic.code} {lic.jurisdiction} {lic.number} belongs to {existing.provider.name}."
            )
        record = existing or License(provider=provider, credential_type=credentials[lic.code],
                                     jurisdiction=lic.jurisdiction, number=lic.number)
        if record.verified_on != lic.verified_on:
            record.verified_by = None
        record.verified_on, record.expires_on = lic.verified_on, lic.expires_on
        record.save()
        kept.append(record.pk)
    provider.licenses.exclude(pk__in=kept).delete()


def _save_offices(provider: Provider, service: mapping.ImportedService) -> None:
    kept = []
    for data in service.offices:
        key = {name: data[name] for name in ("address", "city", "jurisdiction", "postal_code")}
        office = provider.offices.filter(**key).exclude(pk__in=kept).first() or Office(provider=provider, **key)
        office.latitude, office.longitude = data["latitude"], data["longitude"]
        office.wheelchair_accessible = data["wheelchair_accessible"]
        office.full_clean(exclude=["provider"], validate_constraints=False)
        office.save()
        kept.append(office.pk)
    provider.offices.exclude(pk__in=kept).delete()
