"""Staff enter a provider in the admin, in a real browser, and the public finds it in search."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_credential(page, prefix: str, code: str) -> None:
    """The credential is a searchable select (the admin's autocomplete)."""
    page.locator(f"#{prefix} .select2-selection").first.click()
    page.locator(".select2-search--dropdown .select2-search__field").fill(code)
    page.locator(".select2-results__option", has_text=f"({code})").first.click()


def test_staff_sign_in_enter_a_provider_with_a_license_and_an_office_and_the_public_finds_it(site, taxonomy):
    User.objects.create_superuser("staff", "staff@example.org", "a-long-staff-password-2026")
    page = site.page
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
    page.get_by_role("button", name="Add another Office").click()
    page.locator("#id_offices-0-city").fill("Portland")
    page.locator("#id_offices-0-jurisdiction").select_option("OR")
    page.locator("#id_offices-0-postal_code").fill("97205")
    page.locator("input[name=_save]").click()
    page.get_by_text("was added successfully").wait_for()

    site.open("/providers/?state=OR&zip=97205&radius=10")
    card = page.locator(".provider-card", has_text="Zoë Quill")
    card.wait_for()
    text = card.inner_text()
    assert "LPC" in text and "Portland, OR" in text
    assert "$45" in text and "sliding scale" in text
    assert site.foreign_requests() == []
