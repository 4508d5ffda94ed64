"""The shipped demo data: every contract slug present, loading twice changes nothing."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
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
# The numbers of the "Crisis lines" table in the shared clinical facts (PATHWAYS.md), copied here so that
# a clean clone can check them: no other phone or text number may appear in the resources.
CERTAIN_NUMBERS = {
    "988", "838255", "741741", "1-866-488-7386", "678-678", "1-866-277-3553", "1-800-985-5990", "1-800-662-4357",
    "911",
}
# The Quebec line's number spelled in letters, as the table gives it beside its digits.
CERTAIN_SPELLINGS = {"1-866-APPELLE": "1-866-277-3553"}
# A run of digits and dashes; "24/7" is a time, not a number to call.
NUMBER = re.compile(r"(?<![\d/])\d[\d-]*\d(?![\d/])")


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


def digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def shipped_resources() -> list[dict]:
    path = settings.FIXTURE_DIRS[0] / "resources.json"
    return [row["fields"] for row in json.loads(path.read_text(encoding="utf-8"))]


def numbers_in(text: str) -> set[str]:
    for spelling, number in CERTAIN_SPELLINGS.items():
        text = text.replace(spelling, number)
    return {digits(found) for found in NUMBER.findall(text)}


def test_every_number_in_the_resources_is_one_of_the_certain_crisis_numbers():
    certain = {digits(number) for number in CERTAIN_NUMBERS}
    for resource in shipped_resources():
        written = " ".join(resource[key] for key in ("name", "phone", "text_number", "description"))
        assert numbers_in(written) <= certain, f"{resource['slug']}: {numbers_in(written) - certain}"


def test_every_crisis_line_of_the_clinical_facts_is_listed_with_its_numbers():
    lines = {r["slug"]: r for r in shipped_resources()}
    expected = {
        "988-lifeline": ("988", "988", ["press 2", "AYUDA to 988"]),
        "veterans-crisis-line": ("988", "838255", ["press 1"]),
        "crisis-text-line": ("", "HOME to 741741", []),
        "trevor-project": ("1-866-488-7386", "START to 678-678", ["LGBTQ+ young people"]),
        "988-canada": ("988", "988", []),
        "quebec-suicide-prevention-line": ("1-866-277-3553", "", ["1-866-APPELLE"]),
        "disaster-distress-helpline": ("1-800-985-5990", "1-800-985-5990", []),
        "emergency-911": ("911", "", []),
    }
    for slug, (phone, text_number, words) in expected.items():
        line = lines[slug]
        assert (line["phone"], line["text_number"], line["is_crisis"]) == (phone, text_number, True), slug
        assert all(word in line["description"] for word in words), slug
    samhsa = lines["samhsa-national-helpline"]
    assert (samhsa["phone"], samhsa["is_crisis"]) == ("1-800-662-4357", False)


def test_the_crisis_lines_of_one_region_come_together_so_the_resources_page_can_group_them(resources):
    regions = [line.region for line in Resource.objects.crisis()]
    groups = [region for i, region in enumerate(regions) if i == 0 or regions[i - 1] != region]
    assert len(groups) == len(set(groups)), groups
    assert groups[:3] == ["United States", "Canada", "Quebec"]


def test_resources_give_only_certain_phone_numbers_and_988_is_the_first_crisis_line(resources):
    phones = set(Resource.objects.exclude(phone="").values_list("phone", flat=True))
    assert phones <= CERTAIN_NUMBERS
    lifeline = Resource.objects.get(slug="988-lifeline")
    assert (lifeline.phone, lifeline.text_number, lifeline.is_crisis) == ("988", "988", True)
    assert Resource.objects.crisis().first() == lifeline
    assert Resource.objects.get(phone="1-800-662-4357").name.startswith("SAMHSA")
