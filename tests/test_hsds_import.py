"""HSDS import: our own export comes back unchanged, another directory's service comes in with a report."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory.models import License, Office, Provider
from openreferral import identifiers as ids
from openreferral.export import export_directory
from tests.test_hsds import SPEC, assert_valid_service, make_ana
from tests.test_import_export import ESCAPES, RAW_CONTROL

EXAMPLE = SPEC / "example_service_full.json"


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_hsds", *map(str, args), stdout=out)
    return out.getvalue()


def exported(directory: Path) -> dict[str, str]:
    export_directory(directory, "http://127.0.0.1:8000")
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.json"))}


def wipe_providers() -> None:
    License.objects.all().delete()
    Provider.objects.all().delete()


@pytest.fixture
def directory(make_provider):
    make_ana(make_provider)
    make_provider("Ben Roe", practice_name="Hill Country Counseling", licenses=[("PMHNP", "QC", "Q-1")],
                  accepting_new_clients=False, accepting_confirmed=datetime.date(2026, 9, 1),
                  offices=[{"city": "Montréal", "jurisdiction": "QC", "postal_code": "H2X 1Y4",
                            "latitude": 45.51, "longitude": -73.57}],
                  languages=["fr"], age_groups=["children"], standard_fee="92.50")
    make_provider("Cy Lee", licenses=[("MD", "NY", "MD-1", datetime.date(2026, 1, 5))], telehealth=True,
                  conditions=["ptsd"], email="cy@example.org")
    make_provider("Hidden Person", published=False)
    License.objects.filter(number="MD-1").update(expires_on=datetime.date(2027, 6, 30))


def test_export_then_import_into_an_empty_database_then_export_gives_the_same_json(directory, tmp_path):
    first = exported(tmp_path / "first")
    assert "MD NY MD-1 (verified 2026-01-05; expires 2027-06-30)" in first["services.json"]
    wipe_providers()
    output = run(tmp_path / "first")
    assert output.splitlines()[0] == "3 created, 0 updated."
    assert "Not mapped" not in output
    assert exported(tmp_path / "second") == first


def test_importing_the_same_export_twice_changes_nothing(directory, tmp_path):
    first = exported(tmp_path / "first")
    wipe_providers()
    run(tmp_path / "first")
    providers = list(Provider.objects.order_by("pk").values())
    offices = list(Office.objects.order_by("pk").values())
    assert run(tmp_path / "first").splitlines()[0] == "0 created, 3 updated."
    assert list(Provider.objects.order_by("pk").values()) == providers
    assert list(Office.objects.order_by("pk").values()) == offices
    assert exported(tmp_path / "again") == first


def test_importing_our_export_over_the_same_database_updates_the_same_providers(directory, tmp_path):
    first = exported(tmp_path / "first")
    assert run(tmp_path / "first").splitlines()[0] == "0 created, 3 updated."
    assert Provider.objects.count() == 4
    assert Provider.objects.get(slug="ana-diaz").external_id == "test-0001"
    assert exported(tmp_path / "again") == first


def test_an_edit_in_the_file_updates_the_provider(directory, tmp_path):
    exported(tmp_path)
    services = json.loads((tmp_path / "services.json").read_text(encoding="utf-8"))
    ana_service = next(s for s in services if s["name"] == "Ana Díaz")
    ana_service["email"] = "new@example.org"
    ana_service["status"] = "temporarily closed"
    ana_service.pop("alert")
    ana_service["service_at_locations"] = []
    (tmp_path / "services.json").write_text(json.dumps(services), encoding="utf-8")
    run(tmp_path)
    ana = Provider.objects.get(slug="ana-diaz")
    assert (ana.email, ana.accepting_new_clients, ana.telehealth, ana.offices.count()) == (
        "new@example.org", False, False, 0)


def test_the_official_example_imports_with_a_clear_report_of_what_was_not_mapped(taxonomy):
    output = run(EXAMPLE)
    lines = output.splitlines()
    assert lines[0] == "1 created, 0 updated."
    provider = Provider.objects.get(external_id="hsds:ac148810-d857-441c-9679-408f346de14b")
    assert provider.name == "Community Counselling"
    assert provider.practice_name == "Example Organization Inc."
    assert provider.email == "email@example.com"
    assert provider.bio.startswith("Counselling Services provided by trained professionals.")
    assert provider.phone == "+44 1234 234567 ext. 100"
    assert provider.accepting_new_clients is True
    assert provider.website == "http://example.com/counselling"
    assert [lang.slug for lang in provider.languages.all()] == ["ur"]
    assert sorted(g.slug for g in provider.age_groups.all()) == ["adolescents", "adults", "older-adults"]
    # Staff did not check it, whatever the source says; prices in pounds are not dollars.
    assert provider.last_verified is None
    assert provider.standard_fee is None
    assert provider.offices.count() == 0
    report = "\n".join(lines)
    for expected in (
        "Not mapped (the rest of each service was imported):",
        "Community Counselling (ac148810-d857-441c-9679-408f346de14b)",
        'cost_options[0].currency = "gbp": fees are recorded in USD only',
        'service_at_locations[0].location.addresses[0].state_province = "MyState": not a US state or Canadian '
        "province",
        "assured_date = \"2005-01-01\": checked by the source directory, not by this directory's staff",
        'schedules = [{"id": "48102e86-bb50-41c4-8f1e-e269368c41d1", ',
        "attributes[0] = \"name\": not a term of this directory's taxonomy",
        'minimum_age/maximum_age = "12–100": covers only part of the age group children, which is not listed',
        'organization.funding = [{"id": ',
        'alert = "Following COVID-19',
    ):
        assert expected in report, expected


def test_an_imported_service_keeps_its_own_id_in_our_export(taxonomy, tmp_path):
    run(EXAMPLE)
    export_directory(tmp_path, "http://127.0.0.1:8000")
    [service] = json.loads((tmp_path / "services.json").read_text(encoding="utf-8"))
    assert service["id"] == "ac148810-d857-441c-9679-408f346de14b"
    assert service["url"] == "http://127.0.0.1:8000/providers/community-counselling/"
    assert_valid_service(service)
    assert run(EXAMPLE).splitlines()[0] == "0 created, 1 updated."


def license_service(value: str) -> dict:
    """Another directory's service listing one license, written as value ("LCSW TX 555 (not verified)")."""
    from openreferral.mapping import HsdsTerms

    term = HsdsTerms().terms[f"credential:{value.split()[0]}"]
    return {"id": "0b0c8f49-4d47-4e4b-9d0f-2b4c5b9b0c11", "name": "Dee Example", "status": "active",
            "attributes": [{"id": "9c5bd3e6-0e1c-4bfa-8f5f-6a5d4c1b2a10", "taxonomy_term": term, "value": value}]}


def test_a_foreign_license_comes_in_unverified(taxonomy):
    output = run(write(license_service("LCSW TX 555 (verified 2026-01-01)")))
    lic = License.objects.get(number="555")
    assert (lic.credential_type.code, lic.jurisdiction, lic.verified_on) == ("LCSW", "TX", None)
    assert "this directory's staff must verify it" in output


def write(data, name: str = "in.json") -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_bad_service_imports_nothing_and_names_every_problem(directory, tmp_path):
    exported(tmp_path)
    services = json.loads((tmp_path / "services.json").read_text(encoding="utf-8"))
    wipe_providers()
    services[1]["name"] = ""
    services[2]["status"] = "open"
    (tmp_path / "services.json").write_text(json.dumps(services), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run(tmp_path)
    message = str(error.value)
    assert message.startswith("Nothing was imported:")
    assert "service 2: service " in message and "has no name" in message
    assert "service 3: service " in message and "status 'open' is not one of" in message
    assert Provider.objects.count() == 0


def test_a_license_held_by_another_provider_rolls_back_the_whole_import(directory, make_provider, tmp_path):
    exported(tmp_path)
    wipe_providers()
    make_provider("Someone Else", licenses=[("MD", "NY", "MD-1")], external_id="other")
    with pytest.raises(CommandError, match="license MD NY MD-1 belongs to Someone Else"):
        run(tmp_path)
    assert list(Provider.objects.values_list("name", flat=True)) == ["Someone Else"]


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON (line 1, column 2"),
    ("42", "expected a service, a list of services or a page of them"),
    ('[{"id": "nope", "name": "X", "status": "active"}]', "id 'nope' is not a UUID"),
    ('[{"id": "0b0c8f49-4d47-4e4b-9d0f-2b4c5b9b0c11", "name": "A", "status": "active"},'
     ' {"id": "0b0c8f49-4d47-4e4b-9d0f-2b4c5b9b0c11", "name": "B", "status": "active"}]',
     "is also service 1"),
])
def test_unreadable_input_is_refused_with_a_clear_message(taxonomy, tmp_path, content, message):
    path = tmp_path / "services.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was imported") as error:
        run(path)
    assert message in str(error.value)
    assert Provider.objects.count() == 0


def test_a_missing_path_is_refused(taxonomy, tmp_path):
    with pytest.raises(CommandError, match="no such file or directory"):
        run(tmp_path / "missing.json")
    with pytest.raises(CommandError, match="no services.json in this directory"):
        run(tmp_path)


def test_a_dry_run_reports_and_writes_nothing(taxonomy):
    output = run(EXAMPLE, "--dry-run")
    assert output.startswith("Dry run, nothing written: would be 1 created, 0 updated.")
    assert "cost_options[0].currency" in output
    assert Provider.objects.count() == 0


def test_unpublished_imports_wait_for_staff_review(taxonomy):
    run(EXAMPLE, "--unpublished")
    assert Provider.objects.get().published is False


def test_a_service_that_is_not_operating_is_imported_unpublished(taxonomy):
    service = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    service["status"] = "defunct"
    output = run(write(service))
    assert Provider.objects.get().published is False
    assert 'status = "defunct": the service is not operating: imported unpublished' in output


def test_a_nul_character_is_reported_not_stored(taxonomy):
    service = {"id": "0b0c8f49-4d47-4e4b-9d0f-2b4c5b9b0c11", "name": "Dee Example", "status": "active",
               "description": "bad\x00text"}
    output = run(write(service))
    assert Provider.objects.get().bio == ""
    assert "description = " in output and "contains a NUL character" in output


def test_ids_are_derived_from_stable_keys():
    assert ids.stable_id("service", "ana-diaz") == ids.stable_id("service", "ana-diaz")
    assert ids.stable_id("service", "ana-diaz") != ids.stable_id("service", "ana-diaz-2")
    assert ids.parse_uuid(ids.stable_id("x")) == ids.stable_id("x")


def test_one_license_in_two_services_is_refused(taxonomy, tmp_path):
    from openreferral.mapping import HsdsTerms

    term = HsdsTerms().terms["credential:LPC"]
    services = [
        {"id": ids.stable_id(name), "name": name, "status": "active",
         "attributes": [{"id": ids.stable_id(name, "a"), "taxonomy_term": term, "value": "LPC TX 42"}]}
        for name in ("Dee One", "Eve Two")
    ]
    with pytest.raises(CommandError, match="license LPC TX 42 is also listed by service"):
        run(write(services))
    assert Provider.objects.count() == 0


def test_a_directory_with_organizations_json_gives_each_service_its_practice(taxonomy, tmp_path):
    organization = {"id": ids.stable_id("org"), "name": "Riverside Clinic", "description": "A clinic.",
                    "website": "https://riverside.example.org/"}
    service = {"id": ids.stable_id("svc"), "name": "Dee Example", "status": "temporarily closed",
               "organization_id": organization["id"]}
    (tmp_path / "services.json").write_text(json.dumps([service]), encoding="utf-8")
    (tmp_path / "organizations.json").write_text(json.dumps([organization]), encoding="utf-8")
    output = run(tmp_path)
    provider = Provider.objects.get()
    assert (provider.practice_name, provider.website, provider.accepting_new_clients) == (
        "Riverside Clinic", "https://riverside.example.org/", False)
    assert 'organization.description = "A clinic.": not recorded' in output


def test_a_license_number_with_a_csv_separator_is_reported_not_stored(taxonomy):
    output = run(write(license_service("LCSW TX 12:34")))
    assert Provider.objects.get().licenses.count() == 0
    assert 'attributes[0].value = "LCSW TX 12:34": not a US state or Canadian province, or an unusable number' in output


def test_a_value_the_mapping_lets_through_but_a_provider_cannot_hold_imports_nothing_and_names_it(
        taxonomy, monkeypatch):
    from openreferral import mapping

    monkeypatch.setattr(mapping, "NAME_LENGTH", 1000)
    services = [{"id": ids.stable_id("ok"), "name": "Dee Example", "status": "active"},
                {"id": ids.stable_id("long"), "name": "x" * 300, "status": "active"}]
    with pytest.raises(CommandError) as error:
        run(write(services))
    assert f"{'x' * 300} ({ids.stable_id('long')}): name: Ensure this value has at most 200 characters" in str(
        error.value)
    assert Provider.objects.count() == 0


def test_a_failure_while_writing_rolls_everything_back_with_a_clear_message(directory, tmp_path, monkeypatch):
    from django.db import IntegrityError

    from directory import writing

    exported(tmp_path)
    wipe_providers()

    def refuse(*args):
        raise IntegrityError("office refused")

    monkeypatch.setattr(writing, "_replace_offices", refuse)
    with pytest.raises(CommandError, match=r"The database refused the import, and nothing was written \(office"):
        run(tmp_path)
    assert Provider.objects.count() == 0 and License.objects.count() == 0


def test_a_license_can_move_to_a_service_listed_before_the_one_that_gives_it_up(directory, tmp_path):
    exported(tmp_path)
    services = json.loads((tmp_path / "services.json").read_text(encoding="utf-8"))
    [ana_service] = [s for s in services if s["name"] == "Ana Díaz"]
    [cy_service] = [s for s in services if s["name"] == "Cy Lee"]
    [license] = [a for a in cy_service["attributes"] if a.get("value", "").startswith("MD NY MD-1")]
    cy_service["attributes"].remove(license)
    ana_service["attributes"].append(license)
    (tmp_path / "services.json").write_text(json.dumps([ana_service, cy_service]), encoding="utf-8")
    run(tmp_path)
    assert License.objects.get(number="MD-1").provider.name == "Ana Díaz"


def test_a_verified_license_moved_to_another_service_comes_in_unverified(directory, tmp_path, client):
    exported(tmp_path)
    services = json.loads((tmp_path / "services.json").read_text(encoding="utf-8"))
    [ana_service] = [s for s in services if s["name"] == "Ana Díaz"]
    [cy_service] = [s for s in services if s["name"] == "Cy Lee"]
    [license] = [a for a in cy_service["attributes"] if a.get("value", "").startswith("MD NY MD-1 (verified")]
    cy_service["attributes"].remove(license)
    ana_service["attributes"].append(license)
    (tmp_path / "services.json").write_text(json.dumps([ana_service, cy_service]), encoding="utf-8")
    output = run(tmp_path)
    moved = License.objects.get(number="MD-1")
    assert (moved.provider.name, moved.verified_on, moved.verified_by) == ("Ana Díaz", None, None)
    assert "MD NY MD-1 now belongs to another provider, so it is no longer verified" in output
    [ana] = client.get("/api/providers/", {"prescriber": "true", "state": "NY"}).json()["results"]
    assert ana["name"] == "Ana Díaz"
    assert {"code": "MD", "state": "NY", "verified": False} in ana["credentials"]


# --- Hostile files ----------------------------------------------------------------------------------


def schema_depth() -> int:
    """How many objects and arrays deep the HSDS 3.0 schema lets a service nest (a definition used once a path)."""
    schema = json.loads((SPEC / "service_with_definitions.json").read_text(encoding="utf-8"))

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    def depth(node: dict, seen: frozenset) -> int:
        node = resolve(node)
        if node.get("type") == "array":
            return 1 + depth(node.get("items", {}), seen)
        if node.get("type") == "object" or "properties" in node:
            children = [depth(child, seen | {id(resolve(child))}) for child in node.get("properties", {}).values()
                        if id(resolve(child)) not in seen]
            return 1 + max(children, default=0)
        return 0

    return depth(schema, frozenset())


def nested_service(depth: int) -> dict:
    """A service whose data nests depth objects deep (the service itself is the first)."""
    service = {"id": ids.stable_id("deep"), "name": "Dee Example", "status": "active"}
    inner = service
    for _ in range(depth - 1):
        inner["extras"] = {}
        inner = inner["extras"]
    return service


def test_a_page_of_services_as_deep_as_the_schema_allows_imports(taxonomy):
    assert schema_depth() == 16
    run(write({"contents": [nested_service(schema_depth())]}))
    assert Provider.objects.count() == 1


def test_a_file_nested_deeper_than_the_schema_allows_is_refused_naming_the_file(taxonomy):
    path = write({"contents": [nested_service(schema_depth() + 1)]})
    with pytest.raises(CommandError) as error:
        run(path)
    assert f"{path}: nested more than 18 levels deep" in str(error.value)
    assert Provider.objects.count() == 0


def test_a_file_nested_a_hundred_thousand_levels_deep_is_refused_with_a_message_not_a_traceback(taxonomy, tmp_path):
    (tmp_path / "services.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run(tmp_path)
    assert f"{tmp_path / 'services.json'}: nested more than 18 levels deep" in str(error.value)
    assert Provider.objects.count() == 0


def test_control_characters_in_a_service_are_not_stored_nor_printed(taxonomy):
    service = {"id": ids.stable_id("esc"), "name": f"Dee{ESCAPES} Example", "status": "active",
               "description": f"Line one\nline\ttwo{ESCAPES}", "phones": [{"number": "512-555-0100\x1b[0m"}],
               "schedules": [ESCAPES]}
    output = run(write(service))
    provider = Provider.objects.get()
    assert (provider.name, provider.phone) == ("Dee[2J]0;owned31m Example", "512-555-0100[0m")
    assert provider.bio == "Line one\nline\ttwo[2J]0;owned31m"
    assert f"Dee[2J]0;owned31m Example ({ids.stable_id('esc')})" in output
    assert "schedules = " in output and not RAW_CONTROL.search(output)


def test_a_refusal_naming_a_stored_provider_never_prints_raw_control_characters(make_provider):
    make_provider(f"Eve{ESCAPES} Holder", licenses=[("LCSW", "TX", "555")], external_id="other")
    with pytest.raises(CommandError) as error:
        run(write(license_service("LCSW TX 555 (not verified)")))
    assert "license LCSW TX 555 belongs to Eve\\x1b[2J" in str(error.value)
    assert not RAW_CONTROL.search(str(error.value))
