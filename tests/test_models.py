"""Rules that hold in the database itself, whatever wrote the row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from directory.models import CredentialType, License, Office, Provider

pytestmark = pytest.mark.django_db


def _violates(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_a_fee_cannot_be_negative(taxonomy):
    _violates(lambda: Provider.objects.create(name="A", slug="a", standard_fee=Decimal("-1")))
    _violates(lambda: Provider.objects.create(
        name="B", slug="b", sliding_scale_min=Decimal("-5"), sliding_scale_max=Decimal("10")))


def test_sliding_scale_minimum_cannot_be_above_maximum(taxonomy):
    _violates(lambda: Provider.objects.create(
        name="A", slug="a", sliding_scale_min=Decimal("90"), sliding_scale_max=Decimal("40")))


def test_sliding_scale_needs_both_ends(taxonomy):
    _violates(lambda: Provider.objects.create(name="A", slug="a", sliding_scale_min=Decimal("40")))
    _violates(lambda: Provider.objects.create(name="B", slug="b", sliding_scale_max=Decimal("40")))


def test_a_sliding_scale_with_equal_ends_is_allowed(taxonomy):
    Provider.objects.create(name="A", sliding_scale_min=Decimal("40"), sliding_scale_max=Decimal("40"))


def test_external_ids_are_unique_but_may_be_empty(taxonomy):
    Provider.objects.create(name="A", external_id="src-1")
    Provider.objects.create(name="B", external_id="")
    Provider.objects.create(name="C", external_id="")
    _violates(lambda: Provider.objects.create(name="D", slug="d", external_id="src-1"))


def test_slugs_are_unique_and_filled_from_the_name(taxonomy):
    first = Provider.objects.create(name="Ana Díaz")
    second = Provider.objects.create(name="Ana Díaz")
    assert (first.slug, second.slug) == ("ana-diaz", "ana-diaz-2")
    _violates(lambda: Provider.objects.create(name="Other", slug="ana-diaz"))


def test_one_license_per_credential_jurisdiction_and_number(make_provider):
    ana = make_provider("Ana", licenses=[("LCSW", "TX", "12345")])
    ben = make_provider("Ben", licenses=[])
    lcsw = CredentialType.objects.get(code="LCSW")
    _violates(lambda: License.objects.create(provider=ben, credential_type=lcsw, jurisdiction="TX", number="12345"))
    # The same number in another state is another license.
    License.objects.create(provider=ana, credential_type=lcsw, jurisdiction="NY", number="12345")


def test_a_license_needs_a_known_jurisdiction_and_a_number(make_provider):
    ana = make_provider("Ana", licenses=[])
    lcsw = CredentialType.objects.get(code="LCSW")
    _violates(lambda: License.objects.create(provider=ana, credential_type=lcsw, jurisdiction="ZZ", number="1"))
    _violates(lambda: License.objects.create(provider=ana, credential_type=lcsw, jurisdiction="TX", number=""))


def test_an_office_needs_a_known_jurisdiction_and_real_coordinates(make_provider):
    ana = make_provider("Ana")
    _violates(lambda: Office.objects.create(provider=ana, city="Austin", jurisdiction="XX"))
    _violates(lambda: Office.objects.create(
        provider=ana, city="Austin", jurisdiction="TX", latitude=120.0, longitude=0.0))
    _violates(lambda: Office.objects.create(provider=ana, city="Austin", jurisdiction="TX", latitude=30.0))


def test_credential_codes_are_stored_in_capitals(taxonomy):
    CredentialType.objects.create(code="lmsw", name="Licensed Master Social Worker")
    assert CredentialType.objects.get_by_natural_key("LmSw").code == "LMSW"
    _violates(lambda: CredentialType.objects.bulk_create([CredentialType(code="abc", name="lower")]))


def test_an_office_takes_its_coordinates_from_the_zip_code(make_provider):
    office = Office.objects.create(provider=make_provider("Ana"), city="Austin", jurisdiction="TX", postal_code="78701")
    assert office.latitude == pytest.approx(30.27, abs=0.05)
    assert office.longitude == pytest.approx(-97.74, abs=0.05)


def test_lowest_fee_is_the_sliding_scale_floor_else_the_standard_fee(make_provider):
    sliding = make_provider("A", standard_fee=150, sliding_scale_min=40, sliding_scale_max=120)
    standard = make_provider("B", standard_fee=150)
    unknown = make_provider("C")
    assert (sliding.lowest_fee, standard.lowest_fee, unknown.lowest_fee) == (Decimal("40"), Decimal("150"), None)
    assert list(Provider.objects.affordable(Decimal("100")).values_list("name", flat=True)) == ["A"]


# --- A verification belongs to the license as it was checked ------------------------------------------------


@pytest.fixture
def verified(make_provider, django_user_model, today):
    """Ana's LCSW TX V-1, verified by a verifier today; Ben, with no license."""
    make_provider("Ana", licenses=[("LCSW", "TX", "V-1")])
    make_provider("Ben", licenses=[])
    License.objects.update(verified_on=today, verified_by=django_user_model.objects.create_user("verifier"))
    return License.objects.get()


def _verification(license_: License) -> tuple:
    license_.refresh_from_db()
    return license_.verified_on, license_.verified_by_id


@pytest.mark.parametrize("change", ["provider", "credential_type", "jurisdiction", "number"])
def test_saving_a_license_for_another_provider_credential_state_or_number_clears_its_verification(verified, change):
    new = {"provider": Provider.objects.get(name="Ben"), "credential_type": CredentialType.objects.get(code="MD"),
           "jurisdiction": "NY", "number": "V-2"}
    setattr(verified, change, new[change])
    verified.save()
    assert _verification(verified) == (None, None)


def test_saving_a_license_with_the_same_provider_and_number_keeps_its_verification(verified, today):
    verified.expires_on = today.replace(year=today.year + 2)
    verified.save()
    assert _verification(verified)[0] == today
    verified.save(update_fields=["number"])
    assert _verification(verified)[0] == today


def test_a_save_of_only_the_number_still_clears_the_verification(verified):
    verified.number = "V-2"
    verified.save(update_fields=["number"])
    assert _verification(verified) == (None, None)


@pytest.mark.parametrize("change", ["provider", "credential_type", "jurisdiction", "number"])
def test_an_update_that_moves_a_license_clears_its_verification(verified, change):
    new = {"provider": Provider.objects.get(name="Ben"), "credential_type": CredentialType.objects.get(code="MD"),
           "jurisdiction": "NY", "number": "V-2"}
    License.objects.filter(pk=verified.pk).update(**{change: new[change]})
    assert _verification(verified) == (None, None)


def test_an_update_that_leaves_the_provider_as_it_was_keeps_the_verification(verified, today):
    License.objects.update(provider=verified.provider, jurisdiction="TX")
    License.objects.update(expires_on=today)
    assert _verification(verified)[0] == today


def test_a_bulk_update_of_numbers_clears_only_the_licenses_it_changes(verified, make_provider, today):
    other = make_provider("Cy", licenses=[("LPC", "TX", "C-1", today)]).licenses.get()
    verified.number, other.number = "V-2", "C-1"
    License.objects.bulk_update([verified, other], ["number"])
    assert _verification(verified) == (None, None)
    assert _verification(other)[0] == today
