"""The shortlist: the providers a person saved, side by side, with a first message for each; the page address is
the whole list, and nothing about it is kept on the server."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from django.utils import timezone

from shortlist.outreach import MAX_PROVIDERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(make_provider):
    ana = make_provider("Ana Díaz", licenses=[("LCSW", "TX", "TX-1", datetime.date(2026, 10, 1))],
                        modalities=["cbt"], insurance=["aetna"], standard_fee=140, sliding_scale_min=60,
                        sliding_scale_max=120, telehealth=True, phone="(512) 555-0101",
                        email="ana@example.org", email_public=True)
    ben = make_provider("Ben Roe", licenses=[("LPC", "TX")], modalities=["dbt", "cbt"], standard_fee=90,
                        accepting_new_clients=False, accepting_confirmed=timezone.localdate(), email="ben@example.org")
    cy = make_provider("Cy Lee", licenses=[("LMFT", "TX")], modalities=["cbt"], telehealth=True)
    return ana, ben, cy


def test_the_page_compares_the_saved_providers_in_the_order_saved(client, three):
    ana, ben, cy = three
    response = client.get(f"/shortlist/?p={ben.slug}&p={ana.slug}")
    assert response.status_code == 200
    page = response.content.decode()
    header = page[page.index("<thead>"):page.index("</thead>")]
    assert header.index("Ben Roe") < header.index("Ana Díaz")
    assert "Cy Lee" not in header
    for shown in ("$140 a session", "$60–$120 sliding scale", "Aetna", "Not accepting new clients",
                  "verified by our staff Oct 1, 2026", "not yet verified", "(512) 555-0101", "ana@example.org"):
        assert shown in page, shown
    assert "ben@example.org" not in page  # Ben did not choose to show his email


def test_nothing_about_the_list_is_stored_or_sent_on(client, three):
    ana, _, _ = three
    response = client.get(f"/shortlist/?p={ana.slug}")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert not response.cookies
    assert client.post(f"/shortlist/?p={ana.slug}").status_code == 405


def test_each_provider_has_a_first_email_and_a_phone_script_asking_what_matters(client, three):
    ana, _, _ = three
    page = client.get(f"/shortlist/?p={ana.slug}").content.decode()
    for question in ("Are you taking new clients", "sliding scale from $60", "Do you accept",
                     "What experience do you have", "What happens in a first session"):
        assert question in page, question
    assert "[what you would like help with]" in page and "[your first name]" in page
    link = next(part for part in page.split('"') if part.startswith("mailto:ana@example.org?"))
    query = parse_qs(urlparse(link.replace("&amp;", "&")).query)
    assert query["subject"] == ["Are you taking new clients?"]
    body = unquote(query["body"][0])
    assert body.startswith("Hello Ana Díaz,") and "[your insurance plan, or that you would pay yourself]" in body


def test_a_provider_without_a_public_email_gets_no_mail_link_but_still_a_message(client, three):
    _, ben, _ = three
    page = client.get(f"/shortlist/?p={ben.slug}").content.decode()
    assert "mailto:" not in page
    assert "No email address is listed" in page and "Are you taking new clients" in page


def test_the_next_three_are_accepting_providers_like_those_on_the_list_and_not_on_it(client, three, make_provider):
    ana, ben, cy = three
    make_provider("Dee Far", licenses=[("LCSW", "CA")], modalities=["cbt"])  # another state
    make_provider("Eve Other", licenses=[("LCSW", "TX")], modalities=["emdr"])  # another approach
    make_provider("Fay Stale", licenses=[("LCSW", "TX")], modalities=["cbt"],
                  accepting_confirmed=timezone.localdate() - datetime.timedelta(days=200))
    response = client.get(f"/shortlist/?p={ana.slug}&p={ben.slug}")
    nexts = [provider.name for provider, _ in response.context["next_three"]]
    assert nexts == ["Cy Lee"]
    assert f"?p={ana.slug}&amp;p={ben.slug}&amp;p={cy.slug}" in response.content.decode()


def test_removing_one_keeps_the_others_in_order(client, three):
    ana, ben, cy = three
    page = client.get(f"/shortlist/?p={ana.slug}&p={ben.slug}&p={cy.slug}").content.decode()
    assert f'href="/shortlist/?p={ana.slug}&amp;p={cy.slug}"' in page


def test_without_javascript_a_person_adds_a_provider_by_name(client, three):
    ana, ben, _ = three
    response = client.get(f"/shortlist/?p={ana.slug}&find=roe")
    assert [p.name for p, _ in response.context["found"]] == ["Ben Roe"]
    assert f"?p={ana.slug}&amp;p={ben.slug}" in response.content.decode()
    assert client.get(f"/shortlist/?p={ana.slug}&find=zzz").context["found"] == []


def test_a_provider_no_longer_listed_is_left_out_and_the_person_is_told(client, three):
    ana, ben, _ = three
    ben.published = False
    ben.save()
    response = client.get(f"/shortlist/?p={ana.slug}&p={ben.slug}&p=nobody-by-this-name&p={ana.slug}")
    assert [entry.provider.name for entry, _ in response.context["entries"]] == ["Ana Díaz"]
    assert "2 providers you saved are no longer listed" in response.content.decode()


def test_the_list_holds_at_most_ten(client, make_provider):
    slugs = [make_provider(f"Provider {n:02d}").slug for n in range(MAX_PROVIDERS + 2)]
    response = client.get("/shortlist/?" + "&".join(f"p={slug}" for slug in slugs))
    assert len(response.context["entries"]) == MAX_PROVIDERS
    assert "the last 2 you saved were left out" in response.content.decode()


def test_an_empty_shortlist_says_how_to_save_someone(client, taxonomy):
    page = client.get("/shortlist/").content.decode()
    assert "Your shortlist is empty" in page
    assert 'href="tel:988"' in page


def test_cards_and_profiles_offer_to_save_the_provider(client, three):
    ana, _, _ = three
    link = f'href="/shortlist/?p={ana.slug}"'
    assert link in client.get("/providers/").content.decode()
    assert link in client.get(ana.get_absolute_url()).content.decode()
