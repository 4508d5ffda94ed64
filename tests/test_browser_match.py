"""The fit finder in a real browser: from the first question to ranked results, with and without JavaScript."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def providers(make_provider, resources, today):
    make_provider(
        "Ana Díaz", licenses=[("LCSW", "TX", "L-1", today)], telehealth=True, modalities=["act"],
        conditions=["treatment-resistant-depression"], sliding_scale_min=40, sliding_scale_max=120,
        standard_fee=140, accepting_confirmed=today, last_verified=today,
    )
    make_provider("Ben Roe", licenses=[("LPC", "TX")], telehealth=True, modalities=["cbt"], standard_fee=90)


def answer_questions(page) -> None:
    page.get_by_label("Depression", exact=True).check()
    page.locator("#id_tried").get_by_label("Cognitive Behavioral Therapy (CBT)").check()
    page.get_by_label("State or province").select_option("TX")
    page.get_by_label("Most you can pay per session ($)").fill("50")
    page.get_by_role("button", name="Show providers who fit").click()


def test_the_fit_finder_from_first_question_to_results(site, accessible, providers):
    site.open("/match/")
    accessible(site.page)
    answer_questions(site.page)
    results = site.page.locator("#match-results")
    results.get_by_role("heading", name="1 provider who can see you").wait_for()
    assert "Offers ACT, an alternative to CBT, which you said did not help" in results.inner_text()
    assert "Ben Roe" not in results.inner_text()
    assert "concern=depression" in site.page.url  # htmx keeps the address in step, so it can be bookmarked
    accessible(site.page)
    assert site.foreign_requests() == []


def test_the_fit_finder_works_without_javascript(live_server, browser, providers):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/match/")
    answer_questions(page)
    page.get_by_role("heading", name="1 provider who can see you").wait_for()
    assert "Sliding scale from $40 fits your $50 budget" in page.inner_text("#match-results")
    context.close()


def test_in_crisis_the_page_leads_with_988(site, accessible, providers):
    site.open("/match/")
    site.page.get_by_label("I am in crisis or thinking about suicide right now").check()
    site.page.get_by_role("button", name="Show providers who fit").click()
    site.page.get_by_role("heading", name="You do not have to go through this alone").wait_for()
    first_heading = site.page.locator("main h2").first.inner_text()
    assert first_heading == "You do not have to go through this alone"
    accessible(site.page)


def test_every_control_is_reachable_by_keyboard_with_a_visible_focus(site, providers):
    site.open("/match/")
    page = site.page
    seen: list[str] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        name, tag, outline_style, outline_width = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.id || e.textContent.trim().slice(0, 30), e.tagName, s.outlineStyle, s.outlineWidth]; }"
        )
        if tag == "BODY" or (seen and name == seen[0]):
            break  # once round the page
        seen.append(name)
        assert outline_style != "none" and outline_width != "0px", f"no visible focus on {name}"
    assert {"id_crisis", "id_state", "id_budget"} <= set(seen)
