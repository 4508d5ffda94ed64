"""The free-text index (directory.search.text_index): the same answers as the SQL path, in the same order,
following every edit at once, and never an error page when it is missing, out of date or broken."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.models import Modality, Provider, TextIndexChange, TextIndexEntry
from directory.search import facet_index, text, text_index
from directory.search.filters import ProviderFilter
from directory.search.query import parse
from directory.search.results import SearchResults
from directory.writing import ProviderRecord, write_providers

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the text index is for PostgreSQL")

WORDS = ["therapy", "anxiety", "depression", "cbt", "dbt", "emdr", "trauma", "couples", "grief", "adults",
         "medication", "panic", "skills", "family", "teens", "nobodyhasthisword"]


def in_the_database(query: str) -> list[int]:
    return list(text.matching(Provider.objects.published(), query).by_relevance().values_list("pk", flat=True))


def words_match(query: str) -> bool:
    from django.contrib.postgres.search import SearchQuery

    words = SearchQuery(query, config=text.SEARCH_CONFIG, search_type="websearch")
    return Provider.objects.published().filter(search_vector=words).exists()


def from_the_index(query: str) -> text_index.IndexedMatches | None:
    return text_index.find(query, facet_index.current().published)


def found(client, query: str) -> list[str]:
    response = client.get("/api/providers/", {"q": query})
    assert response.status_code == 200
    return [result["name"] for result in response.json()["results"]]


@postgres_only
class TestAgainstTheDatabase:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
        excluded=st.lists(st.sampled_from(WORDS), max_size=1),
        either=st.booleans(),
        start=st.sampled_from([0, 7, 20, 45]),
    )
    def test_the_index_finds_and_orders_what_the_database_does(self, demo, words, excluded, either, start):
        query = (" or " if either else " ").join(words) + "".join(f" -{word}" for word in excluded)
        expected = in_the_database(query)
        answer = from_the_index(query)
        if not words_match(query):
            assert answer is None  # the SQL path looks for a name by trigram
            return
        assert answer is not None, "the index answers every query without a phrase"
        assert sorted(answer.ids) == sorted(expected)
        assert answer.ranked_within(answer.ids, start, start + 10) == expected[start:start + 10]

    def test_those_queries_find_many_and_order_them_in_several_tiers(self, demo):
        answer = from_the_index("therapy anxiety")
        assert len(answer.ids) > 20 and len(answer.buckets) > 1

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(q=st.sampled_from(["therapy", "anxiety -trauma", "cbt or dbt", "depression adults"]),
           modality=st.sampled_from(["", "cbt", "emdr"]), page=st.integers(1, 4))
    def test_a_filtered_page_is_the_database_page(self, demo, q, modality, page):
        data = QueryDict(mutable=True)
        data.update({"q": q, "modality": modality, "page_size": "5"})
        total = ProviderFilter(data, queryset=Provider.objects.published()).qs.count()
        data["page"] = str(min(page, max(1, -(-total // 5))))
        filterset = ProviderFilter(data, queryset=Provider.objects.published())
        bottom = (int(data["page"]) - 1) * 5
        shown = [provider.pk for provider in SearchResults(filterset).page()]
        assert shown == list(filterset.qs.values_list("pk", flat=True)[bottom:bottom + 5])


@postgres_only
@pytest.mark.django_db
def test_a_query_is_read_as_postgresql_reads_it():
    assert parse("anxiety therapy").tree == ("and", (("word", "anxieti"), ("word", "therapi")))
    assert parse('"panic attacks" -trauma or cbt').has_phrase
    assert parse("cbt -trauma or dbt").scored == {"cbt", "trauma", "dbt"}  # trauma is absent where it counts
    assert parse("the of and").tree is None
    assert parse("it's o'brien \\ (x").words  # quotes, backslashes and a stray parenthesis still read


@postgres_only
@pytest.mark.django_db
def test_an_edit_through_the_orm_is_found_by_its_new_words_and_no_longer_by_its_old_ones(client, make_provider):
    text_index.rebuild()
    rosa = make_provider("Rosa Marquez", bio="Works with grief and loss.", modalities=["cbt"])
    make_provider("Sam Okafor", bio="Works with panic and worry.")
    text_index.rebuild()
    assert not TextIndexChange.objects.exists()
    assert found(client, "grief") == ["Rosa Marquez"]

    rosa.bio = "Works with panic after a move."
    rosa.name = "Rosa Quintero"
    rosa.save()
    assert from_the_index("panic") is not None, "the index answers, reading the edited provider from its row"
    assert found(client, "grief") == [] and found(client, "marquez") == []
    assert sorted(found(client, "panic")) == ["Rosa Quintero", "Sam Okafor"]
    assert found(client, "quintero") == ["Rosa Quintero"]

    rosa.modalities.set([Modality.objects.get(slug="emdr")])
    assert found(client, "emdr") == ["Rosa Quintero"] and found(client, "cbt") == []


@postgres_only
@pytest.mark.django_db
def test_a_basic_registry_listing_comes_after_the_confirmed_listings_the_words_find(client, make_provider):
    make_provider("Abe Adams", bio="Works with grief.", source="npi-registry")  # first by name and by relevance
    make_provider("Zoe Young", bio="Works with grief.")
    text_index.rebuild()
    assert from_the_index("grief") is not None
    assert found(client, "grief") == ["Zoe Young", "Abe Adams"]
    assert [Provider.objects.get(pk=pk).name for pk in in_the_database("grief")] == ["Zoe Young", "Abe Adams"]


@postgres_only
@pytest.mark.django_db
def test_a_bulk_write_is_found_at_once(client, make_provider):
    make_provider("Rosa Marquez", bio="Works with grief.", external_id="r-1")
    text_index.rebuild()
    write_providers([ProviderRecord("r-1", values={"bio": "Works with insomnia."}),
                     ProviderRecord("n-2", values={"name": "Nia Obi", "bio": "Works with insomnia too."})])
    assert from_the_index("insomnia") is not None
    assert sorted(found(client, "insomnia")) == ["Nia Obi", "Rosa Marquez"]
    assert found(client, "grief") == []


@postgres_only
@pytest.mark.django_db
def test_a_rebuild_takes_in_the_changes_and_answers_the_same(client, make_provider):
    text_index.rebuild()
    make_provider("Rosa Marquez", bio="Works with grief.")
    make_provider("Alex Grief", bio="")
    before = found(client, "grief")
    assert TextIndexChange.objects.count() == 2
    call_command("rebuild_text_index", verbosity=0)
    facet_index.forget_text_matches()
    assert not TextIndexChange.objects.exists()
    assert found(client, "grief") == before == ["Alex Grief", "Rosa Marquez"]


@postgres_only
@pytest.mark.django_db
def test_a_broken_index_falls_back_to_the_database_and_tells_the_operator(client, make_provider, caplog):
    text_index.rebuild()
    make_provider("Rosa Marquez", bio="Works with grief.")
    text_index.rebuild()
    TextIndexEntry.objects.filter(lexeme="grief").update(providers=b"not a bitmap")
    text_index._warned.clear()
    with caplog.at_level(logging.WARNING, logger="directory.search.text_index"):
        assert found(client, "grief") == ["Rosa Marquez"]
    assert "could not be read" in caplog.text and "rebuild_text_index" in caplog.text


@postgres_only
@pytest.mark.django_db
def test_a_missing_index_falls_back_to_the_database_and_tells_the_operator(client, make_provider, caplog):
    make_provider("Rosa Marquez", bio="Works with grief.")
    text_index.drop()
    text_index._warned.clear()
    with caplog.at_level(logging.WARNING, logger="directory.search.text_index"):
        assert found(client, "grief") == ["Rosa Marquez"]
    assert "not built" in caplog.text


@postgres_only
@pytest.mark.django_db
def test_too_many_changes_drop_the_index_until_it_is_rebuilt(client, make_provider, monkeypatch):
    monkeypatch.setattr(text_index, "CHANGES_KEPT", 2)
    text_index.rebuild()
    for name in ("Ana Grief", "Ben Grief", "Cy Grief"):
        make_provider(name)
    assert text_index.built_over() is None
    assert found(client, "grief") == ["Ana Grief", "Ben Grief", "Cy Grief"]
    text_index.rebuild()
    facet_index.forget_text_matches()
    assert from_the_index("grief") is not None
    assert found(client, "grief") == ["Ana Grief", "Ben Grief", "Cy Grief"]


@postgres_only
@pytest.mark.django_db
def test_an_import_that_drops_the_index_builds_it_again_at_its_end(client, make_provider, monkeypatch, tmp_path,
                                                                    capsys):
    monkeypatch.setattr(text_index, "CHANGES_KEPT", 2)
    for name in ("Ana Grief", "Ben Grief", "Cy Grief"):
        make_provider(name, licenses=[("LCSW", "TX")])
    call_command("export_providers", str(tmp_path / "providers.csv"))
    text_index.rebuild()
    call_command("import_providers", str(tmp_path / "providers.csv"))
    assert "Built the free-text index over 3 providers." in capsys.readouterr().out
    assert from_the_index("grief") is not None
    assert found(client, "grief") == ["Ana Grief", "Ben Grief", "Cy Grief"]


@pytest.mark.django_db
def test_without_postgresql_there_is_no_index_and_rebuilding_says_so(make_provider, capsys):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's plain matching")
    make_provider("Rosa Marquez", bio="Works with grief.")
    assert text_index.find("grief", facet_index.current().published) is None
    call_command("rebuild_text_index")
    assert "for PostgreSQL" in capsys.readouterr().out


@postgres_only
def test_the_engines_are_timed_side_by_side_and_find_the_same_providers(demo, tmp_path, capsys):
    output = tmp_path / "bench-text.txt"
    call_command("bench_text", runs=1, tantivy=True, pages=True, query=["therapy", "anxiety -trauma"],
                 output=str(output))
    printed = capsys.readouterr().out
    assert output.read_text().strip() == printed.strip()
    rows = [line for line in printed.splitlines() if line.endswith((" yes", " no"))]
    assert len(rows) == 2 * 4 and all(line.endswith("yes") for line in rows), printed  # 4 engines, 2 queries
    requests = [line for line in printed.splitlines() if line.startswith(("page, ", "API, "))]
    assert len(requests) == 2 * 2 * 2  # page and API, by the SQL path and by the index, for each query
    assert "load average" in printed.splitlines()[0] and "load average" in printed.splitlines()[-1]
