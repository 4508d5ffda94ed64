"""A report's outcome shows beside the form and takes the focus, with JavaScript on and off: the person sees
it where they pressed Send (not at the top of a long page) and a screen reader reads it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from directory.models import Report
from tests.conftest import Site, assert_accessible

pytestmark = pytest.mark.browser

def sent(site: Site) -> dict:
    """Press Send report; once the next page has focused what it focuses, what has the focus."""
    site.page.get_by_role("button", name="Send report").click()
    feedback = site.page.locator("#report-feedback")
    feedback.wait_for()
    expect(feedback).to_be_focused()  # waits (a busy machine) for the page's autofocus; fails if it never comes
    return site.page.evaluate(FOCUSED)


FOCUSED = """() => { const e = document.activeElement, box = e.getBoundingClientRect();
    return {id: e.id, text: e.innerText.trim(), inView: box.top >= 0 && box.bottom <= innerHeight,
            inReport: e.closest('#report') !== null}; }"""


@pytest.fixture
def open_profile(browser, live_server, make_provider, today):
    """open_profile(javascript): Ana Díaz's long profile on a phone-sized screen, JavaScript on or off."""
    make_provider("Ana Díaz", modalities=["cbt", "act", "dbt", "emdr"], conditions=["depression", "anxiety"],
                  bio="I work with adults.\n\n" * 20, standard_fee=140, telehealth=True, last_verified=today)
    contexts = []

    def open_(javascript: bool) -> Site:
        context = browser.new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 844})
        contexts.append(context)
        site = Site(live_server.url, context.new_page())
        site.open("/providers/ana-diaz/")
        return site

    yield open_
    for context in contexts:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_an_empty_report_says_so_beside_the_form_and_takes_the_focus(open_profile, javascript):
    site = open_profile(javascript)
    focused = sent(site)
    assert focused["id"] == "report-feedback"
    assert focused["text"].startswith("Your report was not sent.")
    assert "Choose what the problem is." in focused["text"]
    assert focused["inView"] and focused["inReport"]
    assert site.page.evaluate("scrollY") > 844, "the page did not move down to the form"
    assert Report.objects.count() == 0
    if javascript:
        assert_accessible(site.page)
        # The message links to the question it is about.
        site.page.locator("#report-feedback").get_by_role("link", name="Choose what the problem is.").click()
        assert site.page.evaluate("document.activeElement.name") == "reason"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_thanks_for_a_report_shows_beside_the_form_and_takes_the_focus(open_profile, javascript):
    site = open_profile(javascript)
    site.page.get_by_label("Not accepting new clients").check()
    focused = sent(site)
    assert focused == {"id": "report-feedback", "text": "Thank you. Our staff will check this listing.",
                       "inView": True, "inReport": True}
    # Only there: not also at the top of the page.
    assert site.page.get_by_text("Thank you. Our staff will check this listing.").count() == 1
    assert Report.objects.get().reason == "not-accepting"
    if javascript:
        assert_accessible(site.page)
    assert site.foreign_requests() == []
