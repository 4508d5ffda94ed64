"""HSDS 3.0 export: the mapping a referral specialist reads, checked against the official schema."""

from __future__ import annotations

import copy
import datetime
import io
import json
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command

from directory.models import Provider
from openreferral import identifiers as ids
from openreferral import mapping
from openreferral.export import export_directory

SPEC = Path(__file__).resolve().parent.parent / "openreferral" / "spec"
SCHEMA = json.loads((SPEC / "service_with_definitions.json").read_text(encoding="utf-8"))


def forbid_additional_properties(schema):
    """The schema with additionalProperties false on every object, so no invented field passes."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


Validator = jsonschema.Draft202012Validator
VALIDATORS = [
    Validator(SCHEMA, format_checker=Validator.FORMAT_CHECKER),
    Validator(forbid_additional_properties(SCHEMA), format_checker=Validator.FORMAT_CHECKER),
]


def assert_valid_service(service):
    for validator in VALIDATORS:
        errors = sorted(validator.iter_errors(service), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def make_ana(make_provider):
    """A provider with something in every field the export maps."""
    return make_provider(
        "Ana Díaz",
        practice_name="Hill Country Counseling",
        bio="I help adults with depression and anxiety.",
        email="ana@example.org", email_public=True,
        phone="512-555-0100",
        website="https://hillcountry.example.org/",
        licenses=[("LCSW", "TX", "12345", datetime.date(2026, 10, 1)), ("LPC", "NY", "NY-777")],
        offices=[{"address": "100 Congress Ave", "city": "Austin", "jurisdiction": "TX", "postal_code": "78701",
                  "wheelchair_accessible": True}],
        modalities=["cbt", "act"],
        conditions=["depression", "treatment-resistant-depression"],
        formats=["individual", "couples"],
        age_groups=["adults", "older-adults"],
        languages=["en", "es"],
        insurance=["aetna"],
        standard_fee=140, sliding_scale_min=40, sliding_scale_max=120, free_consultation=True,
        telehealth=True,
        accepting_confirmed=datetime.date(2026, 11, 10),
        last_verified=datetime.date(2026, 10, 1),
    )


@pytest.fixture
def ana(make_provider):
    return make_ana(make_provider)


def export(tmp_path: Path, base_url: str = "http://127.0.0.1:8000") -> dict[str, list]:
    export_directory(tmp_path, base_url)
    return {name: json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
            for name in ("services", "organizations", "taxonomies", "taxonomy_terms")}


def attribute_values(service, kind):
    return sorted(a["taxonomy_term"]["code"].split(":", 1)[1] for a in service["attributes"]
                  if a["taxonomy_term"]["code"].startswith(f"{kind}:"))


def test_every_exported_service_validates_against_the_official_schema_even_with_no_extra_fields(
        ana, make_provider, tmp_path):
    make_provider("Ben Roe", licenses=[("PMHNP", "QC", "Q-1")], accepting_new_clients=False,
                  offices=[{"city": "Montréal", "jurisdiction": "QC"}])
    make_provider("Cy Lee", licenses=[])
    services = export(tmp_path)["services"]
    assert len(services) == 3
    for service in services:
        assert_valid_service(service)


def test_the_strict_schema_rejects_an_invented_field_and_a_malformed_id(ana, tmp_path):
    [service] = export(tmp_path)["services"]
    loose, strict = VALIDATORS
    invented = {**service, "gender": "woman"}
    assert loose.is_valid(invented) and not strict.is_valid(invented)
    nested = copy.deepcopy(service)
    nested["service_at_locations"][0]["location"]["floor"] = 3
    assert not strict.is_valid(nested)
    assert not loose.is_valid({**service, "id": "not-a-uuid"})


def test_a_service_reads_as_a_referral_specialist_expects(ana, tmp_path):
    [service] = export(tmp_path, "https://directory.example.org")["services"]
    assert service["name"] == "Ana Díaz"
    assert service["status"] == "active"
    assert service["url"] == "https://directory.example.org/providers/ana-diaz/"
    assert service["email"] == "ana@example.org"
    assert service["description"] == "I help adults with depression and anxiety."
    assert service["fees_description"] == "$40–$120 sliding scale; standard fee $140; free first consultation"
    assert service["assured_date"] == "2026-10-01"
    assert service["alert"] == "Accepting new clients (confirmed 2026-11-10)."
    assert (service["minimum_age"], "maximum_age" in service) == (18, False)
    assert [p["number"] for p in service["phones"]] == ["512-555-0100"]
    assert [(lang["code"], lang["name"]) for lang in service["languages"]] == [("en", "English"), ("es", "Spanish")]
    costs = {c["option"]: (c["amount"], c["currency"]) for c in service["cost_options"]}
    assert costs == {
        "Standard session fee": (140, "USD"),
        "Sliding scale: lowest fee": (40, "USD"),
        "Sliding scale: highest fee": (120, "USD"),
        "Free first consultation": (0, "USD"),
    }
    assert service["organization"]["name"] == "Hill Country Counseling"
    assert service["organization"]["website"] == "https://hillcountry.example.org/"


def test_offices_are_physical_locations_and_telehealth_a_virtual_one(ana, tmp_path):
    [service] = export(tmp_path)["services"]
    office, telehealth = (entry["location"] for entry in service["service_at_locations"])
    assert office["location_type"] == "physical"
    [address] = office["addresses"]
    assert (address["address_1"], address["city"], address["state_province"], address["postal_code"],
            address["country"]) == ("100 Congress Ave", "Austin", "TX", "78701", "US")
    assert office["latitude"] == pytest.approx(30.27, abs=0.1)
    assert office["longitude"] == pytest.approx(-97.74, abs=0.1)
    assert [a["description"] for a in office["accessibility"]] == ["Wheelchair accessible"]
    assert telehealth["location_type"] == "virtual"
    assert telehealth["description"] == "Telehealth sessions for clients in NY and TX, where this provider is licensed."


def test_telehealth_is_offered_only_where_a_license_has_not_expired(ana, tmp_path, today):
    ana.licenses.filter(jurisdiction="NY").update(expires_on=today - datetime.timedelta(days=1))
    [service] = export(tmp_path)["services"]
    telehealth = service["service_at_locations"][-1]["location"]
    assert telehealth["description"] == "Telehealth sessions for clients in TX, where this provider is licensed."
    # The license is still listed, marked expired, so a referral specialist sees it does not count.
    expired = (today - datetime.timedelta(days=1)).isoformat()
    labels = [a.get("value") for a in service["attributes"] if str(a.get("value", "")).startswith("LPC NY ")]
    assert len(labels) == 1 and labels[0].endswith(f"; expired {expired})")


def test_a_provider_without_telehealth_has_no_virtual_location(make_provider, tmp_path):
    make_provider("Ben Roe", offices=[{"city": "Austin", "jurisdiction": "TX"}])
    [service] = export(tmp_path)["services"]
    assert [e["location"]["location_type"] for e in service["service_at_locations"]] == ["physical"]


def test_the_directorys_terms_and_licenses_are_attributes(ana, tmp_path):
    [service] = export(tmp_path)["services"]
    assert attribute_values(service, "modality") == ["act", "cbt"]
    assert attribute_values(service, "condition") == ["depression", "treatment-resistant-depression"]
    assert attribute_values(service, "format") == ["couples", "individual"]
    assert attribute_values(service, "age-group") == ["adults", "older-adults"]
    assert attribute_values(service, "insurance") == ["aetna"]
    licenses = [a["value"] for a in service["attributes"] if a["taxonomy_term"]["code"].startswith("credential:")]
    assert licenses == ["LCSW TX 12345 (verified 2026-10-01)", "LPC NY NY-777 (not verified)"]
    assert all(a["taxonomy_term"]["taxonomy_id"] == ids.TAXONOMY_ID for a in service["attributes"])


def test_a_provider_not_accepting_new_clients_is_temporarily_closed(make_provider, tmp_path):
    make_provider("Ben Roe", accepting_new_clients=False)
    [service] = export(tmp_path)["services"]
    assert service["status"] == "temporarily closed"
    assert service["alert"] == "Not accepting new clients."


def test_unpublished_providers_are_never_exported(ana, make_provider, tmp_path):
    make_provider("Hidden Person", published=False)
    files = export(tmp_path)
    assert [s["name"] for s in files["services"]] == ["Ana Díaz"]
    assert "Hidden Person" not in json.dumps(files)


def test_providers_sharing_a_practice_share_one_organization_and_others_stand_alone(ana, make_provider, tmp_path):
    make_provider("Ben Roe", practice_name="Hill Country Counseling", website="https://hillcountry.example.org/")
    make_provider("Cy Lee")
    files = export(tmp_path)
    by_name = {s["name"]: s for s in files["services"]}
    assert by_name["Ana Díaz"]["organization_id"] == by_name["Ben Roe"]["organization_id"]
    assert by_name["Cy Lee"]["organization"]["name"] == "Cy Lee"
    assert sorted(o["name"] for o in files["organizations"]) == ["Cy Lee", "Hill Country Counseling"]
    practice = next(o for o in files["organizations"] if o["name"] == "Hill Country Counseling")
    assert practice["description"] == "A practice listed in this directory. Providers: Ana Díaz, Ben Roe."


def objects_with_ids(node, found=None) -> dict[str, list]:
    """{id: every object carrying it}, anywhere in node."""
    found = {} if found is None else found
    if isinstance(node, dict):
        if "id" in node:
            found.setdefault(node["id"], []).append(node)
        for value in node.values():
            objects_with_ids(value, found)
    elif isinstance(node, list):
        for value in node:
            objects_with_ids(value, found)
    return found


def test_identifiers_are_the_same_in_every_export_and_survive_edits(ana, make_provider, tmp_path):
    make_provider("Ben Roe", practice_name="Hill Country Counseling", telehealth=True,
                  offices=[{"city": "Austin", "jurisdiction": "TX", "address": "1 Main St"}])
    first = export(tmp_path / "one")
    Provider.objects.filter(pk=ana.pk).update(bio="Changed.", email="new@example.org", standard_fee=150)
    second = export(tmp_path / "two")
    assert sorted(objects_with_ids(first)) == sorted(objects_with_ids(second))
    assert first["services"][0]["id"] == ids.stable_id("service", "ana-diaz")


def test_one_id_always_names_one_thing(ana, make_provider, tmp_path):
    make_provider("Ben Roe", practice_name="Hill Country Counseling", telehealth=True,
                  offices=[{"city": "Austin", "jurisdiction": "TX", "address": "1 Main St"}])
    found = objects_with_ids(export(tmp_path))
    # A taxonomy term or organization appears wherever it is used, always the same object.
    shared = {i: objects for i, objects in found.items() if len(objects) > 1}
    assert shared
    for objects in shared.values():
        assert all(obj == objects[0] for obj in objects)


def test_the_taxonomy_files_describe_every_term_with_parts_at_the_top(taxonomy, tmp_path):
    files = export(tmp_path)
    [tax] = files["taxonomies"]
    assert tax["id"] == ids.TAXONOMY_ID
    terms = {t["code"]: t for t in files["taxonomy_terms"]}
    assert "parent_id" not in terms["modality"]
    assert terms["modality:cbt"]["parent_id"] == terms["modality"]["id"]
    assert terms["condition:treatment-resistant-depression"]["parent_id"] == terms["condition:depression"]["id"]
    assert terms["credential:LCSW"]["name"]
    assert {"modality", "condition", "credential", "format", "age-group", "insurance"} <= set(terms)


def test_the_export_command_writes_the_files_with_the_given_base_url(ana, tmp_path):
    call_command("export_hsds", str(tmp_path), "--base-url", "https://find.example.org/", stdout=io.StringIO())
    services = json.loads((tmp_path / "services.json").read_text(encoding="utf-8"))
    assert services[0]["url"] == "https://find.example.org/providers/ana-diaz/"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "organizations.json", "services.json", "taxonomies.json", "taxonomy_terms.json"]


def test_fees_are_described_in_plain_words():
    from decimal import Decimal

    assert mapping.fees_description(Decimal("140"), None, None, False) == "standard fee $140"
    assert mapping.fees_description(None, Decimal("40"), Decimal("92.50"), False) == "$40–$92.50 sliding scale"
    assert mapping.fees_description(None, None, None, True) == "free first consultation"
    assert mapping.fees_description(None, None, None, False) == ""
