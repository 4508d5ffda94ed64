"""At 100,000 providers: a bounded number of queries per page, cached taxonomy and facet index, deep pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Modality, Provider
from directory.search import results

pytestmark = pytest.mark.django_db

AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}
# The rows, their licenses and offices, one small query for each of the six taxonomy relations, and for a
# search by distance the offices in range and the order of providers at the same distance.
MAX_QUERIES = 12


def _many(make_provider, n: int) -> None:
    for i in range(n):
        make_provider(
            f"Provider {i:03d}", licenses=[("LCSW", "TX"), ("MD", "NY")], modalities=["cbt", "act"],
            conditions=["depression"], formats=["individual"], age_groups=["adults"], languages=["en", "es"],
            insurance=["aetna"], offices=[AUSTIN], standard_fee=90 + i, telehealth=bool(i % 2),
        )


def _get(client, path: str, params: dict | None = None) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("params", [
    {},
    {"modality": "cbt", "language": "en", "zip": "78701", "sort": "distance"},
    {"state": "TX", "max_fee": "120", "condition": "depression", "telehealth": "true"},
    {"q": "provider", "credential": "LCSW"},
])
def test_a_search_page_takes_a_bounded_number_of_queries_whatever_its_size(client, make_provider, params):
    _many(make_provider, 30)
    _get(client, "/providers/", params)  # the first request of a process reads the taxonomy into the cache
    small, _ = _get(client, "/providers/", {**params, "page_size": 2})
    large, response = _get(client, "/providers/", {**params, "page_size": 100})
    assert small == large <= MAX_QUERIES
    assert response.content.decode().count('class="provider-card"') > 2


def test_the_api_takes_a_bounded_number_of_queries_whatever_the_page_size(client, make_provider):
    _many(make_provider, 30)
    params = {"modality": "cbt", "zip": "78701", "sort": "fee"}
    _get(client, "/api/providers/", params)
    small, _ = _get(client, "/api/providers/", {**params, "page_size": 2})
    large, response = _get(client, "/api/providers/", {**params, "page_size": 100})
    assert small == large <= MAX_QUERIES
    assert len(response.json()["results"]) == 30
    assert response.json()["results"][0]["languages"] == ["en", "es"]


def test_a_profile_and_the_fit_finder_take_a_bounded_number_of_queries(client, make_provider):
    _many(make_provider, 5)
    slug = Provider.objects.order_by("name").first().slug
    _get(client, f"/providers/{slug}/")
    queries, response = _get(client, f"/providers/{slug}/")
    assert queries <= MAX_QUERIES
    assert "Cognitive" in response.content.decode()
    match = {"concern": "depression", "tried": "act", "state": "TX", "language": "es", "budget": "200"}
    _get(client, "/match/", match)
    queries, response = _get(client, "/match/", match)
    assert queries <= MAX_QUERIES
    assert "Provider 000" in response.content.decode()


def test_renaming_an_approach_shows_at_once_in_the_filters_and_on_the_cards(client, make_provider):
    _many(make_provider, 3)
    client.get("/providers/")  # fills the cached taxonomy and the cached counts
    cbt = Modality.objects.get(slug="cbt")
    cbt.name = "Talking Therapy Renamed"
    cbt.save()
    _, response = _get(client, "/providers/")
    html = response.content.decode()
    assert "Talking Therapy Renamed" in html.split('id="results"')[0]  # the filter list
    assert "Talking Therapy Renamed" in html.split('id="results"')[1]  # the cards


def test_a_new_approach_can_be_chosen_as_soon_as_it_is_added(client, make_provider):
    _many(make_provider, 2)
    assert client.get("/api/providers/", {"modality": "new-approach"}).status_code == 400
    Modality.objects.create(slug="new-approach", name="New Approach", position=999)
    provider = Provider.objects.first()
    provider.modalities.add(Modality.objects.get(slug="new-approach"))
    response = client.get("/api/providers/", {"modality": "new-approach"})
    assert response.status_code == 200
    assert [r["slug"] for r in response.json()["results"]] == [provider.slug]


def test_the_counts_beside_the_filters_match_the_results(client, make_provider):
    _many(make_provider, 6)
    make_provider("Solo Person", licenses=[("LPC", "CA")], modalities=["emdr"], languages=["fr"])
    html = client.get("/providers/", {"telehealth": "true"}).content.decode()
    assert 'id="modality-cbt"' in html
    for option, expected in (("modality-cbt", 3), ("modality-emdr", 0), ("language-es", 3), ("credential-MD", 3)):
        after = html.split(f'id="{option}"', 1)[1]
        assert after.split('<span class="count">', 1)[1].startswith(f"{expected}<"), option


def test_counts_come_from_the_facet_index_which_is_read_again_after_an_edit(client, make_provider):
    _many(make_provider, 4)
    first, _ = _get(client, "/providers/")
    again, _ = _get(client, "/providers/")
    filtered, _ = _get(client, "/providers/", {"telehealth": "true", "modality": "cbt", "max_fee": "100"})
    assert again < first  # the index was read once
    assert filtered == again  # filtering changes the page's query, not how many there are
    Provider.objects.get(name="Provider 001").save()
    after_edit, _ = _get(client, "/providers/")
    assert after_edit > again


def test_a_deep_page_lists_the_same_providers_as_reading_every_row(client, make_provider, monkeypatch):
    _many(make_provider, 25)
    params = {"page_size": 4, "page": 5, "sort": "fee"}
    shallow = client.get("/api/providers/", params).json()["results"]
    monkeypatch.setattr(results, "DEEP_PAGE", 0)
    deep = client.get("/api/providers/", params).json()["results"]
    assert [r["slug"] for r in deep] == [r["slug"] for r in shallow]
    assert [r["fees"]["standard"] for r in deep] == [106.0, 107.0, 108.0, 109.0]
    html = client.get("/providers/", {"page": 3, "page_size": 10}).content.decode()
    assert "Provider 020" in html and "Provider 024" in html and "Provider 019" not in html
