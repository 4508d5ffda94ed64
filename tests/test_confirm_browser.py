"""The "Still accepting?" page in a real browser, opened from the link in an email a real SMTP server received:
accessible (axe-core, WCAG 2.2 A/AA), usable by keyboard, on this site only, with JavaScript on and off."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from directory.models import Provider

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/listings/confirm/([a-z-]+)/\S+/")


@pytest.fixture
def links(live_server, make_claimed_provider, smtp_server, settings) -> dict[str, str]:
    """Ana Díaz claimed her listing and said she was accepting 31 days ago; the round emailed her these links."""
    settings.SITE_URL = live_server.url
    make_claimed_provider("Ana Díaz", "ana@example.org", confirmed_days_ago=31)
    call_command("send_confirmations", verbosity=0)
    [message] = smtp_server.messages
    return {match.group(1): match.group(0) for match in LINK.finditer(message.get_content())}


def test_a_provider_answers_waitlist_from_the_email_by_keyboard(site, links, accessible, today):
    page = site.page
    assert page.goto(links["waitlist"]).status == 200
    assert page.locator('.crisis-banner a[href="tel:988"]').is_visible()
    assert page.get_by_role("heading", level=1).inner_text() == "Confirm your availability"
    weeks = page.get_by_label("About how many weeks is the wait?")
    assert weeks.input_value() == "4"
    accessible(page)
    assert Provider.objects.get().accepting_confirmed < today, "opening the link changed nothing"

    weeks.fill("200")
    page.get_by_role("button", name="Confirm: waitlist").click()
    page.get_by_text("Enter about how many weeks the wait is").wait_for()
    assert page.get_by_label("About how many weeks is the wait?").get_attribute("aria-invalid") == "true"
    accessible(page)

    weeks = page.get_by_label("About how many weeks is the wait?")
    weeks.fill("6")
    weeks.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Confirm: waitlist"
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="Thank you").wait_for()
    assert page.get_by_role("status").inner_text().startswith("Your listing Ana Díaz now says: Waitlist, about 6 weeks")
    accessible(page)
    ana = Provider.objects.get()
    assert (ana.accepting_new_clients, ana.waitlist_weeks, ana.accepting_confirmed) == (False, 6, today)

    for link, status, heading in ((links["accepting"], 410, "This link has already been used"),
                                  (links["accepting"].replace("/accepting/", "/accepting/x"), 400,
                                   "This link does not work")):
        assert page.goto(link).status == status
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert page.locator('.crisis-banner a[href="tel:988"]').is_visible()
        accessible(page)
    assert site.foreign_requests() == []


def test_a_provider_answers_without_javascript(browser, links, today):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(links["not-accepting"])
        page.get_by_role("link", name="I am accepting new clients").click()
        page.get_by_role("button", name="Confirm: accepting new clients").click()
        page.get_by_role("heading", level=1, name="Thank you").wait_for()
        ana = Provider.objects.get()
        assert (ana.accepting_new_clients, ana.accepting_confirmed, ana.account.availability_confirmed_on) == (
            True, today, today)
        assert page.goto(links["waitlist"]).status == 410
        assert page.get_by_role("heading", level=1).inner_text() == "This link has already been used"
    finally:
        context.close()
