"""Every public page in a real browser, with the demo data: accessible, keyboard-usable, same-origin only.

Set SCREENSHOT_DIR to also save a screenshot of each page (the README's pictures come from here).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from directory.models import Condition, Modality, Provider
from guides.models import Guide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def demo(db):
    call_command("loaddata", "taxonomy", "resources", "guides", "demo_providers", verbosity=0)


def public_pages() -> list[tuple[str, str]]:
    """(name, path) of every public page, with real slugs from the demo data."""
    provider = Provider.objects.published().filter(offices__isnull=False).order_by("slug").first()
    guide = Guide.objects.published().order_by("slug").first()
    return [
        ("home", "/"),
        ("search", "/providers/?state=TX&modality=cbt"),
        ("profile", provider.get_absolute_url()),
        ("fit-finder", "/match/"),
        ("fit-finder-results", "/match/?concern=depression&tried=cbt&tried=medication-management&state=CA&budget=80"),
        ("guides", "/guides/"),
        ("guide", guide.get_absolute_url()),
        ("approaches", "/modalities/"),
        ("approach", Modality.objects.get(slug="tms").get_absolute_url()),
        ("condition", Condition.objects.get(slug="treatment-resistant-depression").get_absolute_url()),
        ("resources", "/resources/"),
    ]


def tab_through(page) -> list[dict]:
    """Press Tab until focus comes back round; report each stop and whether its focus is visible."""
    stops: list[dict] = []
    for _ in range(600):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            """() => {
                const e = document.activeElement;
                if (!e || e === document.body) return null;
                const s = getComputedStyle(e);
                const r = e.getBoundingClientRect();
                return {key: e.outerHTML.slice(0, 80), tag: e.tagName, visible: r.width > 0 && r.height > 0,
                        ring: s.outlineStyle !== "none" && s.outlineWidth !== "0px" || s.boxShadow !== "none"};
            }"""
        )
        if stop is None or (stops and stop["key"] == stops[0]["key"]):
            break
        stops.append(stop)
    return stops


def test_every_public_page_is_accessible_keyboard_usable_and_stays_on_this_site(site, accessible, demo):
    page = site.page
    for name, path in public_pages():
        response = site.open(path)
        assert response.status == 200, path
        assert page.locator('.crisis-banner a[href="tel:988"]').is_visible(), f"{path}: no 988 link"
        accessible(page)
        stops = tab_through(page)
        assert len(stops) > 3, f"{path}: the keyboard reaches almost nothing"
        assert stops[0]["key"].startswith('<a class="skip-link"'), f"{path}: the skip link is not first"
        hidden = [s["key"] for s in stops if not s["ring"]]
        assert hidden == [], f"{path}: focus is not visible on {hidden}"
        if SCREENSHOT_DIR:
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(site.url + path)
            Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"))
    assert site.foreign_requests() == []


def test_a_phone_sized_screen_keeps_the_crisis_line_and_the_content_readable(site, accessible, demo):
    site.page.set_viewport_size({"width": 375, "height": 740})
    for _, path in public_pages()[:5]:
        site.open(path)
        assert site.page.locator('.crisis-banner a[href="tel:988"]').is_visible()
        overflow = site.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways on a phone"
        accessible(site.page)
