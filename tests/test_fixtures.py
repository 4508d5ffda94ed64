"""The shipped demo data: every contract slug present, loading twice changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from directory.models import (
    AgeGroup,
    Condition,
    CredentialType,
    InsurancePlan,
    Language,
    Modality,
    Resource,
    SessionFormat,
)

pytestmark = pytest.mark.django_db

CONTRACT = {
    Modality: "cbt dbt psychodynamic ipt mbct act emdr sfbt behavioral-activation exposure-therapy "
    "motivational-interviewing art-therapy music-therapy biofeedback hypnotherapy tms ect "
    "ketamine-assisted-therapy medication-management pharmacogenetic-testing",
    Condition: "depression treatment-resistant-depression anxiety panic-disorder social-anxiety ocd phobias "
    "ptsd trauma bipolar-disorder schizophrenia eating-disorders substance-use "
    "borderline-personality-disorder grief relationship-issues suicidal-thoughts stress",
    CredentialType: "MD DO PMHNP PHD PSYD LCSW LPC LMFT LMHC",
    SessionFormat: "individual couples family group",
    AgeGroup: "children adolescents adults older-adults",
    Language: "en es fr zh vi",
    InsurancePlan: "aetna cigna medicaid medicare unitedhealthcare",
}
PRESCRIBERS = {"MD", "DO", "PMHNP"}
CERTAIN_NUMBERS = {"988", "1-800-985-5990", "1-800-662-4357"}


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in [*CONTRACT, Resource]}


def test_every_contract_slug_and_code_is_in_the_taxonomy(taxonomy):
    for model, keys in CONTRACT.items():
        present = {term.key for term in model.objects.all()}
        assert set(keys.split()) <= present, f"{model.__name__} is missing {set(keys.split()) - present}"


def test_every_term_has_a_name_and_every_modality_and_condition_a_description(taxonomy):
    for model in CONTRACT:
        assert not model.objects.filter(name="").exists()
    assert not Modality.objects.filter(description="").exists()
    assert not Condition.objects.filter(description="").exists()


def test_only_psychiatrists_and_nurse_practitioners_can_prescribe(taxonomy):
    assert set(CredentialType.objects.filter(can_prescribe=True).values_list("code", flat=True)) == PRESCRIBERS


def test_treatment_resistant_depression_counts_as_depression(taxonomy):
    assert Condition.objects.get(slug="treatment-resistant-depression").broader.slug == "depression"


def test_loading_the_fixtures_twice_duplicates_nothing(taxonomy, resources):
    before = _counts()
    call_command("loaddata", "taxonomy", "resources", verbosity=0)
    assert _counts() == before
    assert all(before.values())


def test_resources_give_only_certain_phone_numbers_and_988_is_a_crisis_line(resources):
    phones = set(Resource.objects.exclude(phone="").values_list("phone", flat=True))
    assert phones <= CERTAIN_NUMBERS
    lifeline = Resource.objects.get(phone="988")
    assert lifeline.is_crisis
    assert Resource.objects.crisis().first() == lifeline
    assert Resource.objects.get(phone="1-800-662-4357").name.startswith("SAMHSA")
