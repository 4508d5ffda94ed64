"""Providers as Open Referral HSDS 3.0 objects, and HSDS services back into provider fields.

docs/hsds.md describes the mapping field by field; this module is the only place it is written down
in code. Export: service(), organization(), taxonomy(), taxonomy_terms(). Import: read_service().
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Prefetch, Q, QuerySet
from django.urls import Resolver404, resolve

from directory.jurisdictions import CANADIAN_PROVINCES, JURISDICTIONS, normalize_jurisdiction
from directory.models import (
    AgeGroup,
    Condition,
    Language,
    License,
    Office,
    Provider,
    money,
)
from directory.taxonomy import KINDS as TAXONOMY_KINDS
from directory.taxonomy import Kind
from directory.writing import NOT_GIVEN, LicenseRecord, NotGiven, OfficeRecord, ProviderRecord, printable

from . import identifiers as ids

HSDS_VERSION = "3.0"
TAXONOMY_NAME = "Mental health provider directory"
CURRENCY = "USD"
STATUSES = ("active", "inactive", "defunct", "temporarily closed")

# Cost option labels: the import recognises our own by these exact words.
STANDARD_FEE = "Standard session fee"
SLIDING_MIN = "Sliding scale: lowest fee"
SLIDING_MAX = "Sliding scale: highest fee"
FREE_CONSULTATION = "Free first consultation"
WHEELCHAIR = "Wheelchair accessible"


# The parts of the taxonomy that are HSDS taxonomy kinds (top-level terms); languages are a field of their own.
KINDS = tuple(kind for kind in TAXONOMY_KINDS if kind.hsds)
KIND_BY_CODE = {kind.hsds: kind for kind in KINDS}


def term_code(kind: Kind, key: str) -> str:
    return f"{kind.hsds}:{key}"


class HsdsTerms:
    """Every taxonomy term of this directory as HSDS taxonomy_term objects, loaded in one query per model."""

    def __init__(self) -> None:
        self.terms: dict[str, dict[str, Any]] = {}  # by code
        self.keys: dict[str, tuple[Kind, str]] = {}  # by id
        self.languages: dict[str, str] = dict(Language.objects.values_list("slug", "name"))
        self.age_ranges: dict[str, tuple[int, int | None]] = {}
        for kind in KINDS:
            self._add(kind.hsds, kind.hsds_name, kind.hsds_description, parent_id=None, kind=kind, key=None)
            terms = kind.model.objects.all()
            if kind.model is Condition:
                terms = terms.select_related("broader")
            for term in terms:
                parent = kind.hsds
                if kind.model is Condition and term.broader_id:
                    parent = term_code(kind, term.broader.slug)
                self._add(term_code(kind, term.key), term.name, term.description or term.name,
                          parent_id=ids.taxonomy_term_id(parent), kind=kind, key=term.key)
                if kind.model is AgeGroup:
                    self.age_ranges[term.key] = (term.min_age, term.max_age)

    def _add(self, code: str, name: str, description: str, *, parent_id: str | None, kind: Kind,
             key: str | None) -> None:
        term = {"id": ids.taxonomy_term_id(code), "code": code, "name": name, "description": description}
        if parent_id:
            term["parent_id"] = parent_id
        term.update({"taxonomy": TAXONOMY_NAME, "taxonomy_id": ids.TAXONOMY_ID, "language": "en"})
        self.terms[code] = term
        self.keys[term["id"]] = (kind, key)

    def term(self, kind: Kind, key: str) -> dict[str, Any]:
        return self.terms[term_code(kind, key)]

    def all_terms(self) -> list[dict[str, Any]]:
        return list(self.terms.values())


def taxonomy() -> dict[str, Any]:
    return {
        "id": ids.TAXONOMY_ID,
        "name": TAXONOMY_NAME,
        "description": (
            "Modalities, conditions, credentials, session formats, age groups and insurance plans that "
            "describe the mental-health providers in this directory."
        ),
        "version": "1",
    }


# --- Export ------------------------------------------------------------------------------


def for_hsds(queryset: QuerySet) -> QuerySet:
    """Everything service() reads, in a fixed number of queries whatever the number of providers."""
    return queryset.prefetch_related(
        Prefetch("licenses", queryset=License.objects.select_related("credential_type").order_by(
            "credential_type__code", "jurisdiction", "number")),
        Prefetch("offices", queryset=Office.objects.order_by("id")),
        *(Prefetch(kind.relation, queryset=kind.model.objects.only("id", kind.model.key_field))
          for kind in KINDS if kind.relation),
        Prefetch("languages", queryset=Language.objects.only("id", "slug", "name").order_by("slug")),
    )


def absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def fees_description(standard: Decimal | None, low: Decimal | None, high: Decimal | None,
                     free_consultation: bool) -> str:
    """"$40–$120 sliding scale; standard fee $140; free first consultation"."""
    parts = []
    if low is not None and high is not None:
        parts.append(f"{money(low)}–{money(high)} sliding scale")
    if standard is not None:
        parts.append(f"standard fee {money(standard)}")
    if free_consultation:
        parts.append("free first consultation")
    return "; ".join(parts)


def accepting_alert(accepting: bool, confirmed: datetime.date | None) -> str:
    text = "Accepting new clients" if accepting else "Not accepting new clients"
    if confirmed:
        return f"{text} (confirmed {confirmed.isoformat()})."
    return "" if accepting else f"{text}."


def license_label(lic: License) -> str:
    """"LCSW TX 12345 (verified 2026-10-01)": what a referral specialist checks with the board. A license past
    its date says "expired": it does not let the provider practise."""
    status = f"verified {lic.verified_on.isoformat()}" if lic.verified_on else "not verified"
    if lic.expires_on:
        status += f"; {'expired' if lic.is_expired else 'expires'} {lic.expires_on.isoformat()}"
    return f"{lic.credential_type.code} {lic.jurisdiction} {lic.number} ({status})"


def timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def age_limits(keys: Iterable[str], vocabulary: HsdsTerms) -> tuple[int | None, int | None]:
    """The youngest and oldest age the age groups cover; no maximum when one group has no upper limit."""
    ranges = [vocabulary.age_ranges[key] for key in keys]
    if not ranges:
        return None, None
    maximums = [high for _, high in ranges]
    return min(low for low, _ in ranges), None if None in maximums else max(maximums)


def _attribute(service: str, term: dict[str, Any], suffix: str, value: str = "") -> dict[str, Any]:
    attribute = {
        "id": ids.stable_id("attribute", service, suffix),
        "link_id": service,
        "taxonomy_term_id": term["id"],
        "link_entity": "service",
    }
    if value:
        attribute["value"] = value
    attribute["taxonomy_term"] = term
    return attribute


def _location(provider: Provider, office: Office) -> dict[str, Any]:
    location_id = ids.office_id(provider.slug, office)
    address = {
        "id": ids.stable_id("address", location_id),
        "location_id": location_id,
        "address_1": office.address,
        "city": office.city,
        "state_province": office.jurisdiction,
        "postal_code": office.postal_code,
        "country": "CA" if office.jurisdiction in CANADIAN_PROVINCES else "US",
        "address_type": "physical",
    }
    location: dict[str, Any] = {
        "id": location_id,
        "location_type": "physical",
        "name": ", ".join(part for part in (office.address, office.city, office.jurisdiction) if part),
    }
    if office.latitude is not None and office.longitude is not None:
        location.update(latitude=office.latitude, longitude=office.longitude)
    location["addresses"] = [address]
    location["accessibility"] = (
        [{"id": ids.stable_id("accessibility", location_id), "location_id": location_id,
          "description": WHEELCHAIR}]
        if office.wheelchair_accessible else []
    )
    return location


def _in_words(items: list[str]) -> str:
    """"TX", "NY and TX", "CA, NY and TX"."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def _virtual_location(service: str, states: list[str]) -> dict[str, Any]:
    where = _in_words(states)
    description = (
        f"Telehealth sessions for clients in {where}, where this provider is licensed." if states
        else "Telehealth sessions."
    )
    return {
        "id": ids.stable_id("location", "telehealth", service),
        "location_type": "virtual",
        "name": "Telehealth",
        "description": description,
    }


def service(provider: Provider, *, base_url: str, organization: dict[str, Any],
            vocabulary: HsdsTerms, full: bool = True) -> dict[str, Any]:
    """One provider's offering as an HSDS service; full=False gives the list form (one-to-one fields)."""
    sid = ids.service_id(provider)
    data: dict[str, Any] = {"id": sid, "organization_id": organization["id"], "name": provider.name}
    if provider.bio:
        data["description"] = provider.bio
    data["url"] = absolute(base_url, provider.get_absolute_url())
    if provider.public_email:
        data["email"] = provider.public_email
    data["status"] = "active" if provider.accepting_new_clients else "temporarily closed"
    fees = fees_description(provider.standard_fee, provider.sliding_scale_min, provider.sliding_scale_max,
                            provider.free_consultation)
    if fees:
        data["fees_description"] = fees
    age_keys = [group.slug for group in provider.age_groups.all()]
    youngest, oldest = age_limits(age_keys, vocabulary)
    if youngest is not None:
        data["minimum_age"] = youngest
    if oldest is not None:
        data["maximum_age"] = oldest
    if provider.last_verified:
        data["assured_date"] = provider.last_verified.isoformat()
    alert = accepting_alert(provider.accepting_new_clients, provider.accepting_confirmed)
    if alert:
        data["alert"] = alert
    data["last_modified"] = timestamp(provider.updated)
    data["organization"] = organization
    if not full:
        return data

    licenses = list(provider.licenses.all())
    data["phones"] = (
        [{"id": ids.stable_id("phone", sid), "service_id": sid, "number": provider.phone, "type": "voice"}]
        if provider.phone else []
    )
    locations = [_location(provider, office) for office in provider.offices.all()]
    if provider.telehealth:
        # Served by telehealth only where a license has not expired.
        locations.append(_virtual_location(sid, provider.licensed_states))
    data["service_at_locations"] = [
        {"id": ids.stable_id("service_at_location", sid, location["id"]), "service_id": sid,
         "location_id": location["id"], "location": location}
        for location in locations
    ]
    data["languages"] = [
        {"id": ids.stable_id("language", sid, language.slug), "service_id": sid, "name": language.name,
         "code": language.slug}
        for language in provider.languages.all()
    ]
    data["cost_options"] = _cost_options(provider, sid)
    attributes = []
    for kind in KINDS:
        if kind.relation is None:
            attributes.extend(
                _attribute(sid, vocabulary.term(kind, lic.credential_type.code),
                           f"license|{lic.credential_type.code}|{lic.jurisdiction}|{lic.number}",
                           license_label(lic))
                for lic in licenses
            )
            continue
        terms = sorted(getattr(provider, kind.relation).all(), key=lambda term: term.key)
        attributes.extend(_attribute(sid, vocabulary.term(kind, term.key), term_code(kind, term.key))
                          for term in terms)
    data["attributes"] = attributes
    return data


def _cost_options(provider: Provider, sid: str) -> list[dict[str, Any]]:
    options = []
    for label, amount, description in (
        (STANDARD_FEE, provider.standard_fee, "per session"),
        (SLIDING_MIN, provider.sliding_scale_min, "per session, for clients who need a lower fee"),
        (SLIDING_MAX, provider.sliding_scale_max, "per session, top of the sliding scale"),
        (FREE_CONSULTATION, Decimal(0) if provider.free_consultation else None, "first consultation"),
    ):
        if amount is None:
            continue
        options.append({
            "id": ids.stable_id("cost_option", sid, label), "service_id": sid, "option": label,
            "currency": CURRENCY, "amount": float(amount), "amount_description": description,
        })
    return options


@dataclass
class Member:
    """What an organization shows of each published provider in it."""

    name: str
    slug: str
    website: str


def organization(key: tuple[str, str], members: list[Member]) -> dict[str, Any]:
    """The practice (or the lone provider) as an HSDS organization."""
    kind, value = key
    names = [member.name for member in members]
    if kind == "practice":
        name = value
        description = f"A practice listed in this directory. Providers: {', '.join(names)}."
    else:
        name = names[0] if names else value
        description = f"{name}, listed in this directory without a practice."
    data = {"id": ids.organization_id(key), "name": name, "description": description}
    websites = {member.website for member in members if member.website}
    if len(websites) == 1:
        data["website"] = websites.pop()
    return data


def organization_members(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Member]]:
    """{organization key: its published providers, by name}, in one query."""
    keys = set(keys)
    practices = [value for kind, value in keys if kind == "practice"]
    slugs = [value for kind, value in keys if kind == "provider"]
    found: dict[tuple[str, str], list[Member]] = {key: [] for key in keys}
    rows = (
        Provider.objects.published()
        .filter(Q(practice_name__in=practices) | Q(practice_name="", slug__in=slugs))
        .values_list("practice_name", "slug", "name", "website")
        .order_by("name", "slug")
    )
    for practice_name, slug, name, website in rows:
        key = ("practice", practice_name) if practice_name else ("provider", slug)
        found[key].append(Member(name, slug, website))
    return found


def services(providers: Iterable[Provider], *, base_url: str, vocabulary: HsdsTerms,
             full: bool = True) -> list[dict[str, Any]]:
    """HSDS services for providers loaded with for_hsds(), with their organizations in one more query."""
    providers = list(providers)
    members = organization_members(ids.organization_key(p) for p in providers)
    organizations = {key: organization(key, people) for key, people in members.items()}
    return [
        service(p, base_url=base_url, organization=organizations[ids.organization_key(p)],
                vocabulary=vocabulary, full=full)
        for p in providers
    ]


# --- Import ------------------------------------------------------------------------------

LICENSE_LABEL = re.compile(
    r"^(?P<code>[A-Za-z0-9]+) (?P<jurisdiction>[A-Za-z]{2}) (?P<number>.+?)"
    r"(?: \((?:verified (?P<verified>\d{4}-\d{2}-\d{2})|not verified)"
    r"(?:; expire[sd] (?P<expires>\d{4}-\d{2}-\d{2}))?\))?$"
)
ALERT = re.compile(
    r"^(?P<status>Accepting|Not accepting) new clients(?: \(confirmed (?P<date>\d{4}-\d{2}-\d{2})\))?\.$"
)
NEGATION = re.compile(r"\b(no|not|without|limited)\b", re.IGNORECASE)
NAME_LENGTH = Provider._meta.get_field("name").max_length
BIO_LENGTH = 5000
STATE_BY_NAME = {name.casefold(): code for code, name in JURISDICTIONS.items()}
_url = URLValidator()

# Service fields that describe things this directory does not record.
NOT_RECORDED = {
    "program_id": "programs are not recorded",
    "alternate_name": "providers have one name",
    "interpretation_services": "interpretation services are not recorded",
    "application_process": "the application process is not recorded",
    "wait_time": "wait times are not recorded",
    "fees": "deprecated field; fees are read from cost_options",
    "accreditations": "accreditations are not recorded; licenses are read from credential attributes",
    "eligibility_description": "eligibility is recorded as age groups, not free text",
    "assurer_email": "who checked a listing is not published",
    "licenses": "deprecated field; licenses are read from credential attributes",
    "schedules": "opening hours are not recorded",
    "service_areas": "service areas are not recorded; licenses say where a provider may practice",
    "funding": "funding is not recorded",
    "program": "programs are not recorded",
    "required_documents": "required documents are not recorded",
    "contacts": "named contacts are not recorded; the service's phone and email are",
    "metadata": "change history is not recorded",
}


class InvalidService(Exception):
    """A service that cannot be imported at all (no usable id, name or status)."""


@dataclass
class Unmapped:
    field: str
    value: Any
    reason: str

    def __str__(self) -> str:
        text = " ".join(json.dumps(self.value, ensure_ascii=False, default=str).split())
        if len(text) > 80:
            text = text[:77] + "..."
        return f"{self.field} = {text}: {self.reason}"


@dataclass
class ImportedService:
    """An HSDS service read into what this directory records, and what it could not record."""

    hsds_id: str
    name: str
    own_slug: str | None = None  # set when the service came from this directory's own export
    publish: bool = True
    fields: dict[str, Any] = field(default_factory=dict)
    terms: dict[str, list[str]] = field(default_factory=dict)
    licenses: list[LicenseRecord] = field(default_factory=list)
    offices: list[OfficeRecord] = field(default_factory=list)
    last_modified: datetime.datetime | None = None
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def external_id(self) -> str:
        return f"{ids.IMPORTED_PREFIX}{self.hsds_id}"

    def skip(self, name: str, value: Any, reason: str) -> None:
        self.unmapped.append(Unmapped(name, value, reason))

    def record(self, *, publish_new: bool = True) -> ProviderRecord:
        """The provider to write. A service that is not operating unpublishes its provider; publish_new=False
        creates new providers unpublished, for staff to review."""
        values = self.fields if self.publish else {**self.fields, "published": False}
        return ProviderRecord(
            external_id=self.external_id, values=values, terms=self.terms, licenses=self.licenses,
            offices=self.offices, create_defaults={"published": publish_new}, slug=self.own_slug or "",
            updated=self.last_modified,
        )


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _text(result: ImportedService, data: dict, key: str, max_length: int, label: str | None = None, *,
          long_text: bool = False) -> str:
    """A string field, cleaned (no control characters, but for long text's line breaks and tabs); anything unusable
    is reported and read as empty."""
    label = label or key
    value = data.get(key)
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        result.skip(label, value, "not text")
        return ""
    if "\x00" in value:
        result.skip(label, value, "contains a NUL character")
        return ""
    value = printable(value, long_text=long_text).strip()
    if len(value) > max_length:
        result.skip(label, value, f"longer than {max_length} characters")
        return ""
    return value


def _date(result: ImportedService, value: Any, label: str) -> datetime.date | None:
    if not _present(value):
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        result.skip(label, value, "not a YYYY-MM-DD date")
        return None


def _leftovers(result: ImportedService, data: dict, handled: set[str], prefix: str) -> None:
    """Report every non-empty key of data that nothing read."""
    for key, value in data.items():
        if key in handled or not _present(value):
            continue
        reason = NOT_RECORDED.get(key, "not recorded by this directory") if not prefix else "not recorded"
        result.skip(f"{prefix}{key}", value, reason)


def own_slug(service_id: str, url: Any) -> str | None:
    """The slug, when the service is one of this directory's own (its url is a profile whose slug gives its id)."""
    if not isinstance(url, str):
        return None
    try:
        match = resolve(urlsplit(url).path)
    except (Resolver404, ValueError):
        return None
    slug = match.kwargs.get("slug")
    if match.url_name == "provider_detail" and slug and ids.slug_service_id(slug) == service_id:
        return slug
    return None


def read_service(data: Any, vocabulary: HsdsTerms, organizations: dict[str, dict] | None = None) -> ImportedService:
    """An HSDS service object read into provider fields; raises InvalidService when it has no id, name or status."""
    if not isinstance(data, dict):
        raise InvalidService("a service must be a JSON object")
    hsds_id = ids.parse_uuid(data.get("id"))
    if hsds_id is None:
        raise InvalidService(f"id {data.get('id')!r} is not a UUID")
    name = data.get("name")
    name = printable(name).strip() if isinstance(name, str) and "\x00" not in name else ""
    if not name:
        raise InvalidService(f"service {hsds_id} has no name")
    if len(name) > NAME_LENGTH:
        raise InvalidService(f"service {hsds_id}: the name is longer than {NAME_LENGTH} characters")
    status = data.get("status")
    if status not in STATUSES:
        raise InvalidService(f"service {hsds_id}: status {status!r} is not one of {', '.join(STATUSES)}")

    result = ImportedService(hsds_id=hsds_id, name=name, own_slug=own_slug(hsds_id, data.get("url")))
    ours = result.own_slug is not None
    fields = result.fields
    fields["name"] = result.name
    fields["website"] = ""
    fields["bio"] = _text(result, data, "description", BIO_LENGTH, long_text=True)
    fields["email"] = _text(result, data, "email", 254)
    if fields["email"]:
        try:
            validate_email(fields["email"])
        except ValidationError:
            result.skip("email", fields["email"], "not an email address")
            fields["email"] = ""
    fields["email_public"] = bool(fields["email"])  # published in open data already

    fields["accepting_new_clients"] = status == "active"
    if status in ("inactive", "defunct"):
        result.publish = False
        result.skip("status", status, "the service is not operating: imported unpublished")
    _read_alert(result, data.get("alert"))
    if ours:
        fields["last_verified"] = _date(result, data.get("assured_date"), "assured_date")
    else:
        fields["last_verified"] = None
        if _present(data.get("assured_date")):
            result.skip("assured_date", data["assured_date"],
                        "checked by the source directory, not by this directory's staff")
    _read_last_modified(result, data.get("last_modified"))

    if not ours:
        website = _text(result, data, "url", 200)
        if website:
            _set_website(result, website, "url")
    _read_organization(result, data, organizations or {}, ours)
    _read_phones(result, data.get("phones"))
    _read_locations(result, data.get("service_at_locations"), ours)
    _read_languages(result, data.get("languages"), vocabulary)
    _read_cost_options(result, data.get("cost_options"))
    _read_attributes(result, data.get("attributes"), vocabulary, ours)
    if not result.terms.get("age_groups"):
        _read_ages(result, data.get("minimum_age"), data.get("maximum_age"), vocabulary)

    expected_fees = fees_description(fields.get("standard_fee"), fields.get("sliding_scale_min"),
                                     fields.get("sliding_scale_max"), fields.get("free_consultation", False))
    if _present(data.get("fees_description")) and data["fees_description"] != expected_fees:
        result.skip("fees_description", data["fees_description"], "fees are read from cost_options only")

    handled = {
        "id", "organization_id", "name", "description", "url", "email", "status", "alert", "assured_date",
        "last_modified", "organization", "phones", "service_at_locations", "languages", "cost_options",
        "attributes", "minimum_age", "maximum_age", "fees_description",
    }
    _leftovers(result, data, handled, "")
    return result


def _set_website(result: ImportedService, url: str, label: str) -> None:
    try:
        _url(url)
    except ValidationError:
        result.skip(label, url, "not a web address")
        return
    if not result.fields.get("website"):
        result.fields["website"] = url


def _read_alert(result: ImportedService, alert: Any) -> None:
    result.fields["accepting_confirmed"] = None
    if not _present(alert):
        return
    match = ALERT.match(alert) if isinstance(alert, str) else None
    accepting = result.fields["accepting_new_clients"]
    if match and (match["status"] == "Accepting") != accepting:
        match = None
    if match is None:
        result.skip("alert", alert, "alerts are not recorded")
        return
    if match["date"]:
        result.fields["accepting_confirmed"] = _date(result, match["date"], "alert")


def _read_last_modified(result: ImportedService, value: Any) -> None:
    if not _present(value):
        return
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        result.skip("last_modified", value, "not an ISO 8601 date and time")
        return
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    result.last_modified = moment


def _read_organization(result: ImportedService, data: dict, organizations: dict[str, dict], ours: bool) -> None:
    org = data.get("organization")
    if not isinstance(org, dict):
        org = organizations.get(ids.parse_uuid(data.get("organization_id")) or "")
    if not isinstance(org, dict):
        result.fields["practice_name"] = ""
        return
    name = _text(result, org, "name", 200, "organization.name")
    if ours:
        # Our own export says which organization is a practice by the id it derives from the practice name.
        is_practice = ids.parse_uuid(org.get("id")) == ids.organization_id(("practice", name))
    else:
        is_practice = bool(name) and name != result.name
    result.fields["practice_name"] = name if is_practice else ""
    website = _text(result, org, "website", 200, "organization.website")
    if website:
        _set_website(result, website, "organization.website")
    handled = {"id", "name", "website"} | ({"description"} if ours else set())
    _leftovers(result, org, handled, "organization.")


def _read_phones(result: ImportedService, phones: Any) -> None:
    result.fields["phone"] = ""
    if not isinstance(phones, list):
        return
    for i, phone in enumerate(phones):
        label = f"phones[{i}]"
        if not isinstance(phone, dict):
            result.skip(label, phone, "not a phone object")
            continue
        number = _text(result, phone, "number", 40, f"{label}.number").strip("\"' ")
        extension = phone.get("extension")
        if number and isinstance(extension, int | float) and not isinstance(extension, bool):
            number = f"{number} ext. {int(extension)}"
        if not number:
            continue
        if result.fields["phone"]:
            result.skip(f"{label}.number", number, "one phone number is recorded; the first was kept")
        elif len(number) > 40:
            result.skip(f"{label}.number", number, "longer than 40 characters")
        else:
            result.fields["phone"] = number
        _leftovers(result, phone, {"id", "number", "extension", "type", "service_id"}, f"{label}.")


def _read_locations(result: ImportedService, entries: Any, ours: bool) -> None:
    result.fields["telehealth"] = False
    if not isinstance(entries, list):
        return
    for i, entry in enumerate(entries):
        label = f"service_at_locations[{i}]"
        location = entry.get("location") if isinstance(entry, dict) else None
        if not isinstance(location, dict):
            result.skip(label, entry, "no location object")
            continue
        handled_entry = {"id", "service_id", "location_id", "location"}
        _leftovers(result, entry, handled_entry, f"{label}.")
        kind = location.get("location_type")
        if kind == "virtual":
            result.fields["telehealth"] = True
            derived = {"id", "location_type", "name", "description", "organization_id"} if ours else {
                "id", "location_type", "organization_id"}
            _leftovers(result, location, derived, f"{label}.location.")
        elif kind == "physical":
            _read_office(result, location, f"{label}.location", ours)
        else:
            result.skip(f"{label}.location.location_type", kind, "only physical and virtual locations are recorded")


def _read_office(result: ImportedService, location: dict, label: str, ours: bool) -> None:
    addresses = [a for a in location.get("addresses") or [] if isinstance(a, dict)]
    physical = [a for a in addresses if a.get("address_type") in ("physical", None)] or addresses
    if not physical:
        result.skip(label, location.get("name") or location.get("id"), "a physical location without an address")
        return
    address = physical[0]
    for extra in addresses[1:]:
        result.skip(f"{label}.addresses", extra.get("address_1"), "one address per office is recorded")
    alabel = f"{label}.addresses[0]"
    street = ", ".join(
        part for part in (_text(result, address, "address_1", 200, f"{alabel}.address_1"),
                          _text(result, address, "address_2", 200, f"{alabel}.address_2")) if part
    )
    city = _text(result, address, "city", 100, f"{alabel}.city")
    state_text = _text(result, address, "state_province", 100, f"{alabel}.state_province")
    jurisdiction = normalize_jurisdiction(state_text) or STATE_BY_NAME.get(state_text.casefold())
    postal_code = _text(result, address, "postal_code", 10, f"{alabel}.postal_code")
    country = address.get("country")
    if country not in (None, "", "US", "CA"):
        result.skip(f"{alabel}.country", country, "offices are in the United States or Canada")
        return
    if not city:
        result.skip(alabel, street or location.get("name"), "an office needs a city")
        return
    if jurisdiction is None:
        result.skip(f"{alabel}.state_province", state_text, "not a US state or Canadian province")
        return
    point: tuple[float | None, float | None] = (None, None)
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if _present(latitude) or _present(longitude):
        if (isinstance(latitude, int | float) and isinstance(longitude, int | float)
                and -90 <= latitude <= 90 and -180 <= longitude <= 180):
            point = (float(latitude), float(longitude))
        else:
            result.skip(f"{label}.latitude/longitude", f"{latitude}, {longitude}",
                        "not a point on Earth: the postal code's centre is used")
    wheelchair_accessible = False
    for j, access in enumerate(location.get("accessibility") or []):
        description = access.get("description") if isinstance(access, dict) else access
        if (isinstance(description, str) and "wheelchair" in description.lower()
                and not NEGATION.search(description)):
            wheelchair_accessible = True
            _leftovers(result, access, {"id", "location_id", "description"}, f"{label}.accessibility[{j}].")
        else:
            result.skip(f"{label}.accessibility[{j}]", description, "only wheelchair access is recorded")
    result.offices.append(OfficeRecord(street if len(street) <= 200 else "", city, jurisdiction, postal_code,
                                       *point, wheelchair_accessible=wheelchair_accessible))
    handled = {"id", "location_type", "latitude", "longitude", "addresses", "accessibility", "organization_id"}
    if ours:
        handled.add("name")
    _leftovers(result, location, handled, f"{label}.")
    _leftovers(result, address, {"id", "location_id", "address_1", "address_2", "city", "state_province",
                                 "postal_code", "country", "address_type"}, f"{alabel}.")


def _read_languages(result: ImportedService, languages: Any, vocabulary: HsdsTerms) -> None:
    keys: list[str] = []
    for i, language in enumerate(languages if isinstance(languages, list) else []):
        code = language.get("code") if isinstance(language, dict) else None
        code = code.strip().lower() if isinstance(code, str) else code
        if code in vocabulary.languages:
            if code not in keys:
                keys.append(code)
            _leftovers(result, language, {"id", "service_id", "code", "name"}, f"languages[{i}].")
        else:
            name = language.get("name") if isinstance(language, dict) else language
            result.skip(f"languages[{i}]", code or name, "not an ISO 639-1 code of a language in this directory")
    result.terms["languages"] = keys


def _amount(result: ImportedService, option: dict, label: str) -> Decimal | None:
    amount = option.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        result.skip(f"{label}.amount", amount, "not a number")
        return None
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        result.skip(f"{label}.amount", amount, "not a number")
        return None
    if value < 0 or value >= Decimal("100000"):
        result.skip(f"{label}.amount", amount, "not a session fee between 0 and 99,999.99")
        return None
    return value


def _read_cost_options(result: ImportedService, options: Any) -> None:
    fields = result.fields
    found: dict[str, Decimal] = {}
    others: list[tuple[str, dict]] = []
    for i, option in enumerate(options if isinstance(options, list) else []):
        label = f"cost_options[{i}]"
        if not isinstance(option, dict):
            result.skip(label, option, "not a cost option object")
            continue
        currency = option.get("currency")
        if not isinstance(currency, str) or currency.upper() != CURRENCY:
            result.skip(f"{label}.currency", currency, f"fees are recorded in {CURRENCY} only")
            continue
        if option.get("option") in (STANDARD_FEE, SLIDING_MIN, SLIDING_MAX, FREE_CONSULTATION):
            amount = _amount(result, option, label)
            if amount is not None:
                found[option["option"]] = amount
        else:
            others.append((label, option))
    if others and STANDARD_FEE not in found and len(others) == 1:
        # A directory that lists a single price in dollars is stating its session fee.
        label, option = others.pop()
        amount = _amount(result, option, label)
        if amount is not None:
            found[STANDARD_FEE] = amount
    for label, option in others:
        result.skip(label, option.get("option"), "only the standard fee and a sliding scale are recorded")
    fields["standard_fee"] = found.get(STANDARD_FEE)
    low, high = found.get(SLIDING_MIN), found.get(SLIDING_MAX)
    if (low is None) != (high is None) or (low is not None and low > high):
        result.skip("cost_options", f"{low}–{high}", "a sliding scale needs a lowest fee no higher than its highest")
        low = high = None
    fields["sliding_scale_min"], fields["sliding_scale_max"] = low, high
    fields["free_consultation"] = found.get(FREE_CONSULTATION) == 0


def _read_attributes(result: ImportedService, attributes: Any, vocabulary: HsdsTerms, ours: bool) -> None:
    for kind in KINDS:
        if kind.relation:
            result.terms[kind.relation] = []
    for i, attribute in enumerate(attributes if isinstance(attributes, list) else []):
        label = f"attributes[{i}]"
        if not isinstance(attribute, dict):
            result.skip(label, attribute, "not an attribute object")
            continue
        term = attribute.get("taxonomy_term") if isinstance(attribute.get("taxonomy_term"), dict) else {}
        term_id = ids.parse_uuid(attribute.get("taxonomy_term_id") or term.get("id"))
        found = vocabulary.keys.get(term_id or "")
        if found is None or found[1] is None:
            name = term.get("name") or term.get("code") or attribute.get("taxonomy_term_id")
            result.skip(label, name, "not a term of this directory's taxonomy")
            continue
        kind, key = found
        if kind.relation is None:
            _read_license(result, key, attribute.get("value"), label, ours)
        elif key not in result.terms[kind.relation]:
            result.terms[kind.relation].append(key)


def _read_license(result: ImportedService, code: str, value: Any, label: str, ours: bool) -> None:
    match = LICENSE_LABEL.match(printable(value).strip()) if isinstance(value, str) else None
    if match is None or match["code"].upper() != code:
        result.skip(f"{label}.value", value, f'a {code} license reads "{code} <state> <number>"')
        return
    jurisdiction = normalize_jurisdiction(match["jurisdiction"])
    number = match["number"].strip()
    # ":" and ";" separate a license's parts and licenses in the CSV format.
    if jurisdiction is None or len(number) > 60 or any(character in number for character in "\x00:;"):
        result.skip(f"{label}.value", value, "not a US state or Canadian province, or an unusable number")
        return
    verified: datetime.date | None | NotGiven = _date(result, match["verified"], f"{label}.value")
    if not ours:
        # Only this directory's staff verify: another directory's word leaves the license as staff here left it.
        if verified:
            result.skip(f"{label}.value", value,
                        "verified by the source directory: this directory's staff must verify it")
        verified = NOT_GIVEN
    expires = _date(result, match["expires"], f"{label}.value")
    if any(lic.key == (code, jurisdiction, number) for lic in result.licenses):
        return
    result.licenses.append(LicenseRecord(code, jurisdiction, number, verified, expires))


def _read_ages(result: ImportedService, minimum: Any, maximum: Any, vocabulary: HsdsTerms) -> None:
    """Age groups wholly inside the service's age range; a group only partly inside is reported."""
    if not _present(minimum) and not _present(maximum):
        return
    numbers = [v for v in (minimum, maximum) if _present(v)]
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in numbers):
        result.skip("minimum_age/maximum_age", f"{minimum}–{maximum}", "not numbers")
        return
    low = minimum if _present(minimum) else 0
    high = maximum if _present(maximum) else None
    keys = []
    for key, (group_low, group_high) in vocabulary.age_ranges.items():
        top = group_high if group_high is not None else group_low
        overlaps = (high is None or group_low <= high) and (group_high is None or group_high >= low)
        if low <= group_low and (high is None or top <= high):
            keys.append(key)
        elif overlaps:
            result.skip("minimum_age/maximum_age", f"{minimum}–{maximum}",
                        f"covers only part of the age group {key}, which is not listed")
    result.terms["age_groups"] = keys
