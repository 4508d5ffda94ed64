"""ZIP code centres and states (offline: a table made from the `zipcodes` package), and distances.

The table ships as directory/zip_centres.bin, made by `manage.py build_zip_table` from the pinned package:
four flat arrays (about 560 KB) read in a millisecond, where building it from the package took a new process
most of a second (and kept some 100 MB of dictionaries). gunicorn.conf.py reads it before forking, so the
workers share one copy.
"""

from __future__ import annotations

import bisect
import math
import re
import sys
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

EARTH_RADIUS_MILES = 3958.8
_ZIP = re.compile(r"^\d{5}$")
TABLE_FILE = Path(__file__).with_name("zip_centres.bin")
_MAGIC = b"zip centres v1\n"
_SCALE = 10_000  # coordinates are stored in 1/10,000 degree: the package's own precision
_NO_CENTRE = -(2**31)


def normalize_zip(value: str) -> str | None:
    """The five-digit ZIP in value ("78701" or "78701-1234"), or None when it is not one."""
    text = (value or "").strip()
    if _ZIP.match(text[:5]) and (len(text) == 5 or (len(text) == 10 and text[5] == "-" and text[6:].isdigit())):
        return text[:5]
    return None


@dataclass(frozen=True)
class ZipTable:
    """Every US ZIP code with its centre and state, in flat arrays sorted by code."""

    codes: array  # "I": the ZIP codes as numbers, ascending
    lats: array  # "i": latitude in 1/10,000 degree, or _NO_CENTRE
    lons: array  # "i": longitude, the same way
    states: bytes  # for each code, its state's index in state_codes
    state_codes: tuple[str, ...]

    def place(self, code: str) -> tuple[tuple[float, float] | None, str] | None:
        """(centre or None, state) of a five-digit ZIP code, or None when there is no such code."""
        number = int(code)
        i = bisect.bisect_left(self.codes, number)
        if i == len(self.codes) or self.codes[i] != number:
            return None
        lat = self.lats[i]
        centre = None if lat == _NO_CENTRE else (lat / _SCALE, self.lons[i] / _SCALE)
        return centre, self.state_codes[self.states[i]]

    def to_bytes(self) -> bytes:
        arrays = [array(a.typecode, a) for a in (self.codes, self.lats, self.lons)]
        if sys.byteorder == "big":
            for a in arrays:
                a.byteswap()
        header = _MAGIC + ",".join(self.state_codes).encode() + b"\n" + str(len(self.codes)).encode() + b"\n"
        return header + b"".join(a.tobytes() for a in arrays) + self.states

    @classmethod
    def from_bytes(cls, data: bytes) -> ZipTable:
        if not data.startswith(_MAGIC):
            raise ValueError("not a ZIP table (make one with manage.py build_zip_table)")
        states_line, count_line, body = data[len(_MAGIC):].split(b"\n", 2)
        count = int(count_line)
        arrays = []
        for i, typecode in enumerate("Iii"):
            a = array(typecode)
            a.frombytes(body[i * 4 * count:(i + 1) * 4 * count])
            if sys.byteorder == "big":
                a.byteswap()
            arrays.append(a)
        states = body[12 * count:]
        if len(states) != count:
            raise ValueError("the ZIP table is cut short")
        return cls(*arrays, states=states, state_codes=tuple(states_line.decode().split(",")))

    @classmethod
    def from_package(cls) -> ZipTable:
        """The table made from the `zipcodes` package (slow: it reads every entry as a dictionary)."""
        import zipcodes

        entries: dict[str, list[dict]] = {}
        for entry in zipcodes.list_all():
            entries.setdefault(entry["zip_code"], []).append(entry)
        places = sorted((code, _centre(matches), matches[0]["state"]) for code, matches in entries.items())
        state_codes = tuple(sorted({state for _, _, state in places}))
        index = {state: i for i, state in enumerate(state_codes)}
        return cls(
            codes=array("I", (int(code) for code, _, _ in places)),
            lats=array("i", (_NO_CENTRE if c is None else round(c[0] * _SCALE) for _, c, _ in places)),
            lons=array("i", (_NO_CENTRE if c is None else round(c[1] * _SCALE) for _, c, _ in places)),
            states=bytes(index[state] for _, _, state in places),
            state_codes=state_codes,
        )


def _centre(matches: list[dict]) -> tuple[float, float] | None:
    # PO box, military and retired ZIPs have no useful centre for "near me".
    usable = [m for m in matches if m.get("active") and m.get("zip_code_type") == "STANDARD"] or matches
    for match in usable:
        try:
            return float(match["lat"]), float(match["long"])
        except (KeyError, TypeError, ValueError):
            continue
    return None


@lru_cache(maxsize=1)
def table() -> ZipTable:
    """The shipped table, read once per process (or once before gunicorn forks its workers)."""
    return ZipTable.from_bytes(TABLE_FILE.read_bytes())


def warm() -> None:
    """Read the table now rather than at the first ZIP search (gunicorn.conf.py, before forking)."""
    table()


def zip_centre(value: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a US ZIP code, or None where it has no centre."""
    code = normalize_zip(value)
    place = table().place(code) if code else None
    return place[0] if place else None


def zip_state(value: str) -> str | None:
    """Two-letter state of a US ZIP code, or None."""
    code = normalize_zip(value)
    place = table().place(code) if code else None
    return place[1] if place else None


def distance_miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance in miles."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(centre: tuple[float, float], radius_miles: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing the circle: an indexable prefilter."""
    lat, lon = centre
    dlat = math.degrees(radius_miles / EARTH_RADIUS_MILES)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, math.degrees(radius_miles / (EARTH_RADIUS_MILES * cos_lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
