"""Importing the NPI registry (NPPES): CMS's monthly full file, or a weekly update, into basic listings.

Individuals (entity type 1) listed under a behavioral-health taxonomy code (RegistryTaxonomy, which editors
extend) become providers keyed by their NPI, marked as the registry's (Provider.source) and unpublished unless
asked. Organizations (entity type 2) are skipped: an individual's row names no organization it works for (the
file has no link between the two; "Provider Other Organization Name" is an individual's own trade name, rarely
given), so a practice name taken from an organization's row would be a guess. A row with an NPI deactivation
date and no later reactivation unpublishes the listing; the next active row puts it back as it was.

The file is read as a stream, one batch of rows at a time: memory stays the same whatever its size. Most of its
eight million rows are not behavioral health, and are passed over by a look at the raw line before any parsing.
The registry writes only what is its own (writing.registry_changes(), License and Office.from_registry), through
writing.write_providers(), in one transaction; a bad row is reported by its line and skipped.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import multiprocessing
import os
import queue
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from .jurisdictions import US_STATES
from .models import CredentialType, License, Provider, RegistryTaxonomy
from .npi import npi_problem
from .writing import (
    LicenseRecord,
    OfficeRecord,
    ProviderRecord,
    license_holders,
    printable,
    registry_changes,
    write_providers,
)

BATCH = 2000
PROGRESS_SECONDS = 3

NPI = "NPI"
ENTITY = "Entity Type Code"
LAST_NAME = "Provider Last Name (Legal Name)"
FIRST_NAME = "Provider First Name"
CREDENTIAL = "Provider Credential Text"
ADDRESS = "Provider First Line Business Practice Location Address"
CITY = "Provider Business Practice Location Address City Name"
STATE = "Provider Business Practice Location Address State Name"
POSTAL_CODE = "Provider Business Practice Location Address Postal Code"
PHONE = "Provider Business Practice Location Address Telephone Number"
DEACTIVATED = "NPI Deactivation Date"
REACTIVATED = "NPI Reactivation Date"
SEX = ("Provider Sex Code", "Provider Gender Code")  # recent files, older files
SLOTS = range(1, 16)
TAXONOMY, LICENSE, LICENSE_STATE = (
    "Healthcare Provider Taxonomy Code_{}", "Provider License Number_{}", "Provider License Number State Code_{}"
)
REQUIRED = (NPI, ENTITY, LAST_NAME, FIRST_NAME, CREDENTIAL, ADDRESS, CITY, STATE, POSTAL_CODE, PHONE, DEACTIVATED,
            REACTIVATED, *(name.format(n) for n in SLOTS for name in (TAXONOMY, LICENSE, LICENSE_STATE)))

GENDERS = {"M": Provider.Gender.MAN, "F": Provider.Gender.WOMAN}
# The provider fields the registry gives: each is its own only under writing.registry_changes().
OWNED = ("name", "gender", "phone", "published")
LICENSE_NUMBER_LENGTH = License._meta.get_field("number").max_length


class InvalidFile(Exception):
    """The file cannot be read as an NPPES data file: nothing was imported."""


@dataclass
class Summary:
    """What a run did (or, dry, would do), counted as it goes."""

    size: int = 0  # bytes in the file (the CSV inside a ZIP); the registry's text is ASCII, a byte a character
    position: int = 0  # characters read so far
    read: int = 0
    kept: int = 0  # rows for this directory: a mapped taxonomy, or a deactivation
    created: int = 0
    updated: int = 0
    unpublished: int = 0
    organizations: int = 0
    unknown_deactivated: int = 0  # deactivations of NPIs nobody lists here
    skipped: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return max(time.monotonic() - self.started, 1e-6)

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds

    @property
    def eta_seconds(self) -> float | None:
        if not self.position or not self.size:
            return None
        return max(self.size - self.position, 0) * self.seconds / self.position


@dataclass
class Listing:
    line: int
    npi: str
    wanted: dict[str, object]
    licenses: list[LicenseRecord]
    office: OfficeRecord | None


@dataclass
class Deactivation:
    line: int
    npi: str


# --- Opening the file ---------------------------------------------------------------------


@contextlib.contextmanager
def open_registry_file(path: str) -> Iterator[tuple[io.TextIOBase, int]]:
    """The data file's text and its size: the CSV itself, or the one large CSV in CMS's ZIP (not the small
    "fileheader" CSV beside it)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                members = [info for info in archive.infolist() if info.filename.lower().endswith(".csv")
                           and "fileheader" not in info.filename.lower()]
                if not members:
                    raise InvalidFile(f"{path} holds no CSV data file.")
                member = max(members, key=lambda info: info.file_size)
                with archive.open(member) as raw:
                    yield io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=""), member.file_size
            return
        size = os.path.getsize(path)
        with open(path, encoding="utf-8", errors="replace", newline="") as text:
            yield text, size
    except (OSError, zipfile.BadZipFile) as error:
        raise InvalidFile(f"Cannot read {path}: {error}.") from error


def records_of(text: io.TextIOBase, summary: Summary) -> Iterator[tuple[int, str]]:
    """(line number, raw record) for each record after the header; a quoted value may hold a line break."""
    number = 1
    pending, first = "", 0
    for line in text:
        number += 1
        summary.position += len(line)
        if pending:
            line = pending + line
        elif not line.strip():
            continue
        if line.count('"') % 2:  # inside a quoted value: the record goes on
            pending, first = line, first or number
            continue
        yield (first or number), line
        pending, first = "", 0
    if pending:
        yield first, pending


# --- Reading rows -------------------------------------------------------------------------


class Reader:
    """Turns the registry's rows into listings and deactivations, by column name."""

    def __init__(self, header: list[str], taxonomies: dict[str, RegistryTaxonomy], credential_codes: dict[int, str]):
        header = [name.strip().lstrip("\ufeff") for name in header]
        missing = [name for name in REQUIRED if name not in header]
        sex = next((name for name in SEX if name in header), None)
        if sex is None:
            missing.append(SEX[0])
        if missing:
            shown = ", ".join(f'"{name}"' for name in missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise InvalidFile(f"The file lacks the column{'s' if len(missing) > 1 else ''} {shown}: it is not an "
                              "NPPES data file (https://download.cms.gov/nppes/NPI_Files.html). Nothing was imported.")
        self.width = len(header)
        self.at = {name: header.index(name) for name in (*REQUIRED, sex)}
        self.sex = self.at[sex]
        self.slots = [(self.at[TAXONOMY.format(n)], self.at[LICENSE.format(n)], self.at[LICENSE_STATE.format(n)])
                      for n in SLOTS]
        self.taxonomies = taxonomies
        self.credential_codes = credential_codes
        self.codes = tuple(taxonomies)
        # Deactivated NPIs in the monthly file have no entity type: the raw line shows it when it comes second.
        self.entity_second = self.at[NPI] == 0 and self.at[ENTITY] == 1

    def worth_parsing(self, line: str) -> bool:
        """A look at the raw line: it may name a mapped taxonomy code, or be a deactivated NPI's."""
        for code in self.codes:
            if code in line:
                return True
        if not self.entity_second:
            return True
        comma = line.find(",")
        return line.startswith(('"",', ","), comma + 1)

    def read(self, line: int, row: list[str]) -> Listing | Deactivation | str | None:
        """The row as a listing or a deactivation, a problem in words, or None for a row that is not ours."""
        npi = row[self.at[NPI]].strip() if row else ""
        if len(row) != self.width:
            return f"line {line}: NPI {npi or '?'}: {len(row)} values where the header has {self.width}"
        problem = npi_problem(npi)
        if problem:
            return f"line {line}: NPI {npi}: {problem}"
        deactivated, reactivated = self.date(row, DEACTIVATED), self.date(row, REACTIVATED)
        if "" in (deactivated, reactivated):
            return f"line {line}: NPI {npi}: a deactivation or reactivation date is not MM/DD/YYYY"
        if deactivated and not (reactivated and reactivated >= deactivated):
            return Deactivation(line, npi)
        entity = row[self.at[ENTITY]].strip()
        if entity == "2":
            return None
        if entity != "1":
            return f"line {line}: NPI {npi}: entity type {entity!r} is neither 1 (individual) nor 2 (organization)"
        return self.listing(line, npi, row)

    def listing(self, line: int, npi: str, row: list[str]) -> Listing | str | None:
        credential_text = row[self.at[CREDENTIAL]]
        licenses, mapped, unusable = {}, False, []
        for code_at, number_at, state_at in self.slots:
            taxonomy = self.taxonomies.get(row[code_at].strip().upper())
            if taxonomy is None:
                continue
            mapped = True
            number, state = printable(row[number_at]).strip(), row[state_at].strip().upper()
            if not number:
                unusable.append(f"{taxonomy.code} has no license number")
            elif state not in US_STATES:
                unusable.append(f"{taxonomy.code} license {number}: {state or 'no state'} is not a US jurisdiction")
            elif len(number) > LICENSE_NUMBER_LENGTH or ":" in number or ";" in number:
                unusable.append(f"{taxonomy.code} license number {number!r} is not one this directory can hold")
            else:
                code = self.credential_codes[taxonomy.credential_for(credential_text)]
                licenses.setdefault((code, state, number), LicenseRecord(code, state, number))
        if not mapped:
            return None
        if not licenses:
            return f"line {line}: NPI {npi}: skipped, no license to list: {'; '.join(unusable)}"
        name = " ".join(part for part in (self.name_part(row, FIRST_NAME), self.name_part(row, LAST_NAME)) if part)
        if not name:
            return f"line {line}: NPI {npi}: skipped, no name"
        wanted: dict[str, object] = {"name": name[:200]}
        gender = GENDERS.get(row[self.sex].strip().upper())
        if gender:
            wanted["gender"] = gender
        phone = row[self.at[PHONE]].strip()
        if len(phone) == 10 and phone.isascii() and phone.isdigit():
            wanted["phone"] = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
        return Listing(line, npi, wanted, list(licenses.values()), self.office(row))

    def name_part(self, row: list[str], column: str) -> str:
        part = " ".join(printable(row[self.at[column]]).split())
        # The registry writes most names in capitals: "JANE O'NEIL-SMITH" reads as Jane O'Neil-Smith.
        return part.title() if part.isupper() else part

    def office(self, row: list[str]) -> OfficeRecord | None:
        """The practice location, in a US jurisdiction with a city; the ZIP+4 is trimmed to the ZIP code."""
        city = " ".join(printable(row[self.at[CITY]]).split()).title()
        state = row[self.at[STATE]].strip().upper()
        if not city or state not in US_STATES or len(city) > 100:
            return None
        address = " ".join(printable(row[self.at[ADDRESS]]).split())
        address = address.title() if address.isupper() else address
        digits = row[self.at[POSTAL_CODE]].strip().replace("-", "")
        postal_code = digits[:5] if len(digits) in (5, 9) and digits.isascii() and digits.isdigit() else ""
        return OfficeRecord(address=address[:200], city=city, jurisdiction=state, postal_code=postal_code)

    @staticmethod
    def date_text(value: str) -> datetime.date | str | None:
        value = value.strip()
        if not value:
            return None
        try:
            return datetime.datetime.strptime(value, "%m/%d/%Y").date()
        except ValueError:
            return ""

    def date(self, row: list[str], column: str) -> datetime.date | str | None:
        """The date in the column; None when empty, "" when it is not a date."""
        return self.date_text(row[self.at[column]])


# --- Importing ----------------------------------------------------------------------------


def import_registry(path: str, *, publish: bool = False, dry_run: bool = False,
                    report: Callable[[str], None] = lambda problem: None,
                    progress: Callable[[Summary], None] | None = None) -> Summary:
    """Import the file: one transaction; bad rows reported (report("line N: ...")) and skipped. Dry, the same
    reading and checks, and nothing written. progress(summary) is called every few seconds.

    A child process reads and checks the rows while this one writes them, so that the two use both cores; it
    sends what it found a batch at a time, through a short queue (memory stays bounded).
    """
    summary = Summary()
    taxonomies = {taxonomy.code: taxonomy for taxonomy in RegistryTaxonomy.objects.all()}
    if not taxonomies:
        raise InvalidFile("No registry taxonomy codes are set up (load the taxonomy fixture): nothing to import.")
    with open_registry_file(path) as (text, _):
        reader = Reader(next(csv.reader([text.readline()]), []), taxonomies,
                        dict(CredentialType.objects.values_list("pk", "code")))
    context = multiprocessing.get_context("fork")
    found: multiprocessing.Queue = context.Queue(maxsize=4)
    child = context.Process(target=_read_rows, args=(path, reader, found), daemon=True)
    child.start()
    try:
        with transaction.atomic():
            batch: dict[str, Listing | Deactivation] = {}
            shown = time.monotonic()
            while True:
                message = _next_message(found, child)
                if isinstance(message, str):
                    raise InvalidFile(message)
                if message is None:
                    break
                items, problems, counts, (summary.position, summary.size) = message
                for name, value in counts.items():
                    setattr(summary, name, getattr(summary, name) + value)
                for problem in problems:
                    report(problem)
                for item in items:
                    batch[item.npi] = item  # the same NPI twice in a batch: the later row is the registry's word
                    if len(batch) >= BATCH:
                        _import_batch(list(batch.values()), summary, publish=publish, dry_run=dry_run,
                                      report=report)
                        batch = {}
                if progress and time.monotonic() - shown >= PROGRESS_SECONDS:
                    progress(summary)
                    shown = time.monotonic()
            _import_batch(list(batch.values()), summary, publish=publish, dry_run=dry_run, report=report)
            if dry_run:
                transaction.set_rollback(True)
    finally:
        if child.is_alive():
            child.kill()
        child.join()
    return summary


def _next_message(found: multiprocessing.Queue, child: multiprocessing.Process):
    """The reader's next message; if it died without a word, a message saying so."""
    while True:
        try:
            return found.get(timeout=1)
        except queue.Empty:
            if not child.is_alive():
                return f"Reading the file stopped (exit code {child.exitcode}): nothing was imported."


def _read_rows(path: str, reader: Reader, found: multiprocessing.Queue) -> None:
    """In the child process: read and check every row, and send (kept items, problems, counts) a batch at a time,
    then None when done, or a message when the file cannot be read. It never touches the database."""
    items: list[Listing | Deactivation] = []
    problems: list[str] = []
    counts = dict.fromkeys(("read", "kept", "skipped", "organizations"), 0)  # since the last message
    where = Summary()  # how far into the file

    def send() -> None:
        found.put((items.copy(), problems.copy(), counts.copy(), (where.position, where.size)))
        items.clear()
        problems.clear()
        counts.update(dict.fromkeys(counts, 0))

    try:
        with open_registry_file(path) as (text, size):
            where.size = size
            where.position += len(text.readline())  # the header, which import_registry() checked
            for line, raw in records_of(text, where):
                counts["read"] += 1
                if counts["read"] >= 20_000:
                    send()
                if not reader.worth_parsing(raw):
                    continue
                try:
                    row = next(csv.reader([raw], strict=True))
                except (csv.Error, StopIteration) as error:
                    counts["skipped"] += 1
                    problems.append(f"line {line}: not a well-formed CSV row ({error})")
                    continue
                item = reader.read(line, row)
                if item is None:
                    counts["organizations"] += row[reader.at[ENTITY]].strip() == "2"
                elif isinstance(item, str):
                    counts["skipped"] += 1
                    problems.append(item)
                else:
                    counts["kept"] += 1
                    items.append(item)
                    if len(items) >= BATCH:
                        send()
            send()
        found.put(None)
    except InvalidFile as error:
        found.put(str(error))
    except (OSError, EOFError, zipfile.BadZipFile, UnicodeError) as error:
        found.put(f"Reading {path} failed ({error}): nothing was imported.")
    finally:
        found.close()
        found.join_thread()


def _import_batch(found: list[Listing | Deactivation], summary: Summary, *, publish: bool, dry_run: bool,
                  report: Callable[[str], None]) -> None:
    if not found:
        return
    # The blank exclusion lets the database use the partial unique index on npi.
    matched = Provider.objects.exclude(npi="").filter(npi__in=[item.npi for item in found])
    current = {row["npi"]: row for row in matched.values("pk", "npi", "registry_values", *OWNED)}
    listings = [item for item in found if isinstance(item, Listing)]
    taken = _licenses_held_by_others(listings, current)
    records = []
    for item in found:
        now = current.get(item.npi)
        if isinstance(item, Deactivation):
            if now is None:
                summary.unknown_deactivated += 1
                continue
            last = {**now["registry_values"], "deactivated": True}
            if now["published"]:
                summary.unpublished += 1
            if now["published"] or last != now["registry_values"]:
                records.append(ProviderRecord("", {"published": False, "registry_values": last}, pk=now["pk"],
                                              line=item.line, from_registry=True))
            continue
        licenses = [license for license in item.licenses if license.key not in taken.get(item.npi, ())]
        if not licenses:
            summary.skipped += 1
            held = ", ".join(" ".join(license.key) for license in item.licenses)
            report(f"line {item.line}: NPI {item.npi}: skipped, its license ({held}) is another provider's here")
            continue
        records.append(_record(item, now, licenses, publish))
        if now is None:
            summary.created += 1
        else:
            summary.updated += 1
    if records and not dry_run:
        write_providers(records)


def _record(item: Listing, now: dict | None, licenses: list[LicenseRecord], publish: bool) -> ProviderRecord:
    """The provider record the listing writes: what registry_changes() lets it, with its licenses and office.

    A new listing is published only when asked (--publish). A listing the registry deactivated is published again
    when it is active again only if the registry had published it, or when asked.
    """
    wanted = {**item.wanted, "published": publish}
    if now is None:
        values = registry_changes(None, wanted)
    else:
        last = now["registry_values"]
        reactivated = bool(last.get("deactivated"))
        if reactivated:
            last = {name: value for name, value in last.items() if name != "deactivated"}
            now = {**now, "registry_values": last}
        wanted["published"] = publish or last.get("published", False)
        values = registry_changes(now, wanted)
        if reactivated:
            values["published"] = wanted["published"]
            values["registry_values"] = {**values.get("registry_values", last), "published": wanted["published"]}
    base = slugify(item.wanted["name"])[:180] or "provider"
    return ProviderRecord(
        "", values, licenses=licenses, offices=None if item.office is None else [item.office],
        create_defaults={"npi": item.npi, "source": Provider.Source.NPI_REGISTRY},
        pk=None if now is None else now["pk"], line=item.line, from_registry=True, slug_fallback=f"{base}-{item.npi}",
    )


def _licenses_held_by_others(listings: list[Listing], current: dict[str, dict]) -> dict[str, set[tuple]]:
    """For each NPI, the keys of its licenses another provider already holds (a license is one provider's), or
    that an earlier row of the batch lists."""
    wanted = {license.key: item.npi for item in reversed(listings) for license in item.licenses}
    taken: dict[str, set[tuple]] = {}
    for item in listings:
        for license in item.licenses:
            if wanted[license.key] != item.npi:
                taken.setdefault(item.npi, set()).add(license.key)
    holders = {row["pk"]: npi for npi, row in current.items()}
    for key, holder in license_holders(list(wanted)).items():
        if holders.get(holder) != wanted[key]:
            taken.setdefault(wanted[key], set()).add(key)
    return taken
