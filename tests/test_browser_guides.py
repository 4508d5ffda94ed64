"""Real-browser checks of the guide, approach and concern pages: they read well, pass axe-core, stay on this origin."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from guides.models import Guide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUIDE = "/guides/effective-therapy-for-treatment-resistant-depression/"


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


@pytest.mark.parametrize(
    "path, heading",
    [
        ("/guides/", "Guides"),
        (GUIDE, "Effective Therapy for Treatment-Resistant Depression"),
        ("/guides/?modality=nonsense", "Guides"),
        ("/modalities/", "Therapy approaches"),
        ("/modalities/tms/", "Transcranial Magnetic Stimulation (TMS)"),
        ("/conditions/depression/", "Depression"),
    ],
)
def test_guide_pages_are_accessible_and_make_no_foreign_requests(site, accessible, guides, path, heading):
    response = site.open(path)
    assert response.status == 200
    assert site.page.get_by_role("heading", level=1).inner_text() == heading
    assert site.page.get_by_role("link", name="988").first.is_visible()
    accessible(site.page)
    assert site.foreign_requests() == []


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
