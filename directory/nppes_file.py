"""Files in the NPI registry's format (all 330 columns of nppes_header.csv, every value quoted), made up: for the
import's tests (rows written one by one) and for measuring it (millions of rows of the monthly file's mix).

Every NPI made here passes the check digit; names, addresses and license numbers are fictional; phone numbers are
in the 555-0100 to 555-0199 range reserved for fiction.
"""

from __future__ import annotations

import contextlib
import csv
import io
import random
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from .npi import check_digit

HEADER_FILE = Path(__file__).with_name("nppes_header.csv")


def header() -> list[str]:
    with HEADER_FILE.open(encoding="ascii", newline="") as file:
        return next(csv.reader(file))


def npi(serial: int) -> str:
    """The serial-th valid NPI (serial below 900,000,000)."""
    first_nine = str(100_000_000 + serial)
    return first_nine + str(check_digit(first_nine))


def quoted(values: Iterable[str]) -> str:
    """One line of the file: every value quoted, a quote inside one doubled."""
    return ",".join('"' + value.replace('"', '""') + '"' for value in values) + "\r\n"


def row(position: dict[str, int], values: dict[str, str]) -> list[str]:
    """A row with these values by column name (position: each column's place), the rest empty."""
    out = [""] * len(position)
    for name, value in values.items():
        if name in position:  # an older file's header may lack a column (Certification Date)
            out[position[name]] = value
    return out


def individual(serial: int, first: str, last: str, taxonomies: list[tuple[str, str, str]], *,
               credential: str = "", sex: str = "F", city: str = "AUSTIN", state: str = "TX",
               postal_code: str = "787011234", phone: str = "5125550142", address: str = "100 CONGRESS AVE",
               **more: str) -> dict[str, str]:
    """An individual's values: taxonomies as (code, license number, license state), the first primary."""
    values = {
        "NPI": npi(serial), "Entity Type Code": "1", "Provider Last Name (Legal Name)": last,
        "Provider First Name": first, "Provider Credential Text": credential, "Provider Sex Code": sex,
        "Provider First Line Business Mailing Address": "PO BOX 1", "Provider Business Mailing Address City Name": city,
        "Provider Business Mailing Address State Name": state,
        "Provider Business Mailing Address Postal Code": postal_code,
        "Provider Business Mailing Address Country Code (If outside U.S.)": "US",
        "Provider First Line Business Practice Location Address": address,
        "Provider Business Practice Location Address City Name": city,
        "Provider Business Practice Location Address State Name": state,
        "Provider Business Practice Location Address Postal Code": postal_code,
        "Provider Business Practice Location Address Country Code (If outside U.S.)": "US",
        "Provider Business Practice Location Address Telephone Number": phone,
        "Provider Enumeration Date": "05/23/2005", "Last Update Date": "07/08/2021",
    }
    for n, (code, number, license_state) in enumerate(taxonomies, start=1):
        values[f"Healthcare Provider Taxonomy Code_{n}"] = code
        values[f"Provider License Number_{n}"] = number
        values[f"Provider License Number State Code_{n}"] = license_state
        values[f"Healthcare Provider Primary Taxonomy Switch_{n}"] = "Y" if n == 1 else "N"
    return {**values, **more}


def organization(serial: int, name: str, code: str = "261QM0801X") -> dict[str, str]:
    return {"NPI": npi(serial), "Entity Type Code": "2", "Provider Organization Name (Legal Business Name)": name,
            "Healthcare Provider Taxonomy Code_1": code, "Healthcare Provider Primary Taxonomy Switch_1": "Y",
            "Provider Business Practice Location Address City Name": "AUSTIN",
            "Provider Business Practice Location Address State Name": "TX"}


def deactivated(serial: int, on: str = "01/15/2026") -> dict[str, str]:
    """A deactivated NPI as the monthly file gives it: the NPI and the date, every other value empty."""
    return {"NPI": npi(serial), "NPI Deactivation Date": on}


@contextlib.contextmanager
def opened(path: str | Path) -> Iterator[TextIO]:
    """A text file to write lines to; a .zip path gets a ZIP as CMS publishes it (the data CSV and a small
    "fileheader" CSV beside it)."""
    path = Path(path)
    if path.suffix.lower() != ".zip":
        with path.open("w", encoding="utf-8", newline="") as file:
            yield file
        return
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("npidata_pfile_20050523-20261109_fileheader.csv", HEADER_FILE.read_text(encoding="ascii"))
        with (archive.open("npidata_pfile_20050523-20261109.csv", "w", force_zip64=True) as raw,
              io.TextIOWrapper(raw, encoding="utf-8", newline="") as file):
            yield file


def write(path: str | Path, rows: Iterable[dict[str, str]], columns: list[str] | None = None) -> None:
    """A file of these rows (values by column name) under the header (default: the registry's)."""
    columns = columns or header()
    position = {name: n for n, name in enumerate(columns)}
    with opened(path) as file:
        file.write(quoted(columns))
        for values in rows:
            file.write(quoted(row(position, values)))


# --- Millions of rows, in the monthly file's mix ------------------------------------------

BEHAVIORAL = [  # (code, credential texts, weight): about the registry's mix of mental-health clinicians
    ("1041C0700X", ["LCSW", "L.C.S.W.", "LCSW-C", "MSW, LCSW"], 30),
    ("101YP2500X", ["LPC", "M.A., LPC", "LPC, NCC"], 20),
    ("101YM0800X", ["LMHC", "MA, LMHC"], 8),
    ("106H00000X", ["LMFT", "MFT", "M.S., LMFT"], 12),
    ("103T00000X", ["PHD", "Ph.D.", "PSYD", "Psy.D.", "Ph.D., ABPP"], 8),
    ("103TC0700X", ["PHD", "PsyD"], 5),
    ("2084P0800X", ["MD", "M.D.", "DO", "D.O."], 10),
    ("363LP0808X", ["PMHNP-BC", "APRN", "NP"], 7),
]
OTHER = ["207Q00000X", "207R00000X", "363LF0000X", "225100000X", "122300000X", "183500000X", "111N00000X"]
FIRST = ["MARIA", "JAMES", "LINDA", "ROBERT", "ANA", "DAVID", "SARAH", "MICHAEL", "NGUYEN", "PRIYA", "OMAR", "GRACE"]
LAST = ["SMITH", "GARCIA", "JOHNSON", "LEE", "O'BRIEN", "PATEL", "KIM", "NGUYEN", "WILLIAMS", "LOPEZ", "CHEN",
        "DAVIS", "MARTINEZ", "BROWN", "TAYLOR", "WILSON", "ANDERSON", "THOMAS", "JACKSON", "WHITE"]
PLACES = [("AUSTIN", "TX", "78701"), ("NEW YORK", "NY", "10001"), ("CHICAGO", "IL", "60601"),
          ("SEATTLE", "WA", "98101"), ("DENVER", "CO", "80202"), ("MIAMI", "FL", "33101"),
          ("BOSTON", "MA", "02108"), ("PHOENIX", "AZ", "85001"), ("ATLANTA", "GA", "30303"),
          ("PORTLAND", "OR", "97201")]


def mix(rows: int, kept_share: float, seed: int = 1, deactivated_share: float = 0.02,
        first_serial: int = 0) -> Iterator[dict[str, str]]:
    """rows made-up rows: kept_share behavioral-health individuals, deactivated_share deactivated NPIs, and the
    rest other individuals (family medicine, dentists, ...) and organizations."""
    rng = random.Random(seed)
    codes = [code for code, _, weight in BEHAVIORAL for _ in range(weight)]
    texts = {code: credentials for code, credentials, _ in BEHAVIORAL}
    for n in range(rows):
        serial = first_serial + n
        draw = rng.random()
        if draw < deactivated_share:
            yield deactivated(serial)
            continue
        city, state, postal = rng.choice(PLACES)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if draw < deactivated_share + kept_share:
            code = rng.choice(codes)
            taxonomies = [(code, f"{state}{serial:08d}", state)]
            if rng.random() < 0.1:  # licensed in a second state too
                other = rng.choice(PLACES)[1]
                taxonomies.append((code, f"{other}{serial:08d}", other))
            yield individual(serial, first, last, taxonomies, credential=rng.choice(texts[code]),
                             sex=rng.choice("MFF"), city=city, state=state, postal_code=postal + f"{n % 10000:04d}",
                             phone=f"{rng.randint(201, 989)}55501{rng.randint(0, 99):02d}",
                             address=f"{rng.randint(1, 9999)} MAIN ST")
        elif draw < 0.8:
            yield individual(serial, first, last, [(rng.choice(OTHER), f"X{serial:09d}", state)],
                             credential=rng.choice(["MD", "DDS", "RN", "PT", "DC"]), sex=rng.choice("MF"), city=city,
                             state=state, postal_code=postal, phone=f"{rng.randint(201, 989)}5550100",
                             address=f"{rng.randint(1, 9999)} ELM ST")
        else:
            yield {**organization(serial, f"{last} FAMILY CLINIC LLC", rng.choice(OTHER)),
                   "Provider Business Practice Location Address Postal Code": postal}
