"""The query methods every search, API and fit-finder filter is built from."""

from __future__ import annotations

from decimal import Decimal

import pytest

from directory import geo
from directory.models import Provider

pytestmark = pytest.mark.django_db

AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}
ROUND_ROCK = {"city": "Round Rock", "jurisdiction": "TX", "postal_code": "78664"}
DALLAS = {"city": "Dallas", "jurisdiction": "TX", "postal_code": "75201"}


def names(queryset) -> list[str]:
    return sorted(queryset.values_list("name", flat=True))


def test_any_of_several_modalities_matches_and_nothing_is_duplicated(make_provider):
    make_provider("Ana", modalities=["cbt", "act"])
    make_provider("Ben", modalities=["dbt"])
    make_provider("Cy", modalities=["emdr"])
    assert list(Provider.objects.offering(["cbt", "act", "dbt"]).values_list("name", flat=True)) == ["Ana", "Ben"]
    assert names(Provider.objects.offering([])) == ["Ana", "Ben", "Cy"]


def test_a_treatment_resistant_depression_specialist_counts_for_depression(make_provider):
    make_provider("Ana", conditions=["treatment-resistant-depression"])
    make_provider("Ben", conditions=["depression"])
    make_provider("Cy", conditions=["anxiety"])
    assert names(Provider.objects.specializing_in(["depression"])) == ["Ana", "Ben"]
    assert names(Provider.objects.specializing_in(["treatment-resistant-depression"])) == ["Ana"]


def test_credentials_match_case_insensitively_and_prescribers_are_those_who_can_prescribe(make_provider):
    make_provider("Ana", licenses=[("LCSW", "TX")])
    make_provider("Ben", licenses=[("PMHNP", "TX"), ("LPC", "NY")])
    assert names(Provider.objects.holding_credentials(["lcsw"])) == ["Ana"]
    assert names(Provider.objects.prescribers()) == ["Ben"]
    assert names(Provider.objects.licensed_in("ny")) == ["Ben"]


def test_in_person_in_a_state_needs_an_office_there(make_provider):
    make_provider("Ana", licenses=[("LCSW", "TX"), ("LCSW", "NY")], offices=[AUSTIN])
    make_provider("Ben", licenses=[("LCSW", "NY")], telehealth=True)
    assert names(Provider.objects.in_person()) == ["Ana"]
    assert names(Provider.objects.in_person(jurisdiction="NY")) == []
    assert names(Provider.objects.offering_telehealth()) == ["Ben"]


def test_near_keeps_offices_inside_the_radius_and_gives_the_nearest_distance(make_provider):
    make_provider("Ana", offices=[DALLAS, ROUND_ROCK])
    make_provider("Ben", offices=[DALLAS])
    make_provider("Cy", licenses=[("LCSW", "TX")], telehealth=True)
    centre = geo.zip_centre("78701")
    results = {p.name: p.distance_miles for p in Provider.objects.near(centre, 25)}
    assert list(results) == ["Ana"]
    expected = geo.distance_miles(centre, geo.zip_centre("78664"))
    assert results["Ana"] == pytest.approx(expected, rel=1e-6)
    # The boundary: exactly the distance is inside, a hair less is outside.
    assert names(Provider.objects.near(centre, expected + 0.01)) == ["Ana"]
    assert names(Provider.objects.near(centre, expected - 0.01)) == []
    assert names(Provider.objects.near(centre, 500)) == ["Ana", "Ben"]


def test_affordable_uses_the_sliding_scale_floor_and_skips_unknown_fees(make_provider):
    make_provider("Ana", standard_fee=150, sliding_scale_min=40, sliding_scale_max=120)
    make_provider("Ben", standard_fee=90)
    make_provider("Cy")
    assert names(Provider.objects.affordable(Decimal("40"))) == ["Ana"]
    assert names(Provider.objects.affordable(Decimal("90"))) == ["Ana", "Ben"]
    assert names(Provider.objects.with_sliding_scale()) == ["Ana"]


def test_verified_means_a_license_staff_verified(make_provider, today):
    make_provider("Ana", licenses=[("LCSW", "TX", "V1", today)])
    make_provider("Ben", licenses=[("LCSW", "TX", "V2")])
    assert names(Provider.objects.verified()) == ["Ana"]
    assert Provider.objects.with_last_license_verification().get(name="Ana").license_verified == today
