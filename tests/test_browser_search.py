"""Real-browser checks of provider search and profiles, with JavaScript on and off."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from directory.models import Provider, Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701", "address": "100 Congress Ave"}


@pytest.fixture
def providers(make_provider, today):
    make_provider(
        "Ana Díaz", modalities=["cbt", "act"], conditions=["depression"], languages=["en", "es"],
        standard_fee=140, sliding_scale_min=40, sliding_scale_max=120, free_consultation=True,
        telehealth=True, offices=[AUSTIN], last_verified=today, phone="512-555-0142",
    )
    make_provider("Ben Roe", modalities=["dbt"], conditions=["anxiety"], standard_fee=90, telehealth=True,
                  last_verified=today)
    make_provider("Cy Lee", modalities=["emdr"], conditions=["ptsd"], licenses=[("MD", "NY")], last_verified=today)


def result_names(page) -> list[str]:
    return page.locator("#results .provider-card-name a").all_inner_texts()


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_the_search_page_and_a_profile_are_accessible_and_stay_on_this_site(site, accessible, providers):
    assert site.open("/providers/").status == 200
    accessible(site.page)
    site.page.locator("summary", has_text="Approach").click()
    accessible(site.page)
    assert site.open("/providers/ana-diaz/").status == 200
    accessible(site.page)
    assert site.foreign_requests() == []


def test_an_empty_search_with_an_error_is_accessible(site, accessible, providers):
    site.open("/providers/?zip=abc&modality=ect")
    assert site.page.locator("#errors-zip").inner_text().startswith("Enter a five-digit US ZIP code")
    accessible(site.page)


def test_clicking_filters_narrows_the_results_in_place_and_keeps_the_address_in_step(site, providers):
    page = site.page
    refused: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico") and failed.append(r.url))
    site.open("/providers/")
    assert result_names(page) == ["Ana Díaz", "Ben Roe", "Cy Lee"]
    page.locator("summary", has_text="Approach").click()
    page.get_by_label(re.compile(r"Cognitive Behavioral Therapy \(CBT\)")).check()
    page.wait_for_url(re.compile(r"modality=cbt"))
    page.locator("#results-title", has_text="1 provider").wait_for()
    assert result_names(page) == ["Ana Díaz"]
    page.get_by_label(re.compile(r"Dialectical Behavior Therapy \(DBT\)")).check()
    page.locator("#results-title", has_text="2 providers").wait_for()
    assert query_of(page)["modality"] == ["cbt", "dbt"]
    assert result_names(page) == ["Ana Díaz", "Ben Roe"]
    # The checkbox that was just used keeps the keyboard focus after the filters are refreshed.
    assert page.evaluate("document.activeElement.id") == "modality-dbt"
    page.get_by_role("link", name=re.compile(r"Approach: Cognitive Behavioral Therapy")).click()
    page.locator("#results-title", has_text="1 provider").wait_for()
    assert result_names(page) == ["Ben Roe"]
    assert query_of(page)["modality"] == ["dbt"]
    # The chip that was used is gone: the keyboard continues from the new results' heading.
    assert page.evaluate("document.activeElement.id") == "results-title"
    assert not page.get_by_label(re.compile(r"Cognitive Behavioral Therapy \(CBT\)")).is_checked()
    assert site.foreign_requests() == []
    assert (refused, failed) == ([], [])


def test_filters_work_without_javascript(browser, live_server, providers):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/providers/")
    page.get_by_label("Offers telehealth").check()
    page.get_by_label("Most you can pay per session ($)").fill("50")
    page.get_by_role("button", name="Show results").click()
    page.wait_for_url(re.compile(r"max_fee=50"))
    assert result_names(page) == ["Ana Díaz"]
    page.get_by_role("link", name=re.compile(r"Fee up to \$50")).click()
    page.wait_for_load_state()
    assert result_names(page) == ["Ana Díaz", "Ben Roe"]
    assert not page.get_by_label("Most you can pay per session ($)").input_value()
    context.close()


def test_a_person_opens_a_profile_and_reports_the_listing(site, providers):
    page = site.page
    site.open("/providers/?q=Ana")
    page.get_by_role("link", name="Ana Díaz").click()
    page.get_by_role("heading", level=1, name=re.compile("Ana Díaz")).wait_for()
    assert page.get_by_role("link", name="512-555-0142").is_visible()
    page.get_by_label("Not accepting new clients").check()
    page.get_by_label("What was wrong? (optional)").fill("They told me their caseload is full.")
    page.get_by_role("button", name="Send report").click()
    page.get_by_text("Thank you. Our staff will check this listing.").wait_for()
    report = Report.objects.get()
    assert (report.reason, report.provider.name) == ("not-accepting", "Ana Díaz")
    assert Provider.objects.get(name="Ana Díaz").needs_reverification
    assert site.foreign_requests() == []
