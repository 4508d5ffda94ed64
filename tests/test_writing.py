"""The one write path for providers: what the CSV import, the HSDS import and the generator all go through."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import License, Office, Provider
from directory.taxonomy import snapshot
from directory.writing import (
    LicenseRecord,
    OfficeRecord,
    ProviderRecord,
    check_record,
    licenses_held_elsewhere,
    write_providers,
)
from openreferral.export import export_directory
from tests.test_facet_index import total_on_page
from tests.test_hsds_import import license_service

pytestmark = pytest.mark.django_db

BASE_URL = "http://127.0.0.1:8000"


def ana(**changes) -> ProviderRecord:
    fields = {
        "external_id": "src-001",
        "values": {"name": "Ana Díaz", "telehealth": True, "accepting_new_clients": True},
        "terms": {"modalities": ["act", "cbt"], "languages": ["en", "es"]},
        "licenses": [LicenseRecord("LCSW", "TX", "12345", datetime.date(2026, 1, 5))],
        "offices": [OfficeRecord("100 Congress Ave", "Austin", "TX", "78701")],
    }
    return ProviderRecord(**{**fields, **changes})


# --- Creating and updating ------------------------------------------------------------------


def test_a_record_creates_a_provider_and_writing_it_again_updates_the_same_one(taxonomy):
    assert (write_providers([ana()]).created, write_providers([ana()]).updated) == (1, 1)
    provider = Provider.objects.get()
    assert (provider.name, provider.slug, provider.external_id, provider.published) == (
        "Ana Díaz", "ana-diaz", "src-001", True)
    assert sorted(provider.modalities.values_list("slug", flat=True)) == ["act", "cbt"]
    assert [(lic.number, lic.verified_on) for lic in provider.licenses.all()] == [("12345", datetime.date(2026, 1, 5))]
    office = provider.offices.get()
    # An office given without coordinates sits at its postal code's centre.
    assert office.latitude == pytest.approx(30.27, abs=0.05)
    assert (License.objects.count(), Office.objects.count()) == (1, 1)


def test_what_a_record_does_not_give_is_left_as_it_was(taxonomy):
    write_providers([ana()])
    License.objects.update(expires_on=datetime.date(2030, 1, 1))
    Office.objects.update(wheelchair_accessible=True, latitude=30.0, longitude=-97.0)
    write_providers([ana(values={"name": "Ana D."}, terms={}, licenses=None, offices=None)])
    provider = Provider.objects.get()
    assert (provider.name, provider.telehealth, provider.modalities.count()) == ("Ana D.", True, 2)
    write_providers([ana(values={"name": "Ana D."})])  # licenses and offices without expiry, access or coordinates
    license, office = License.objects.get(), Office.objects.get()
    assert license.expires_on == datetime.date(2030, 1, 1)
    assert (office.wheelchair_accessible, office.latitude, office.longitude) == (True, 30.0, -97.0)


def test_an_office_at_the_same_place_keeps_its_row_and_takes_what_the_record_says_of_it(taxonomy):
    write_providers([ana()])
    first = Office.objects.get().pk
    moved = OfficeRecord("100 Congress Ave", "Austin", "TX", "78701", 30.2672, -97.7431, wheelchair_accessible=True)
    write_providers([ana(offices=[moved, OfficeRecord("5 Main St", "Round Rock", "TX", "78664")])])
    assert list(Office.objects.values_list("pk", "city", "latitude", "wheelchair_accessible")) == [
        (first, "Austin", 30.2672, True), (first + 1, "Round Rock", pytest.approx(30.5, abs=0.1), False)]
    write_providers([ana(offices=[OfficeRecord("5 Main St", "Round Rock", "TX", "78664")])])
    assert list(Office.objects.values_list("city", flat=True)) == ["Round Rock"]


def test_a_source_holding_one_office_keeps_the_others_when_its_office_is_already_listed(taxonomy):
    write_providers([ana(offices=[OfficeRecord("100 Congress Ave", "Austin", "TX", "78701"),
                                  OfficeRecord("5 Main St", "Round Rock", "TX", "78664")])])
    write_providers([ana(offices_partial=True)])
    assert sorted(Office.objects.values_list("city", flat=True)) == ["Austin", "Round Rock"]
    write_providers([ana(offices_partial=True, offices=[OfficeRecord("9 Elm St", "Dallas", "TX", "75201")])])
    assert list(Office.objects.values_list("city", flat=True)) == ["Dallas"]


def test_a_new_provider_takes_the_slug_the_record_asks_for_when_it_is_free(taxonomy):
    write_providers([ana(slug="ana-diaz-7"), ana(external_id="src-002", slug="ana-diaz-7", licenses=[]),
                     ana(external_id="src-3", licenses=[])])
    assert list(Provider.objects.order_by("pk").values_list("external_id", "slug")) == [
        ("src-001", "ana-diaz-7"), ("src-002", "ana-diaz"), ("src-3", "ana-diaz-2")]


def test_create_defaults_apply_to_a_new_provider_and_never_to_an_update(taxonomy):
    write_providers([ana(create_defaults={"published": False})])
    assert Provider.objects.get().published is False
    Provider.objects.update(published=True)
    write_providers([ana(create_defaults={"published": False})])
    assert Provider.objects.get().published is True


def test_a_record_matched_by_primary_key_updates_that_provider_and_keeps_its_external_id(make_provider):
    admin_entry = make_provider("Ana Díaz", external_id="")
    assert write_providers([ana(external_id="hsds:elsewhere", pk=admin_entry.pk)]).updated == 1
    provider = Provider.objects.get()
    assert (provider.pk, provider.external_id, provider.licenses.get().number) == (admin_entry.pk, "", "12345")


def test_the_sources_time_of_change_is_kept(taxonomy):
    moment = datetime.datetime(2026, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
    write_providers([ana(updated=moment)])
    assert Provider.objects.get().updated == moment
    write_providers([ana(updated=moment + datetime.timedelta(days=1))])
    assert Provider.objects.get().updated == moment + datetime.timedelta(days=1)


def test_written_providers_are_found_and_counted_at_once(client, make_provider):
    make_provider("Rosa Marquez", modalities=["cbt"])
    assert total_on_page(client, "modality=cbt") == 1  # the counts are now read and kept
    write_providers([ana()])
    assert total_on_page(client, "modality=cbt") == 2
    names = [result["name"] for result in client.get("/api/providers/", {"q": "díaz"}).json()["results"]]
    assert names == ["Ana Díaz"]


def test_a_license_can_move_between_providers_the_records_describe_but_not_from_another(make_provider):
    make_provider("Dee Holder", licenses=[("LCSW", "TX", "12345")], external_id="other-9")
    [held] = licenses_held_elsewhere([ana()])
    assert (held.index, held.license.number, held.holder_name, held.holder_external_id) == (
        0, "12345", "Dee Holder", "other-9")
    assert licenses_held_elsewhere([ana(), ProviderRecord("other-9", licenses=[])]) == []
    write_providers([ana(), ProviderRecord("other-9", licenses=[])])
    assert License.objects.get().provider.external_id == "src-001"


def test_check_record_names_every_value_the_models_refuse(taxonomy):
    record = ana(values={"name": "x" * 201, "email": "not an address", "website": "ftp:/nowhere"},
                 licenses=[LicenseRecord("LCSW", "TX", "12:345")],
                 offices=[OfficeRecord("", "", "TX", "78701", 91.0, 0.0)])
    problems = check_record(record)
    assert any(problem.startswith("name: Ensure this value has at most 200 characters") for problem in problems)
    assert "email: Enter a valid email address." in problems
    assert "website: Enter a valid URL." in problems
    assert "license LCSW TX 12:345: number: A license number cannot contain : or ;." in problems
    assert "office TX, 78701: city: This field cannot be blank." in problems
    assert any(problem.startswith("office TX, 78701: latitude: ") for problem in problems)
    assert check_record(ana()) == []


# --- Queries do not grow with the number of providers ----------------------------------------------


def csv_rows(count: int, start: int = 0) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "name", "modalities", "languages", "credentials", "city", "state", "postal_code"])
    for n in range(start, start + count):
        writer.writerow([f"src-{n}", f"Provider {n}", "cbt;act", "en", f"LCSW:TX:{n}:verified", "Austin", "TX",
                         "78701"])
    return out.getvalue()


def queries_to_import(tmp_path: Path, command: str, text: str) -> int:
    path = tmp_path / "in.file"
    path.write_text(text, encoding="utf-8")
    snapshot()  # the taxonomy is read once per process, not per import
    with CaptureQueriesContext(connection) as queries:
        call_command(command, str(path), stdout=io.StringIO())
    return len(queries)


def test_a_csv_import_takes_as_many_queries_for_many_providers_as_for_a_few(tmp_path, taxonomy):
    # Many, yet few enough that SQLite's 999 parameters a statement hold a whole provider INSERT.
    created = [queries_to_import(tmp_path, "import_providers", csv_rows(count, start)) for count, start in
               ((3, 0), (25, 100))]
    updated = [queries_to_import(tmp_path, "import_providers", csv_rows(count, start)) for count, start in
               ((3, 0), (25, 100))]
    assert created[0] == created[1] and updated[0] == updated[1]
    assert Provider.objects.count() == 28


def test_an_hsds_import_takes_as_many_queries_for_many_services_as_for_a_few(tmp_path, make_provider):
    for n in range(30):
        make_provider(f"Provider {n}", licenses=[("LCSW", "TX", f"L-{n}")], modalities=["cbt"],
                      offices=[{"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}])
    export_directory(tmp_path / "all", BASE_URL)
    services = json.loads((tmp_path / "all" / "services.json").read_text(encoding="utf-8"))
    Provider.objects.all().delete()
    few = queries_to_import(tmp_path, "import_hsds", json.dumps(services[:3]))
    many = queries_to_import(tmp_path, "import_hsds", json.dumps(services[3:]))
    assert many == few
    assert Provider.objects.count() == 30


def test_control_characters_are_never_written_whatever_the_source(taxonomy):
    record = ana(values={"name": "Ana\x1b[2J Díaz", "bio": "One\r\ntwo\tthree\x07", "phone": "\x9b512-555-0100"},
                 licenses=[LicenseRecord("LCSW", "TX", "123\x1b45")],
                 offices=[OfficeRecord("100 Congress Ave\x1b[0m", "Austin\x00", "TX", "78701")])
    write_providers([record])
    provider = Provider.objects.get()
    assert (provider.name, provider.bio, provider.phone) == ("Ana[2J Díaz", "One\r\ntwo\tthree", "512-555-0100")
    assert provider.licenses.get().number == "12345"
    office = provider.offices.get()
    assert (office.address, office.city) == ("100 Congress Ave[0m", "Austin")


# --- One verification rule, whichever import the file comes through ----------------------------------


def import_csv_saying(tmp_path: Path, verified: bool, day: datetime.date) -> None:
    """Export to CSV, mark license LCSW:TX:12345 verified on day (the row's last_verified) or not, import."""
    path = tmp_path / "providers.csv"
    call_command("export_providers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0].update(credentials="LCSW:TX:12345" + (":verified" if verified else ""), last_verified=day.isoformat())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    call_command("import_providers", str(path), stdout=io.StringIO())


def import_hsds_saying(tmp_path: Path, verified: bool, day: datetime.date) -> None:
    """Export to HSDS, label license LCSW TX 12345 verified on day or not verified, import."""
    export_directory(tmp_path, BASE_URL)
    path = tmp_path / "services.json"
    services = json.loads(path.read_text(encoding="utf-8"))
    [attribute] = [a for a in services[0]["attributes"] if a.get("value", "").startswith("LCSW TX 12345 ")]
    attribute["value"] = f"LCSW TX 12345 ({f'verified {day.isoformat()}' if verified else 'not verified'})"
    path.write_text(json.dumps(services), encoding="utf-8")
    call_command("import_hsds", str(tmp_path), stdout=io.StringIO())


IMPORTS = pytest.mark.parametrize("import_saying", [import_csv_saying, import_hsds_saying], ids=["csv", "hsds"])


@pytest.fixture
def staff_verified(make_provider, django_user_model, today):
    """Ana's license, verified by a staff member 200 days ago; returns (date, staff member)."""
    make_provider("Ana Díaz", licenses=[("LCSW", "TX", "12345")])
    staff = django_user_model.objects.create_user("verifier")
    day = today - datetime.timedelta(days=200)
    License.objects.update(verified_on=day, verified_by=staff)
    return day, staff


def verification() -> tuple[datetime.date | None, object]:
    license = License.objects.get(number="12345")
    return license.verified_on, license.verified_by


@IMPORTS
def test_a_file_that_says_verified_on_another_day_keeps_staffs_date_and_verifier(tmp_path, staff_verified, today,
                                                                                  import_saying):
    import_saying(tmp_path, True, today - datetime.timedelta(days=3))
    assert verification() == staff_verified


@IMPORTS
def test_a_file_that_says_not_verified_clears_staffs_verification(tmp_path, staff_verified, today, import_saying):
    import_saying(tmp_path, False, today)
    assert verification() == (None, None)


@IMPORTS
def test_a_license_a_file_newly_verifies_takes_the_files_date_and_no_verifier(tmp_path, make_provider, today,
                                                                               import_saying):
    make_provider("Ana Díaz", licenses=[("LCSW", "TX", "12345")])
    import_saying(tmp_path, True, today - datetime.timedelta(days=3))
    assert verification() == (today - datetime.timedelta(days=3), None)


def test_another_directorys_service_leaves_the_verification_staff_added_as_it_was(tmp_path, taxonomy,
                                                                                   django_user_model, today):
    path = tmp_path / "services.json"
    path.write_text(json.dumps([license_service("LCSW TX 12345 (not verified)")]), encoding="utf-8")
    call_command("import_hsds", str(path), stdout=io.StringIO())
    assert verification() == (None, None)
    staff = django_user_model.objects.create_user("verifier")
    License.objects.update(verified_on=today, verified_by=staff)
    call_command("import_hsds", str(path), stdout=io.StringIO())
    assert verification() == (today, staff)
