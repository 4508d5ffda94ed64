"""Staff entering a listing in the admin: a new provider starts unpublished, publishing one with no verified
license asks to confirm (the change form and the list's action), a phone number must look like one, and an
office whose ZIP code or state looks wrong is saved with a warning."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.messages import get_messages

from directory.admin import NO_VERIFIED_LICENSE
from directory.models import CredentialType, Provider
from directory.phones import NOT_A_PHONE_NUMBER
from tests.test_admin import provider_form

pytestmark = pytest.mark.django_db

ADD = "/admin/directory/provider/add/"
LIST = "/admin/directory/provider/"


def with_license(jurisdiction: str = "TX", verified_on: str = "", **fields) -> dict:
    lcsw = CredentialType.objects.get(code="LCSW")
    return provider_form(**{
        "licenses-0-credential_type": lcsw.pk, "licenses-0-jurisdiction": jurisdiction,
        "licenses-0-number": "A-1", "licenses-0-verified_on": verified_on, **fields,
    })


def with_office(data: dict, jurisdiction: str, postal_code: str) -> dict:
    return {**data, "offices-TOTAL_FORMS": "1", "offices-0-address": "1 Main St", "offices-0-city": "Austin",
            "offices-0-jurisdiction": jurisdiction, "offices-0-postal_code": postal_code,
            "offices-0-latitude": "", "offices-0-longitude": ""}


def text(response) -> str:
    """The page as words: tags dropped, entities read, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def warnings_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]


# --- A new provider starts unpublished ------------------------------------------------------------------


def test_the_add_form_starts_with_published_unticked(admin_client, taxonomy):
    page = admin_client.get(ADD).content.decode()
    published = re.search(r'<input[^>]*name="published"[^>]*>', page).group(0)
    assert "checked" not in published
    assert "A provider added here starts unpublished" in page
    response = admin_client.post(ADD, with_license())
    assert response.status_code == 302
    assert Provider.objects.get(name="Ana Díaz").published is False


def test_a_provider_from_anywhere_else_still_starts_published_by_default(taxonomy):
    # The imports rely on the model's default (the CSV's published column defaults to true).
    assert Provider(name="Ana").published is True


# --- Publishing without a verified license ------------------------------------------------------------


def test_publishing_a_new_provider_with_no_verified_license_asks_to_confirm_and_saves_nothing(admin_client, taxonomy):
    response = admin_client.post(ADD, with_license(published="on"))
    assert response.status_code == 200
    page = text(response)
    assert page.count(NO_VERIFIED_LICENSE) == 2  # at the top of the form and with the licenses
    assert "Publish without a verified license" in page
    assert not Provider.objects.exists()

    response = admin_client.post(ADD, with_license(published="on", publish_unverified="on"))
    assert response.status_code == 302
    assert Provider.objects.get(name="Ana Díaz").published is True


def test_a_provider_with_a_verified_license_is_published_without_a_question(admin_client, taxonomy, today):
    response = admin_client.post(ADD, with_license(published="on", verified_on=today.isoformat()))
    assert response.status_code == 302
    assert Provider.objects.get(name="Ana Díaz").published is True


def test_an_expired_verified_license_does_not_count(admin_client, taxonomy, today):
    data = with_license(published="on", verified_on=today.isoformat(), **{"licenses-0-expires_on": "2020-01-01"})
    assert admin_client.post(ADD, data).status_code == 200
    assert not Provider.objects.exists()


def test_editing_a_provider_already_published_asks_nothing(admin_client, make_provider):
    ana = make_provider("Ana Díaz", licenses=[])
    data = provider_form(name=ana.name, slug=ana.slug, external_id=ana.external_id, published="on", bio="New bio.")
    assert admin_client.post(f"/admin/directory/provider/{ana.pk}/change/", data).status_code == 302
    ana.refresh_from_db()
    assert (ana.published, ana.bio) == (True, "New bio.")


def test_the_publish_action_asks_to_confirm_for_providers_with_no_verified_license(admin_client, make_provider, today):
    ana = make_provider("Ana Díaz", published=False)  # an unverified license
    ben = make_provider("Ben Roe", published=False, licenses=[("LPC", "TX", "B-1", today)])
    selection = {"action": "publish", "_selected_action": [ana.pk, ben.pk]}
    response = admin_client.post(LIST, selection)
    assert response.status_code == 200
    page = text(response)
    assert "1 of the 2 selected providers holds no verified license" in page
    assert "Ana Díaz" in page and "Ben Roe" not in page
    assert "Yes, publish all 2" in page and "Publish all but this one" in page and "No, take me back" in page
    assert not Provider.objects.filter(published=True).exists()

    response = admin_client.post(LIST, {**selection, "publish_unverified": "skip"})
    assert response.status_code == 302
    assert list(Provider.objects.filter(published=True).values_list("name", flat=True)) == ["Ben Roe"]

    response = admin_client.post(LIST, {**selection, "publish_unverified": "publish"})
    assert response.status_code == 302
    assert Provider.objects.filter(published=True).count() == 2


# --- Phone numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["call me", "12345", "555-0142", "(000) 000-0000", "512-555-01422"])
def test_what_cannot_be_a_phone_number_is_refused_with_a_clear_message(admin_client, taxonomy, phone):
    response = admin_client.post(ADD, with_license(phone=phone))
    assert response.status_code == 200
    assert NOT_A_PHONE_NUMBER[:40] in response.content.decode()
    assert not Provider.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("512.555.0142", "(512) 555-0142"),
        ("5125550142", "(512) 555-0142"),
        ("+1 416 555 0199", "(416) 555-0199"),
        ("512-555-0142 x12", "(512) 555-0142 ext. 12"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("", ""),
    ],
)
def test_a_phone_number_is_kept_in_the_directorys_format(admin_client, taxonomy, typed, stored):
    assert admin_client.post(ADD, with_license(phone=typed)).status_code == 302
    assert Provider.objects.get(name="Ana Díaz").phone == stored


# --- Offices: ZIP code and state, license and state -------------------------------------------------------


def test_an_office_whose_zip_code_is_in_another_state_is_saved_with_a_warning(admin_client, taxonomy):
    response = admin_client.post(ADD, with_office(with_license("TX"), "TX", "97205"))
    assert response.status_code == 302
    assert warnings_of(response) == [
        "Office 1 Main St, Austin, TX, 97205: ZIP code 97205 is in Oregon, not Texas. Check the ZIP code or the state."
    ]
    assert Provider.objects.get(name="Ana Díaz").offices.get().postal_code == "97205"


def test_an_office_with_an_unknown_zip_code_is_saved_with_a_warning(admin_client, taxonomy):
    response = admin_client.post(ADD, with_office(with_license("TX"), "TX", "00000"))
    assert response.status_code == 302
    [warning] = warnings_of(response)
    assert "00000 is not a US ZIP code we know" in warning


def test_an_office_in_a_state_with_no_license_is_saved_with_a_warning(admin_client, taxonomy):
    response = admin_client.post(ADD, with_office(with_license("TX"), "OR", "97205"))
    assert response.status_code == 302
    assert warnings_of(response) == [
        "Office 1 Main St, Austin, OR, 97205 is in Oregon, where Ana Díaz holds no current license, so they may not "
        "see clients there. Add their Oregon license, or check the office's state."
    ]
    assert Provider.objects.get(name="Ana Díaz").offices.count() == 1


def test_an_office_in_a_licensed_state_at_a_zip_code_there_brings_no_warning(admin_client, taxonomy):
    response = admin_client.post(ADD, with_office(with_license("TX"), "TX", "78701"))
    assert response.status_code == 302
    assert warnings_of(response) == []


def test_a_canadian_office_is_not_checked_against_us_zip_codes(admin_client, taxonomy):
    response = admin_client.post(ADD, with_office(with_license("ON"), "ON", "M5V 2T6"))
    assert response.status_code == 302
    assert warnings_of(response) == []
