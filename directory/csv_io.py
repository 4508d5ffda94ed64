"""Providers to and from CSV in the public column format, and the bulk writer that imports and the generator share.

Reading checks the whole file before anything is written: every problem is collected with its line number,
and one bad row means nothing is imported.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import DataError, IntegrityError, connection, models, transaction
from django.utils import timezone

from . import geo
from .jurisdictions import CANADIAN_PROVINCES, US_STATES, normalize_jurisdiction
from .models import (
    AgeGroup,
    Condition,
    CredentialType,
    InsurancePlan,
    Language,
    License,
    Modality,
    Office,
    Provider,
    SessionFormat,
    unique_slug,
)
from .search import facet_index
from .search import text as search

COLUMNS: list[str] = [
    "external_id", "name", "pronouns", "gender", "practice_name", "bio", "credentials", "modalities",
    "conditions", "formats", "age_groups", "languages", "insurance", "standard_fee",
    "sliding_scale_min", "sliding_scale_max", "free_consultation", "telehealth",
    "accepting_new_clients", "accepting_confirmed", "address", "city", "state", "postal_code", "phone",
    "email", "website", "last_verified", "published",
]
REQUIRED_COLUMNS = ("external_id", "name")
OFFICE_COLUMNS = ("address", "city", "state", "postal_code")
# Column name = the Provider many-to-many relation it fills.
TERM_COLUMNS = {
    "modalities": Modality,
    "conditions": Condition,
    "formats": SessionFormat,
    "age_groups": AgeGroup,
    "languages": Language,
    "insurance": InsurancePlan,
}
TEXT_COLUMNS = ("name", "pronouns", "practice_name", "bio", "phone", "email", "website")
FEE_COLUMNS = ("standard_fee", "sliding_scale_min", "sliding_scale_max")
BOOLEAN_COLUMNS = ("free_consultation", "telehealth", "accepting_new_clients", "published")
DATE_COLUMNS = ("accepting_confirmed", "last_verified")

LIST_SEPARATOR = ";"
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_CELL_CHARS = 10_000
MAX_FEE = Decimal("99999.99")
BATCH = 2000

TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0", ""}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FEE = re.compile(r"^\d+(\.\d{1,2})?$")
_CANADIAN_POSTAL_CODE = re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$")
_email = EmailValidator()
_url = URLValidator(schemes=["http", "https"])


class InvalidFile(Exception):
    """The file cannot be imported; problems lists every reason, each with its line number where there is one."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LicenseRecord:
    code: str
    jurisdiction: str
    number: str
    verified_on: datetime.date | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.code, self.jurisdiction, self.number)


@dataclass(frozen=True)
class OfficeRecord:
    address: str
    city: str
    jurisdiction: str
    postal_code: str
    latitude: float | None = None
    longitude: float | None = None

    @property
    def place(self) -> tuple[str, str, str, str]:
        return (self.address, self.city, self.jurisdiction, self.postal_code)


@dataclass
class ProviderRecord:
    """One provider as a file describes it. Only what the file gives is set: absent columns change nothing."""

    external_id: str
    values: dict[str, object] = field(default_factory=dict)
    terms: dict[str, list[str]] = field(default_factory=dict)
    licenses: list[LicenseRecord] | None = None
    # None: the file has no office columns; a list (empty for telehealth only) replaces the offices.
    offices: list[OfficeRecord] | None = None
    line: int = 0


@dataclass
class ImportResult:
    created: int
    updated: int


# --- Reading ---------------------------------------------------------------------------


def read_file(path: str) -> list[ProviderRecord]:
    """Records from the CSV file at path, or InvalidFile listing every problem."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise InvalidFile([f"Cannot read {path}: {error.strerror or error}."]) from error
    return read_bytes(data)


def read_bytes(data: bytes) -> list[ProviderRecord]:
    if len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        raise InvalidFile([f"The file is larger than {limit} MB; split it into smaller files."])
    text = _decode(data)
    if not text.strip():
        raise InvalidFile(["The file is empty: it needs a header row and one row per provider."])
    header, rows, problems = _split_table(text)
    vocabulary = Vocabulary.load()
    records: list[ProviderRecord] = []
    for line, cells in rows:
        record, row_problems = parse_row(line, dict(zip(header, cells, strict=True)), vocabulary)
        problems.extend(f"line {line}: {problem}" for problem in row_problems)
        if record is not None:
            records.append(record)
    problems.extend(_problems_across_rows(records))
    if problems:
        raise InvalidFile(sorted(problems, key=_line_of))
    return records


def _line_of(problem: str) -> int:
    match = re.match(r"line (\d+):", problem)
    return int(match.group(1)) if match else 0


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidFile(
            [f"line {line}: the file is not UTF-8 text (byte {data[error.start]:#04x}); save it as CSV UTF-8."]
        ) from error


def _split_table(text: str) -> tuple[list[str], list[tuple[int, list[str]]], list[str]]:
    """(header, [(line, cells)], problems with the header or row shapes)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    problems: list[str] = []
    line = 1
    try:
        header = [name.strip().lower() for name in next(reader)]
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            rows.append((start, cells))
    except csv.Error as error:
        if "field limit" in str(error):
            raise InvalidFile([f"line {line + 1}: a cell is longer than {MAX_CELL_CHARS:,} characters."]) from error
        raise InvalidFile([f"line {line + 1}: this is not valid CSV ({error})."]) from error

    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise InvalidFile([
            f"line 1: the header row lacks the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. The first line must name the columns: {', '.join(COLUMNS)}."
        ])
    unknown = [name or "(blank)" for name in header if name not in COLUMNS]
    if unknown:
        problems.append(f"line 1: unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                        f"the columns are {', '.join(COLUMNS)}.")
    if ("sliding_scale_min" in header) != ("sliding_scale_max" in header):
        problems.append("line 1: the columns sliding_scale_min and sliding_scale_max go together; give both.")
    repeated = sorted({name for name in header if header.count(name) > 1 and name in COLUMNS})
    if repeated:
        problems.append(f"line 1: column{'s' if len(repeated) > 1 else ''} {', '.join(repeated)} "
                        "appear more than once.")
    if problems:
        raise InvalidFile(problems)

    shaped: list[tuple[int, list[str]]] = []
    for start, cells in rows:
        if len(cells) != len(header):
            problems.append(f"line {start}: has {len(cells)} cells but the header has {len(header)} columns.")
        else:
            shaped.append((start, cells))
    return header, shaped, problems


@dataclass
class Vocabulary:
    """The taxonomy keys a file may name, loaded once per import."""

    terms: dict[str, set[str]]
    credential_codes: set[str]

    @classmethod
    def load(cls) -> Vocabulary:
        return cls(
            terms={column: set(model.objects.values_list(model.key_field, flat=True))
                   for column, model in TERM_COLUMNS.items()},
            credential_codes=set(CredentialType.objects.values_list("code", flat=True)),
        )


def parse_row(line: int, row: dict[str, str], vocabulary: Vocabulary) -> tuple[ProviderRecord | None, list[str]]:
    """The record a row describes and the problems with it (the record is None when there are any)."""
    problems: list[str] = []
    cells: dict[str, str] = {}
    for column, raw in row.items():
        if len(raw) > MAX_CELL_CHARS:
            problems.append(f"{column}: longer than {MAX_CELL_CHARS:,} characters.")
        elif "\x00" in raw:
            problems.append(f"{column}: contains a NUL character (byte 0), which cannot be stored.")
        else:
            cells[column] = raw.strip()
    if problems:
        return None, problems

    for column in REQUIRED_COLUMNS:
        if not cells.get(column):
            problems.append(f"{column}: required, but empty.")
    record = ProviderRecord(external_id=cells.get("external_id", ""), line=line)
    external_id_max = Provider._meta.get_field("external_id").max_length
    if len(record.external_id) > external_id_max:
        problems.append(f"external_id: longer than {external_id_max} characters.")

    values = record.values
    for column in TEXT_COLUMNS:
        if column in cells:
            values[column] = _text(column, cells[column], problems)
    if "gender" in cells:
        values["gender"] = _gender(cells["gender"], problems)
    for column in FEE_COLUMNS:
        if column in cells:
            values[column] = _fee(column, cells[column], problems)
    for column in BOOLEAN_COLUMNS:
        if column in cells:
            values[column] = _boolean(column, cells[column], problems)
    for column in DATE_COLUMNS:
        if column in cells:
            values[column] = _date(column, cells[column], problems)
    _check_sliding_scale(values, problems)

    for column in TERM_COLUMNS:
        if column in cells:
            record.terms[column] = _keys(column, cells[column], vocabulary.terms[column], problems)
    if "credentials" in cells:
        verified_on = values.get("last_verified") or timezone.localdate()
        record.licenses = _licenses(cells["credentials"], vocabulary.credential_codes, verified_on, problems)
    if any(column in cells for column in OFFICE_COLUMNS):
        record.offices = _offices({column: cells.get(column, "") for column in OFFICE_COLUMNS}, problems)
    return (None if problems else record), problems


def _text(column: str, value: str, problems: list[str]) -> str:
    max_length = Provider._meta.get_field(column).max_length
    if max_length and len(value) > max_length:
        problems.append(f"{column}: longer than {max_length} characters.")
    elif value and column == "email":
        try:
            _email(value)
        except ValidationError:
            problems.append(f"email: {value!r} is not an email address.")
    elif value and column == "website":
        try:
            _url(value)
        except ValidationError:
            problems.append(f"website: {value!r} is not a web address starting with https:// or http://.")
    return value


def _gender(value: str, problems: list[str]) -> str:
    choices = [choice.value for choice in Provider.Gender]
    if value.lower() in choices or not value:
        return value.lower()
    problems.append(f"gender: {value!r} is not one of {', '.join(choices)} (or empty).")
    return ""


def _fee(column: str, value: str, problems: list[str]) -> Decimal | None:
    if not value:
        return None
    if value.startswith("-"):
        problems.append(f"{column}: {value!r} is negative; a fee cannot be below 0.")
        return None
    if not _FEE.match(value):
        problems.append(f"{column}: {value!r} is not an amount like 120 or 120.50.")
        return None
    amount = Decimal(value)
    if amount > MAX_FEE:
        problems.append(f"{column}: {value} is more than {MAX_FEE}.")
        return None
    return amount.quantize(Decimal("0.01"))


def _boolean(column: str, value: str, problems: list[str]) -> bool:
    word = value.lower()
    if column == "published" and not word:
        return True
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        problems.append(f"{column}: {value!r} is not true/false, yes/no or 1/0.")
    return False


def _date(column: str, value: str, problems: list[str]) -> datetime.date | None:
    if not value:
        return None
    try:
        if not _DATE.match(value):
            raise ValueError
        day = datetime.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{column}: {value!r} is not a date written YYYY-MM-DD.")
        return None
    if day > timezone.localdate():
        problems.append(f"{column}: {value} is in the future.")
        return None
    return day


def _check_sliding_scale(values: dict[str, object], problems: list[str]) -> None:
    low, high = values.get("sliding_scale_min"), values.get("sliding_scale_max")
    given = [column for column in ("sliding_scale_min", "sliding_scale_max") if values.get(column) is not None]
    if len(given) == 1:
        problems.append("sliding_scale_min and sliding_scale_max: give both, or neither.")
    elif low is not None and high is not None and low > high:
        problems.append(f"sliding_scale_min {low} is above sliding_scale_max {high}.")


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]


def _keys(column: str, value: str, known: set[str], problems: list[str]) -> list[str]:
    keys = sorted({item.lower() for item in _split(value)})
    unknown = [key for key in keys if key not in known]
    if unknown:
        problems.append(f"{column}: unknown {', '.join(unknown)}.")
    return keys


def _licenses(value: str, codes: set[str], verified_on: datetime.date, problems: list[str]) -> list[LicenseRecord]:
    licenses: dict[tuple[str, str, str], LicenseRecord] = {}
    number_max = License._meta.get_field("number").max_length
    for item in _split(value):
        parts = [part.strip() for part in item.split(":")]
        verified = len(parts) == 4 and parts[3].lower() == "verified"
        if len(parts) not in (3, 4) or (len(parts) == 4 and not verified) or not all(parts[:3]):
            problems.append(f"credentials: {item!r} is not CODE:STATE:NUMBER or CODE:STATE:NUMBER:verified.")
            continue
        code, state, number = parts[0].upper(), normalize_jurisdiction(parts[1]), parts[2]
        if code not in codes:
            problems.append(f"credentials: unknown credential code {parts[0]!r}.")
        if state is None:
            problems.append(f"credentials: {parts[1]!r} is not a US state or Canadian province code.")
        if len(number) > number_max:
            problems.append(f"credentials: license number {number!r} is longer than {number_max} characters.")
        if code in codes and state and len(number) <= number_max:
            if (code, state, number) in licenses:
                problems.append(f"credentials: {code}:{state}:{number} is listed twice.")
            licenses[(code, state, number)] = LicenseRecord(code, state, number, verified_on if verified else None)
    return sorted(licenses.values(), key=lambda license: license.key)


def _offices(cells: dict[str, str], problems: list[str]) -> list[OfficeRecord]:
    if not any(cells.values()):
        return []
    start = len(problems)
    address, city, postal_code = cells["address"], cells["city"], cells["postal_code"]
    state = normalize_jurisdiction(cells["state"])
    for column in ("address", "city", "postal_code"):
        max_length = Office._meta.get_field(column).max_length
        if len(cells[column]) > max_length:
            problems.append(f"{column}: longer than {max_length} characters.")
    if not city:
        problems.append("city: required when the row has an office (leave address, city, state and postal_code "
                        "all empty for telehealth only).")
    if state is None:
        problems.append(f"state: {cells['state']!r} is not a US state or Canadian province code."
                        if cells["state"] else "state: required when the row has an office.")
    elif state in US_STATES and postal_code:
        zip_code = geo.normalize_zip(postal_code)
        if zip_code is None or geo.zip_state(zip_code) is None:
            problems.append(f"postal_code: {postal_code!r} is not a US ZIP code.")
    elif state in CANADIAN_PROVINCES and postal_code:
        postal_code = postal_code.upper()
        if not _CANADIAN_POSTAL_CODE.match(postal_code):
            problems.append(f"postal_code: {postal_code!r} is not a Canadian postal code like K1A 0B6.")
    if len(problems) > start:
        return []
    return [OfficeRecord(address, city, state, postal_code)]


def _problems_across_rows(records: list[ProviderRecord]) -> list[str]:
    """A provider or license listed twice in the file, or a license already held by someone the file does not list."""
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for record in records:
        if record.external_id in first_line:
            problems.append(f"line {record.line}: external_id {record.external_id!r} is also on line "
                            f"{first_line[record.external_id]}.")
        else:
            first_line[record.external_id] = record.line

    holder_line: dict[tuple[str, str, str], tuple[str, int]] = {}
    for record in records:
        for license in record.licenses or []:
            if license.key in holder_line and holder_line[license.key][0] != record.external_id:
                problems.append(f"line {record.line}: license {':'.join(license.key)} is also on line "
                                f"{holder_line[license.key][1]}.")
            holder_line.setdefault(license.key, (record.external_id, record.line))

    numbers = sorted({key[2] for key in holder_line})
    for chunk in _chunks(numbers, 500):
        held = License.objects.filter(number__in=chunk).values_list(
            "credential_type__code", "jurisdiction", "number", "provider__external_id", "provider__name"
        )
        for code, jurisdiction, number, holder_id, holder_name in held:
            key = (code, jurisdiction, number)
            if key not in holder_line:
                continue
            external_id, line = holder_line[key]
            # A holder the file also lists gives the license up on this import, so the move is allowed.
            if holder_id != external_id and (not holder_id or holder_id not in first_line):
                problems.append(f"line {line}: license {':'.join(key)} already belongs to another provider, "
                                f"{holder_name} ({holder_id or 'no external ID'}).")
    return problems


# --- Writing to the database -------------------------------------------------------------


def import_file(path: str, *, dry_run: bool = False) -> ImportResult:
    """Read and check the whole file, then write it in one transaction (or only count, for a dry run)."""
    records = read_file(path)
    if dry_run:
        existing = _existing_ids([record.external_id for record in records])
        updated = sum(1 for record in records if record.external_id in existing)
        return ImportResult(created=len(records) - updated, updated=updated)
    try:
        return save_records(records)
    except (IntegrityError, DataError) as error:
        # Checking the file should leave nothing for the database to refuse; if it does, say so plainly.
        raise InvalidFile([f"The database refused the import, and nothing was written: {error}"]) from error


def _existing_ids(external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(external_ids, 2000):
        # The blank exclusion lets the database use the partial unique index on external_id.
        found.update(
            Provider.objects.exclude(external_id="").filter(external_id__in=chunk).values_list("external_id", "pk")
        )
    return found


@transaction.atomic
def save_records(records: list[ProviderRecord]) -> ImportResult:
    """Create or update providers by external ID, in bulk: a bounded number of queries per thousand providers."""
    existing = _existing_ids([record.external_id for record in records])
    new = [record for record in records if record.external_id not in existing]
    old = [record for record in records if record.external_id in existing]

    taken = set(Provider.objects.values_list("slug", flat=True))
    providers = []
    for record in new:
        values = {"published": True, **record.values}
        providers.append(Provider(external_id=record.external_id, slug=unique_slug(str(values["name"]), taken),
                                  **values))
    insert(providers, with_ids=True)
    ids = {**existing, **{provider.external_id: provider.pk for provider in providers}}
    _update_providers(old, existing)

    updated_ids = [existing[record.external_id] for record in old]
    _replace_terms(records, ids, updated_ids)
    _replace_licenses(records, ids, set(updated_ids))
    _replace_offices(records, ids, set(updated_ids))
    # Bulk writes send no signals, so the stored search text and the facet index are refreshed here.
    for chunk in _chunks(sorted(ids[record.external_id] for record in records), 5000):
        search.refresh_search_vectors(chunk)
    facet_index.forget()
    return ImportResult(created=len(new), updated=len(old))


def _update_providers(records: list[ProviderRecord], existing: dict[str, int]) -> None:
    now = timezone.now()
    by_fields: dict[tuple[str, ...], list[Provider]] = {}
    for record in records:
        provider = Provider(pk=existing[record.external_id], updated=now, **record.values)
        by_fields.setdefault(tuple(sorted(record.values)), []).append(provider)
    for fields, providers in by_fields.items():
        Provider.objects.bulk_update(providers, [*fields, "updated"], batch_size=BATCH)


def _replace_terms(records: list[ProviderRecord], ids: dict[str, int], updated_ids: list[int]) -> None:
    for column, model in TERM_COLUMNS.items():
        given = [record for record in records if column in record.terms]
        if not given:
            continue
        through = Provider._meta.get_field(column).remote_field.through
        term_field = Provider._meta.get_field(column).m2m_reverse_field_name() + "_id"
        term_ids = dict(model.objects.values_list(model.key_field, "pk"))
        given_ids = {ids[record.external_id] for record in given}
        for chunk in _chunks(sorted(given_ids.intersection(updated_ids)), 500):
            through.objects.filter(provider_id__in=chunk).delete()
        links = [(ids[record.external_id], term_ids[key]) for record in given for key in record.terms[column]]
        insert_pairs(through, ["provider_id", term_field], links)


def _replace_licenses(records: list[ProviderRecord], ids: dict[str, int], updated_ids: set[int]) -> None:
    """Licenses the file keeps stay as they are (with staff's verification); the rest are replaced."""
    given = {ids[record.external_id]: record.licenses for record in records if record.licenses is not None}
    if not given:
        return
    type_ids = dict(CredentialType.objects.values_list("code", "pk"))
    wanted = {pk: {license.key: license for license in licenses} for pk, licenses in given.items()}
    current: dict[int, dict[tuple[str, str, str], License]] = {}
    for chunk in _chunks(sorted(updated_ids.intersection(given)), 500):
        for license in License.objects.filter(provider_id__in=chunk).select_related("credential_type"):
            current.setdefault(license.provider_id, {})[license.natural_key()] = license

    gone, changed, added = [], [], []
    for pk, licenses in wanted.items():
        held = current.get(pk, {})
        gone.extend(license.pk for key, license in held.items() if key not in licenses)
        for key, record in licenses.items():
            license = held.get(key)
            if license is None:
                added.append(License(provider_id=pk, credential_type_id=type_ids[record.code],
                                     jurisdiction=record.jurisdiction, number=record.number,
                                     verified_on=record.verified_on))
            elif record.verified_on is None and license.verified_on is not None:
                license.verified_on, license.verified_by = None, None
                changed.append(license)
            elif record.verified_on is not None and license.verified_on is None:
                license.verified_on = record.verified_on
                changed.append(license)
    # Deleting first lets a license move from one provider in the file to another.
    for chunk in _chunks(gone, 500):
        License.objects.filter(pk__in=chunk).delete()
    License.objects.bulk_update(changed, ["verified_on", "verified_by"], batch_size=BATCH)
    insert(added)


def _replace_offices(records: list[ProviderRecord], ids: dict[str, int], updated_ids: set[int]) -> None:
    """The file's office replaces the provider's offices, unless it is already one of them (entered in the admin)."""
    given = {ids[record.external_id]: record.offices for record in records if record.offices is not None}
    if not given:
        return
    current: dict[int, list[Office]] = {}
    for chunk in _chunks(sorted(updated_ids.intersection(given)), 500):
        for office in Office.objects.filter(provider_id__in=chunk):
            current.setdefault(office.provider_id, []).append(office)

    gone, added = [], []
    for pk, offices in given.items():
        held = current.get(pk, [])
        places = {(o.address, o.city, o.jurisdiction, o.postal_code) for o in held}
        if offices and all(office.place in places for office in offices):
            continue
        gone.extend(office.pk for office in held)
        for record in offices:
            office = Office(provider_id=pk, address=record.address, city=record.city,
                            jurisdiction=record.jurisdiction, postal_code=record.postal_code,
                            latitude=record.latitude, longitude=record.longitude)
            office.fill_coordinates()
            added.append(office)
    for chunk in _chunks(gone, 500):
        Office.objects.filter(pk__in=chunk).delete()
    insert(added)


def insert(objects: list[models.Model], *, with_ids: bool = False) -> None:
    """Insert new rows of one model, setting their primary keys when with_ids.

    On PostgreSQL this is COPY, many times faster than INSERT for the hundred thousand rows a load test writes;
    elsewhere bulk_create. Like bulk_create, it calls neither save() nor signals.
    """
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH)
        return
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [meta.db_table, meta.pk.column, len(objects)])
            for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = pk
            fields = [meta.pk, *fields]
        rows = ([field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields] for obj in objects)
        _copy(cursor, meta.db_table, [field.column for field in fields], rows)


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


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Export ------------------------------------------------------------------------------


def export_rows() -> Iterator[list[str]]:
    """The header, then one row per provider (published or not), by external ID; lists sorted."""
    yield COLUMNS
    order = sorted(Provider.objects.values_list("external_id", "slug", "pk"))
    for chunk in _chunks([pk for *_, pk in order], 1000):
        providers = Provider.objects.filter(pk__in=chunk).prefetch_related(
            "licenses__credential_type", "offices", *TERM_COLUMNS
        )
        by_pk = {provider.pk: provider for provider in providers}
        for pk in chunk:
            yield provider_row(by_pk[pk])


def provider_row(provider: Provider) -> list[str]:
    office = min(provider.offices.all(), key=lambda office: office.pk, default=None)
    credentials = sorted(
        f"{license.credential_type.code}:{license.jurisdiction}:{license.number}"
        + (":verified" if license.verified_on else "")
        for license in provider.licenses.all()
    )
    values = {
        "credentials": LIST_SEPARATOR.join(credentials),
        **{column: LIST_SEPARATOR.join(sorted(term.key for term in getattr(provider, column).all()))
           for column in TERM_COLUMNS},
        **{column: ("" if getattr(provider, column) is None else f"{getattr(provider, column):.2f}")
           for column in FEE_COLUMNS},
        **{column: ("true" if getattr(provider, column) else "false") for column in BOOLEAN_COLUMNS},
        **{column: (getattr(provider, column).isoformat() if getattr(provider, column) else "")
           for column in DATE_COLUMNS},
        "address": office.address if office else "",
        "city": office.city if office else "",
        "state": office.jurisdiction if office else "",
        "postal_code": office.postal_code if office else "",
    }
    return [values[column] if column in values else str(getattr(provider, column)) for column in COLUMNS]


def write_csv(rows: Iterable[list[str]], handle: IO[str]) -> int:
    """Write rows; returns the number of providers (rows after the header)."""
    writer = csv.writer(handle, lineterminator="\n")
    count = -1
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def providers_without_external_id() -> int:
    """Providers entered in the admin without an external ID: exported, but import needs one to match them."""
    return Provider.objects.filter(external_id="").count()


def export_file(path: str) -> int:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        return write_csv(export_rows(), handle)
