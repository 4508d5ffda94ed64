"""Writing providers, with their terms, licenses and offices: the one path the CSV import, the HSDS import and
the generator share.

A record says what its source gives about a provider; whatever a source does not give is left as it was. Writes
are in bulk (COPY on PostgreSQL), a bounded number of queries per thousand providers, in one transaction: any
failure writes nothing. Readers check their records first; write_providers() trusts them.
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import functools
import itertools
import operator
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.db import connection, connections, models, transaction
from django.utils import timezone

from .models import CredentialType, License, Office, Provider, slug_base, unique_slug

# Bulk writes send no signals, so the writer refreshes the search text and logs the changes for the facet index.
from .search import facet_index
from .search import text as search
from .search.text_index import note_changes

BATCH = 2000


class NotGiven(enum.Enum):
    NOT_GIVEN = "not given"


# A value the source does not give: the license or office keeps what it has (a new one takes the model default).
NOT_GIVEN = NotGiven.NOT_GIVEN


@dataclass(frozen=True)
class LicenseRecord:
    code: str
    jurisdiction: str
    number: str
    # The source's word that this directory's staff checked the license: on this date, or None for not checked.
    # NOT_GIVEN where the source cannot speak for staff here (another directory's HSDS).
    verified_on: datetime.date | None | NotGiven = NOT_GIVEN
    expires_on: datetime.date | None | NotGiven = NOT_GIVEN

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.code, self.jurisdiction, self.number)


@dataclass(frozen=True)
class OfficeRecord:
    address: str
    city: str
    jurisdiction: str
    postal_code: str
    # None: an office already listed keeps its coordinates; a new one takes its postal code's centre.
    latitude: float | None = None
    longitude: float | None = None
    wheelchair_accessible: bool | NotGiven = NOT_GIVEN

    @property
    def place(self) -> tuple[str, str, str, str]:
        return (self.address, self.city, self.jurisdiction, self.postal_code)


@dataclass
class ProviderRecord:
    """One provider as a source describes it. Only what the source gives is set: the rest changes nothing."""

    external_id: str
    values: dict[str, object] = field(default_factory=dict)
    # Provider many-to-many relation: term keys. A relation given replaces the provider's links.
    terms: dict[str, list[str]] = field(default_factory=dict)
    # None: the source gives none; a list (maybe empty) replaces them.
    licenses: list[LicenseRecord] | None = None
    offices: list[OfficeRecord] | None = None
    # The source holds one office at most (CSV): when its offices are already the provider's, the others stay.
    offices_partial: bool = False
    # Values only a new provider takes (an import of unpublished listings: {"published": False}).
    create_defaults: dict[str, object] = field(default_factory=dict)
    # The slug a new provider takes when it is free (an HSDS service from this directory's own export).
    slug: str = ""
    # When the source last changed the listing; None: now.
    updated: datetime.datetime | None = None
    # The provider this record updates, when the source matched it by something other than its external ID.
    pk: int | None = None
    line: int = 0
    # From the NPI registry: its licenses and office replace only those the registry wrote (from_registry), never
    # those staff or the provider added; its values are what registry_changes() let it write.
    from_registry: bool = False
    # The slug a new provider takes when the one from its name is taken, chosen unique without reading the table
    # (the registry's: the name and the NPI).
    slug_fallback: str = ""


@dataclass
class WriteResult:
    created: int
    updated: int
    # Licenses the source said were verified that moved to another provider, and so came in unverified.
    unverified: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class HeldLicense:
    """A license records[index] lists that another provider, one no record updates, already holds."""

    index: int
    license: LicenseRecord
    holder_name: str
    holder_external_id: str


# --- Control characters ------------------------------------------------------------------
#
# Unicode category Cc (U+0000-U+001F, U+007F-U+009F): every terminal escape sequence starts with one. No source
# stores them, whatever it is; long text (a text field such as the bio) keeps its line breaks and tabs. What a
# command prints shows any it has to name as an escape.

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_LONG_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_BUT_TAB = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str, *, long_text: bool = False) -> str:
    """text without control characters; long_text keeps newlines, carriage returns and tabs."""
    return (_CONTROL_IN_LONG_TEXT if long_text else _CONTROL).sub("", text)


def for_terminal(text: str) -> str:
    """One line for a command to print: each control character but the tab written as an escape, e.g. \\x1b."""
    return _CONTROL_BUT_TAB.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _printable(record: ProviderRecord) -> ProviderRecord:
    """The record with the control characters taken out of its text (the record itself when it has none)."""
    texts = [record.external_id, *(value for value in record.values.values() if isinstance(value, str)),
             *(value for value in record.create_defaults.values() if isinstance(value, str)),
             *(license.number for license in record.licenses or []),
             *(part for office in record.offices or [] for part in (office.address, office.city, office.postal_code))]
    if not _CONTROL.search("".join(texts)):
        return record

    def clean(values: dict[str, object]) -> dict[str, object]:
        return {name: printable(value, long_text=isinstance(Provider._meta.get_field(name), models.TextField))
                if isinstance(value, str) else value for name, value in values.items()}

    licenses = offices = None
    if record.licenses is not None:
        licenses = [replace(license, number=printable(license.number)) for license in record.licenses]
    if record.offices is not None:
        offices = [replace(office, address=printable(office.address), city=printable(office.city),
                           postal_code=printable(office.postal_code)) for office in record.offices]
    return replace(record, external_id=printable(record.external_id), values=clean(record.values),
                   create_defaults=clean(record.create_defaults), licenses=licenses, offices=offices)


# --- Before writing ----------------------------------------------------------------------


def match(records: list[ProviderRecord]) -> list[int | None]:
    """The primary key of the provider each record updates (its pk, else by external ID); None for a new one."""
    found: dict[str, int] = {}
    wanted = [record.external_id for record in records if record.pk is None and record.external_id]
    for chunk in chunks(wanted, 2000):
        # The blank exclusion lets the database use the partial unique index on external_id.
        found.update(
            Provider.objects.exclude(external_id="").filter(external_id__in=chunk).values_list("external_id", "pk")
        )
    return [record.pk if record.pk is not None else found.get(record.external_id) for record in records]


def licenses_held_elsewhere(records: list[ProviderRecord]) -> list[HeldLicense]:
    """Licenses that writing the records would take from a provider they do not update, in record order.

    A holder the records update gives its license up when its record no longer lists it, so a license may move
    between providers the records describe.
    """
    pks = match(records)
    updated = {pk for pk in pks if pk is not None}
    listed: dict[tuple[str, str, str], tuple[int, LicenseRecord]] = {}
    for index, record in enumerate(records):
        for license in record.licenses or []:
            listed.setdefault(license.key, (index, license))
    held = []
    for chunk in chunks(sorted({key[2] for key in listed}), 500):
        rows = License.objects.filter(number__in=chunk).values_list(
            "credential_type__code", "jurisdiction", "number", "provider_id", "provider__name", "provider__external_id"
        )
        for code, jurisdiction, number, holder, name, external_id in rows:
            if (code, jurisdiction, number) in listed and holder not in updated:
                index, license = listed[(code, jurisdiction, number)]
                held.append(HeldLicense(index, license, name, external_id))
    return sorted(held, key=lambda clash: (clash.index, clash.license.key))


def license_holders(keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    """The provider holding each of these licenses (credential code, jurisdiction, number) that someone holds.

    One probe of the unique (credential, jurisdiction, number) index per license, whatever the size of the table:
    on PostgreSQL a lateral look-up for each key (LIMIT keeps the planner from turning it into a hash join, which
    reads the whole table for each call: a million rows at full scale), elsewhere OR-ed conditions.
    """
    type_ids = dict(CredentialType.objects.values_list("code", "pk"))
    codes = {pk: code for code, pk in type_ids.items()}
    found: dict[tuple[str, str, str], int] = {}
    for chunk in chunks(sorted(key for key in keys if key[0] in type_ids), 2000):
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(License._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT wanted.type_id, wanted.jurisdiction, wanted.number, held.provider_id"
                    f" FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS wanted(type_id, jurisdiction, number)"
                    f" CROSS JOIN LATERAL (SELECT license.provider_id FROM {table} license"
                    f" WHERE license.credential_type_id = wanted.type_id AND license.jurisdiction = wanted.jurisdiction"
                    f" AND license.number = wanted.number LIMIT 1) AS held",
                    [[type_ids[code] for code, _, _ in chunk], [state for _, state, _ in chunk],
                     [number for _, _, number in chunk]],
                )
                rows = cursor.fetchall()
        else:
            condition = functools.reduce(operator.or_, (
                models.Q(credential_type_id=type_ids[code], jurisdiction=state, number=number)
                for code, state, number in chunk))
            rows = License.objects.filter(condition).values_list("credential_type_id", "jurisdiction", "number",
                                                                 "provider_id")
        found.update(((codes[type_id], state, number), holder) for type_id, state, number, holder in rows)
    return found


def check_record(record: ProviderRecord) -> list[str]:
    """What the models' field rules refuse in the record ("field: message"), checked without the database.

    For a reader that leaves some of those rules to the models (the HSDS import); the CSV reader checks every
    cell itself.
    """
    values = {**record.create_defaults, **record.values}
    given = set(values)
    problems = [f"{name}: {message}" for name, message in
                _refused(Provider(**values), [f.name for f in Provider._meta.fields if f.name not in given])]
    for license in record.licenses or []:
        row = License(jurisdiction=license.jurisdiction, number=license.number,
                      verified_on=_given(license.verified_on), expires_on=_given(license.expires_on))
        problems += [f"license {' '.join(license.key)}: {name}: {message}" for name, message in
                     _refused(row, ["provider", "credential_type", "verified_by"])]
    for office in record.offices or []:
        row = _new_office(None, office)
        problems += [f"office {', '.join(part for part in office.place if part)}: {name}: {message}"
                     for name, message in _refused(row, ["provider"])]
    return problems


def _refused(instance: models.Model, exclude: list[str]) -> list[tuple[str, str]]:
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        return [(name, message) for name, messages in error.message_dict.items() for message in messages]
    return []


def _given(value: object, default: object = None) -> object:
    return default if value is NOT_GIVEN else value


# --- What the NPI registry may change ------------------------------------------------------


def registry_changes(current: dict[str, object] | None, wanted: dict[str, object]) -> dict[str, object]:
    """The values of wanted the NPI registry writes to a provider whose fields and registry_values are current
    (None for a new provider), with registry_values updated to match.

    A field is the registry's to change while it is empty or still holds what the registry last wrote there
    (Provider.registry_values): an edit made in the directory is never overwritten, and a field cleared here is
    filled again. "published" is never empty: the registry changes it only while it holds what it last wrote.
    """
    if current is None:
        return {**wanted, "registry_values": dict(wanted)}
    last = dict(current.get("registry_values") or {})
    values = {}
    for name, value in wanted.items():
        now = current.get(name)
        if now == value:
            last[name] = value
        elif (name in last and now == last[name]) or (name != "published" and now in ("", None)):
            values[name] = last[name] = value
    if last != current.get("registry_values"):
        values["registry_values"] = last
    return values


# --- Writing ---------------------------------------------------------------------------


@transaction.atomic
def write_providers(records: Iterable[ProviderRecord], *, batch_size: int | None = None,
                    progress: Callable[[int], None] | None = None, large: bool = False) -> WriteResult:
    """Create or update one provider per record (matched by match()), in bulk, in one transaction.

    With batch_size, records (any iterable: a stream need not be held in memory) are written that many at a
    time, and progress is told how many are written after each batch. A license moves from one provider to
    another only within a batch: a source whose records may trade licenses is written as one batch (the default).
    large: a load far larger than the directory (hundreds of thousands into an empty database): on PostgreSQL
    the checks and indexes that cost most row by row are set aside and made again, at once, after the last batch;
    the providers' tables are locked against readers until the load commits.
    """
    result = WriteResult(created=0, updated=0)
    written = 0
    with _checks_set_aside() if large and connection.vendor == "postgresql" else contextlib.nullcontext():
        for batch in batches(records, batch_size) if batch_size else [list(records)]:
            created, unverified = _write_batch(list(batch))
            result.created += created
            result.updated += len(batch) - created
            result.unverified += unverified
            written += len(batch)
            if progress is not None:
                progress(written)
    result.unverified.sort()
    return result


@contextlib.contextmanager
def _checks_set_aside() -> Iterator[None]:
    """Drop the foreign keys of the tables a load writes, the GIN indexes of the providers' table and the indexes
    of the other tables that enforce nothing, and make them again at the end: checked and built once, over all
    the rows, rather than row by row (PostgreSQL's own advice for a large load). The providers' btree indexes
    stay, as the load reads them. Inside the load's transaction, so a failure restores them."""
    meta = Provider._meta
    written = [meta.db_table, License._meta.db_table, Office._meta.db_table,
               *(field.remote_field.through._meta.db_table for field in meta.many_to_many)]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                       " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])", [written])
        keys = cursor.fetchall()
        # A table with checks still pending cannot be altered: make them now (none, at the start of a load).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT index.relname, pg_get_indexdef(index.oid) FROM pg_index JOIN pg_class index"
            " ON index.oid = pg_index.indexrelid WHERE pg_index.indrelid = ANY(%s::regclass[])"
            " AND NOT pg_index.indisunique AND NOT pg_index.indisprimary"
            " AND (pg_index.indrelid <> %s::regclass OR index.relam = (SELECT oid FROM pg_am WHERE amname = 'gin'))",
            [written, meta.db_table])
        indexes = cursor.fetchall()
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares every foreign key


def _write_batch(records: list[ProviderRecord]) -> tuple[int, list[tuple[str, str, str]]]:
    """Write one batch of records; how many providers it created, and the licenses that came in unverified."""
    records = [_printable(record) for record in records]
    pks = match(records)
    new = [index for index, pk in enumerate(pks) if pk is None]
    existing = {pk for pk in pks if pk is not None}
    # A registry record that changes none of the provider's values leaves its row (and search text) alone: most
    # of a monthly file's listings are as they were last month.
    unchanged = {pk for record, pk in zip(records, pks, strict=True)
                 if record.from_registry and pk is not None and not record.values}
    _update_providers([(record, pk) for record, pk in zip(records, pks, strict=True)
                       if pk is not None and pk not in unchanged])
    staged = _create_providers(records, pks, new)
    written = list(zip(records, pks, strict=True))
    _replace_terms(written, existing)
    unverified = _replace_licenses(written, existing)
    _replace_offices(written, existing)
    if staged:
        staged.publish()
    _stamp_created(records, pks, new)
    for chunk in chunks(sorted(existing - unchanged), search.REFRESH_CHUNK):
        search.refresh_search_vectors(chunk)
    facet_index.changed(pks)
    return len(new), unverified


def _create_providers(records: list[ProviderRecord], pks: list[int | None], new: list[int]) -> StagedProviders | None:
    """Insert the new providers, setting their primary keys in pks.

    On PostgreSQL the rows wait in a staging table until their links are written (the foreign keys are
    checked at commit): StagedProviders.publish() then inserts them with their search vectors, so that no
    row is written twice.
    """
    if not new:
        return None
    providers = [Provider(external_id=records[index].external_id,
                          **{**records[index].create_defaults, **records[index].values}) for index in new]
    wanted = [(records[index].slug, slug_base(provider.name), records[index].slug_fallback)
              for index, provider in zip(new, providers, strict=True)]
    # Only the slugs these providers might take are read, not every slug in the table (a million at full scale):
    # the names' slugs and their numbered forms by prefix, a source's own slugs exactly.
    taken = _slugs_taken({candidates[1] for candidates in wanted}) | _taken_slugs(
        {slug for candidates in wanted for slug in (candidates[0], candidates[2]) if slug})
    for provider, candidates in zip(providers, wanted, strict=True):
        free = next((slug for slug in candidates if slug and slug not in taken), None) or unique_slug(
            provider.name, taken)
        taken.add(free)
        provider.slug = free
    staged = None
    if connection.vendor == "postgresql":
        staged = StagedProviders(providers)
    else:
        insert(providers, with_ids=True)
    for index, provider in zip(new, providers, strict=True):
        pks[index] = provider.pk
    return staged


def _stamp_created(records: list[ProviderRecord], pks: list[int | None], new: list[int]) -> None:
    # Inserting stamps the time of writing; keep the source's time of change, so an unchanged listing exports
    # unchanged.
    stamped = [Provider(pk=pks[index], updated=records[index].updated) for index in new if records[index].updated]
    update(stamped, ["updated"])


def _taken_slugs(slugs: Iterable[str]) -> set[str]:
    """Those of these slugs that providers already have."""
    taken: set[str] = set()
    for chunk in chunks(sorted(set(slugs)), 1000):
        taken.update(Provider.objects.filter(slug__in=chunk).values_list("slug", flat=True))
    return taken


def _slugs_taken(bases: set[str]) -> set[str]:
    """The slugs in use that a new provider's slug from one of these bases could meet: each base and base-N.

    Read by prefix through the slug's index, not the whole table: a large load writes batch after batch.
    """
    taken: set[str] = set()
    ordered = sorted(bases)
    if connection.vendor == "postgresql":
        # ~>=~ and ~<~ compare bytes, as the slug's pattern index does ("-" sorts just before ".").
        table = connection.ops.quote_name(Provider._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT p.slug FROM unnest(%s::text[]) AS base(prefix) JOIN {table} AS p"
                f" ON p.slug::text ~>=~ base.prefix AND p.slug::text ~<~ (base.prefix || '.')", [ordered])
            taken.update(slug for (slug,) in cursor.fetchall())
        return taken
    for chunk in chunks(ordered, 200):
        condition = models.Q()
        for base in chunk:
            condition |= models.Q(slug=base) | models.Q(slug__startswith=f"{base}-")
        taken.update(Provider.objects.filter(condition).values_list("slug", flat=True))
    return taken


class StagedProviders:
    """New providers copied into a temporary table, to be inserted with their search vectors (PostgreSQL)."""

    def __init__(self, providers: list[Provider]) -> None:
        meta = Provider._meta
        quote = connection.ops.quote_name
        self.table, self.staging = quote(meta.db_table), quote(f"{meta.db_table}_staged")
        self.columns = [field.column for field in meta.concrete_fields
                        if field.column != "search_vector" and not field.generated]
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {self.staging} (LIKE {self.table})")
        insert(providers, with_ids=True, table=f"{meta.db_table}_staged")
        self.ids = [provider.pk for provider in providers]

    def publish(self) -> None:
        names = ", ".join(connection.ops.quote_name(column) for column in self.columns)
        chosen = search.search_vector_select(self.staging, ", ".join(f"p.{connection.ops.quote_name(column)}"
                                                                      for column in self.columns))
        with connection.cursor() as cursor:
            # They take their search text as they are inserted: the free-text index reads them from their rows.
            note_changes(cursor, self.ids)
            cursor.execute(f"INSERT INTO {self.table} ({names}, search_vector) {chosen}",
                           {"config": search.SEARCH_CONFIG, "ids": self.ids})
            cursor.execute(f"DROP TABLE {self.staging}")


def _update_providers(written: list[tuple[ProviderRecord, int]]) -> None:
    now = timezone.now()
    by_fields: dict[tuple[str, ...], list[Provider]] = {}
    for record, pk in written:
        provider = Provider(pk=pk, updated=record.updated or now, **record.values)
        by_fields.setdefault(tuple(sorted(record.values)), []).append(provider)
    for fields, providers in by_fields.items():
        update(providers, [*fields, "updated"])


def _replace_terms(written: list[tuple[ProviderRecord, int]], existing: set[int]) -> None:
    relations = sorted({relation for record, _ in written for relation in record.terms})
    for relation in relations:
        given = [(record, pk) for record, pk in written if relation in record.terms]
        relation_field = Provider._meta.get_field(relation)
        through = relation_field.remote_field.through
        term_column = relation_field.m2m_reverse_field_name() + "_id"
        model = relation_field.related_model
        term_ids = dict(model.objects.values_list(model.key_field, "pk"))
        for chunk in chunks(sorted(existing.intersection(pk for _, pk in given)), 500):
            through.objects.filter(provider_id__in=chunk).delete()
        links = [(pk, term_ids[key]) for record, pk in given for key in record.terms[relation]]
        insert_pairs(through, ["provider_id", term_column], links)


def _replace_licenses(written: list[tuple[ProviderRecord, int]],
                      existing: set[int]) -> list[tuple[str, str, str]]:
    """A record's licenses become the provider's; one already held keeps its row, under apply_verification().

    A license that moves from one provider to another comes in unverified, whatever the source says
    (License.VERIFIED_FOR): the keys of those the source said were verified are returned.
    """
    given = {pk: {license.key: license for license in record.licenses}
             for record, pk in written if record.licenses is not None}
    if not given:
        return []
    registry = {pk for record, pk in written if record.from_registry}
    type_ids = dict(CredentialType.objects.values_list("code", "pk"))
    current: dict[int, dict[tuple[str, str, str], License]] = {}
    for chunk in chunks(sorted(existing.intersection(given)), 500):
        for license in License.objects.filter(provider_id__in=chunk).select_related("credential_type"):
            current.setdefault(license.provider_id, {})[license.natural_key()] = license

    # Any provider's license the records list: a license added to one provider may be another's until now.
    stored = {key: license for held in current.values() for key, license in held.items()}
    gone, changed, added, unverified = [], [], [], []
    for pk, licenses in given.items():
        held = current.get(pk, {})
        if pk in registry:
            # The registry removes only the licenses it wrote, and leaves one staff or the provider added as it is.
            gone.extend(license.pk for key, license in held.items() if key not in licenses and license.from_registry)
            licenses = {key: record for key, record in licenses.items() if key not in held}
        else:
            gone.extend(license.pk for key, license in held.items() if key not in licenses)
        for key, record in licenses.items():
            license = held.get(key)
            if license is None:
                license = License(provider_id=pk, credential_type_id=type_ids[record.code],
                                  jurisdiction=record.jurisdiction, number=record.number,
                                  from_registry=pk in registry)
                apply_verification(license, record)
                former = stored.get(key)
                if license.forget_verification_unless_checked_as(former.checked_as if former else None):
                    unverified.append(key)
                license.expires_on = _given(record.expires_on)
                added.append(license)
            elif apply_verification(license, record) | _set(license, "expires_on", record.expires_on):
                changed.append(license)
    _store(License, gone, changed, ["verified_on", "verified_by", "expires_on"], added)
    return sorted(unverified)


def apply_verification(license: License, record: LicenseRecord) -> bool:
    """The one verification rule, for every source; True when it changed the license.

    A source that says a license is verified keeps staff's verification (date and verifier) of a license already
    verified, whatever date it gives; a license not yet verified takes the source's date and no verifier (a
    verifier is always a staff user who checked). A source that says not verified clears the date and verifier.
    A source that cannot say (NOT_GIVEN) changes nothing. Whatever the source says, a license that moves to
    another provider comes in unverified (_replace_licenses(), under License's rule).
    """
    said = record.verified_on
    if said is NOT_GIVEN or (said is not None and license.verified_on is not None):
        return False
    if said is None and license.verified_on is None:
        return False
    license.verified_on, license.verified_by = said, None
    return True


def _set(instance: models.Model, name: str, value: object) -> bool:
    """Set the field to a given value; True when that changed it."""
    if value is NOT_GIVEN or getattr(instance, name) == value:
        return False
    setattr(instance, name, value)
    return True


def _replace_offices(written: list[tuple[ProviderRecord, int]], existing: set[int]) -> None:
    """A record's offices become the provider's; an office already listed at the same place keeps its row."""
    given = [(record, pk) for record, pk in written if record.offices is not None]
    if not given:
        return
    current: dict[int, list[Office]] = {}
    for chunk in chunks(sorted(existing.intersection(pk for _, pk in given)), 500):
        for office in Office.objects.filter(provider_id__in=chunk):
            current.setdefault(office.provider_id, []).append(office)

    gone, changed, added = [], [], []
    for record, pk in given:
        unmatched = list(current.get(pk, []))
        if record.from_registry:
            # The registry's practice location replaces the office it wrote; the others are not its to change.
            unmatched = [office for office in unmatched if office.from_registry]
        all_listed = True
        for wanted in record.offices:
            office = next((o for o in unmatched if (o.address, o.city, o.jurisdiction, o.postal_code) == wanted.place),
                          None)
            if office is None:
                all_listed = False
                added.append(_new_office(pk, wanted, from_registry=record.from_registry))
                continue
            unmatched.remove(office)
            if _update_office(office, wanted):
                changed.append(office)
        if not (record.offices_partial and record.offices and all_listed):
            gone.extend(office.pk for office in unmatched)
    _store(Office, gone, changed, ["latitude", "longitude", "wheelchair_accessible"], added)


def _store(model: type[models.Model], gone: list[int], changed: list[models.Model], fields: list[str],
           added: list[models.Model]) -> None:
    """Delete, update and insert rows of one model, in bulk."""
    # Deleting first lets a license move from one provider in the records to another.
    for chunk in chunks(gone, 500):
        model.objects.filter(pk__in=chunk).delete()
    update(changed, fields)
    insert(added)


def _update_office(office: Office, record: OfficeRecord) -> bool:
    """Take the record's coordinates and access, where it gives them; True when that changed the office."""
    changed = _set(office, "wheelchair_accessible", record.wheelchair_accessible)
    point = (record.latitude, record.longitude)
    if None not in point and (office.latitude, office.longitude) != point:
        office.latitude, office.longitude = point
        changed = True
    return changed


def _new_office(pk: int | None, record: OfficeRecord, *, from_registry: bool = False) -> Office:
    office = Office(provider_id=pk, address=record.address, city=record.city, jurisdiction=record.jurisdiction,
                    postal_code=record.postal_code, latitude=record.latitude, longitude=record.longitude,
                    wheelchair_accessible=_given(record.wheelchair_accessible, False), from_registry=from_registry)
    office.fill_coordinates()
    return office


# --- Bulk inserts ------------------------------------------------------------------------


def insert(objects: list[models.Model], *, with_ids: bool = False, table: str | None = None) -> None:
    """Insert new rows of one model, setting their primary keys when with_ids.

    On PostgreSQL this is COPY (into table, when given, rather than the model's), many times faster than INSERT
    for the million rows a load test writes; elsewhere bulk_create. Like bulk_create, it calls neither save() nor
    signals.
    """
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH)
        return
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key and not field.generated]
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [meta.db_table, meta.pk.column, len(objects)])
            for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = pk
            fields = [meta.pk, *fields]
        database = connections[connection.alias]  # the connection itself, not the per-thread proxy, for each value
        values = [_column_value(field, database) for field in fields]
        rows = ([value(obj) for value in values] for obj in objects)
        _copy(cursor, table or meta.db_table, [field.column for field in fields], rows)


# Fields whose Python value is already what the database takes, with no pre_save() (auto_now, files): their
# attribute is read as it is. Preparing every value of a hundred thousand rows the general way took a third of
# the time of writing them.
_PLAIN_FIELDS = (models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.FloatField,
                 models.ForeignKey)


def _column_value(field: models.Field, database) -> Callable[[models.Model], object]:
    """How to read a field of a new row for COPY."""
    if isinstance(field, _PLAIN_FIELDS) and not isinstance(field, models.FileField):
        return operator.attrgetter(field.attname)

    def prepared(obj: models.Model) -> object:
        value = field.pre_save(obj, True)
        return None if value is None else field.get_db_prep_save(value, database)

    return prepared


def update(objects: list[models.Model], fields: list[str]) -> None:
    """Write these fields of existing rows of one model from the objects (which need only a primary key and them).

    On PostgreSQL: COPY into a temporary table and one UPDATE from it, where bulk_update's CASE per row takes
    minutes for twenty thousand providers; elsewhere bulk_update. Neither calls save() nor signals.
    """
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields, batch_size=BATCH)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    table, temporary, key = quote(meta.db_table), quote(f"{meta.db_table}_written"), quote(meta.pk.column)
    names = [quote(column.column) for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {temporary} AS SELECT {', '.join(names)} FROM {table} WITH NO DATA")
        rows = ([column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
                for obj in objects)
        _copy(cursor, f"{meta.db_table}_written", [column.column for column in columns], rows)
        assignments = ", ".join(f"{name} = {temporary}.{name}" for name in names[1:])
        cursor.execute(f"UPDATE {table} SET {assignments} FROM {temporary} WHERE {table}.{key} = {temporary}.{key}")
        cursor.execute(f"DROP TABLE {temporary}")


def insert_pairs(through: type[models.Model], columns: list[str], rows: list[tuple[int, int]]) -> None:
    """Insert many-to-many links without building a model instance for each of the million a load test makes."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        through.objects.bulk_create([through(**dict(zip(columns, row, strict=True))) for row in rows],
                                    batch_size=BATCH * 5)
        return
    with connection.cursor() as cursor:
        _copy(cursor, through._meta.db_table, columns, rows)


def _copy(cursor, table: str, columns: list[str], rows: Iterable[Iterable[object]]) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    with cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batches(items: Iterable, size: int) -> Iterator[list]:
    """Lists of size items (the last maybe fewer), read from any iterable as they are needed."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def read_ahead(items: Iterable, size: int) -> Iterator:
    """items as they come, drawn by a thread up to size ahead: a source that computes its records (the
    generator) makes the next batch while the database writes this one."""
    waiting: queue.Queue = queue.Queue(maxsize=size)
    done = object()
    failure: list[BaseException] = []

    def draw() -> None:
        try:
            for item in items:
                waiting.put(item)
        except BaseException as error:  # handed to the reader, which raises it
            failure.append(error)
        finally:
            waiting.put(done)

    threading.Thread(target=draw, daemon=True, name="read-ahead").start()
    while (item := waiting.get()) is not done:
        yield item
    if failure:
        raise failure[0]
