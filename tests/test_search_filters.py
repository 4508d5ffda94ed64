"""Every search parameter of the contract, alone and combined, against hand-built providers (through the API)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}
SOUTH_AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78745"}  # 5.5 miles from 78701
ROUND_ROCK = {"city": "Round Rock", "jurisdiction": "TX", "postal_code": "78664"}  # 17.4 miles from 78701
DALLAS = {"city": "Dallas", "jurisdiction": "TX", "postal_code": "75201"}  # 182.6 miles from 78701
BROOKLYN = {"city": "Brooklyn", "jurisdiction": "NY", "postal_code": "11201"}

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="ranking, accents and typos need PostgreSQL's full-text search"
)


def names(client, **params) -> list[str]:
    response = client.get("/api/providers/", params)
    assert response.status_code == 200, response.json()
    return [result["name"] for result in response.json()["results"]]


def found(client, **params) -> list[str]:
    return sorted(names(client, **params))


# --- Free text ---------------------------------------------------------------------------


def test_free_text_finds_a_provider_by_name_practice_bio_approach_or_concern(client, make_provider):
    make_provider("Ana Díaz", practice_name="Riverbend Counseling")
    make_provider("Ben Roe", bio="I help people through grief after losing someone.")
    make_provider("Cy Lee", modalities=["emdr"])
    make_provider("Di Fox", conditions=["panic-disorder"])
    make_provider("Ed Moss")
    assert found(client, q="Díaz") == ["Ana Díaz"]
    assert found(client, q="riverbend") == ["Ana Díaz"]
    assert found(client, q="grief") == ["Ben Roe"]
    assert found(client, q="EMDR") == ["Cy Lee"]
    assert found(client, q="panic") == ["Di Fox"]


def test_every_word_of_the_free_text_must_match(client, make_provider):
    make_provider("Ana Díaz", modalities=["cbt"])
    make_provider("Ben Roe", modalities=["dbt"])
    assert found(client, q="Ana CBT") == ["Ana Díaz"]
    assert found(client, q="Ben CBT") == []


def test_blank_free_text_matches_everyone(client, make_provider):
    make_provider("Ana Díaz")
    make_provider("Ben Roe")
    assert found(client, q="   ") == ["Ana Díaz", "Ben Roe"]


@postgres_only
def test_a_small_typo_in_a_name_still_finds_the_provider(client, make_provider):
    make_provider("Margaret Okonkwo")
    make_provider("Ben Roe")
    assert found(client, q="Okonkow") == ["Margaret Okonkwo"]


@postgres_only
def test_a_name_is_found_with_or_without_its_accents(client, make_provider):
    make_provider("Ana Díaz")
    make_provider("José Peña", practice_name="Clínica Serena")
    assert found(client, q="diaz") == ["Ana Díaz"]
    assert found(client, q="Díaz") == ["Ana Díaz"]
    assert found(client, q="jose pena") == ["José Peña"]
    assert found(client, q="clinica") == ["José Peña"]


@postgres_only
def test_a_match_on_the_name_ranks_above_a_mention_in_the_bio(client, make_provider):
    make_provider("Alex Bell", bio="Many of my clients come to me after trying a grief group.")
    make_provider("Zoe Grief", practice_name="Grief Recovery Practice")
    make_provider("Max Hale", conditions=["grief"])
    assert names(client, q="grief") == ["Zoe Grief", "Max Hale", "Alex Bell"]


# --- Taxonomy: any of several values --------------------------------------------------------


def test_repeated_modalities_mean_any_of_them(client, make_provider):
    make_provider("Ana", modalities=["cbt", "act"])
    make_provider("Ben", modalities=["dbt"])
    make_provider("Cy", modalities=["emdr"])
    assert found(client, modality="cbt") == ["Ana"]
    assert found(client, modality=["cbt", "dbt"]) == ["Ana", "Ben"]


def test_a_condition_matches_its_specialists_and_those_of_narrower_conditions(client, make_provider):
    make_provider("Ana", conditions=["treatment-resistant-depression"])
    make_provider("Ben", conditions=["depression"])
    make_provider("Cy", conditions=["anxiety"])
    assert found(client, condition="depression") == ["Ana", "Ben"]
    assert found(client, condition=["anxiety", "treatment-resistant-depression"]) == ["Ana", "Cy"]


def test_credentials_match_in_any_case_and_prescriber_means_one_who_can_prescribe(client, make_provider):
    make_provider("Ana", licenses=[("LCSW", "TX")])
    make_provider("Ben", licenses=[("PMHNP", "TX")])
    make_provider("Cy", licenses=[("MD", "NY"), ("PHD", "NY")])
    assert found(client, credential="lcsw") == ["Ana"]
    assert found(client, credential=["LCSW", "phd"]) == ["Ana", "Cy"]
    assert found(client, prescriber="true") == ["Ben", "Cy"]
    assert found(client, prescriber="false") == ["Ana", "Ben", "Cy"]


def test_an_expired_license_counts_for_no_filter_count_or_listing(client, make_provider, today):
    expired = make_provider("Fay", licenses=[("MD", "WY"), ("LPC", "CO")])
    expired.licenses.filter(jurisdiction="WY").update(expires_on=today - datetime.timedelta(days=1))
    make_provider("Gus", licenses=[("LPC", "WY")])
    assert found(client, state="WY") == ["Gus"]
    assert found(client, prescriber="true") == []
    assert found(client, credential="MD") == []
    body = client.get("/api/providers/", {"state": "CO"}).json()
    assert body["results"][0]["licensed_states"] == ["CO"]
    assert body["results"][0]["can_prescribe"] is False
    assert [c["code"] for c in body["results"][0]["credentials"]] == ["LPC"]
    facets = client.get("/providers/").context["results"].counts["facets"]
    assert facets["state"] == {"CO": 1, "WY": 1}
    profile = client.get(expired.get_absolute_url()).content.decode()
    assert "expired" in profile


def test_a_prescriber_in_a_state_holds_a_prescribing_license_in_that_state(client, make_provider):
    make_provider("Dee", licenses=[("PMHNP", "CA"), ("LPC", "WY")])
    make_provider("Eli", licenses=[("MD", "WY")])
    assert found(client, prescriber="true", state="WY") == ["Eli"]
    assert found(client, prescriber="true", state="CA") == ["Dee"]
    assert found(client, state="WY") == ["Dee", "Eli"]
    counts = client.get("/api/providers/", {"prescriber": "true", "state": "WY"}).json()["count"]
    assert counts == 1


def test_formats_age_groups_languages_and_insurance_each_match_any_value(client, make_provider):
    make_provider("Ana", formats=["couples"], age_groups=["adults"], languages=["en", "es"], insurance=["aetna"])
    make_provider("Ben", formats=["family"], age_groups=["children"], languages=["en"], insurance=["medicaid"])
    assert found(client, format="couples") == ["Ana"]
    assert found(client, format=["couples", "family"]) == ["Ana", "Ben"]
    assert found(client, age_group="children") == ["Ben"]
    assert found(client, language="es") == ["Ana"]
    assert found(client, language="ES") == ["Ana"]
    assert found(client, insurance="medicaid") == ["Ben"]
    assert found(client, insurance=["aetna", "medicaid"]) == ["Ana", "Ben"]


# --- Where and how --------------------------------------------------------------------------


def test_state_means_licensed_there_in_any_case(client, make_provider):
    make_provider("Ana", licenses=[("LCSW", "TX")])
    make_provider("Ben", licenses=[("LPC", "NY"), ("LPC", "TX")])
    assert found(client, state="NY") == ["Ben"]
    assert found(client, state="tx") == ["Ana", "Ben"]


def test_telehealth_means_offers_telehealth(client, make_provider):
    make_provider("Ana", telehealth=True)
    make_provider("Ben", offices=[AUSTIN])
    assert found(client, telehealth="true") == ["Ana"]


def test_in_person_with_a_state_needs_an_office_in_that_state(client, make_provider):
    make_provider("Ana", licenses=[("LCSW", "TX"), ("LCSW", "NY")], offices=[AUSTIN])
    make_provider("Ben", licenses=[("LCSW", "NY")], offices=[BROOKLYN])
    make_provider("Cy", licenses=[("LCSW", "NY")], telehealth=True)
    assert found(client, in_person="true") == ["Ana", "Ben"]
    assert found(client, in_person="true", state="NY") == ["Ben"]
    assert found(client, state="NY") == ["Ana", "Ben", "Cy"]


def test_zip_and_radius_keep_offices_inside_the_circle_and_report_the_distance(client, make_provider):
    make_provider("Ana", offices=[SOUTH_AUSTIN])
    make_provider("Ben", offices=[DALLAS, ROUND_ROCK])
    make_provider("Cy", offices=[DALLAS])
    make_provider("Di", telehealth=True)
    response = client.get("/api/providers/", {"zip": "78701", "sort": "distance"})
    results = {r["name"]: r["distance_miles"] for r in response.json()["results"]}
    assert results == {"Ana": pytest.approx(5.5, abs=0.1), "Ben": pytest.approx(17.4, abs=0.1)}
    assert found(client, zip="78701", radius=10) == ["Ana"]
    assert found(client, zip="78701", radius=200) == ["Ana", "Ben", "Cy"]


def test_the_radius_boundary_includes_an_office_just_inside_and_excludes_one_just_outside(client, make_provider):
    make_provider("Round Rock", offices=[ROUND_ROCK])  # 17.38 miles
    assert found(client, zip="78701", radius=18) == ["Round Rock"]
    assert found(client, zip="78701", radius=17) == []


def test_a_zip_plus_four_is_accepted(client, make_provider):
    make_provider("Ana", offices=[AUSTIN])
    assert found(client, zip="78701-1234") == ["Ana"]


def test_without_zip_distance_is_null(client, make_provider):
    make_provider("Ana", offices=[AUSTIN])
    assert client.get("/api/providers/").json()["results"][0]["distance_miles"] is None


# --- Fees and availability ----------------------------------------------------------------


def test_max_fee_counts_the_sliding_scale_floor_and_leaves_out_providers_without_a_fee(client, make_provider):
    make_provider("Sliding", standard_fee=150, sliding_scale_min=40, sliding_scale_max=120)
    make_provider("Standard", standard_fee=90)
    make_provider("Dear", standard_fee=200)
    make_provider("No fee")
    assert found(client, max_fee=50) == ["Sliding"]
    assert found(client, max_fee="90") == ["Sliding", "Standard"]
    assert found(client, max_fee="89.99") == ["Sliding"]
    assert found(client, max_fee=1000) == ["Dear", "Sliding", "Standard"]


def test_sliding_scale_free_consultation_accepting_and_verified(client, make_provider, today):
    make_provider("Ana", standard_fee=100, sliding_scale_min=30, sliding_scale_max=90, free_consultation=True)
    make_provider("Ben", accepting_new_clients=False, licenses=[("LCSW", "TX", "B-1", today)])
    assert found(client, sliding_scale="true") == ["Ana"]
    assert found(client, free_consultation="true") == ["Ana"]
    assert found(client, accepting="true") == ["Ana"]
    assert found(client, verified="true") == ["Ben"]
    assert found(client, sliding_scale="false", accepting="false") == ["Ana", "Ben"]


def test_different_parameters_must_all_match(client, make_provider):
    make_provider("Ana", modalities=["cbt"], licenses=[("LCSW", "TX")], standard_fee=80, telehealth=True)
    make_provider("Ben", modalities=["cbt"], licenses=[("LCSW", "NY")], standard_fee=80, telehealth=True)
    make_provider("Cy", modalities=["cbt"], licenses=[("LCSW", "TX")], standard_fee=180, telehealth=True)
    make_provider("Di", modalities=["dbt"], licenses=[("LCSW", "TX")], standard_fee=80, telehealth=True)
    make_provider("Ed", modalities=["cbt"], licenses=[("LCSW", "TX")], standard_fee=80)
    assert found(client, modality="cbt", state="TX", max_fee=100, telehealth="true") == ["Ana"]
    assert found(client, modality=["cbt", "dbt"], state="TX", max_fee=100, telehealth="true") == ["Ana", "Di"]


def test_unpublished_providers_never_appear(client, make_provider):
    make_provider("Ana", modalities=["cbt"])
    make_provider("Hidden", modalities=["cbt"], published=False)
    assert found(client) == ["Ana"]
    assert found(client, modality="cbt") == ["Ana"]
    assert found(client, q="Hidden") == []


# --- Sorting ---------------------------------------------------------------------------


def test_the_default_order_without_text_is_by_name(client, make_provider):
    for name in ["Cy", "Ana", "Ben"]:
        make_provider(name)
    assert names(client) == ["Ana", "Ben", "Cy"]
    assert names(client, sort="name") == ["Ana", "Ben", "Cy"]


def test_fee_order_puts_the_lowest_possible_fee_first_and_unknown_fees_last(client, make_provider):
    make_provider("Unknown")
    make_provider("Standard 60", standard_fee=60)
    make_provider("Sliding from 30", standard_fee=150, sliding_scale_min=30, sliding_scale_max=100)
    make_provider("Standard 200", standard_fee=200)
    assert names(client, sort="fee") == ["Sliding from 30", "Standard 60", "Standard 200", "Unknown"]


def test_recent_order_puts_the_most_recently_verified_profile_first_and_never_verified_last(
    client, make_provider, today
):
    make_provider("Never")
    make_provider("Last year", last_verified=today - datetime.timedelta(days=400))
    make_provider("Last week", last_verified=today - datetime.timedelta(days=7))
    assert names(client, sort="recent") == ["Last week", "Last year", "Never"]


def test_distance_order_puts_the_nearest_office_first(client, make_provider):
    make_provider("Aaron far", offices=[ROUND_ROCK])
    make_provider("Zed near", offices=[SOUTH_AUSTIN])
    assert names(client, zip="78701", sort="distance") == ["Zed near", "Aaron far"]


def test_providers_that_tie_keep_a_stable_order(client, make_provider):
    for _ in range(3):
        make_provider("Same Name", standard_fee=50)
    first = client.get("/api/providers/", {"sort": "fee"}).json()["results"]
    again = client.get("/api/providers/", {"sort": "fee"}).json()["results"]
    slugs = [r["slug"] for r in first]
    assert slugs == [r["slug"] for r in again] == ["same-name", "same-name-2", "same-name-3"]


@postgres_only
def test_the_search_follows_changes_to_approaches_and_their_names(client, make_provider):
    from directory.models import Modality

    ana = make_provider("Ana Díaz", modalities=["emdr"])
    assert found(client, q="desensitization") == ["Ana Díaz"]
    ana.modalities.clear()
    assert found(client, q="desensitization") == []
    act = Modality.objects.get(slug="act")
    ana.modalities.add(act)
    act.name = "Acceptance and Commitment Therapy, also called willingness training"
    act.save()
    assert found(client, q="willingness") == ["Ana Díaz"]
