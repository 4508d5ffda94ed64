"""The /providers/ page: results, cards, counts beside filters, chips, the empty state, messages, pages, htmx."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains

pytestmark = pytest.mark.django_db

AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}


def text(response) -> str:
    """The page as a person reads it: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def count_beside(response, option_id: str) -> int:
    """The count shown beside the filter option with this id."""
    html = response.content.decode()
    match = re.search(rf'id="{re.escape(option_id)}".*?<span class="count">(\d+)<', html, re.S)
    assert match, f"no count beside {option_id}"
    return int(match.group(1))


def test_the_page_lists_published_providers_as_cards(client, make_provider, today):
    make_provider(
        "Ana Díaz", licenses=[("LCSW", "TX"), ("LPC", "NY")],
        modalities=["cbt", "act", "dbt", "emdr", "mbct"],
        standard_fee=140, sliding_scale_min=40, sliding_scale_max=120, free_consultation=True,
        telehealth=True, offices=[AUSTIN],
        accepting_confirmed=datetime.date(2026, 11, 10), last_verified=today,
    )
    make_provider("Hidden Person", published=False)
    response = client.get("/providers/")
    assert response.status_code == 200
    page = text(response)
    assertContains(response, '<a href="/providers/ana-diaz/">Ana Díaz</a>')
    assert "Ana Díaz , LCSW, LPC" in page
    assert "Cognitive Behavioral Therapy (CBT), Dialectical Behavior Therapy (DBT)" in page
    assert "and 2 more" in page
    assert "$140 a session, $40–$120 sliding scale, free consultation" in page
    assert "Telehealth · In person in Austin, TX" in page
    assert "Licensed in New York, Texas" in page
    assert "Accepting new clients (confirmed Nov 10, 2026)" in page
    assert f"Profile last verified {today:%b} {today.day}, {today.year}" in page
    assert "Hidden Person" not in page
    assert "1 provider" in page


def test_a_card_says_when_a_fee_is_not_listed_and_a_profile_is_out_of_date(client, make_provider, today):
    make_provider("Ben Roe", accepting_new_clients=False, accepting_confirmed=today,
                  last_verified=today - datetime.timedelta(days=400))
    page = text(client.get("/providers/"))
    assert "Fee not listed" in page
    assert "Not accepting new clients" in page
    assert "details may have changed" in page


def test_counts_beside_each_filter_value_describe_the_current_results(client, make_provider):
    make_provider("Ana", modalities=["cbt"], languages=["es"], telehealth=True, licenses=[("LCSW", "TX")])
    make_provider("Ben", modalities=["cbt", "dbt"], languages=["en"], licenses=[("LCSW", "NY")])
    make_provider("Cy", modalities=["dbt"], languages=["es"], telehealth=True, licenses=[("MD", "TX")])
    everyone = client.get("/providers/")
    assert count_beside(everyone, "modality-cbt") == 2
    assert count_beside(everyone, "modality-dbt") == 2
    assert count_beside(everyone, "modality-emdr") == 0
    assert count_beside(everyone, "credential-LCSW") == 2
    assert count_beside(everyone, "id_telehealth") == 2
    assert count_beside(everyone, "id_prescriber") == 1
    assertContains(everyone, "Texas (2)")
    spanish = client.get("/providers/", {"language": "es"})
    assert count_beside(spanish, "modality-cbt") == 1
    assert count_beside(spanish, "modality-dbt") == 1
    assert count_beside(spanish, "id_telehealth") == 2
    assertContains(spanish, 'id="language-es" name="language" value="es" checked')


def test_active_filters_are_chips_that_each_remove_one_value(client, make_provider):
    make_provider("Ana", modalities=["cbt", "dbt"], telehealth=True)
    response = client.get("/providers/", {"modality": ["cbt", "dbt"], "telehealth": "true", "page": "1"})
    html = response.content.decode()
    chips = dict(re.findall(r'<a class="chip" href="\?([^"]*)"[^>]*>([^<]*)<', html))
    chips = {label.replace("&#x27;", "'"): query.replace("&amp;", "&") for query, label in chips.items()}
    assert chips == {
        "Approach: Cognitive Behavioral Therapy (CBT)": "modality=dbt&telehealth=true",
        "Approach: Dialectical Behavior Therapy (DBT)": "modality=cbt&telehealth=true",
        "Offers telehealth": "modality=cbt&modality=dbt",
    }


def test_an_empty_result_says_which_filter_to_relax(client, make_provider):
    make_provider("Ana", modalities=["cbt"], licenses=[("LCSW", "TX")], standard_fee=150)
    make_provider("Ben", modalities=["cbt"], licenses=[("LCSW", "TX")], standard_fee=60)
    response = client.get("/providers/", {"modality": "cbt", "state": "NY", "max_fee": 100})
    page = text(response)
    assert "No provider matches all of these filters." in page
    assert "Remove “Licensed in New York” (1 provider)" in page
    assert "Remove “Fee up to $100”" not in page
    assertContains(response, 'href="?modality=cbt&amp;max_fee=100"')


def test_an_invalid_value_is_explained_beside_its_field_and_the_rest_still_applies(client, make_provider):
    make_provider("Ana", modalities=["cbt"])
    make_provider("Ben", modalities=["dbt"])
    response = client.get("/providers/", {"zip": "abc", "modality": "cbt", "radius": "9000"})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(
        r'id="errors-zip" class="field-errors"><ul class="errorlist"><li>Enter a five-digit US ZIP code', html
    )
    assert re.search(r'id="errors-radius" class="field-errors"><ul class="errorlist"><li>Choose a radius', html)
    assert re.search(r'id="id_zip"[^>]*aria-invalid="true"', html)
    page = text(response)
    assert "Some filters could not be used" in page
    assert "Ana" in page and "Ben" not in page


@pytest.mark.parametrize(
    "params",
    [
        {"modality": "astrology"}, {"max_fee": "NaN"}, {"max_fee": "1e400"}, {"page_size": "-1"},
        {"sort": "distance"}, {"state": "\x00"}, {"zip": "9" * 500}, {"prescriber": "perhaps"},
        {"page": "99999999999999999999"},
    ],
)
def test_bad_input_never_breaks_the_page(client, make_provider, params):
    make_provider("Ana")
    response = client.get("/providers/", params)
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "Some filters could not be used" in text(response)


def test_page_links_keep_the_filters(client, make_provider):
    for i in range(5):
        make_provider(f"Provider {i}", modalities=["cbt"])
    response = client.get("/providers/", {"modality": "cbt", "page_size": 2, "page": 2})
    page = text(response)
    assert "Provider 2" in page and "Provider 1" not in page
    assertContains(response, 'href="?modality=cbt&amp;page_size=2&amp;page=3"')
    assertContains(response, 'href="?modality=cbt&amp;page_size=2&amp;page=1"')
    assertContains(response, 'aria-current="page"')


def test_an_empty_result_that_no_single_change_fixes_says_so(client, make_provider):
    make_provider("Ana", modalities=["cbt"], licenses=[("LCSW", "TX")])
    page = text(client.get("/providers/", {"modality": "dbt", "state": "NY"}))
    assert "No single filter is to blame" in page


def test_a_page_past_the_end_is_not_found(client, make_provider):
    make_provider("Ana")
    assert client.get("/providers/", {"page": 3}).status_code == 404


def test_an_htmx_request_gets_the_results_with_fresh_counts_but_not_the_whole_page(client, make_provider):
    make_provider("Ana", modalities=["cbt"])
    response = client.get("/providers/", {"modality": "cbt"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert '<section id="results"' in html
    assert 'id="search-filters" class="filters" hx-swap-oob="true"' in html
    assert 'id="results-status" hx-swap-oob="innerHTML"' in html
    assert "HX-Request" in response["Vary"]
    full = client.get("/providers/", {"modality": "cbt"})
    assert "<html" in full.content.decode()
    assert "hx-swap-oob" not in full.content.decode()


def test_restoring_history_gets_the_whole_page(client, make_provider):
    make_provider("Ana")
    response = client.get("/providers/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_the_page_works_without_javascript_as_a_get_form(client, taxonomy):
    response = client.get("/providers/")
    assertContains(response, 'method="get" action="/providers/"')
    assertContains(response, '<button type="submit">Show results</button>')
    assertContains(response, '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false}\'>')
    assertNotContains(response, "style=")
    assertNotContains(response, " onclick=")


def _queries(client, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/providers/", params)
    assert response.status_code == 200
    return len(queries)


def test_the_number_of_queries_for_the_page_does_not_grow_with_the_page_size(client, make_provider):
    for i in range(50):
        make_provider(
            f"Provider {i:03d}", licenses=[("LCSW", "TX"), ("MD", "NY")], modalities=["cbt", "act"],
            conditions=["depression"], languages=["en"], insurance=["aetna"], offices=[AUSTIN], standard_fee=90,
        )
    params = {"modality": "cbt", "language": "en", "zip": "78701"}
    _queries(client, params)  # the first request of a process reads the taxonomy into the cache
    assert _queries(client, {**params, "page_size": 5}) == _queries(client, {**params, "page_size": 50})


def test_links_leave_out_the_empty_fields_a_plain_form_sends(client, make_provider):
    make_provider("Ana", telehealth=True)
    response = client.get("/providers/", {"q": "", "zip": "", "telehealth": "true", "sort": "relevance"})
    assertContains(response, 'class="chip" href="?sort=relevance"')
