"""CSV import and export: every bad row reported by line, all or nothing, idempotent, lossless."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from directory import csv_io, writing
from directory.csv_io import COLUMNS
from directory.models import License, Office, Provider

pytestmark = pytest.mark.django_db

ANA = {
    "external_id": "src-001", "name": "Ana Díaz", "pronouns": "she/her", "gender": "woman",
    "practice_name": "Río Counseling", "bio": "Offers CBT and ACT. Sees adults and couples.",
    "credentials": "LCSW:TX:12345:verified;lpc:ny:LPC-9", "modalities": "cbt;act", "conditions": "depression;anxiety",
    "formats": "individual;couples", "age_groups": "adults", "languages": "en;es", "insurance": "aetna;medicaid",
    "standard_fee": "140", "sliding_scale_min": "40", "sliding_scale_max": "120", "free_consultation": "yes",
    "telehealth": "TRUE", "accepting_new_clients": "1", "accepting_confirmed": "2026-10-10",
    "address": "100 Congress Ave", "city": "Austin", "state": "tx", "postal_code": "78701",
    "phone": "(512) 555-0142", "email": "ana@example.org", "website": "https://example.org/ana",
    "last_verified": "2026-10-01", "published": "",
}
BEN = {"external_id": "src-002", "name": "Ben Roe", "credentials": "PMHNP:NY:RN-7",
       "modalities": "medication-management"}


def write(path: Path, rows: list[dict], columns: list[str] = COLUMNS) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(command: str, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_import(path: Path) -> str:
    """Import a file that must be refused; the stderr listing of problems."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_providers", str(path), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def exported(tmp_path: Path, name: str = "export.csv") -> str:
    run("export_providers", tmp_path / name)
    return (tmp_path / name).read_text(encoding="utf-8")


# --- A good file ----------------------------------------------------------------------------


def test_a_valid_file_creates_each_provider_with_every_column(tmp_path, taxonomy):
    out, _ = run("import_providers", write(tmp_path / "p.csv", [ANA, BEN]))
    assert "Created 2 and updated 0 providers." in out

    ana = Provider.objects.get(external_id="src-001")
    assert (ana.name, ana.slug, ana.pronouns, ana.gender, ana.practice_name) == (
        "Ana Díaz", "ana-diaz", "she/her", "woman", "Río Counseling")
    assert ana.bio == "Offers CBT and ACT. Sees adults and couples."
    assert (ana.standard_fee, ana.sliding_scale_min, ana.sliding_scale_max) == (Decimal(140), Decimal(40), Decimal(120))
    assert ana.free_consultation and ana.telehealth and ana.accepting_new_clients and ana.published
    assert ana.accepting_confirmed == datetime.date(2026, 10, 10)
    assert ana.last_verified == datetime.date(2026, 10, 1)
    assert sorted(ana.modalities.values_list("slug", flat=True)) == ["act", "cbt"]
    assert sorted(ana.languages.values_list("slug", flat=True)) == ["en", "es"]
    assert sorted(ana.insurance.values_list("slug", flat=True)) == ["aetna", "medicaid"]
    licenses = {(lic.credential_type.code, lic.jurisdiction, lic.number): lic.verified_on for lic in ana.licenses.all()}
    # A license marked verified takes the row's last_verified date.
    assert licenses == {("LCSW", "TX", "12345"): datetime.date(2026, 10, 1), ("LPC", "NY", "LPC-9"): None}
    office = ana.offices.get()
    assert (office.address, office.city, office.jurisdiction, office.postal_code) == (
        "100 Congress Ave", "Austin", "TX", "78701")
    assert office.latitude == pytest.approx(30.27, abs=0.05) and office.longitude == pytest.approx(-97.74, abs=0.05)

    ben = Provider.objects.get(external_id="src-002")
    assert ben.published and not ben.telehealth and not ben.offices.exists()
    assert list(Provider.objects.prescribers().values_list("name", flat=True)) == ["Ben Roe"]


def test_a_verified_license_without_a_last_verified_date_is_verified_today(tmp_path, taxonomy, today):
    run("import_providers", write(tmp_path / "p.csv", [{**BEN, "credentials": "PMHNP:NY:RN-7:Verified"}]))
    assert License.objects.get().verified_on == today


def test_a_header_with_columns_in_another_order_and_only_the_required_ones_is_accepted(tmp_path, taxonomy):
    run("import_providers", write(tmp_path / "p.csv", [{"name": "Cy Lee", "external_id": "x-1"}],
                                  columns=["name", "external_id"]))
    cy = Provider.objects.get()
    assert (cy.name, cy.external_id, cy.published) == ("Cy Lee", "x-1", True)


# --- Bad rows -------------------------------------------------------------------------------


BAD_VALUES = [
    ({"modalities": "cbt;reiki"}, "modalities: unknown reiki"),
    ({"conditions": "sadness"}, "conditions: unknown sadness"),
    ({"languages": "english"}, "languages: unknown english"),
    ({"credentials": "XYZ:TX:1"}, "unknown credential code 'XYZ'"),
    ({"credentials": "LCSW:ZZ:1"}, "'ZZ' is not a US state or Canadian province"),
    ({"credentials": "LCSW-TX-1"}, "is not CODE:STATE:NUMBER"),
    ({"credentials": "LCSW:TX:1:checked"}, "is not CODE:STATE:NUMBER"),
    ({"standard_fee": "abc"}, "standard_fee: 'abc' is not an amount"),
    ({"standard_fee": "$140"}, "standard_fee: '$140' is not an amount"),
    ({"standard_fee": "12.345"}, "standard_fee: '12.345' is not an amount"),
    ({"standard_fee": "-10"}, "standard_fee: '-10' is negative"),
    ({"sliding_scale_min": "-1", "sliding_scale_max": "20"}, "sliding_scale_min: '-1' is negative"),
    ({"sliding_scale_min": "90", "sliding_scale_max": "60"}, "sliding_scale_min 90.00 is above sliding_scale_max 60"),
    ({"sliding_scale_max": ""}, "give both, or neither"),
    ({"last_verified": "2026-02-30"}, "last_verified: '2026-02-30' is not a date written YYYY-MM-DD"),
    ({"accepting_confirmed": "10/01/2026"}, "accepting_confirmed: '10/01/2026' is not a date"),
    ({"last_verified": "20261001"}, "last_verified: '20261001' is not a date"),
    ({"last_verified": "2999-01-01"}, "last_verified: 2999-01-01 is in the future"),
    ({"state": "Texas"}, "state: 'Texas' is not a US state or Canadian province code"),
    ({"state": ""}, "state: required when the row has an office"),
    ({"city": ""}, "city: required when the row has an office"),
    ({"postal_code": "7870"}, "postal_code: '7870' is not a US ZIP code"),
    ({"name": "  "}, "name: required, but empty"),
    ({"external_id": ""}, "external_id: required, but empty"),
    ({"telehealth": "maybe"}, "telehealth: 'maybe' is not true/false"),
    ({"gender": "female"}, "gender: 'female' is not one of woman, man, non-binary"),
    ({"email": "ana at example"}, "email: 'ana at example' is not an email address"),
    ({"website": "javascript:alert(1)"}, "website: 'javascript:alert(1)' is not a web address"),
    ({"bio": "Offers CBT.\x00"}, "bio: contains a NUL character"),
    ({"bio": "x" * 20_000}, "bio: longer than 10,000 characters"),
    ({"name": "x" * 201}, "name: longer than 200 characters"),
]


@pytest.mark.parametrize(("change", "reason"), BAD_VALUES, ids=[reason for _, reason in BAD_VALUES])
def test_each_invalid_value_is_reported_with_its_line_number_and_nothing_is_imported(tmp_path, taxonomy, change,
                                                                                    reason):
    stderr = failing_import(write(tmp_path / "p.csv", [BEN, {**ANA, **change}]))
    lines = stderr.splitlines()
    assert lines and all(line.startswith("line 3: ") for line in lines)
    assert any(reason in line for line in lines), stderr
    assert not Provider.objects.exists() and not License.objects.exists() and not Office.objects.exists()


def test_every_bad_row_is_listed_not_only_the_first(tmp_path, taxonomy):
    rows = [{**ANA, "standard_fee": "free"}, BEN, {**BEN, "external_id": "src-003", "credentials": "LCSW:TX:8",
                                                   "modalities": "yoga"}]
    stderr = failing_import(write(tmp_path / "p.csv", rows))
    assert stderr.splitlines() == [
        "line 2: standard_fee: 'free' is not an amount like 120 or 120.50.",
        "line 4: modalities: unknown yoga.",
    ]


def test_one_bad_row_among_good_ones_leaves_the_existing_data_exactly_as_it_was(tmp_path, taxonomy):
    run("import_providers", write(tmp_path / "first.csv", [ANA, BEN]))
    before = exported(tmp_path, "before.csv")
    renamed = {**ANA, "name": "Ana Díaz-Ruiz", "modalities": "dbt", "credentials": "LCSW:TX:555"}
    failing_import(write(tmp_path / "second.csv", [renamed, {**BEN, "standard_fee": "-5"}]))
    assert exported(tmp_path, "after.csv") == before


def test_a_row_after_a_cell_of_several_lines_is_reported_at_the_line_it_starts_on(tmp_path, taxonomy):
    rows = [{**ANA, "bio": "Offers CBT.\nSees adults.\nAnd couples."}, {**BEN, "standard_fee": "lots"}]
    assert failing_import(write(tmp_path / "p.csv", rows)).startswith("line 5: standard_fee: 'lots'")


def test_a_failure_part_way_through_writing_rolls_everything_back(tmp_path, taxonomy, monkeypatch):
    def refuse(*args):
        raise IntegrityError("office refused")

    monkeypatch.setattr(writing, "_replace_offices", refuse)
    stderr = failing_import(write(tmp_path / "p.csv", [ANA, BEN]))
    assert "The database refused the import, and nothing was written: office refused" in stderr
    assert not Provider.objects.exists() and not License.objects.exists()


def test_an_external_id_given_twice_in_the_file_is_reported_on_the_second_line(tmp_path, taxonomy):
    stderr = failing_import(write(tmp_path / "p.csv", [ANA, BEN, {**BEN, "name": "Ben Roe Jr"}]))
    assert "line 4: external_id 'src-002' is also on line 3." in stderr


def test_a_license_listed_for_two_providers_in_the_file_is_refused(tmp_path, taxonomy):
    stderr = failing_import(write(tmp_path / "p.csv", [ANA, {**BEN, "credentials": "LCSW:TX:12345"}]))
    assert "line 3: license LCSW:TX:12345 is also on line 2." in stderr


def test_a_license_number_held_by_another_provider_is_refused(tmp_path, make_provider):
    make_provider("Dee Holder", licenses=[("LCSW", "TX", "12345")], external_id="other-9")
    stderr = failing_import(write(tmp_path / "p.csv", [ANA]))
    assert "line 2: license LCSW:TX:12345 already belongs to another provider, Dee Holder (other-9)." in stderr
    assert Provider.objects.count() == 1


def test_a_license_can_move_between_two_providers_the_file_lists(tmp_path, taxonomy):
    run("import_providers", write(tmp_path / "first.csv", [ANA, BEN]))
    moved = [{**ANA, "credentials": "LPC:NY:LPC-9"}, {**BEN, "credentials": "PMHNP:NY:RN-7;LCSW:TX:12345"}]
    run("import_providers", write(tmp_path / "second.csv", moved))
    assert License.objects.get(number="12345").provider.external_id == "src-002"


def test_a_verified_license_moved_to_another_provider_in_the_file_comes_in_unverified(
        tmp_path, client, make_provider, django_user_model):
    make_provider("Ana Díaz", external_id="src-001", licenses=[("MD", "NY", "MD-1")])
    make_provider("Ben Roe", external_id="src-002", licenses=[])
    staff = django_user_model.objects.create_user("verifier")
    License.objects.update(verified_on=datetime.date(2026, 3, 3), verified_by=staff)
    rows = list(csv.DictReader(io.StringIO(exported(tmp_path))))
    assert rows[0]["credentials"] == "MD:NY:MD-1:verified"
    rows[0]["credentials"], rows[1]["credentials"] = "", "MD:NY:MD-1:verified"
    out, _ = run("import_providers", write(tmp_path / "moved.csv", rows))
    license = License.objects.get(number="MD-1")
    assert (license.provider.name, license.verified_on, license.verified_by) == ("Ben Roe", None, None)
    assert "MD:NY:MD-1 now belongs to another provider, so it is no longer verified" in out
    [ben] = client.get("/api/providers/", {"prescriber": "true"}).json()["results"]
    assert ben["credentials"] == [{"code": "MD", "state": "NY", "verified": False}]


# --- Updating -------------------------------------------------------------------------------


def test_reimporting_by_external_id_updates_and_replaces_links_licenses_and_office(tmp_path, taxonomy):
    run("import_providers", write(tmp_path / "first.csv", [ANA, BEN]))
    ana_id = Provider.objects.get(external_id="src-001").pk
    changed = {**ANA, "name": "Ana Díaz-Ruiz", "modalities": "dbt", "languages": "", "credentials": "LCSW:TX:12345",
               "standard_fee": "", "sliding_scale_min": "", "sliding_scale_max": "", "address": "", "city": "",
               "state": "", "postal_code": "", "published": "no"}
    out, _ = run("import_providers", write(tmp_path / "second.csv", [changed, BEN]))
    assert "Created 0 and updated 2 providers." in out

    ana = Provider.objects.get(external_id="src-001")
    assert Provider.objects.count() == 2 and ana.pk == ana_id
    assert (ana.name, ana.slug, ana.published) == ("Ana Díaz-Ruiz", "ana-diaz", False)
    assert list(ana.modalities.values_list("slug", flat=True)) == ["dbt"]
    assert not ana.languages.exists()
    assert (ana.standard_fee, ana.sliding_scale_min, ana.lowest_fee) == (None, None, None)
    # The license the file kept is no longer marked verified; the other is gone.
    assert [(lic.number, lic.verified) for lic in ana.licenses.all()] == [("12345", False)]
    assert not ana.offices.exists()


def test_importing_the_same_file_twice_changes_nothing(tmp_path, taxonomy):
    path = write(tmp_path / "p.csv", [ANA, BEN])
    run("import_providers", path)
    first = exported(tmp_path, "first.csv")
    counts = (Provider.objects.count(), License.objects.count(), Office.objects.count())
    out, _ = run("import_providers", path)
    assert "Created 0 and updated 2 providers." in out
    assert exported(tmp_path, "second.csv") == first
    assert (Provider.objects.count(), License.objects.count(), Office.objects.count()) == counts


def test_columns_the_file_leaves_out_are_left_as_they_were(tmp_path, taxonomy):
    run("import_providers", write(tmp_path / "first.csv", [ANA]))
    run("import_providers", write(tmp_path / "second.csv", [{"external_id": "src-001", "name": "Ana D."}],
                                  columns=["external_id", "name"]))
    ana = Provider.objects.get()
    assert ana.name == "Ana D."
    assert ana.standard_fee == Decimal(140) and ana.modalities.count() == 2 and ana.licenses.count() == 2
    assert ana.offices.count() == 1


def test_an_office_already_listed_keeps_the_other_offices_entered_in_the_admin(tmp_path, taxonomy):
    run("import_providers", write(tmp_path / "first.csv", [ANA]))
    ana = Provider.objects.get()
    Office.objects.create(provider=ana, address="5 Main St", city="Round Rock", jurisdiction="TX", postal_code="78664")
    run("import_providers", write(tmp_path / "same.csv", [ANA]))
    assert ana.offices.count() == 2
    run("import_providers", write(tmp_path / "moved.csv", [{**ANA, "address": "9 Elm St", "city": "Dallas",
                                                             "postal_code": "75201"}]))
    assert list(ana.offices.values_list("city", flat=True)) == ["Dallas"]


def test_a_license_staff_verified_keeps_its_date_and_verifier_when_the_file_still_says_verified(
        tmp_path, taxonomy, django_user_model):
    run("import_providers", write(tmp_path / "p.csv", [ANA]))
    staff = django_user_model.objects.create_user("verifier")
    License.objects.filter(number="12345").update(verified_on=datetime.date(2026, 3, 3), verified_by=staff)
    run("import_providers", write(tmp_path / "p.csv", [{**ANA, "last_verified": "2026-11-01"}]))
    license = License.objects.get(number="12345")
    assert (license.verified_on, license.verified_by) == (datetime.date(2026, 3, 3), staff)


def test_dry_run_says_what_it_would_do_and_writes_nothing(tmp_path, taxonomy):
    run("import_providers", write(tmp_path / "first.csv", [ANA]))
    before = exported(tmp_path, "before.csv")
    out, _ = run("import_providers", write(tmp_path / "p.csv", [{**ANA, "name": "Changed"}, BEN]), "--dry-run")
    assert "would create 1 and update 1 providers" in out
    assert exported(tmp_path, "after.csv") == before


def test_dry_run_reports_bad_rows_like_a_real_import(tmp_path, taxonomy):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_providers", str(write(tmp_path / "p.csv", [{**BEN, "modalities": "x"}])), "--dry-run",
                     stdout=io.StringIO(), stderr=err)
    assert "line 2: modalities: unknown x." in err.getvalue()


# --- Export and the round trip ----------------------------------------------------------------


def test_export_writes_every_provider_in_contract_column_order_with_sorted_lists(tmp_path, make_provider):
    make_provider("Hidden Hal", published=False, external_id="h-1", modalities=["emdr", "act"],
                  licenses=[("PSYD", "NY", "b-2"), ("LCSW", "CA", "a-1", datetime.date(2026, 1, 5))])
    rows = list(csv.reader(io.StringIO(exported(tmp_path))))
    assert rows[0] == COLUMNS
    hal = dict(zip(COLUMNS, rows[1], strict=True))
    assert (hal["name"], hal["published"], hal["modalities"]) == ("Hidden Hal", "false", "act;emdr")
    assert hal["credentials"] == "LCSW:CA:a-1:verified;PSYD:NY:b-2"


def test_export_warns_about_providers_without_an_external_id(tmp_path, make_provider):
    make_provider("Admin Entry", external_id="")
    out, err = run("export_providers", tmp_path / "export.csv")
    assert "Exported 1 providers" in out
    assert "1 of them have no external ID" in err


def test_export_then_import_into_an_empty_database_then_export_gives_an_identical_file(tmp_path, taxonomy):
    odd = {"external_id": "src-003", "name": 'Quinn "Q" O\'Neil, PhD', "bio": "Line one;\r\nline two, with commas",
           "credentials": "PSYD:QC:Q-1:verified", "state": "QC", "city": "Montréal", "postal_code": "H2X 1Y4",
           "sliding_scale_min": "0", "sliding_scale_max": "0.5", "published": "false", "last_verified": "2025-12-31"}
    run("import_providers", write(tmp_path / "source.csv", [ANA, BEN, odd]))
    first = exported(tmp_path, "first.csv")

    Provider.objects.all().delete()
    run("import_providers", tmp_path / "first.csv")
    assert exported(tmp_path, "second.csv") == first
    assert first.count("\n") > 3 and "Montréal" in first


def test_an_empty_database_exports_a_header_that_imports_as_nothing(tmp_path, taxonomy):
    text = exported(tmp_path)
    assert text == ",".join(COLUMNS) + "\n"
    out, _ = run("import_providers", tmp_path / "export.csv")
    assert "Created 0 and updated 0 providers." in out


# --- Cells a spreadsheet would run ---------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def saved_text(provider: Provider) -> tuple:
    office = provider.offices.get()
    return (provider.name, provider.practice_name, provider.bio, provider.pronouns, office.address, office.city)


def exported_rows(tmp_path: Path) -> list[dict[str, str]]:
    run("export_providers", tmp_path / "export.csv")
    with open(tmp_path / "export.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["=", "+", "-", "@", "tab", "carriage return"])
def test_a_cell_a_spreadsheet_would_run_is_exported_behind_an_apostrophe_and_imports_unchanged(
        tmp_path, make_provider, start):
    formula = f'{start}cmd|" /C calc"!A0'
    # Tab and carriage return survive only in long text (the bio); short text is a single clean line.
    short = formula if start not in "\t\r" else "Ana"
    make_provider(short, external_id="src-1", practice_name=short, bio=formula, pronouns=short,
                  offices=[{"address": short, "city": short, "jurisdiction": "TX"}])
    before = saved_text(Provider.objects.get())
    [row] = exported_rows(tmp_path)
    assert row["bio"] == "'" + formula
    assert not [cell for cell in row.values() if cell.startswith(tuple(FORMULA_STARTS))]

    Provider.objects.all().delete()
    run("import_providers", tmp_path / "export.csv")
    assert saved_text(Provider.objects.get()) == before
    assert exported_rows(tmp_path) == [row]


@pytest.mark.parametrize("value", ["'Quoted'", "''Twice", "'=SUM(1)", "'-", "'"])
def test_a_value_that_really_begins_with_an_apostrophe_survives_export_and_import(tmp_path, make_provider, value):
    make_provider(value, external_id="src-1", practice_name=value, bio=value, pronouns=value,
                  offices=[{"address": value, "city": value, "jurisdiction": "TX"}])
    before = saved_text(Provider.objects.get())
    [row] = exported_rows(tmp_path)
    assert row["name"] == "'" + value

    Provider.objects.all().delete()
    run("import_providers", tmp_path / "export.csv")
    assert saved_text(Provider.objects.get()) == before


def test_an_apostrophe_a_person_typed_before_ordinary_text_is_kept(tmp_path, taxonomy):
    run("import_providers", write(tmp_path / "p.csv", [{"external_id": "x-1", "name": "'Ana", "bio": "'=1+1"}],
                                  columns=["external_id", "name", "bio"]))
    provider = Provider.objects.get()
    assert (provider.name, provider.bio) == ("'Ana", "=1+1")


# --- Control characters --------------------------------------------------------------------------

# Clear the screen, retitle the terminal (ended by a bell), and the one-byte (C1) control sequence introducer.
ESCAPES = "\x1b[2J\x1b]0;owned\x07\x9b31m"
# Any control character but the newline and tab that separate what a command prints.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_control_characters_are_not_stored_but_a_bios_line_breaks_and_tabs_are(tmp_path, taxonomy):
    row = {**BEN, "name": f"Ben{ESCAPES} Roe", "practice_name": "\x1bRoe Practice", "city": "Austin\x1b[0m",
           "state": "TX", "bio": f"Line one\r\nline\ttwo{ESCAPES}"}
    run("import_providers", write(tmp_path / "p.csv", [row]))
    ben = Provider.objects.get()
    assert (ben.name, ben.practice_name, ben.offices.get().city) == ("Ben[2J]0;owned31m Roe", "Roe Practice",
                                                                      "Austin[0m")
    assert ben.bio == "Line one\r\nline\ttwo[2J]0;owned31m"


def test_problems_naming_what_is_already_stored_never_print_raw_control_characters(tmp_path, make_provider):
    make_provider(f"Dee{ESCAPES} Holder", licenses=[("LCSW", "TX", "12345")], external_id="other-9")
    stderr = failing_import(write(tmp_path / "p.csv", [ANA]))
    assert "already belongs to another provider, Dee\\x1b[2J\\x1b]0;owned\\x07\\x9b31m Holder" in stderr
    assert not RAW_CONTROL.search(stderr)


# --- Malformed files ----------------------------------------------------------------------------


def raw(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "raw.csv"
    path.write_bytes(data)
    return path


def header_line() -> bytes:
    return (",".join(COLUMNS) + "\n").encode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "The file is empty"),
        (b"\n\n  \n", "The file is empty"),
        ("external_id,name\nsrc-9,Zoë\n".encode("latin-1"), "line 2: the file is not UTF-8 text (byte 0xeb)"),
        (b"src-001,Ana Diaz,she/her\n", "line 1: the header row lacks the required columns external_id, name"),
        (b"external_id,full_name\nsrc-1,Ana\n", "line 1: the header row lacks the required column name."),
        (b"external_id,name,modality,rating\nsrc-1,Ana,cbt,5\n", "line 1: unknown columns modality, rating"),
        (b"external_id,name,name\nsrc-1,Ana,Ana\n", "line 1: column name appear"),
        (b"external_id,name,sliding_scale_min\nsrc-1,Ana,\n", "sliding_scale_min and sliding_scale_max go together"),
        (b"external_id,name\nsrc-1,Ana,extra\n", "line 2: has 3 cells but the header has 2 columns."),
        (b"external_id,name,bio\nsrc-1,Ana\n", "line 2: has 2 cells but the header has 3 columns."),
        (b'external_id,name\nsrc-1,"Ana\n', "line 2: "),
    ],
    ids=["empty", "blank", "latin-1", "no header", "missing column", "unknown columns", "repeated column",
         "half a sliding scale", "too many cells", "too few cells", "unclosed quote"],
)
def test_a_malformed_file_gets_a_clear_message_and_changes_nothing(tmp_path, taxonomy, data, reason):
    run("import_providers", write(tmp_path / "first.csv", [BEN]))
    before = exported(tmp_path, "before.csv")
    stderr = failing_import(raw(tmp_path, data))
    assert reason in stderr
    assert exported(tmp_path, "after.csv") == before


def test_a_utf8_byte_order_mark_is_accepted(tmp_path, taxonomy):
    run("import_providers", raw(tmp_path, "\ufeffexternal_id,name\nsrc-9,Zoë Park\n".encode()))
    assert Provider.objects.get().name == "Zoë Park"


def test_a_ten_megabyte_cell_is_refused_with_its_line(tmp_path, taxonomy):
    data = b"external_id,name,bio\nsrc-1,Ana,short\nsrc-2,Ben," + b"x" * (10 * 1024 * 1024) + b"\n"
    stderr = failing_import(raw(tmp_path, data))
    assert "line 3: a cell is longer than 10,000 characters." in stderr
    assert not Provider.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, taxonomy, monkeypatch):
    monkeypatch.setattr(csv_io, "MAX_FILE_BYTES", 1024 * 1024)
    data = b"external_id,name\n" + b"src-1,Ana\n" * 120_000
    stderr = failing_import(raw(tmp_path, data))
    assert "The file is larger than 1 MB" in stderr
    assert not Provider.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path, taxonomy):
    stderr = failing_import(tmp_path / "nope.csv")
    assert "Cannot read" in stderr and "nope.csv" in stderr
