"""ZIP code centres (offline, from the `zipcodes` package) and distances."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import zipcodes

EARTH_RADIUS_MILES = 3958.8
_ZIP = re.compile(r"^\d{5}$")


def normalize_zip(value: str) -> str | None:
    """The five-digit ZIP in value ("78701" or "78701-1234"), or None when it is not one."""
    text = (value or "").strip()
    if _ZIP.match(text[:5]) and (len(text) == 5 or (len(text) == 10 and text[5] == "-" and text[6:].isdigit())):
        return text[:5]
    return None


@lru_cache(maxsize=1)
def _places() -> dict[str, tuple[tuple[float, float] | None, str]]:
    """ZIP code -> (centre, state), built once: zipcodes.matching scans its whole list on every call."""
    entries: dict[str, list[dict]] = {}
    for entry in zipcodes.list_all():
        entries.setdefault(entry["zip_code"], []).append(entry)
    return {code: (_centre(matches), matches[0]["state"]) for code, matches in entries.items()}


def _centre(matches: list[dict]) -> tuple[float, float] | None:
    # PO box, military and retired ZIPs have no useful centre for "near me".
    usable = [m for m in matches if m.get("active") and m.get("zip_code_type") == "STANDARD"] or matches
    for match in usable:
        try:
            return float(match["lat"]), float(match["long"])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def zip_centre(value: str) -> tuple[float, float] | None:
    """(latitude, longitude) of an active standard US ZIP code, or None where it has no centre."""
    code = normalize_zip(value)
    place = _places().get(code) if code else None
    return place[0] if place else None


def zip_state(value: str) -> str | None:
    """Two-letter state of a US ZIP code, or None."""
    code = normalize_zip(value)
    place = _places().get(code) if code else None
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
