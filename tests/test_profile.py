"""/providers/<slug>/: everything a person needs to decide whether to call."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from pytest_django.asserts import assertContains, assertNotContains

pytestmark = pytest.mark.django_db

AUSTIN = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701", "address": "100 Congress Ave"}


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def ana(make_provider, today):
    return make_provider(
        "Ana Díaz",
        pronouns="she/her",
        practice_name="Riverbend Counseling",
        bio="I work with adults facing depression.",
        phone="512-555-0142",
        email="ana@example.org", email_public=True,
        website="https://example.org/ana",
        licenses=[("LCSW", "TX", "TX-123", datetime.date(2026, 9, 30)), ("LPC", "NY", "NY-9")],
        modalities=["cbt", "act"],
        conditions=["depression", "anxiety"],
        formats=["individual", "couples"],
        age_groups=["adults"],
        languages=["en", "es"],
        insurance=["aetna"],
        standard_fee=140,
        sliding_scale_min=40,
        sliding_scale_max=120,
        free_consultation=True,
        telehealth=True,
        offices=[AUSTIN],
        accepting_confirmed=datetime.date(2026, 11, 10),
        last_verified=today,
    )


def test_the_profile_shows_credentials_with_jurisdiction_and_verification_date(client, ana):
    page = text(client.get("/providers/ana-diaz/"))
    # Each value with its column's name (shown when the table stacks on a phone).
    assert ("Licensed Clinical Social Worker (LCSW) Where Texas License number TX-123 "
            "Verified by our staff September 30, 2026") in page
    assert ("Licensed Professional Counselor (LPC) Where New York License number NY-9 "
            "Verified by our staff Not yet verified") in page


def test_approaches_and_specialties_link_to_their_pages(client, ana):
    response = client.get("/providers/ana-diaz/")
    assertContains(response, '<a href="/modalities/cbt/">Cognitive Behavioral Therapy (CBT)</a>', html=True)
    assertContains(response, '<a href="/conditions/depression/">Depression</a>', html=True)


def test_fees_insurance_formats_ages_languages_offices_and_telehealth_states_are_shown(client, ana):
    page = text(client.get("/providers/ana-diaz/"))
    assert "Standard session fee $140" in page
    assert "Sliding scale $40–$120, depending on income" in page
    assert "Free first consultation Yes" in page
    assert "Aetna" in page
    assert "Session formats Individual, Couples" in page
    assert "Ages Adults (18-64)" in page
    assert "Languages English, Spanish" in page
    assert "100 Congress Ave Austin, Texas 78701" in page
    assert "Offers telehealth to people in New York, Texas, where they are licensed." in page


def test_accepting_status_contact_details_and_last_verified_are_shown(client, ana, today):
    response = client.get("/providers/ana-diaz/")
    page = text(response)
    assert "Accepting new clients (confirmed November 10, 2026)" in page
    assert f"Profile last verified by our staff on {today:%B} {today.day}, {today.year}." in page
    assertContains(response, '<a href="tel:512-555-0142">512-555-0142</a>', html=True)
    assertContains(response, '<a href="mailto:ana@example.org">ana@example.org</a>', html=True)
    assertNotContains(response, "may be out of date")


def test_a_profile_verified_more_than_a_year_ago_carries_a_warning(client, make_provider, today):
    make_provider("Ben Roe", last_verified=today - datetime.timedelta(days=366))
    response = client.get("/providers/ben-roe/")
    assertContains(response, "This profile may be out of date.")
    assertContains(response, "more than 12 months ago")


def test_a_profile_never_verified_says_so(client, make_provider):
    make_provider("Ben Roe")
    assertContains(client.get("/providers/ben-roe/"), "Our staff have not verified it yet.")


def test_a_provider_without_fees_or_offices_says_so_plainly(client, make_provider):
    make_provider("Ben Roe")
    page = text(client.get("/providers/ben-roe/"))
    assert "Standard session fee Not listed" in page
    assert "Sliding scale Not offered" in page
    assert "No office: this provider does not list in-person sessions." in page
    assert "No contact details are listed." in page


def test_the_profile_carries_schema_org_data_escaped_as_a_data_block(client, make_provider):
    make_provider("Eve </script><script>alert(1)</script>", phone="512-555-0100")
    response = client.get("/providers/eve-scriptscriptalert1script/")
    html = response.content.decode()
    block = re.search(r'<script id="[^"]*" type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block, "no JSON-LD block"
    assert "<script>alert" not in block.group(1)
    data = json.loads(block.group(1))
    assert data["@type"] == "Person"
    assert data["name"] == "Eve </script><script>alert(1)</script>"
    assert data["telephone"] == "512-555-0100"


def test_an_unpublished_or_unknown_provider_is_not_found(client, make_provider):
    make_provider("Hidden Person", published=False)
    assert client.get("/providers/hidden-person/").status_code == 404
    assert client.get("/providers/nobody/").status_code == 404


def test_the_profile_page_has_no_inline_script_or_style(client, ana):
    html = client.get("/providers/ana-diaz/").content.decode()
    assert "style=" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all('type="application/ld+json"' in attrs or not body.strip() for attrs, body in scripts)


def test_an_email_address_is_shown_only_when_the_provider_chose_to_show_it(client, make_provider, tmp_path):
    import json

    from openreferral.export import export_directory

    make_provider("Ana Díaz", email="ana@example.org")
    make_provider("Ben Roe", email="ben@example.org", email_public=True)
    ana = client.get("/providers/ana-diaz/").content.decode()
    ben = client.get("/providers/ben-roe/").content.decode()
    assert "ana@example.org" not in ana  # neither on the page nor in its structured data
    assert 'href="mailto:ben@example.org"' in ben
    export_directory(tmp_path, "http://127.0.0.1:8000")
    services = {s["name"]: s for s in json.loads((tmp_path / "services.json").read_text(encoding="utf-8"))}
    assert "email" not in services["Ana Díaz"] and services["Ben Roe"]["email"] == "ben@example.org"
