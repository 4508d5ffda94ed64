"""Real-browser checks of the foundation's pages: they render, pass axe-core, and stay on this origin."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/", "/resources/"])
def test_page_is_accessible_and_makes_no_foreign_requests(site, accessible, resources, path):
    response = site.open(path)
    assert response.status == 200
    assert site.page.get_by_role("link", name="988").first.is_visible()
    accessible(site.page)
    assert site.foreign_requests() == []


def test_the_skip_link_is_the_first_stop_for_the_keyboard_and_moves_focus_to_the_content(site):
    site.open("/")
    site.page.keyboard.press("Tab")
    focused = site.page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    site.page.keyboard.press("Enter")
    assert site.page.evaluate("document.activeElement.id") == "main"
