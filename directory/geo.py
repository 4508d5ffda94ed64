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


@lru_cache(maxsize=4096)
def zip_centre(value: str) -> tuple[float, float] | None:
    """(latitude, longitude) of an active standard US ZIP code, or None where it has no centre."""
    code = normalize_zip(value)
    if code is None:
        return None
    try:
        matches = zipcodes.matching(code)
    except (ValueError, TypeError):
        return None
    # PO box, military and retired ZIPs have no useful centre for "near me".
    usable = [m for m in matches if m.get("active") and m.get("zip_code_type") == "STANDARD"] or matches
    for match in usable:
        try:
            return float(match["lat"]), float(match["long"])
        except (KeyError, TypeError, ValueError):
            continue
    return None


@lru_cache(maxsize=4096)
def zip_state(value: str) -> str | None:
    """Two-letter state of a US ZIP code, or None."""
    code = normalize_zip(value)
    if code is None:
        return None
    try:
        matches = zipcodes.matching(code)
    except (ValueError, TypeError):
        return None
    return matches[0]["state"] if matches else None


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
