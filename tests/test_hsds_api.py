"""The HSDS API: pages as openapi.json describes them, provider search's filters, 404 and 400 as JSON."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Provider
from openreferral import identifiers as ids
from openreferral.mapping import HsdsTerms
from tests.test_hsds import assert_valid_service, make_ana

PAGE_KEYS = ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"]


def names(response):
    assert response.status_code == 200, response.content
    return [service["name"] for service in response.json()["contents"]]


@pytest.fixture
def three(make_provider):
    make_ana(make_provider)
    make_provider("Ben Roe", licenses=[("LPC", "NY")], modalities=["emdr"], practice_name="Hill Country Counseling",
                  offices=[{"city": "Albany", "jurisdiction": "NY", "postal_code": "12207"}])
    make_provider("Cy Lee", licenses=[("MD", "CA")], modalities=["medication-management"], telehealth=True,
                  formats=["group"])
    make_provider("Hidden Person", published=False, modalities=["cbt"])


def test_services_are_paginated_as_the_hsds_openapi_describes(client, three):
    first = client.get("/api/hsds/services", {"per_page": 2}).json()
    assert list(first) == PAGE_KEYS
    assert {k: v for k, v in first.items() if k != "contents"} == {
        "total_items": 3, "total_pages": 2, "page_number": 1, "size": 2, "first_page": True, "last_page": False,
        "empty": False,
    }
    second = client.get("/api/hsds/services", {"per_page": 2, "page": 2}).json()
    assert (second["size"], second["first_page"], second["last_page"]) == (1, False, True)
    assert [s["name"] for s in first["contents"] + second["contents"]] == ["Ana Díaz", "Ben Roe", "Cy Lee"]


def test_an_empty_directory_is_an_empty_first_page(client, taxonomy):
    page = client.get("/api/hsds/services").json()
    assert (page["total_items"], page["empty"], page["contents"], page["first_page"]) == (0, True, [], True)


def test_the_list_shows_one_to_one_fields_and_full_true_nests_everything(client, three):
    brief = client.get("/api/hsds/services").json()["contents"][0]
    assert "service_at_locations" not in brief and brief["organization"]["name"] == "Hill Country Counseling"
    full = client.get("/api/hsds/services", {"full": "true"}).json()["contents"][0]
    assert full == client.get(f"/api/hsds/services/{full['id']}").json()
    for service in client.get("/api/hsds/services", {"full": "true"}).json()["contents"]:
        assert_valid_service(service)


@pytest.mark.parametrize("params, expected", [
    ({"modality": "cbt"}, ["Ana Díaz"]),
    ({"modality": ["cbt", "emdr"]}, ["Ana Díaz", "Ben Roe"]),
    ({"state": "ny"}, ["Ana Díaz", "Ben Roe"]),
    ({"telehealth": "true"}, ["Ana Díaz", "Cy Lee"]),
    ({"in_person": "true", "state": "NY"}, ["Ben Roe"]),
    ({"zip": "78701", "radius": "10"}, ["Ana Díaz"]),
    ({"max_fee": "50"}, ["Ana Díaz"]),
    ({"prescriber": "true"}, ["Cy Lee"]),
    ({"format": "group"}, ["Cy Lee"]),
    ({"format": "json"}, ["Ana Díaz", "Ben Roe", "Cy Lee"]),
    ({"search": "Roe"}, ["Ben Roe"]),
])
def test_services_take_the_filters_of_provider_search(client, three, params, expected):
    assert sorted(names(client.get("/api/hsds/services", params))) == expected


def test_services_keep_provider_searchs_sort_order(client, three, make_provider):
    make_provider("Zed Low", standard_fee=20)
    assert names(client.get("/api/hsds/services", {"sort": "fee"}))[:2] == ["Zed Low", "Ana Díaz"]
    assert names(client.get("/api/hsds/services"))[-1] == "Zed Low"


def test_services_filter_by_taxonomy_term_and_organization(client, three):
    terms = HsdsTerms().terms
    by_term = client.get("/api/hsds/services", {"taxonomy_term_id": terms["modality:emdr"]["id"]})
    assert names(by_term) == ["Ben Roe"]
    either = client.get("/api/hsds/services", {"taxonomy_term_id": [terms["modality:emdr"]["id"],
                                                                   terms["modality:cbt"]["id"]]})
    assert names(either) == ["Ana Díaz", "Ben Roe"]
    whole_part = client.get("/api/hsds/services", {"taxonomy_term_id": terms["credential"]["id"]})
    assert names(whole_part) == ["Ana Díaz", "Ben Roe", "Cy Lee"]
    practice = ids.organization_id(("practice", "Hill Country Counseling"))
    assert names(client.get("/api/hsds/services", {"organization_id": practice})) == ["Ana Díaz", "Ben Roe"]
    other = ids.stable_id("nobody")
    assert names(client.get("/api/hsds/services", {"organization_id": other})) == []
    assert names(client.get("/api/hsds/services", {"taxonomy_id": other})) == []
    assert len(names(client.get("/api/hsds/services", {"taxonomy_id": ids.TAXONOMY_ID}))) == 3


def test_services_modified_after_a_moment_are_those_changed_since(client, three):
    assert len(names(client.get("/api/hsds/services", {"modified_after": "2000-01-01T00:00:00Z"}))) == 3
    assert names(client.get("/api/hsds/services", {"modified_after": "2999-01-01"})) == []
    assert len(names(client.get("/api/hsds/services", {"modified_after": "2000-01-01T00:00:00+14:00"}))) == 3
    assert len(names(client.get("/api/hsds/services", {"modified_after": "2000-01-01T00:00:00-12:00"}))) == 3


@pytest.mark.parametrize("params, field, message", [
    ({"modality": "astrology"}, "modality", "Unknown approach: astrology."),
    ({"state": "ZZ"}, "state", "Unknown state or province: ZZ."),
    ({"telehealth": "maybe"}, "telehealth", "Use true or false."),
    ({"max_fee": "cheap"}, "max_fee", "Enter the fee as a number of dollars, such as 80."),
    ({"zip": "7870"}, "zip", "Enter a five-digit US ZIP code, such as 78701."),
    ({"page": "0"}, "page", "Enter the page as a whole number from 1."),
    ({"page": "two"}, "page", "Enter the page as a whole number from 1."),
    ({"per_page": "1000"}, "per_page", "Choose per_page from 1 to 200."),
    ({"full": "perhaps"}, "full", "Use true or false."),
    ({"format": "ndjson"}, "format", "Only format=json is offered; page through the results instead."),
    ({"taxonomy_term_id": "cbt"}, "taxonomy_term_id", "Not a UUID: cbt."),
    ({"modified_after": "yesterday"}, "modified_after",
     "Use an ISO 8601 date and time, such as 2026-11-01T00:00:00Z."),
    ({"modified_after": "2026-01-01T00:00:00+23:59"}, "modified_after",
     "Use a UTC offset from -12:00 to +14:00, such as Z or -05:00."),
    ({"modified_after": "9999-12-31T23:59:59-12:00"}, "modified_after", "Use a moment from the year 1 to 9999 in UTC."),
    ({"modified_after": "0001-01-01T00:00:00+14:00"}, "modified_after", "Use a moment from the year 1 to 9999 in UTC."),
])
def test_a_bad_parameter_is_a_400_with_the_message(client, three, params, field, message):
    response = client.get("/api/hsds/services", params)
    assert response.status_code == 400
    assert message in response.json()["errors"][field]


HOSTILE = ["\x00", "a\x00b", "' OR 1=1 --", "%", "9" * 400, "ü" * 3000, "-1", "1e309", "[]", "NaN",
           "2026-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]
PARAMS = ["search", "q", "modality", "condition", "credential", "prescriber", "format", "age_group", "language",
          "insurance", "state", "telehealth", "in_person", "zip", "radius", "max_fee", "sliding_scale",
          "free_consultation", "accepting", "verified", "sort", "page", "per_page", "full", "taxonomy_term_id",
          "taxonomy_id", "organization_id", "modified_after"]


@pytest.mark.parametrize("param", PARAMS)
def test_hostile_values_never_cause_a_server_error(client, three, param):
    for value in HOSTILE:
        response = client.get("/api/hsds/services", {param: value})
        assert response.status_code in (200, 400, 404), (param, value)
        assert response["Content-Type"] == "application/json"
    for path in ("organizations", "taxonomy_terms"):
        assert client.get(f"/api/hsds/{path}", {param: "\x00"}).status_code == 400


def test_an_unknown_taxonomy_term_is_a_400(client, three):
    response = client.get("/api/hsds/services", {"taxonomy_term_id": ids.stable_id("nothing")})
    assert response.status_code == 400
    assert "Unknown taxonomy term" in response.json()["errors"]["taxonomy_term_id"][0]


def test_a_page_past_the_last_is_a_404(client, three):
    response = client.get("/api/hsds/services", {"page": 9})
    assert response.status_code == 404
    assert response.json() == {"errors": {"page": ["There is no such page of results."]}}


def test_one_service_by_its_id_validates_and_unknown_or_unpublished_ids_are_404(client, three):
    service_id = ids.stable_id("service", "ana-diaz")
    response = client.get(f"/api/hsds/services/{service_id}")
    assert response.status_code == 200
    assert response.json()["name"] == "Ana Díaz"
    assert response.json()["url"] == "http://testserver/providers/ana-diaz/"
    assert_valid_service(response.json())
    hidden = ids.stable_id("service", "hidden-person")
    for unknown in (hidden, ids.stable_id("service", "nobody"), "not-a-uuid"):
        response = client.get(f"/api/hsds/services/{unknown}")
        assert response.status_code == 404
        assert response.json() == {"errors": {"id": ["No published service has this id."]}}


def test_a_provider_added_after_the_first_lookup_is_found_by_its_id(client, three, make_provider):
    assert client.get(f"/api/hsds/services/{ids.stable_id('service', 'ana-diaz')}").status_code == 200
    make_provider("Dee New")
    assert client.get(f"/api/hsds/services/{ids.stable_id('service', 'dee-new')}").status_code == 200
    Provider.objects.filter(slug="dee-new").update(published=False)
    assert client.get(f"/api/hsds/services/{ids.stable_id('service', 'dee-new')}").status_code == 404


def test_organizations_list_practices_once_and_lone_providers(client, three):
    page = client.get("/api/hsds/organizations").json()
    assert list(page) == PAGE_KEYS
    assert [o["name"] for o in page["contents"]] == ["Cy Lee", "Hill Country Counseling"]
    practice = page["contents"][1]
    assert practice == client.get(f"/api/hsds/organizations/{practice['id']}").json()
    assert practice["description"] == "A practice listed in this directory. Providers: Ana Díaz, Ben Roe."
    assert client.get(f"/api/hsds/organizations/{ids.stable_id('x')}").status_code == 404
    assert client.get("/api/hsds/organizations/not-a-uuid").status_code == 404
    hidden = ids.organization_id(("provider", "hidden-person"))
    assert client.get(f"/api/hsds/organizations/{hidden}").status_code == 404


def test_taxonomies_and_terms_are_listed_and_narrowed(client, taxonomy):
    taxonomies = client.get("/api/hsds/taxonomies").json()
    assert [t["id"] for t in taxonomies["contents"]] == [ids.TAXONOMY_ID]
    assert client.get(f"/api/hsds/taxonomies/{ids.TAXONOMY_ID}").json()["name"] == "Mental health provider directory"
    top = client.get("/api/hsds/taxonomy_terms", {"top_only": "true"}).json()["contents"]
    assert [t["code"] for t in top] == ["modality", "condition", "credential", "format", "age-group", "insurance"]
    formats = client.get("/api/hsds/taxonomy_terms", {"parent_id": top[3]["id"]}).json()["contents"]
    assert sorted(t["code"] for t in formats) == ["format:couples", "format:family", "format:group",
                                                  "format:individual"]
    term = client.get(f"/api/hsds/taxonomy_terms/{formats[0]['id']}").json()
    assert term == formats[0]
    assert client.get("/api/hsds/taxonomy_terms", {"parent_id": "x"}).status_code == 400
    assert client.get(f"/api/hsds/taxonomy_terms/{ids.stable_id('x')}").status_code == 404


def test_the_api_root_names_the_hsds_version(client, db):
    assert client.get("/api/hsds/").json() == {"version": "3.0"}


def test_paths_answer_with_or_without_a_trailing_slash(client, three):
    assert client.get("/api/hsds/services/").json() == client.get("/api/hsds/services").json()
    service_id = ids.stable_id("service", "ana-diaz")
    assert client.get(f"/api/hsds/services/{service_id}/").json()["name"] == "Ana Díaz"
    assert client.get("/api/hsds/taxonomy_terms/").status_code == 200


def test_the_api_answers_get_only(client, db):
    assert client.post("/api/hsds/services").status_code == 405


def test_the_service_list_makes_the_same_number_of_queries_for_few_or_many(client, three, make_provider):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/hsds/services", {"full": "true"}).status_code == 200
        return len(queries)

    few = count()
    for i in range(6):
        make_provider(f"Extra {i}", offices=[{"city": "Austin", "jurisdiction": "TX"}], modalities=["cbt"],
                      languages=["en"], telehealth=True)
    assert count() == few
