"""The provider pages in a real browser, as in test_browser.py: the sign-in page, the dashboard and the edit
form are accessible (axe-core, WCAG 2.2 A/AA), stay on this site, and work with JavaScript on and off, from
the emailed link (a real SMTP server on localhost) to changes waiting for review."""

from __future__ import annotations

import re

import pytest

from directory.models import Provider
from listings.models import ListingEdit
from tests.conftest import Site, assert_accessible

pytestmark = pytest.mark.browser

AUSTIN = {"address": "100 Congress Ave", "city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}


@pytest.fixture
def ana(make_provider, make_account, today):
    provider = make_provider("Ana Díaz", modalities=["act"], conditions=["depression"], standard_fee=140,
                             licenses=[("LCSW", "TX", "LCSW-1", today)], offices=[AUSTIN], last_verified=today)
    make_account(provider, "ana@example.org")
    return provider


@pytest.fixture
def open_site(browser, live_server, settings):
    """open_site(javascript=True): a page on the live server, in a browser with JavaScript on or off."""
    settings.SITE_URL = live_server.url  # the links in emails point here
    contexts = []

    def make(javascript: bool) -> Site:
        context = browser.new_context(java_script_enabled=javascript)
        contexts.append(context)
        return Site(live_server.url, context.new_page())

    yield make
    for context in contexts:
        context.close()


def check_accessible(site: Site, javascript: bool) -> None:
    """axe-core runs in the page, so only where JavaScript is on."""
    if javascript:
        assert_accessible(site.page)
    assert site.page.locator('.crisis-banner a[href="tel:988"]').is_visible()


def sign_in_by_email(site: Site, mailbox, javascript: bool) -> None:
    page = site.page
    assert site.open("/provider/sign-in/").status == 200
    check_accessible(site, javascript)
    page.get_by_label("Your email address").fill("ana@example.org")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_text("If this address belongs to a listing, we sent a link to it.").wait_for()
    check_accessible(site, javascript)
    [link] = [url for url in mailbox.links() if "/provider/sign-in/link/" in url]
    page.goto(link)
    check_accessible(site, javascript)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1, name="Your listing: Ana Díaz").wait_for()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_provider_signs_in_by_email_confirms_availability_and_sends_changes_for_review(
    open_site, mailbox, ana, today, javascript
):
    site = open_site(javascript)
    page = site.page
    sign_in_by_email(site, mailbox, javascript)
    check_accessible(site, javascript)

    page.get_by_label("I am accepting new clients").uncheck()
    page.get_by_label("Waitlist, in weeks (optional)").fill("4")
    page.get_by_label("Weekday evenings").check()
    page.get_by_role("button", name="Save and confirm my availability").click()
    page.get_by_text("Your availability is updated and confirmed as of today.").wait_for()
    assert "Waitlist, about 4 weeks" in page.locator("#main").inner_text()
    listing = Provider.objects.get(pk=ana.pk)
    assert (listing.waitlist_weeks, listing.evenings, listing.accepting_confirmed) == (4, True, today)

    page.get_by_role("link", name="Edit your listing").click()
    page.get_by_role("heading", level=1, name="Edit your listing: Ana Díaz").wait_for()
    check_accessible(site, javascript)
    page.get_by_label("About you").fill("I help adults with depression and anxiety.")
    page.get_by_label("Cognitive Behavioral Therapy (CBT)").check()
    page.get_by_label("Standard session fee").fill("120")
    page.get_by_role("button", name="Send my changes for review").click()
    page.get_by_text("Thank you. Our staff will review your changes").wait_for()
    waiting = page.get_by_role("table", name="Your changes, field by field")
    assert "Cognitive Behavioral Therapy (CBT)" in waiting.inner_text()
    assert "$120" in waiting.inner_text() and "$140" in waiting.inner_text()
    check_accessible(site, javascript)
    assert ListingEdit.objects.pending().get().changes["standard_fee"] == "120.00"
    assert Provider.objects.get(pk=ana.pk).standard_fee == 140
    assert site.foreign_requests() == []


def test_edit_errors_show_beside_their_fields_and_the_page_stays_accessible(open_site, mailbox, ana):
    site = open_site(True)
    page = site.page
    sign_in_by_email(site, mailbox, True)
    site.open(f"/provider/listing/{ana.slug}/edit/")
    page.get_by_label("Sliding-scale minimum").fill("90")
    page.get_by_label("Sliding-scale maximum").fill("40")
    page.locator("#id_licenses-0-number").fill("LCSW;1")
    page.get_by_role("button", name="Send my changes for review").click()
    page.get_by_text("Nothing was sent: some answers need a change.").wait_for()
    minimum = page.get_by_label("Sliding-scale minimum")
    assert minimum.get_attribute("aria-invalid") == "true"
    error_id = minimum.get_attribute("aria-describedby").split()[-1]
    assert page.locator(f"#{error_id}").inner_text() == "The sliding-scale minimum cannot be above the maximum."
    assert page.locator("#id_licenses-0-number").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    assert not ListingEdit.objects.exists()


def test_a_used_sign_in_link_explains_itself_in_the_browser(open_site, mailbox, ana):
    site = open_site(True)
    sign_in_by_email(site, mailbox, True)
    [link] = [url for url in mailbox.links() if "/provider/sign-in/link/" in url]
    other = open_site(True)
    other.page.goto(link)
    other.page.get_by_role("heading", level=1, name="This sign-in link does not work").wait_for()
    assert_accessible(other.page)
    other.page.get_by_role("link", name="Ask for a new sign-in link").click()
    other.page.wait_for_url(re.compile(r"/provider/sign-in/$"))
