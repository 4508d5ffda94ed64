"""/api/providers/: the exact JSON shape of the contract, its pages, and its 400 and 404 answers."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701", "address": "100 Congress Ave"}


def test_a_provider_has_exactly_the_contract_shape_with_sorted_lists(client, make_provider, today):
    make_provider(
        "Ana Díaz",
        external_id="src-001",
        licenses=[("LPC", "NY", "N-1"), ("LCSW", "TX", "T-1", datetime.date(2026, 9, 30))],
        modalities=["cbt", "act"],
        conditions=["depression"],
        formats=["individual"],
        age_groups=["adults"],
        languages=["es", "en"],
        insurance=["aetna"],
        standard_fee=140,
        sliding_scale_min=40,
        sliding_scale_max=120,
        free_consultation=True,
        telehealth=True,
        offices=[AUSTIN],
        accepting_new_clients=True,
        accepting_confirmed=today - datetime.timedelta(days=20),
        next_opening=today + datetime.timedelta(days=7),
        evenings=True,
        last_verified=datetime.date(2026, 10, 1),
    )
    body = client.get("/api/providers/").json()
    assert body == {
        "count": 1, "page": 1, "pages": 1, "next": None, "previous": None,
        "results": [{
            "external_id": "src-001", "slug": "ana-diaz", "name": "Ana Díaz", "url": "/providers/ana-diaz/",
            "credentials": [
                {"code": "LCSW", "state": "TX", "verified": True},
                {"code": "LPC", "state": "NY", "verified": False},
            ],
            "can_prescribe": False, "licensed_states": ["NY", "TX"],
            "modalities": ["act", "cbt"], "conditions": ["depression"],
            "formats": ["individual"], "age_groups": ["adults"], "languages": ["en", "es"],
            "insurance": ["aetna"],
            "fees": {"standard": 140.0, "sliding_scale_min": 40.0, "sliding_scale_max": 120.0,
                     "lowest": 40.0, "free_consultation": True},
            "telehealth": True, "in_person": True,
            "offices": [{"city": "Austin", "state": "TX", "postal_code": "78701"}],
            "accepting_new_clients": True,
            "accepting_confirmed": (today - datetime.timedelta(days=20)).isoformat(),
            # Beyond the contract's shape: what availability means today, and when the provider sees people.
            "availability": "accepting", "next_opening": (today + datetime.timedelta(days=7)).isoformat(),
            "waitlist_weeks": None, "hours": {"weekday_daytime": False, "evenings": True, "weekends": False},
            "last_verified": "2026-10-01",
            "distance_miles": None,
            # Beyond the contract's shape too: the photo's address (null without one).
            "photo_url": None,
        }],
    }


def test_a_provider_without_fees_or_dates_has_nulls(client, make_provider):
    make_provider("Ben Roe", licenses=[("MD", "TX")], accepting_confirmed=None)
    result = client.get("/api/providers/").json()["results"][0]
    assert result["fees"] == {
        "standard": None, "sliding_scale_min": None, "sliding_scale_max": None, "lowest": None,
        "free_consultation": False,
    }
    assert (result["accepting_confirmed"], result["last_verified"]) == (None, None)
    assert result["availability"] == "unknown"  # never confirmed
    assert result["can_prescribe"] is True
    assert (result["in_person"], result["offices"]) == (False, [])


def test_a_standard_fee_alone_is_the_lowest_fee(client, make_provider):
    make_provider("Ben Roe", standard_fee="95.50")
    assert client.get("/api/providers/").json()["results"][0]["fees"]["lowest"] == 95.5


def test_pages_link_to_each_other_and_keep_the_filters(client, make_provider):
    for i in range(5):
        make_provider(f"Provider {i}", modalities=["cbt"])
    make_provider("Other", modalities=["dbt"])
    first = client.get("/api/providers/", {"modality": "cbt", "page_size": 2}).json()
    assert (first["count"], first["page"], first["pages"], first["previous"]) == (5, 1, 3, None)
    assert [r["name"] for r in first["results"]] == ["Provider 0", "Provider 1"]
    second = client.get(first["next"]).json()
    assert [r["name"] for r in second["results"]] == ["Provider 2", "Provider 3"]
    assert "modality=cbt" in second["previous"] and "page=1" in second["previous"]
    last = client.get(second["next"]).json()
    assert ([r["name"] for r in last["results"]], last["next"]) == (["Provider 4"], None)


def test_the_page_size_defaults_to_20(client, make_provider):
    for i in range(21):
        make_provider(f"Provider {i:02d}")
    body = client.get("/api/providers/").json()
    assert (len(body["results"]), body["pages"]) == (20, 2)


def test_a_page_past_the_end_is_not_found(client, make_provider):
    make_provider("Ana")
    response = client.get("/api/providers/", {"page": 2})
    assert response.status_code == 404
    assert "page" in response.json()["errors"]
    assert client.get("/api/providers/", {"page": 0}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"modality": ["cbt", "astrology"]}, "modality", "Unknown approach: astrology."),
        ({"condition": "boredom"}, "condition", "Unknown concern: boredom."),
        ({"credential": "xyz"}, "credential", "Unknown credential: XYZ."),
        ({"format": "solo"}, "format", "Unknown session format: solo."),
        ({"age_group": "toddlers"}, "age_group", "Unknown age group: toddlers."),
        ({"language": "klingon"}, "language", "Unknown language: klingon."),
        ({"insurance": "acme"}, "insurance", "Unknown insurance plan: acme."),
        ({"state": "ZZ"}, "state", "Unknown state or province: ZZ."),
        ({"max_fee": "cheap"}, "max_fee", "Enter the fee as a number of dollars, such as 80."),
        ({"max_fee": "-5"}, "max_fee", "Ensure this value is greater than or equal to 0."),
        ({"zip": "7870"}, "zip", "Enter a five-digit US ZIP code, such as 78701."),
        ({"zip": "00000"}, "zip", "We do not know where ZIP code 00000 is."),
        ({"zip": "78701", "radius": "0"}, "radius", "Choose a radius from 1 to 500 miles."),
        ({"zip": "78701", "radius": "501"}, "radius", "Choose a radius from 1 to 500 miles."),
        ({"radius": "far"}, "radius", "Enter the radius as a whole number of miles."),
        ({"page_size": "0"}, "page_size", "Choose a page size from 1 to 100."),
        ({"page_size": "101"}, "page_size", "Choose a page size from 1 to 100."),
        ({"page": "first"}, "page", "Enter the page as a whole number."),
        ({"sort": "distance"}, "sort", "Sorting by distance needs a ZIP code."),
        ({"sort": "random"}, "sort", "Sort by relevance, distance, fee, recent or name."),
        ({"telehealth": "maybe"}, "telehealth", "Use true or false."),
        ({"q": "x" * 201}, "q", "Ensure this value has at most 200 characters (it has 201)."),
        ({"q": "a\x00b"}, "q", "Null characters are not allowed."),
        ({"modality": "cb\x00t"}, "modality", "Null characters are not allowed."),
    ],
)
def test_an_invalid_value_is_a_400_naming_the_parameter(client, taxonomy, params, field, message):
    response = client.get("/api/providers/", params)
    assert response.status_code == 400
    assert response.json() == {"errors": {field: [message]}}


def test_every_invalid_parameter_is_reported_at_once(client, taxonomy):
    response = client.get("/api/providers/", {"zip": "abc", "max_fee": "x", "modality": "nope"})
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["max_fee", "modality", "zip"]


def test_unknown_parameters_are_ignored(client, make_provider):
    make_provider("Ana")
    response = client.get("/api/providers/", {"colour": "blue"})
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_api_only_answers_get(client, taxonomy):
    assert client.post("/api/providers/").status_code == 405


def _make_many(make_provider, count: int) -> None:
    for i in range(count):
        make_provider(
            f"Provider {i:03d}",
            licenses=[("LCSW", "TX"), ("MD", "NY")],
            modalities=["cbt", "act"], conditions=["depression"], formats=["individual"],
            age_groups=["adults"], languages=["en"], insurance=["aetna"],
            offices=[{"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}],
            standard_fee=100,
        )


def _queries(client, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/providers/", params)
    assert response.status_code == 200
    return len(queries)


def test_the_number_of_queries_for_a_page_does_not_grow_with_the_page_size(client, make_provider):
    _make_many(make_provider, 50)
    params = {"modality": "cbt", "zip": "78701", "sort": "fee"}
    _queries(client, params)  # the first request of a process reads the taxonomy into the cache
    small = _queries(client, {**params, "page_size": 5})
    large = _queries(client, {**params, "page_size": 50})
    assert small == large
    assert large <= 15
