"""Every public page in a real browser, and what people do there: accessible (axe-core, WCAG 2.2 A/AA),
usable by keyboard, on this site only (no request to another origin), with JavaScript on and off.

The page tour reads the demo data, committed once for all the tests that read it. Set SCREENSHOT_DIR to
also save a screenshot of each page (the README's pictures come from here). The flows after it each make
the few providers they need and may write: as every test on pytest-django's live_server, they are
transactional.
"""

from __future__ import annotations

import datetime
import io
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from directory.models import Provider, Report
from directory.photos import process_photo
from guides.models import Guide
from listings import accuracy
from tests.test_photos import camera_jpeg

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")
GUIDE = "/guides/effective-therapy-for-treatment-resistant-depression/"
AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701", "address": "100 Congress Ave"}


# --- Every public page, on the demo data ---------------------------------------------------------


def a_profile_with_an_office() -> str:
    return Provider.objects.published().filter(offices__isnull=False).order_by("slug").first().get_absolute_url()


def a_shortlist_of_three() -> str:
    slugs = Provider.objects.published().accepting().filter(offices__isnull=False).order_by("slug").distinct()
    return "/shortlist/?" + "&".join(f"p={slug}" for slug in slugs.values_list("slug", flat=True)[:3])


# (name, also the screenshot's; path, or how to find it in the demo data; the page's heading where it is fixed)
PUBLIC_PAGES = [
    ("home", "/", None),
    ("search", "/providers/?state=TX&modality=cbt", None),
    ("profile", a_profile_with_an_office, None),
    ("fit-finder", "/match/", None),
    ("fit-finder-results", "/match/?concern=depression&tried=cbt&tried=medication-management&state=CA&budget=80",
     None),
    ("guides", "/guides/", "Guides"),
    ("guides-unknown-approach", "/guides/?modality=nonsense", "Guides"),
    ("guide", GUIDE, "Effective Therapy for Treatment-Resistant Depression"),
    ("approaches", "/modalities/", "Therapy approaches"),
    ("approach", "/modalities/tms/", "Transcranial Magnetic Stimulation (TMS)"),
    ("condition", "/conditions/treatment-resistant-depression/", None),
    ("condition-depression", "/conditions/depression/", "Depression"),
    ("resources", "/resources/", None),
    ("accuracy", "/accuracy/", "How accurate are our listings?"),
    ("shortlist", a_shortlist_of_three, "Your shortlist"),
    ("shortlist-empty", "/shortlist/", "Your shortlist"),
]


def path_of(page: str | object) -> str:
    return page() if callable(page) else page


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


@pytest.mark.parametrize("name, path, heading", PUBLIC_PAGES, ids=[name for name, _, _ in PUBLIC_PAGES])
def test_every_public_page_is_accessible_keyboard_usable_and_stays_on_this_site(
    demo_site, accessible, name, path, heading
):
    page = demo_site.page
    path = path_of(path)
    response = demo_site.open(path)
    assert response.status == 200, path
    assert page.locator('.crisis-banner a[href="tel:988"]').is_visible(), f"{path}: no link to call 988"
    assert page.locator('.crisis-banner a[href="sms:988"]').is_visible(), f"{path}: no link to text 988"
    if heading:
        assert page.get_by_role("heading", level=1).inner_text() == heading
    accessible(page)
    stops = tab_through(page)
    assert len(stops) > 3, f"{path}: the keyboard reaches almost nothing"
    assert stops[0]["key"].startswith('<a class="skip-link"'), f"{path}: the skip link is not first"
    hidden = [s["key"] for s in stops if not s["ring"]]
    assert hidden == [], f"{path}: focus is not visible on {hidden}"
    if SCREENSHOT_DIR:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(demo_site.url + path)
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"))
    assert demo_site.foreign_requests() == []


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_missing_page_is_the_sites_own_accessible_404_with_the_crisis_line_and_its_icon(
    demo_site, accessible, settings, debug
):
    settings.DEBUG = debug
    page = demo_site.page
    response = demo_site.open("/providers/no-such-provider/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert page.locator('.crisis-banner a[href="tel:988"]').is_visible()
    accessible(page)
    icon = page.locator('link[rel="icon"]').first.get_attribute("href")
    assert page.request.get(demo_site.url + icon).status == 200
    assert page.request.get(demo_site.url + "/favicon.ico").status == 200
    assert demo_site.foreign_requests() == []


def test_a_phone_sized_screen_keeps_the_crisis_line_and_the_content_readable(demo_site, accessible):
    demo_site.page.set_viewport_size({"width": 375, "height": 740})
    for _, path, _ in PUBLIC_PAGES[:5]:
        path = path_of(path)
        demo_site.open(path)
        assert demo_site.page.locator('.crisis-banner a[href="tel:988"]').is_visible()
        overflow = demo_site.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{path} scrolls sideways on a phone"
        accessible(demo_site.page)


CALL_988 = '.crisis-banner a[href="tel:988"]'
TEXT_988 = '.crisis-banner a[href="sms:988"]'
UNCOVERED = """(selector) => {
    const link = document.querySelector(selector);
    const box = link.getBoundingClientRect();
    const inView = box.top >= 0 && box.bottom <= innerHeight && box.left >= 0 && box.right <= innerWidth;
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return inView && hit !== null && hit.closest("a") === link;
}"""


def test_on_a_phone_988_is_a_thumb_sized_button_still_one_tap_away_halfway_down_a_long_page(demo_site, accessible):
    page = demo_site.page
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ["/providers/", GUIDE, "/match/?concern=depression&state=CA"]:
        demo_site.open(path)
        for selector in (CALL_988, TEXT_988):
            box = page.locator(selector).bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, f"{path}: {selector} is {box}"
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height > 3 * 844, f"{path} is not a long page ({height} px)"
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 2)")
        assert page.evaluate("scrollY") > 844
        for selector in (CALL_988, TEXT_988):
            assert page.evaluate(UNCOVERED, selector), f"{path}: {selector} is off screen or covered halfway down"
            page.locator(selector).click(trial=True)  # Playwright's own check that a tap would reach it
        accessible(page)


def test_the_crisis_bar_never_covers_the_element_the_keyboard_is_on_nor_a_linked_heading(demo_site):
    page = demo_site.page
    page.set_viewport_size({"width": 390, "height": 844})
    demo_site.open("/providers/?state=TX")
    bar = page.locator(".crisis-banner")
    covered = []
    for key in ["Tab"] * 80 + ["Shift+Tab"] * 40:  # down the page, then back up: focus comes in from the top
        page.keyboard.press(key)
        focused = page.evaluate(
            """() => { const e = document.activeElement, r = e.getBoundingClientRect();
                       if (e === document.body) return null;
                       // The top edge of what has focus (or of its label): is it what a click there reaches?
                       const hit = document.elementFromPoint(r.left + Math.min(r.width / 2, 20), r.top + 2);
                       const label = e.closest("label");
                       return {key: e.outerHTML.slice(0, 60), onTop: hit !== null && (e.contains(hit) ||
                               hit.contains(e) || (label !== null && label.contains(hit)))}; }"""
        )
        if focused and not focused["onTop"]:
            covered.append(focused["key"])
    assert page.evaluate("scrollY") > 844, "the keyboard never went down the page"
    assert covered == [], f"the crisis bar covers {covered}"
    demo_site.open(GUIDE)
    page.get_by_role("navigation", name="On this page").get_by_text("On this page").click()  # folded on a phone
    page.get_by_role("navigation", name="On this page").get_by_role("link", name="Approaches to Therapy").click()
    heading = page.locator("#guide-approaches-to-therapy")
    assert heading.bounding_box()["y"] >= bar.bounding_box()["height"] - 1


def test_the_skip_link_is_the_first_stop_for_the_keyboard_and_moves_focus_to_the_content(demo_site):
    demo_site.open("/")
    demo_site.page.keyboard.press("Tab")
    focused = demo_site.page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    demo_site.page.keyboard.press("Enter")
    assert demo_site.page.evaluate("document.activeElement.id") == "main"


# --- Provider search and profiles ----------------------------------------------------------------


@pytest.fixture
def search_providers(make_provider, today):
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


def test_the_search_page_and_a_profile_are_accessible_and_stay_on_this_site(site, accessible, search_providers):
    assert site.open("/providers/").status == 200
    accessible(site.page)
    site.page.locator("summary", has_text="Approach").click()
    accessible(site.page)
    assert site.open("/providers/ana-diaz/").status == 200
    accessible(site.page)
    assert site.foreign_requests() == []


def test_an_empty_search_with_an_error_is_accessible(site, accessible, search_providers):
    site.open("/providers/?zip=abc&modality=ect")
    assert site.page.locator("#errors-zip").inner_text().startswith("Enter a five-digit US ZIP code")
    accessible(site.page)


def test_clicking_filters_narrows_the_results_in_place_and_keeps_the_address_in_step(site, search_providers):
    page = site.page
    refused: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(r.url))
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


def test_filters_work_without_javascript(browser, live_server, search_providers):
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


def test_a_person_saves_two_providers_compares_them_and_writes_a_first_message(site, accessible, search_providers):
    page = site.page
    site.open("/providers/")
    page.get_by_role("button", name="Save to shortlist: Ana Díaz").click()
    page.get_by_role("button", name="Save to shortlist: Ben Roe").click()
    assert page.get_by_role("button", name="Saved to shortlist: Ana Díaz").get_attribute("aria-pressed") == "true"
    page.get_by_role("link", name="Shortlist (2)").click()
    page.wait_for_url(re.compile(r"/shortlist/\?p=ana-diaz&p=ben-roe$"))
    headers = page.locator(".compare thead th a:not(.remove)").all_inner_texts()
    assert headers == ["Ana Díaz", "Ben Roe"]
    accessible(page)
    page.get_by_label("Your first name").fill("Sam")
    page.get_by_label("What you would like help with").fill("panic attacks")
    email = page.locator('.outreach:has(h3:text("Ana Díaz")) [data-message="email"]')
    assert "looking for help with panic attacks" in email.inner_text()
    assert email.inner_text().rstrip().endswith("Thank you,\nSam")
    # The words stay in the page: nothing was requested while the person typed.
    assert all("panic" not in url for url in site.requests)
    # Another visit to the shortlist, by its plain address, brings the list back from this browser.
    site.open("/shortlist/")
    page.wait_for_url(re.compile(r"p=ana-diaz&p=ben-roe"))
    page.get_by_role("link", name="Remove Ben Roe").click()
    page.wait_for_url(re.compile(r"/shortlist/\?p=ana-diaz$"))
    assert page.get_by_role("link", name="Shortlist (1)").is_visible()
    assert site.foreign_requests() == []


def test_the_shortlist_prints_on_one_page(site, search_providers):
    site.open("/shortlist/?p=ana-diaz&p=ben-roe&p=cy-lee")
    pdf = site.page.pdf()
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") + pdf.count(b"/Type /Page ") + \
        pdf.count(b"/Type /Page>") + pdf.count(b"/Type /Page/") == 1


def test_without_javascript_the_shortlist_is_its_address(site, accessible, search_providers):
    """axe-core runs inside the page, so this page keeps JavaScript but loads none of the site's scripts."""
    page = site.page
    page.route("**/*.js", lambda route: route.abort())
    site.open("/providers/")
    page.get_by_role("link", name="Save to shortlist: Ben Roe").click()
    page.wait_for_url(re.compile(r"/shortlist/\?p=ben-roe$"))
    page.get_by_label("Provider's name").fill("díaz")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Add Ana Díaz to your shortlist").click()
    page.wait_for_url(re.compile(r"/shortlist/\?p=ben-roe&p=ana-diaz$"))
    assert page.locator(".compare thead th a:not(.remove)").all_inner_texts() == ["Ben Roe", "Ana Díaz"]
    assert "[your first name]" in page.locator('[data-message="email"]').first.inner_text()
    assert not page.get_by_label("Your first name").is_visible()  # typing into the messages needs the script
    accessible(page)


def test_a_person_opens_a_profile_and_reports_the_listing(site, search_providers):
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


def test_a_report_over_the_limit_gets_an_accessible_page_that_says_when_to_try_again(
    site, accessible, search_providers, settings, ratelimit_clock
):
    settings.REPORTS_PER_ADDRESS_PER_HOUR = 1
    page = site.page
    site.open("/providers/ana-diaz/")
    page.get_by_label("Could not reach them").check()
    page.get_by_role("button", name="Send report").click()
    page.get_by_text("Thank you. Our staff will check this listing.").wait_for()
    page.get_by_label("Wrong fee or insurance").check()
    with page.expect_response(re.compile(r"/providers/ana-diaz/report/$")) as refused:
        page.get_by_role("button", name="Send report").click()
    assert refused.value.status == 429
    assert int(refused.value.headers["retry-after"]) > 0
    assert page.get_by_role("heading", level=1).inner_text() == "Your report was not sent"
    assert page.get_by_text(re.compile(r"Please try again in about \d+ minutes?\.")).is_visible()
    assert page.locator('.crisis-banner a[href="tel:988"]').is_visible()
    accessible(page)
    stops = tab_through(page)
    assert stops[0]["key"].startswith('<a class="skip-link"')
    assert [s["key"] for s in stops if not s["ring"]] == []
    page.get_by_role("link", name="Back to Ana Díaz's profile").click()
    page.get_by_role("heading", level=1, name=re.compile("Ana Díaz")).wait_for()
    assert Report.objects.count() == 1
    assert site.foreign_requests() == []


@pytest.mark.urls("tests.media_urls")
def test_a_card_and_a_profile_with_a_photo_show_it_accessibly_and_from_this_site(
    site, accessible, make_provider, settings, tmp_path, today
):
    settings.MEDIA_ROOT = tmp_path / "media"
    ana = make_provider("Ana Díaz", modalities=["cbt"], telehealth=True, last_verified=today, standard_fee=120)
    ana.photo = process_photo(io.BytesIO(camera_jpeg()))
    ana.photo_alt = "Ana Díaz smiling, in a garden"
    ana.save()
    make_provider("Ben Roe", modalities=["dbt"], telehealth=True, last_verified=today)
    page = site.page

    site.open("/providers/")
    photo = page.locator(".provider-card", has_text="Ana Díaz").get_by_role("img", name="Ana Díaz smiling, in a garden")
    assert_shown_square(page, photo)
    assert page.locator(".provider-card", has_text="Ben Roe").locator("img").count() == 0
    accessible(page)

    site.open("/providers/ana-diaz/")
    photo = page.locator(".profile-header").get_by_role("img", name="Ana Díaz smiling, in a garden")
    assert_shown_square(page, photo)
    accessible(page)
    assert site.foreign_requests() == []


def assert_shown_square(page, photo) -> None:
    """The image loaded (no broken-image icon), in its square box."""
    photo.scroll_into_view_if_needed()
    page.wait_for_function("image => image.complete", arg=photo.element_handle())
    assert photo.evaluate("image => image.naturalWidth") == 480
    box = photo.bounding_box()
    assert box is not None and box["width"] == box["height"] > 0


# --- Guides ----------------------------------------------------------------------------------------


@pytest.fixture
def guides(taxonomy, make_provider) -> None:
    call_command("loaddata", "guides", verbosity=0)
    make_provider("Ana Díaz", modalities=["tms", "cbt"], conditions=["depression"], telehealth=True)


def test_a_reader_opens_a_guide_and_follows_it_to_providers_who_offer_its_approaches(site, guides):
    site.open("/guides/")
    site.page.get_by_role("link", name="Effective Therapy for Treatment-Resistant Depression").click()
    site.page.wait_for_url(f"**{GUIDE}")
    title = "Effective Therapy for Treatment-Resistant Depression"
    assert site.page.get_by_role("heading", level=1).inner_text() == title
    assert site.page.get_by_role("heading", name="In short", level=2).is_visible()
    assert site.page.get_by_role("note", name="Editor's note").first.is_visible()
    site.page.get_by_role("navigation", name="On this page").get_by_role("link", name="Approaches to Therapy").click()
    assert site.page.url.endswith("#guide-approaches-to-therapy")
    site.page.get_by_role("link", name="See providers who offer these approaches").click()
    site.page.wait_for_url("**/providers/**")
    landed = urlparse(site.page.url)
    assert landed.path == "/providers/"
    expected = {m.slug for m in Guide.objects.get(slug=GUIDE.split("/")[2]).modalities.all()}
    assert set(parse_qs(landed.query)["modality"]) == expected
    assert {"cbt", "tms", "emdr"} <= expected
    assert site.foreign_requests() == []


def test_filtering_guides_by_approach_without_javascript_narrows_the_list(site, guides):
    site.open("/guides/")
    site.page.get_by_label("Approach", exact=True).select_option("art-therapy")
    site.page.get_by_role("button", name="Show guides").click()
    site.page.wait_for_url("**/guides/?*modality=art-therapy*")
    assert site.page.get_by_role("heading", name="1 guide", exact=True).is_visible()
    assert site.page.get_by_role("link", name="When Therapy Isn’t Effective – Understanding Why").is_visible()


def test_the_admin_preview_follows_what_staff_type(site, guides, django_user_model):
    editor = django_user_model.objects.create_superuser("editor", "editor@example.org", "a-long-test-password-123")
    client = Client()
    client.force_login(editor)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    site.page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site.url}])
    site.open("/admin/guides/guide/")
    site.page.get_by_role("link", name="Treatment-Resistance", exact=True).click()
    preview = site.page.locator("#guide-preview")
    preview.get_by_role("heading", name="Facts About Treatment-Resistance").wait_for()
    site.page.locator("#id_body").fill("## Freshly typed\n\nAbout EMDR.\n\n<script>document.title='x'</script>")
    preview.get_by_role("heading", name="Freshly typed").wait_for()
    assert preview.get_by_role("link", name="EMDR").get_attribute("href") == "/modalities/emdr/"
    assert preview.locator("script").count() == 0
    assert site.foreign_requests() == []


# --- The fit finder --------------------------------------------------------------------------------


@pytest.fixture
def match_providers(make_provider, resources, today):
    make_provider(
        "Ana Díaz", licenses=[("LCSW", "TX", "L-1", today)], telehealth=True, modalities=["act"],
        conditions=["treatment-resistant-depression"], sliding_scale_min=40, sliding_scale_max=120,
        standard_fee=140, accepting_confirmed=today, last_verified=today,
    )
    make_provider("Ben Roe", licenses=[("LPC", "TX")], telehealth=True, modalities=["cbt"], standard_fee=90)


STEP_TITLES = [
    "Are you safe right now?", "What brings you here?", "What have you tried that did not help?",
    "Where you are and how you would like to meet", "What you can pay", "Who you would like to see",
    "Approaches you would like",
]


def shown_step(page) -> str:
    """The heading of the step on screen, e.g. "Step 2 of 7 What brings you here?"."""
    titles = page.locator(".step-title").filter(visible=True)
    assert titles.count() == 1, titles.all_inner_texts()
    return " ".join(titles.inner_text().split())


def progress_of(page) -> tuple[str, str | None]:
    bar = page.locator("[data-step-progress] progress")
    return bar.evaluate("e => e.value + ' of ' + e.max"), bar.get_attribute("aria-valuetext")


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def answer_questions(page) -> None:
    """Every step on one page, as without JavaScript."""
    page.get_by_label("Depression", exact=True).check()
    page.locator("#id_tried").get_by_label("Cognitive Behavioral Therapy (CBT)").check()
    page.get_by_label("State or province").select_option("TX")
    page.get_by_label("Most you can pay per session ($)").fill("50")
    page.get_by_role("button", name="Show providers who fit").click()


def test_the_fit_finder_one_step_at_a_time_from_first_question_to_results(site, accessible, match_providers):
    page = site.page
    site.open("/match/")
    assert shown_step(page) == "Step 1 of 7 Are you safe right now?"
    assert progress_of(page) == ("1 of 7", "Step 1 of 7")
    assert page.get_by_role("progressbar", name="Your progress through the questions").is_visible()
    assert not page.get_by_role("button", name="Back").is_visible()
    assert not page.get_by_role("button", name="Show providers who fit").is_visible()
    accessible(page)

    press(page, "Next")
    assert shown_step(page) == "Step 2 of 7 What brings you here?"
    assert progress_of(page) == ("2 of 7", "Step 2 of 7")
    # The keyboard and a screen reader start the new step at its question.
    assert page.evaluate("document.activeElement.className") == "step-title"
    page.get_by_label("Depression", exact=True).check()
    press(page, "Next")
    assert shown_step(page) == "Step 3 of 7 What have you tried that did not help?"
    page.locator("#id_tried").get_by_label("Cognitive Behavioral Therapy (CBT)").check()
    press(page, "Back")
    assert shown_step(page) == "Step 2 of 7 What brings you here?"
    assert page.get_by_label("Depression", exact=True).is_checked()
    press(page, "Next")
    press(page, "Next")
    assert shown_step(page) == "Step 4 of 7 Where you are and how you would like to meet"
    accessible(page)  # a step in the middle
    page.get_by_label("State or province").select_option("TX")
    press(page, "Next")

    # Enter in a field moves on to the next step; it does not send half the answers.
    page.get_by_label("Most you can pay per session ($)").fill("50")
    page.get_by_label("Most you can pay per session ($)").press("Enter")
    assert shown_step(page) == "Step 6 of 7 Who you would like to see"
    assert urlparse(page.url).query == ""
    # Skip leaves the step unanswered.
    page.get_by_label("I need someone who can prescribe medication").check()
    press(page, "Skip this step")
    assert shown_step(page) == "Step 7 of 7 Approaches you would like"
    assert progress_of(page) == ("7 of 7", "Step 7 of 7")
    assert not page.get_by_label("I need someone who can prescribe medication").is_checked()
    assert not page.get_by_role("button", name="Next").is_visible()
    accessible(page)

    press(page, "Show providers who fit")
    results = page.locator("#match-results")
    results.get_by_role("heading", name="1 provider who can see you").wait_for()
    assert "Offers ACT, an alternative to CBT, which you said did not help" in results.inner_text()
    assert "Ben Roe" not in results.inner_text()
    query = query_of(page)  # htmx keeps the address in step, so it can be bookmarked
    assert (query["concern"], query["tried"], query["state"], query["budget"]) == (["depression"], ["cbt"], ["TX"],
                                                                                   ["50"])
    assert "prescriber" not in query
    # The questions fold away under "Change your answers"; the keyboard is at the results.
    assert not page.locator("#match-questions").evaluate("e => e.open")
    assert page.locator("#match-questions > summary").inner_text() == "Change your answers"
    assert page.evaluate("document.activeElement.id") == "match-results-title"
    accessible(page)
    assert site.foreign_requests() == []


def test_a_fit_finder_address_opens_on_its_results_with_the_questions_folded_and_ready_at_step_one(
    site, match_providers
):
    page = site.page
    site.open("/match/?concern=depression&tried=cbt&state=TX&budget=50")
    page.locator("#match-results").get_by_role("heading", name="1 provider who can see you").wait_for()
    assert not page.locator(".step-title").first.is_visible()
    page.get_by_text("Change your answers").click()
    assert shown_step(page) == "Step 1 of 7 Are you safe right now?"
    for _ in range(4):
        press(page, "Next")
    assert page.get_by_label("Most you can pay per session ($)").input_value() == "50"


def test_back_and_forward_after_the_results_bring_back_whole_pages(site, match_providers):
    page = site.page
    site.open("/match/")
    page.get_by_label("I am in crisis or thinking about suicide right now").check()
    for _ in range(6):
        press(page, "Next")
    press(page, "Show providers who fit")
    page.get_by_role("heading", name="You do not have to go through this alone").wait_for()
    page.go_back()
    page.wait_for_url(re.compile(r"/match/$"))
    page.locator(".step-title").filter(visible=True).wait_for()
    assert shown_step(page) == "Step 1 of 7 Are you safe right now?"
    page.go_forward()
    page.wait_for_url(re.compile(r"crisis=true"))
    page.locator("#match-questions > summary", has_text="Change your answers").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "Find a provider who fits"
    assert page.get_by_role("heading", name="You do not have to go through this alone").is_visible()


def test_with_a_wrong_answer_the_fit_finder_opens_on_the_step_that_has_it(site, accessible, match_providers):
    page = site.page
    site.open("/match/?concern=depression&budget=lots")
    assert page.get_by_role("alert").inner_text() == "Please check the answers marked below."
    assert shown_step(page) == "Step 5 of 7 What you can pay"
    assert page.get_by_text("Enter an amount in dollars, like 60.").is_visible()
    accessible(page)


def test_on_a_phone_each_step_of_the_fit_finder_fits_a_screen_or_two(site, match_providers):
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    site.open("/match/")
    heights = []
    for step in range(1, 8):
        heights.append(page.locator(f"[data-step='{step}']").bounding_box()["height"])
        if step < 7:
            press(page, "Next")
    page_height = page.evaluate("document.documentElement.scrollHeight")
    assert max(heights) < 2 * 844, heights
    assert page_height < 2.5 * 844, page_height


def all_steps_show_as_one_form(page) -> None:
    titles = [" ".join(t.split()) for t in page.locator(".step-title").all_inner_texts()]
    assert titles == [f"Step {n} of 7 {title}" for n, title in enumerate(STEP_TITLES, start=1)]
    assert all(step.is_visible() for step in page.locator("[data-step]").all())
    for name in ("Back", "Skip this step", "Next"):
        assert not page.get_by_role("button", name=name, exact=True).is_visible()


def test_the_fit_finder_works_without_javascript(live_server, browser, match_providers):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/match/")
    all_steps_show_as_one_form(page)
    answer_questions(page)
    page.get_by_role("heading", name="1 provider who can see you").wait_for()
    assert "Sliding scale from $40 fits your $50 budget" in page.inner_text("#match-results")
    query = query_of(page)
    assert (query["concern"], query["tried"], query["state"], query["budget"]) == (["depression"], ["cbt"], ["TX"],
                                                                                   ["50"])
    context.close()


def test_without_its_scripts_the_fit_finder_is_accessible(site, accessible, match_providers):
    """axe-core runs inside the page, so this page keeps JavaScript but loads none of the site's scripts."""
    site.page.route("**/*.js", lambda route: route.abort())
    site.open("/match/")
    all_steps_show_as_one_form(site.page)
    accessible(site.page)
    answer_questions(site.page)
    site.page.get_by_role("heading", name="1 provider who can see you").wait_for()
    accessible(site.page)


def test_in_crisis_the_page_leads_with_988(site, accessible, match_providers):
    site.open("/match/")
    site.page.get_by_label("I am in crisis or thinking about suicide right now").check()
    for _ in range(6):
        press(site.page, "Next")
    press(site.page, "Show providers who fit")
    site.page.get_by_role("heading", name="You do not have to go through this alone").wait_for()
    first_heading = site.page.locator("main h2").first.inner_text()
    assert first_heading == "You do not have to go through this alone"
    accessible(site.page)


def test_every_control_is_reachable_by_keyboard_with_a_visible_focus(site, match_providers):
    site.open("/match/")
    page = site.page
    seen: list[str] = []
    for _ in range(400):
        page.keyboard.press("Tab")
        name, tag, outline_style, outline_width = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.id || e.textContent.trim().slice(0, 30), e.tagName, s.outlineStyle, s.outlineWidth]; }"
        )
        if tag == "BODY" or (seen and name == seen[0]):
            break  # once round the page
        seen.append(name)
        assert outline_style != "none" and outline_width != "0px", f"no visible focus on {name}"
        if name == "Next":
            page.keyboard.press("Enter")  # on to the next step, whose question now has focus
    assert {"id_crisis", "id_concern_0", "id_tried_0", "id_state", "id_budget", "id_language", "id_modality_0",
            "Show providers who fit"} <= set(seen)


# --- Staff ------------------------------------------------------------------------------------------


def choose_credential(page, prefix: str, code: str) -> None:
    """The credential is a searchable select (the admin's autocomplete)."""
    page.locator(f"#{prefix} .select2-selection").first.click()
    page.locator(".select2-search--dropdown .select2-search__field").fill(code)
    page.locator(".select2-results__option", has_text=f"({code})").first.click()


def test_staff_sign_in_enter_a_provider_with_a_license_and_an_office_and_the_public_finds_it(site, taxonomy):
    User.objects.create_superuser("staff", "staff@example.org", "a-long-staff-password-2026")
    page = site.page
    page.set_viewport_size({"width": 1280, "height": 900})
    site.open("/admin/login/?next=/admin/directory/provider/add/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("a-long-staff-password-2026")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Add provider").wait_for()

    page.locator("#id_name").fill("Zoë Quill")
    page.locator("#id_standard_fee").fill("130")
    page.locator("#id_sliding_scale_min").fill("45")
    page.locator("#id_sliding_scale_max").fill("110")
    page.locator("#id_accepting_new_clients").check()
    choose_credential(page, "licenses-0", "LPC")
    page.locator("#id_licenses-0-jurisdiction").select_option("OR")
    page.locator("#id_licenses-0-number").fill("C-2026-77")
    # At 1280 px, with the admin's menu open, the license's verification is in view, not off to the right.
    for field in (page.locator("#id_licenses-0-verified_on"), page.locator("#licenses-0 .fieldBox.field-verified_by")):
        field.scroll_into_view_if_needed()
        box = field.bounding_box()
        assert box["x"] + box["width"] <= 1280, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.get_by_role("button", name="Add another Office").click()
    page.locator("#id_offices-0-city").fill("Portland")
    page.locator("#id_offices-0-jurisdiction").select_option("OR")
    page.locator("#id_offices-0-postal_code").fill("97205")
    # A new provider starts unpublished; publishing one whose license nobody verified asks to confirm.
    assert not page.get_by_label("Published").is_checked()
    page.get_by_label("Published").check()
    page.locator("input[name=_save]").click()
    page.locator(".errornote").wait_for()
    assert page.get_by_text("None of this provider's licenses is verified").first.is_visible()
    assert not Provider.objects.filter(name="Zoë Quill").exists()
    page.get_by_label("Publish without a verified license").check()
    page.locator("input[name=_save]").click()
    page.get_by_text("was added successfully").wait_for()

    site.open("/providers/?state=OR&zip=97205&radius=10")
    card = page.locator(".provider-card", has_text="Zoë Quill")
    card.wait_for()
    text = card.inner_text()
    assert "LPC" in text and "Portland, OR" in text
    assert "$45" in text and "sliding scale" in text
    assert site.foreign_requests() == []


# --- Accuracy ---------------------------------------------------------------------------------------------


def test_the_accuracy_page_is_found_from_the_footer_and_reads_a_rounds_figures_from_its_tables(
    site, accessible, make_provider
):
    for n in range(10):
        make_provider(f"Provider {n}")
    round_ = accuracy.draw_round(10, month=datetime.date(2026, 3, 1), seed=7)
    for position, call in enumerate(round_.calls.order_by("position"), start=1):
        if position <= 7:  # 7 of 10 reached, 5 of them accepting new clients
            call.result, call.accepting = "reached", "yes" if position <= 5 else "no"
        else:
            call.result = "not-reached"
        call.called_on = datetime.date(2026, 3, 10)
        call.save()
    accuracy.close(round_)

    page = site.page
    site.open("/")
    page.get_by_role("link", name="How accurate are these listings?").click()
    page.get_by_role("heading", level=1, name="How accurate are our listings?").wait_for()
    table = page.get_by_role("table", name="March 2026: 10 listings chosen at random from 10 published")
    reached = table.get_by_role("row", name=re.compile("^Reached the provider"))
    assert reached.get_by_role("cell").inner_text() == "70% (40% to 89%) of 10 listings we called"
    accepting = table.get_by_role("row", name=re.compile("^Reached, and accepting"))
    assert accepting.get_by_role("cell").inner_text() == "50% (24% to 76%) of 10 listings we called"
    freshness = page.get_by_role("table", name="All 10 published listings, today")
    assert "100% (10 of 10)" in freshness.get_by_role("row", name=re.compile("^By anyone")).inner_text()
    accessible(page)
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
    accessible(page)
    assert site.foreign_requests() == []
