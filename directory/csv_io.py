"""Providers to and from CSV in the public column format; directory.writing writes what an import reads.

Reading checks the whole file before anything is written: every problem is collected with its line number,
and one bad row means nothing is imported.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import DataError, IntegrityError
from django.utils import timezone

from . import geo
from .jurisdictions import CANADIAN_PROVINCES, US_STATES, normalize_jurisdiction
from .models import License, Office, Provider
from .taxonomy import KINDS, Snapshot, snapshot
from .wording import FALSE_WORDS, TRUE_WORDS
from .writing import (
    LicenseRecord,
    OfficeRecord,
    ProviderRecord,
    WriteResult,
    chunks,
    licenses_held_elsewhere,
    match,
    printable,
    write_providers,
)

COLUMNS: list[str] = [
    "external_id", "name", "pronouns", "gender", "practice_name", "bio", "credentials", "modalities",
    "conditions", "formats", "age_groups", "languages", "insurance", "standard_fee",
    "sliding_scale_min", "sliding_scale_max", "free_consultation", "telehealth",
    "accepting_new_clients", "accepting_confirmed", "address", "city", "state", "postal_code", "phone",
    "email", "website", "last_verified", "published",
]
REQUIRED_COLUMNS = ("external_id", "name")
OFFICE_COLUMNS = ("address", "city", "state", "postal_code")
# Column name (the Provider many-to-many relation it fills) -> the part of the taxonomy it names.
TERM_COLUMNS = {kind.csv_column: kind for kind in KINDS if kind.csv_column}
TEXT_COLUMNS = ("name", "pronouns", "practice_name", "bio", "phone", "email", "website")
LONG_TEXT_COLUMNS = ("bio",)
FEE_COLUMNS = ("standard_fee", "sliding_scale_min", "sliding_scale_max")
BOOLEAN_COLUMNS = ("free_consultation", "telehealth", "accepting_new_clients", "published")
DATE_COLUMNS = ("accepting_confirmed", "last_verified")

LIST_SEPARATOR = ";"
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection). Export writes
# such a cell behind an apostrophe, which spreadsheets read as "text", and import takes that apostrophe away.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_CELL_CHARS = 10_000
MAX_FEE = Decimal("99999.99")

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
    taxonomy = snapshot()
    records: list[ProviderRecord] = []
    for line, cells in rows:
        record, row_problems = parse_row(line, dict(zip(header, cells, strict=True)), taxonomy)
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


def parse_row(line: int, row: dict[str, str], taxonomy: Snapshot) -> tuple[ProviderRecord | None, list[str]]:
    """The record a row describes and the problems with it (the record is None when there are any)."""
    problems: list[str] = []
    cells: dict[str, str] = {}
    for column, raw in row.items():
        if len(raw) > MAX_CELL_CHARS:
            problems.append(f"{column}: longer than {MAX_CELL_CHARS:,} characters.")
        elif "\x00" in raw:
            problems.append(f"{column}: contains a NUL character (byte 0), which cannot be stored.")
        else:
            cells[column] = _cell(column, raw)
    if problems:
        return None, problems

    for column in REQUIRED_COLUMNS:
        if not cells.get(column):
            problems.append(f"{column}: required, but empty.")
    # A row holds one office: when it is already the provider's, offices entered in the admin stay.
    record = ProviderRecord(external_id=cells.get("external_id", ""), line=line, offices_partial=True)
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

    for column, kind in TERM_COLUMNS.items():
        if column in cells:
            record.terms[column] = _keys(column, cells[column], set(taxonomy.by_key(kind.param)), problems)
    if "credentials" in cells:
        verified_on = values.get("last_verified") or timezone.localdate()
        record.licenses = _licenses(cells["credentials"], set(taxonomy.by_key("credential")), verified_on, problems)
    if any(column in cells for column in OFFICE_COLUMNS):
        record.offices = _offices({column: cells.get(column, "") for column in OFFICE_COLUMNS}, problems)
    return (None if problems else record), problems


def _cell(column: str, raw: str) -> str:
    """What a cell says: trimmed, without export's apostrophe (unguarded()) and without control characters, but
    for the line breaks and tabs of long text."""
    long_text = column in LONG_TEXT_COLUMNS
    value = printable(unguarded(raw.strip()), long_text=long_text)
    return value if long_text else value.strip()


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

    for held in licenses_held_elsewhere(records):
        problems.append(f"line {records[held.index].line}: license {':'.join(held.license.key)} already belongs to "
                        f"another provider, {held.holder_name} ({held.holder_external_id or 'no external ID'}).")
    return problems


# --- Importing ---------------------------------------------------------------------------


def import_file(path: str, *, dry_run: bool = False) -> WriteResult:
    """Read and check the whole file, then write it in one transaction (or only count, for a dry run)."""
    records = read_file(path)
    if dry_run:
        updated = sum(pk is not None for pk in match(records))
        return WriteResult(created=len(records) - updated, updated=updated)
    try:
        return write_providers(records)
    except (IntegrityError, DataError) as error:
        # Checking the file should leave nothing for the database to refuse; if it does, say so plainly.
        raise InvalidFile([f"The database refused the import, and nothing was written: {error}"]) from error


# --- Export ------------------------------------------------------------------------------


def export_rows() -> Iterator[list[str]]:
    """The header, then one row per provider (published or not), by external ID; lists sorted."""
    yield COLUMNS
    order = sorted(Provider.objects.values_list("external_id", "slug", "pk"))
    for chunk in chunks([pk for *_, pk in order], 1000):
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
    return [guarded(values[column] if column in values else str(getattr(provider, column))) for column in COLUMNS]


def guarded(cell: str) -> str:
    """The cell as export writes it: behind an apostrophe when a spreadsheet would run it as a formula, or when
    it begins with an apostrophe itself (so that unguarded() gives back exactly what was there)."""
    return TEXT_MARK + cell if cell.startswith((*FORMULA_STARTS, TEXT_MARK)) else cell


def unguarded(cell: str) -> str:
    """The cell as it was before guarded(): one apostrophe less before a formula's start or another apostrophe.
    An apostrophe before anything else is the value's own."""
    if cell.startswith(TEXT_MARK) and cell[1:].startswith((*FORMULA_STARTS, TEXT_MARK)):
        return cell[1:]
    return cell


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
