"""US states (and DC, territories) and Canadian provinces: the jurisdictions a license is issued in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}

CANADIAN_PROVINCES: dict[str, str] = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}

JURISDICTIONS: dict[str, str] = {**US_STATES, **CANADIAN_PROVINCES}
JURISDICTION_CHOICES: list[tuple[str, str]] = sorted(JURISDICTIONS.items(), key=lambda item: item[1])
COUNTRIES: tuple[tuple[str, dict[str, str]], ...] = (("United States", US_STATES), ("Canada", CANADIAN_PROVINCES))


def by_country(items: Iterable[T], code: Callable[[T], str] = str) -> list[tuple[str, list[T]]]:
    """The items in two groups, the United States and then Canada, each in the order given.

    A list people choose their place from: a person in the US finds their state without passing the provinces
    (Alberta between Alaska and Arizona), and a person in Canada finds their province in its own group.
    """
    items = list(items)
    return [(country, [item for item in items if code(item) in members]) for country, members in COUNTRIES]


# Grouped choices: a select shows them under "United States" and "Canada".
JURISDICTION_GROUPS: list[tuple[str, list[tuple[str, str]]]] = by_country(JURISDICTION_CHOICES, lambda c: c[0])


def normalize_jurisdiction(value: str) -> str | None:
    """The two-letter code for value (any case, surrounding space ignored), or None if unknown."""
    code = (value or "").strip().upper()
    return code if code in JURISDICTIONS else None


def jurisdiction_name(code: str) -> str:
    return JURISDICTIONS.get((code or "").upper(), code)
