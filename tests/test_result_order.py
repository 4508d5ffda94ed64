"""Pages whose order is worked out before the database reads their rows: a free-text search's pages,
total and counts come from the remembered matches of its query (facet_index.text_matches), a search by
distance from the offices in range (ProviderFilter.nearest_first). They must be the database's own
order, follow every edit, and keep the words a person typed nowhere but in this process."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.models import Modality, Provider
from directory.search import facet_index, results
from directory.search.filters import ProviderFilter
from directory.search.results import SearchResults

FILTERS = {
    "modality": ["cbt", "dbt", "emdr"],
    "condition": ["depression", "anxiety"],
    "state": ["TX", "CA", "NY"],
    "telehealth": ["true"],
    "max_fee": ["100", "180"],
    "zip": ["78701", "10001"],
}
QUERIES = ["therapy", "anxiety", "depression therapy", "trauma couples", "cbt", "medication", "dbt skills"]


def search_at_page(
    params: dict[str, str], filters: dict[str, int], page_size: int, page: int
) -> tuple[ProviderFilter, int, int]:
    """The search of params plus the chosen FILTERS values, at page (or its last page); with the database's
    count of its results and the position of the page's first row."""
    query = QueryDict(mutable=True)
    query.update({**params, "page_size": str(page_size)})
    for name, choice in filters.items():
        query[name] = FILTERS[name][choice % len(FILTERS[name])]
    total = ProviderFilter(query, queryset=Provider.objects.published()).qs.count()
    page = min(page, max(1, -(-total // page_size)))
    query["page"] = str(page)
    return ProviderFilter(query, queryset=Provider.objects.published()), total, (page - 1) * page_size


def page_ids(filterset: ProviderFilter) -> list[int]:
    page = SearchResults(filterset).page()
    return [provider.pk for provider in page]


class TestAgainstTheDatabase:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        q=st.sampled_from(QUERIES),
        filters=st.dictionaries(st.sampled_from(sorted(FILTERS)), st.integers(0, 2), max_size=3),
        page_size=st.sampled_from([5, 20, 100]),
        page=st.integers(1, 8),
        sort=st.sampled_from(["", "relevance"]),
    )
    def test_every_page_of_a_text_search_is_the_database_ranking(self, demo, q, filters, page_size, page, sort):
        filterset, total, bottom = search_at_page({"q": q, "sort": sort}, filters, page_size, page)
        in_database_order = list(filterset.qs.values_list("pk", flat=True)[bottom:bottom + page_size])
        assert SearchResults(filterset).total == total
        assert page_ids(filterset) == in_database_order

    def test_the_searches_above_find_many_providers_across_several_pages(self, demo):
        filterset = ProviderFilter(QueryDict("q=therapy&page_size=5"), queryset=Provider.objects.published())
        assert SearchResults(filterset).total > 40
        second = ProviderFilter(QueryDict("q=therapy&page_size=5&page=2"), queryset=Provider.objects.published())
        assert page_ids(filterset) != page_ids(second)

    def test_other_sorts_of_a_text_search_are_the_database_order(self, demo):
        for sort in ("fee", "name", "recent"):
            filterset = ProviderFilter(QueryDict(f"q=therapy&sort={sort}"), queryset=Provider.objects.published())
            assert page_ids(filterset) == list(filterset.qs.values_list("pk", flat=True)[:20])


class TestDistanceOrderAgainstTheDatabase:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        zip_code=st.sampled_from(["78701", "10001", "94110", "60601", "33101"]),
        radius=st.sampled_from(["10", "50", "500"]),
        filters=st.dictionaries(st.sampled_from(["modality", "condition", "telehealth", "max_fee"]),
                                st.integers(0, 2), max_size=2),
        page_size=st.sampled_from([5, 20]),
        page=st.integers(1, 6),
    )
    def test_every_page_by_distance_is_the_database_order(self, demo, zip_code, radius, filters, page_size, page):
        params = {"zip": zip_code, "radius": radius, "sort": "distance"}
        filterset, total, bottom = search_at_page(params, filters, page_size, page)
        assert SearchResults(filterset).total == total
        page = SearchResults(filterset).page()
        shown = [(provider.pk, provider.distance_miles) for provider in page]
        assert shown == list(filterset.qs.values_list("pk", "distance_miles")[bottom:bottom + page_size])

    def test_those_searches_find_providers_over_several_pages(self, demo):
        query = QueryDict("zip=78701&radius=500&sort=distance")
        filterset = ProviderFilter(query, queryset=Provider.objects.published())
        assert SearchResults(filterset).total > 20


@pytest.mark.django_db
def test_providers_at_the_same_distance_follow_each_other_by_name_across_pages(client, make_provider):
    """The generated and real data have offices sharing an address: their order must not depend on luck."""
    office = {"address": "1 Main St", "city": "Austin", "jurisdiction": "TX", "postal_code": "78701",
              "latitude": 30.2711, "longitude": -97.7437}
    farther = {**office, "latitude": 30.30}
    for name in ("Zoe Adams", "Yan Brook", "Xia Chen", "Wes Dunn"):  # created in reverse order of name
        make_provider(name, offices=[office])
    make_provider("Abe Far", offices=[farther])
    make_provider("Away Only", offices=[{**office, "latitude": 40.0}])

    def names(page: int) -> list[str]:
        response = client.get(f"/providers/?zip=78701&radius=10&sort=distance&page_size=3&page={page}")
        assert response.status_code == 200
        return [provider.name for provider in response.context["page"]]

    assert names(1) + names(2) == ["Wes Dunn", "Xia Chen", "Yan Brook", "Zoe Adams", "Abe Far"]


def found(client: Client, query: str) -> list[str]:
    response = client.get(f"/providers/?{query}")
    assert response.status_code == 200
    return [provider.name for provider in response.context["page"]]


@pytest.mark.django_db
def test_a_text_search_follows_edits_at_once(client, make_provider):
    rosa = make_provider("Rosa Marquez", bio="Works with grief and loss.", modalities=["cbt"])
    make_provider("Sam Okafor", bio="Works with panic and worry.")
    assert found(client, "q=grief") == ["Rosa Marquez"]

    rosa.bio = "Works with panic after loss."
    rosa.save()
    assert found(client, "q=grief") == []
    assert sorted(found(client, "q=panic")) == ["Rosa Marquez", "Sam Okafor"]

    rosa.published = False
    rosa.save()
    assert found(client, "q=panic") == ["Sam Okafor"]


@pytest.mark.django_db
def test_a_renamed_approach_is_found_by_its_new_name_at_once(client, make_provider):
    make_provider("Rosa Marquez", bio="", modalities=["emdr"])
    assert found(client, "q=zephyrine") == []
    emdr = Modality.objects.get(slug="emdr")
    emdr.name = "Zephyrine reprocessing"
    emdr.save()
    assert found(client, "q=zephyrine") == ["Rosa Marquez"]


@pytest.mark.django_db
def test_a_remembered_query_reads_nothing_from_the_database_and_a_forgotten_one_does(
    client, make_provider, monkeypatch
):
    monkeypatch.setattr(facet_index, "TEXT_QUERIES_KEPT", 2)
    make_provider("Rosa Marquez", bio="Works with grief, panic and worry.")

    def text_reads(text: str) -> int:
        facet_index.current()
        with CaptureQueriesContext(connection) as queries:
            facet_index.text_matches(text)
        return len(queries)

    assert text_reads("grief") > 0
    assert text_reads("  grief ") == 0  # the same query as searched
    text_reads("panic")
    text_reads("worry")  # the third: "grief", asked least recently, is forgotten
    assert text_reads("panic") == 0
    assert text_reads("grief") > 0


@pytest.mark.django_db
def test_the_words_searched_for_are_kept_nowhere_in_the_shared_cache(client, make_provider):
    make_provider("Rosa Marquez", bio="Works with hopelessness after a divorce.")
    assert found(client, "q=hopelessness+divorce") == ["Rosa Marquez"]
    stored = cache._cache  # the local-memory cache: full key -> pickled value
    assert any(b"pyroaring" in value for value in stored.values()), "the facet index is in the cache"
    for key, value in stored.items():
        assert b"hopelessness" not in key.encode() + value
    assert all(b"hopelessness" not in key for key in facet_index._texts)


class TestPrecomputedOrdersAgainstTheDatabase:
    """Pages by name, fee and recent verification (and relevance without a text query) are found in orders
    read ahead (directory.search.orders) from DEEP_PAGE on, or once a process holds them: here on every page."""

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        q=st.sampled_from(["", "", "therapy", "anxiety"]),
        filters=st.dictionaries(st.sampled_from(sorted(FILTERS)), st.integers(0, 2), max_size=3),
        page_size=st.sampled_from([1, 7, 20]),
        page=st.integers(1, 40),
        sort=st.sampled_from(["", "relevance", "name", "fee", "recent"]),
    )
    def test_every_page_is_the_page_the_database_offsets_to(self, demo, monkeypatch, q, filters, page_size, page,
                                                             sort):
        if q and sort in ("", "relevance"):
            sort = "name"  # best match first is the remembered ranking's (tested above)
        monkeypatch.setattr(results, "DEEP_PAGE", 0)
        filterset, total, bottom = search_at_page({"q": q, "sort": sort}, filters, page_size, page)
        with_offset = list(filterset.qs.values_list("pk", flat=True)[bottom:bottom + page_size])
        assert page_ids(filterset) == with_offset
        assert SearchResults(filterset).total == total

    def test_a_deep_page_steps_over_no_row_and_then_neither_does_the_first(self, demo, monkeypatch):
        monkeypatch.setattr(results, "DEEP_PAGE", 200)
        deep = ProviderFilter(QueryDict("sort=fee&page=12&page_size=20"), queryset=Provider.objects.published())
        first = ProviderFilter(QueryDict("sort=fee&page_size=20"), queryset=Provider.objects.published())
        for filterset in (deep, first, deep):
            with CaptureQueriesContext(connection) as queries:
                assert len(page_ids(filterset)) == 20
            assert not any("OFFSET" in query["sql"].upper() for query in queries.captured_queries)


def test_a_deep_page_follows_an_edit_at_once(client, make_provider, monkeypatch):
    monkeypatch.setattr(results, "DEEP_PAGE", 0)
    for name in ("Ada Bell", "Cy Dunn", "Eve Fox", "Gil Hart"):
        make_provider(name)
    second = {"page": 2, "page_size": 2, "sort": "name"}
    assert [r["name"] for r in client.get("/api/providers/", second).json()["results"]] == ["Eve Fox", "Gil Hart"]
    provider = Provider.objects.get(name="Ada Bell")
    provider.name = "Zoe Bell"
    provider.save()
    assert [r["name"] for r in client.get("/api/providers/", second).json()["results"]] == ["Gil Hart", "Zoe Bell"]
