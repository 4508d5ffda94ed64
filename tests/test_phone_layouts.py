"""On a phone (390 by 844 CSS px), as in test_browser.py on the demo data: a profile's licenses stack with
"Verified by our staff" in view, a guide starts folded on its table of contents, select boxes show their whole
text, and the place list puts the states first and Canada after, with JavaScript on and off."""

from __future__ import annotations

import re

import pytest

from directory.jurisdictions import CANADIAN_PROVINCES, US_STATES
from directory.models import Provider
from tests.conftest import Site, assert_accessible

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
GUIDE = "/guides/effective-therapy-for-treatment-resistant-depression/"
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def open_demo(request, demo, browser):
    """open_demo(path, javascript=True, viewport=PHONE): a page of the demo site in a fresh browser context."""
    live_server = request.getfixturevalue("live_server")  # by name, as demo_site does: the demo stays committed
    contexts = []

    def open_(path: str, *, javascript: bool = True, viewport: dict = PHONE) -> Site:
        context = browser.new_context(java_script_enabled=javascript, viewport=viewport)
        contexts.append(context)
        site = Site(live_server.url, context.new_page())
        assert site.open(path).status == 200
        return site

    yield open_
    for context in contexts:
        context.close()


# --- Licenses on a profile ---------------------------------------------------------------------


def a_profile_with_two_licenses() -> str:
    provider = next(p for p in Provider.objects.published().order_by("slug").prefetch_related("licenses")
                    if len(p.licenses.all()) >= 2)
    return provider.get_absolute_url()


def test_on_a_phone_each_license_shows_verified_by_our_staff_without_a_sideways_scroll(open_demo):
    site = open_demo(a_profile_with_two_licenses())
    page = site.page
    assert page.evaluate(SIDEWAYS) <= 1
    rows = page.locator("table.licenses tbody tr")
    assert rows.count() >= 2
    for row in rows.all():
        row.scroll_into_view_if_needed()
        verified = row.locator("td").last
        label = verified.get_by_text("Verified by our staff")
        assert label.is_visible()
        value = verified.inner_text().removeprefix("Verified by our staff").strip()
        assert re.fullmatch(r"(\w+ \d{1,2}, \d{4}|Not yet verified)( \(expired .*\))?", value), value
        for box in (label.bounding_box(), verified.bounding_box(), row.bounding_box()):
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        # Nothing in the table scrolls sideways either.
        assert page.locator("table.licenses").evaluate("t => t.scrollWidth - t.clientWidth") <= 1
    assert_accessible(page)


def test_on_a_wide_screen_the_licenses_stay_a_table_with_one_header_row(open_demo):
    page = open_demo(a_profile_with_two_licenses(), viewport=DESKTOP).page
    headers = page.locator("table.licenses thead th")
    assert headers.all_inner_texts() == ["Credential", "Where", "License number", "Verified by our staff"]
    assert headers.last.is_visible()
    assert not page.locator("table.licenses tbody .cell-label").first.is_visible()
    first_row = page.locator("table.licenses tbody tr").first.bounding_box()
    assert first_row["height"] < 80, "the cells are not side by side"


# --- A guide's table of contents -----------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_on_a_phone_a_guide_starts_folded_on_its_contents_which_open_with_a_tap(open_demo, javascript):
    page = open_demo(GUIDE, javascript=javascript).page
    contents = page.get_by_role("navigation", name="On this page")
    link = contents.get_by_role("link", name="Approaches to Therapy")
    assert not link.is_visible()
    folded = contents.bounding_box()
    assert folded["height"] < 100
    # The guide's text comes right after it, not a few screens further down.
    assert page.locator(".guide-body").bounding_box()["y"] - (folded["y"] + folded["height"]) < 100
    contents.get_by_text("On this page").click()
    assert link.is_visible()
    link.click()
    assert page.url.endswith("#guide-approaches-to-therapy")
    assert page.locator("#guide-approaches-to-therapy").is_visible()
    if javascript:
        assert_accessible(page)


def test_on_a_wide_screen_the_contents_are_open_beside_the_guide(open_demo):
    page = open_demo(GUIDE, viewport=DESKTOP).page
    contents = page.get_by_role("navigation", name="On this page")
    assert contents.get_by_role("link", name="Approaches to Therapy").is_visible()
    assert contents.bounding_box()["x"] < page.locator(".guide-body").bounding_box()["x"]
    assert_accessible(page)


# --- Select boxes -----------------------------------------------------------------------------------

# For each option of a select: would its text show whole if it were the chosen one? The option alone in a copy
# of the select, measured by the browser: one that cannot wrap needs its natural width; one that can
# (appearance: base-select) must not overflow the select's own width.
CUT_OFF_OPTIONS = """(select) => {
    const style = getComputedStyle(select);
    const wraps = style.appearance === "base-select";
    const width = select.getBoundingClientRect().width;
    const cut = [];
    for (const option of select.options) {
        const alone = select.cloneNode(false);
        alone.removeAttribute("id");
        alone.removeAttribute("name");
        Object.assign(alone.style, {position: "absolute", visibility: "hidden", minWidth: "0"},
                      wraps ? {width: width + "px"} : {width: "auto", maxWidth: "none"});
        alone.append(new Option(option.text));
        select.parentElement.append(alone);
        const fits = wraps ? alone.scrollWidth <= alone.clientWidth + 1
                           : alone.getBoundingClientRect().width <= width + 0.5;
        alone.remove();
        if (!fits) cut.push(option.text);
    }
    return cut;
}"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("path", ["/providers/", "/match/", "/guides/"])
def test_every_select_box_shows_the_whole_text_of_whatever_is_chosen(open_demo, path, viewport):
    # Without JavaScript the fit finder shows all its steps, so all its selects.
    page = open_demo(path, javascript=False, viewport=viewport).page
    selects = page.locator("main select").all()
    assert len(selects) >= 2
    cut = {select.get_attribute("id"): select.evaluate(CUT_OFF_OPTIONS) for select in selects}
    assert cut == {select.get_attribute("id"): [] for select in selects}
    assert page.evaluate(SIDEWAYS) <= 1


def test_a_long_approach_chosen_on_a_phone_shows_whole_and_the_page_stays_accessible(open_demo):
    page = open_demo("/guides/?modality=emdr").page
    select = page.get_by_label("Approach", exact=True)
    chosen = select.evaluate("s => s.options[s.selectedIndex].text")
    assert chosen == "Eye Movement Desensitization and Reprocessing (EMDR)"
    assert select.evaluate(CUT_OFF_OPTIONS) == []
    assert page.evaluate(SIDEWAYS) <= 1
    assert_accessible(page)


# --- The place list ----------------------------------------------------------------------------------

GROUPS = """(select) => [...select.querySelectorAll("optgroup")].map(
    group => [group.label, [...group.querySelectorAll("option")].map(option => option.value)])"""


def assert_states_then_provinces(select) -> None:
    groups = select.evaluate(GROUPS)
    assert [label for label, _ in groups] == ["United States", "Canada"]
    (_, states), (_, provinces) = groups
    assert set(states) == set(US_STATES) and set(provinces) == set(CANADIAN_PROVINCES)
    names = select.evaluate("s => [...s.options].filter(o => o.value).map(o => o.text)")
    assert names[0].startswith("Alabama")
    assert names[1].startswith("Alaska") and names[2].startswith("American Samoa"), names[:4]  # not Alberta
    # Where nothing is chosen, the first thing a person sees is "Any" or the question, then the states.
    first_options = select.evaluate("s => [...s.options].slice(0, 2).map(o => o.value)")
    assert first_options == ["", "AL"]


def test_the_place_lists_put_the_states_first_and_canada_after_with_the_contracts_codes(open_demo):
    page = open_demo("/providers/").page
    assert_states_then_provinces(page.get_by_label("Licensed in your state or province"))
    page = open_demo("/match/", javascript=False).page
    assert_states_then_provinces(page.get_by_label("State or province"))


def test_a_province_is_still_chosen_by_its_code_and_stays_chosen(open_demo):
    page = open_demo("/providers/?state=QC", viewport=DESKTOP).page
    select = page.get_by_label("Licensed in your state or province")
    assert select.input_value() == "QC"
    assert select.evaluate("s => s.options[s.selectedIndex].parentElement.label") == "Canada"
    page.get_by_label("Licensed in your state or province").select_option("TX")
    page.wait_for_url(re.compile(r"state=TX"))
    assert_accessible(page)
