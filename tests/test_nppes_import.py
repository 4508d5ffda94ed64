"""Importing the NPI registry: files in the registry's real format (330 quoted columns), made by nppes_file."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from directory import nppes_file, registry
from directory.models import CredentialType, License, Office, Provider, RegistryTaxonomy
from directory.nppes_file import deactivated, individual, npi, organization

LCSW, LPC, PSYCHIATRY, PSYCHOLOGIST = "1041C0700X", "101YP2500X", "2084P0800X", "103T00000X"
FAMILY_MEDICINE = "207Q00000X"


def jane(**more) -> dict[str, str]:
    return individual(1, "JANE", "DOE", [(LCSW, "LCSW-123", "TX")], **{"credential": "LCSW", **more})


def run(path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_nppes", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def imported(tmp_path, rows: list[dict], *args: str, name: str = "npidata.csv") -> tuple[str, str]:
    path = tmp_path / name
    nppes_file.write(path, rows)
    return run(path, *args)


def provider(serial: int = 1) -> Provider:
    return Provider.objects.get(npi=npi(serial))


def licenses(p: Provider) -> list[tuple]:
    return sorted(p.licenses.values_list("credential_type__code", "jurisdiction", "number"))


# --- The NPI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1234567893", "1245319599", npi(1), npi(899_999_999)])
def test_a_valid_npi_passes_the_check_digit(value):
    Provider(name="A", npi=value).clean_fields(exclude=["slug", "registry_values"])


@pytest.mark.parametrize("value", ["1234567890", "123456789", "12345678931", "123456789X", "１２３４５６７８９３"])
def test_an_npi_with_a_wrong_check_digit_or_not_ten_digits_is_refused(value):
    with pytest.raises(ValidationError, match="Not an NPI"):
        Provider(name="A", npi=value).clean_fields(exclude=["slug", "registry_values"])


def test_two_providers_cannot_share_an_npi(db):
    Provider.objects.create(name="A", npi="1234567893")
    Provider.objects.create(name="B")
    Provider.objects.create(name="C")  # many providers have no NPI
    with pytest.raises(IntegrityError), transaction.atomic():
        Provider.objects.create(name="D", npi="1234567893")


# --- The taxonomy mapping -----------------------------------------------------------------------


def test_the_shipped_mapping_holds_the_thirteen_behavioral_health_codes(taxonomy):
    mapped = dict(RegistryTaxonomy.objects.values_list("code", "credential_type__code"))
    assert mapped == {
        "2084P0800X": "MD", "2084P0804X": "MD", "2084P0805X": "MD", "2084P0802X": "MD", "363LP0808X": "PMHNP",
        "103T00000X": "PHD", "103TC0700X": "PHD", "103TC2200X": "PHD", "103TC1900X": "PHD", "1041C0700X": "LCSW",
        "101YP2500X": "LPC", "101YM0800X": "LMHC", "106H00000X": "LMFT",
    }


@pytest.mark.parametrize(("code", "text", "credential"), [
    (PSYCHIATRY, "M.D.", "MD"), (PSYCHIATRY, "D.O.", "DO"), (PSYCHIATRY, "do", "DO"), (PSYCHIATRY, "", "MD"),
    (PSYCHIATRY, "MD, PhD", "MD"), (PSYCHOLOGIST, "Ph.D., ABPP", "PHD"), (PSYCHOLOGIST, "psyd", "PSYD"),
    (PSYCHOLOGIST, "Psy. D.", "PSYD"), (PSYCHOLOGIST, "", "PHD"), (LCSW, "Psy.D.", "LCSW"),
])
def test_the_credential_text_chooses_between_the_two_credentials_of_a_code(taxonomy, code, text, credential):
    taxonomy = RegistryTaxonomy.objects.get(code=code)
    assert CredentialType.objects.get(pk=taxonomy.credential_for(text)).code == credential


def test_a_mapping_with_words_but_no_alternative_credential_is_refused(taxonomy):
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistryTaxonomy.objects.create(code="101YA0400X", meaning="Addiction counselor",
                                        credential_type=CredentialType.objects.get(code="LPC"), alternative_words="X")


def test_editors_extend_the_mapping_and_the_next_import_lists_the_new_code(tmp_path, taxonomy):
    row = individual(1, "AL", "ROE", [("101YA0400X", "LADC-9", "MN")], credential="LADC")
    imported(tmp_path, [row])
    assert not Provider.objects.exists()
    RegistryTaxonomy.objects.create(code="101YA0400X", meaning="Counselor, Addiction (Substance Use Disorder)",
                                    credential_type=CredentialType.objects.get(code="LPC"))
    imported(tmp_path, [row])
    assert licenses(provider()) == [("LPC", "MN", "LADC-9")]


# --- A first import ---------------------------------------------------------------------------


def test_a_behavioral_health_individual_becomes_an_unpublished_basic_listing(tmp_path, taxonomy):
    out, _ = imported(tmp_path, [jane(sex="F", postal_code="787011234", phone="5125550142")])
    jane_doe = provider()
    assert (jane_doe.name, jane_doe.gender, jane_doe.phone) == ("Jane Doe", "woman", "(512) 555-0142")
    assert (jane_doe.published, jane_doe.source, jane_doe.unconfirmed_registry_listing) == (False, "npi-registry", True)
    assert licenses(jane_doe) == [("LCSW", "TX", "LCSW-123")]
    assert not jane_doe.licenses.get().verified
    office = jane_doe.offices.get()
    assert (office.address, office.city, office.jurisdiction, office.postal_code) == (
        "100 Congress Ave", "Austin", "TX", "78701")
    assert office.latitude == pytest.approx(30.27, abs=0.1) and office.longitude == pytest.approx(-97.74, abs=0.1)
    assert "created 1, updated 0 and unpublished 0 listings" in out


def test_publish_publishes_the_new_listings(tmp_path, taxonomy):
    imported(tmp_path, [jane()], "--publish")
    assert provider().published


def test_sex_codes_other_than_m_and_f_and_phones_not_ten_digits_are_left_out(tmp_path, taxonomy):
    imported(tmp_path, [jane(), individual(2, "SAM", "LEE", [(LPC, "LPC-1", "OR")], sex="X", phone="555014"),
                        individual(3, "BO", "LI", [(LPC, "LPC-2", "OR")], sex="M", phone="15125550142")])
    assert (provider(2).gender, provider(2).phone) == ("", "")
    assert (provider(3).gender, provider(3).phone) == ("man", "")


def test_one_license_for_each_mapped_taxonomy_and_none_for_a_taxonomy_without_a_number(tmp_path, taxonomy):
    taxonomies = [(PSYCHIATRY, "M-1", "NY"), (PSYCHIATRY, "M-2", "NJ"), (FAMILY_MEDICINE, "F", "NY"),
                  ("2084P0804X", "", "CT"), (PSYCHIATRY, "M-9", "ON")]
    row = individual(1, "RAY", "ORTIZ", taxonomies, credential="D.O.")
    _, err = imported(tmp_path, [row])
    assert licenses(provider()) == [("DO", "NJ", "M-2"), ("DO", "NY", "M-1")]
    assert err.count("line") == 0


def test_a_row_whose_mapped_taxonomies_give_no_license_is_skipped_and_reported(tmp_path, taxonomy):
    rows = [jane(), individual(2, "NO", "NUMBER", [(LCSW, "", "TX")]),
            individual(3, "FAR", "AWAY", [(LCSW, "A-1", "ON")])]
    out, err = imported(tmp_path, rows)
    assert Provider.objects.count() == 1
    assert f"line 3: NPI {npi(2)}: skipped, no license to list: 1041C0700X has no license number" in err
    assert f"line 4: NPI {npi(3)}: skipped, no license to list: 1041C0700X license A-1: ON is not a US" in err
    assert "skipped 2 bad rows" in out


def test_organizations_and_other_specialties_are_skipped(tmp_path, taxonomy):
    out, _ = imported(tmp_path, [organization(1, "CALM MINDS LLC", LCSW), individual(2, "DR", "BONES",
                                                                                    [(FAMILY_MEDICINE, "F-1", "TX")])])
    assert not Provider.objects.exists()
    assert "1 behavioral-health organizations skipped" in out


def test_quoted_values_keep_their_commas_and_quotes(tmp_path, taxonomy):
    imported(tmp_path, [jane(address='12 "OLD MILL" RD, SUITE 4', credential="LCSW, \"ABD\"")])
    assert provider().offices.get().address == '12 "Old Mill" Rd, Suite 4'
    assert licenses(provider()) == [("LCSW", "TX", "LCSW-123")]


def test_names_in_capitals_read_as_names_and_mixed_case_names_stay_as_written(tmp_path, taxonomy):
    imported(tmp_path, [individual(1, "MARY-KATE", "O'NEIL", [(LCSW, "A", "TX")]),
                        individual(2, "Ana", "de la Cruz", [(LCSW, "B", "TX")])])
    assert (provider(1).name, provider(2).name) == ("Mary-Kate O'Neil", "Ana de la Cruz")


def test_namesakes_get_distinct_addresses(tmp_path, taxonomy):
    imported(tmp_path, [individual(n, "JANE", "DOE", [(LCSW, f"L-{n}", "TX")]) for n in (1, 2, 3)])
    slugs = sorted(Provider.objects.values_list("slug", flat=True))
    assert slugs == sorted(["jane-doe", f"jane-doe-{npi(2)}", f"jane-doe-{npi(3)}"])


def test_a_license_another_provider_holds_is_not_taken_from_them(tmp_path, taxonomy, make_provider):
    make_provider("Staff Entered", licenses=[("LCSW", "TX", "LCSW-123")])
    two = individual(2, "TWO", "LICENSES", [(LCSW, "LCSW-123", "TX"), (LPC, "P", "TX")])
    _, err = imported(tmp_path, [jane(), two])
    assert not Provider.objects.filter(npi=npi(1)).exists()
    assert f"NPI {npi(1)}: skipped, its license (LCSW TX LCSW-123) is another provider's here" in err
    assert licenses(provider(2)) == [("LPC", "TX", "P")]
    assert License.objects.get(number="LCSW-123").provider.name == "Staff Entered"


# --- Bad rows and bad files ---------------------------------------------------------------------


def test_bad_rows_are_reported_by_line_and_the_good_rows_import(tmp_path, taxonomy):
    wrong_digit = {**jane(), "NPI": npi(2)[:9] + str((int(npi(2)[9]) + 1) % 10)}
    path = tmp_path / "npidata.csv"
    nppes_file.write(path, [wrong_digit, individual(3, "BAD", "\x1b[31mTYPE", [(LCSW, "X", "TX")],
                                                    **{"Entity Type Code": "3"}),
                            individual(4, "GOOD", "ROW", [(LCSW, "G-1", "TX")]),
                            individual(5, "BAD", "DATE", [(LCSW, "D", "TX")],
                                       **{"NPI Deactivation Date": "2026-01-01"}),
                            individual(6, "", "", [(LCSW, "N", "TX")])])
    with path.open("a", newline="") as file:
        file.write(f'"{npi(7)}","1","1041C0700X"\r\n"{npi(8)}\x1b[2J","1","1041C0700X"\r\n')
    out, err = run(path)
    assert list(Provider.objects.values_list("name", flat=True)) == ["Good Row"]
    assert f"line 2: NPI {wrong_digit['NPI']}: check digit is wrong" in err
    assert f"line 3: NPI {npi(3)}: entity type '3' is neither 1 (individual) nor 2 (organization)" in err
    assert f"line 5: NPI {npi(5)}: a deactivation or reactivation date is not MM/DD/YYYY" in err
    assert f"line 6: NPI {npi(6)}: skipped, no name" in err
    assert f"line 7: NPI {npi(7)}: 3 values where the header has 330" in err
    assert "line 8: NPI " in err and "\x1b" not in err and "\\x1b[2J" in err
    assert "created 1," in out and "skipped 6 bad rows" in out


def test_a_file_without_a_required_column_is_refused_and_changes_nothing(tmp_path, taxonomy):
    imported(tmp_path, [jane()])
    columns = [name for name in nppes_file.header() if name != "Provider First Name"]
    path = tmp_path / "old.csv"
    nppes_file.write(path, [individual(2, "NEW", "ONE", [(LCSW, "N-1", "TX")])], columns=columns)
    with pytest.raises(CommandError, match='lacks the column "Provider First Name": it is not an NPPES data file'):
        run(path)
    assert list(Provider.objects.values_list("npi", flat=True)) == [npi(1)]


def test_an_older_file_with_a_gender_column_and_no_certification_date_imports(tmp_path, taxonomy):
    columns = [{"Provider Sex Code": "Provider Gender Code"}.get(name, name) for name in nppes_file.header()
               if name != "Certification Date"]
    path = tmp_path / "old.csv"
    row = jane(sex="")
    row["Provider Gender Code"] = "M"
    nppes_file.write(path, [row], columns=columns)
    run(path)
    assert provider().gender == "man"


def test_a_file_that_is_not_csv_or_zip_is_refused(tmp_path, taxonomy):
    path = tmp_path / "npi.zip"
    path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(CommandError, match="lacks the column|Cannot read"):
        run(path)


def test_a_failure_part_way_leaves_the_database_as_it_was(tmp_path, taxonomy, monkeypatch):
    imported(tmp_path, [jane()])
    monkeypatch.setattr(registry, "BATCH", 2)
    calls = {"n": 0}
    real = registry.write_providers

    def failing(records):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(records)

    monkeypatch.setattr(registry, "write_providers", failing)
    rows = [jane(phone="2125550100")] + [individual(n, "N", f"P{n}", [(LCSW, f"L-{n}", "TX")]) for n in range(2, 6)]
    with pytest.raises(RuntimeError):
        imported(tmp_path, rows)
    assert list(Provider.objects.values_list("npi", "phone")) == [(npi(1), "(512) 555-0142")]


# --- ZIP, dry run, progress ---------------------------------------------------------------------


def test_the_zip_as_downloaded_imports_like_the_csv_inside_it(tmp_path, taxonomy):
    path = tmp_path / "NPPES_Data_Dissemination_November_2026.zip"
    nppes_file.write(path, [jane()])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("NPPES_Data_Dissemination_Readme.pdf", b"%PDF-1.4")
        assert len([name for name in archive.namelist() if name.endswith(".csv")]) == 2
    out, _ = run(path)
    assert provider().name == "Jane Doe"


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(tmp_path, taxonomy):
    imported(tmp_path, [jane(), individual(2, "TO", "DEACTIVATE", [(LCSW, "D-1", "TX")])], "--publish")
    before = list(Provider.objects.order_by("pk").values())
    rows = [jane(phone="2125550100"), deactivated(2), individual(3, "NEW", "ONE", [(LCSW, "N-1", "TX")]),
            {**jane(), "NPI": "1234567890"}]
    out, err = imported(tmp_path, rows, "--dry-run")
    assert "Dry run, nothing written: would have created 1, updated 1 and unpublished 1 listings; skipped 1" in out
    assert "check digit is wrong" in err
    assert list(Provider.objects.order_by("pk").values()) == before


def test_progress_shows_rows_read_kept_speed_and_time_left(tmp_path, taxonomy):
    _, err = imported(tmp_path, [jane()])
    assert "1 rows read, 1 kept, 1 created, 0 updated," in err and "rows/s, 100% of the file, ETA 0:00:00" in err


# --- Running again ------------------------------------------------------------------------------


def test_the_next_months_file_updates_in_place_and_never_duplicates(tmp_path, taxonomy):
    imported(tmp_path, [jane(), individual(2, "SAM", "LEE", [(LPC, "LPC-1", "OR")])], "--publish")
    ids = dict(Provider.objects.values_list("npi", "pk"))
    out, _ = imported(tmp_path, [jane(phone="2125550100", city="DALLAS", postal_code="75201",
                                      address="1 ELM ST"), individual(2, "SAM", "LEE", [(LPC, "LPC-2", "OR")])])
    assert dict(Provider.objects.values_list("npi", "pk")) == ids
    assert provider().phone == "(212) 555-0100"
    assert [(o.city, o.postal_code) for o in provider().offices.all()] == [("Dallas", "75201")]
    assert licenses(provider(2)) == [("LPC", "OR", "LPC-2")]
    assert Provider.objects.filter(published=True).count() == 2
    assert "created 0, updated 2" in out


def test_a_listing_the_next_file_gives_unchanged_keeps_its_last_change_time(tmp_path, taxonomy):
    imported(tmp_path, [jane(), individual(2, "SAM", "LEE", [(LPC, "LPC-1", "OR")])])
    before = dict(Provider.objects.values_list("npi", "updated"))
    imported(tmp_path, [jane(), individual(2, "SAM", "LEE", [(LPC, "LPC-1", "OR")], phone="2125550100")])
    after = dict(Provider.objects.values_list("npi", "updated"))
    assert after[npi(1)] == before[npi(1)] and after[npi(2)] > before[npi(2)]


def test_a_weekly_update_after_the_monthly_file_changes_only_the_npis_it_lists(tmp_path, taxonomy):
    imported(tmp_path, [jane(), individual(2, "SAM", "LEE", [(LPC, "LPC-1", "OR")])], name="monthly.csv")
    out, _ = imported(tmp_path, [individual(2, "SAM", "LEE-PARK", [(LPC, "LPC-1", "OR")]),
                                 individual(3, "NEW", "ONE", [(LCSW, "N-1", "WA")])], name="weekly.csv")
    assert sorted(Provider.objects.values_list("name", flat=True)) == ["Jane Doe", "New One", "Sam Lee-Park"]
    assert "created 1, updated 1" in out


def test_a_deactivated_npi_unpublishes_and_a_reactivated_one_is_published_again(tmp_path, taxonomy):
    imported(tmp_path, [jane(), individual(2, "SAM", "LEE", [(LPC, "LPC-1", "OR")])], "--publish")
    out, _ = imported(tmp_path, [deactivated(1), deactivated(2, "02/01/2026"), deactivated(99)])
    assert Provider.objects.filter(published=True).count() == 0
    assert "unpublished 2 listings" in out and "1 deactivated NPIs not listed here" in out
    imported(tmp_path, [jane(**{"NPI Deactivation Date": "01/15/2026", "NPI Reactivation Date": "03/01/2026"})])
    assert provider(1).published and not provider(2).published


def test_a_reactivated_npi_the_registry_never_published_stays_unpublished(tmp_path, taxonomy):
    imported(tmp_path, [jane()])
    imported(tmp_path, [deactivated(1)])
    imported(tmp_path, [jane()])
    assert not provider().published
    imported(tmp_path, [deactivated(1)])
    imported(tmp_path, [jane()], "--publish")
    assert provider().published


def test_staff_edits_are_never_overwritten_and_a_cleared_field_is_filled_again(tmp_path, taxonomy, make_provider):
    imported(tmp_path, [jane()], "--publish")
    jane_doe = provider()
    jane_doe.name, jane_doe.phone, jane_doe.gender = "Jane Doe-Rivera", "", "non-binary"
    jane_doe.save()
    License.objects.create(provider=jane_doe, credential_type=CredentialType.objects.get(code="LPC"),
                           jurisdiction="NM", number="STAFF-1")
    Office.objects.create(provider=jane_doe, city="Santa Fe", jurisdiction="NM", postal_code="87501")
    imported(tmp_path, [jane(phone="2125550100", city="DALLAS", postal_code="75201",
                             **{"Provider License Number_1": "LCSW-456"})])
    jane_doe = provider()
    assert (jane_doe.name, jane_doe.gender, jane_doe.phone) == ("Jane Doe-Rivera", "non-binary", "(212) 555-0100")
    assert licenses(jane_doe) == [("LCSW", "TX", "LCSW-456"), ("LPC", "NM", "STAFF-1")]
    assert sorted(jane_doe.offices.values_list("city", flat=True)) == ["Dallas", "Santa Fe"]


def test_a_listing_staff_unpublished_stays_unpublished(tmp_path, taxonomy):
    imported(tmp_path, [jane()], "--publish")
    Provider.objects.filter(npi=npi(1)).update(published=False)
    imported(tmp_path, [jane()], "--publish")
    assert not provider().published


def test_a_provider_staff_entered_with_an_npi_is_updated_not_duplicated(tmp_path, taxonomy, make_provider):
    ana = make_provider("Ana Díaz", licenses=[("LCSW", "TX", "OWN-1")])
    Provider.objects.filter(pk=ana.pk).update(npi=npi(1))
    imported(tmp_path, [jane()], "--publish")
    ana = Provider.objects.get(pk=ana.pk)
    assert (Provider.objects.count(), ana.name, ana.source, ana.unconfirmed_registry_listing) == (
        1, "Ana Díaz", "", False)
    assert licenses(ana) == [("LCSW", "TX", "LCSW-123"), ("LCSW", "TX", "OWN-1")]


# --- What people see ------------------------------------------------------------------------------


def test_the_profile_and_the_card_say_it_is_a_basic_listing_and_invite_the_provider_to_claim_it(
        tmp_path, taxonomy, client):
    imported(tmp_path, [jane()], "--publish")
    for page in (client.get(provider().get_absolute_url()), client.get("/providers/")):
        text = page.content.decode()
        assert "Basic listing from the NPI registry, not yet confirmed by the provider." in text
        assert 'href="/provider/claim/">Claim this listing</a>' in text


def test_registry_listings_rank_below_confirmed_ones_until_their_provider_confirms(tmp_path, taxonomy, client,
                                                                                 make_provider):
    imported(tmp_path, [individual(1, "AARON", "ABLE", [(LCSW, "A-1", "TX")])], "--publish")
    make_provider("Zoe Zimmer", licenses=[("LCSW", "TX")], practice_name="Able Counseling")

    def names(**params) -> list[str]:
        return [r["name"] for r in client.get("/api/providers/", params).json()["results"]]

    assert names() == ["Zoe Zimmer", "Aaron Able"]
    assert names(q="able") == names(sort="relevance") == ["Zoe Zimmer", "Aaron Able"]
    assert names(sort="name") == ["Aaron Able", "Zoe Zimmer"]
    provider().confirmed_by_provider()
    assert names() == ["Aaron Able", "Zoe Zimmer"]
    assert "Basic listing" not in client.get(provider().get_absolute_url()).content.decode()


def test_in_the_fit_finder_an_unconfirmed_registry_listing_ranks_and_scores_below_confirmed_ones(
        tmp_path, taxonomy, client, make_provider):
    from directory.models import Condition

    imported(tmp_path, [individual(1, "AARON", "ABLE", [(LCSW, "A-1", "TX")])], "--publish")
    Provider.objects.filter(npi=npi(1)).update(accepting_new_clients=True, accepting_confirmed=timezone.localdate())
    provider().conditions.add(Condition.objects.get(slug="depression"))  # staff added it: the better fit on paper
    make_provider("Zoe Zimmer", licenses=[("LCSW", "TX")], telehealth=True)

    def results() -> list[tuple[str, int]]:
        found = client.get("/api/match/", {"state": "TX", "concern": "depression"}).json()["results"]
        return [(r["name"], r["score"]) for r in found]

    (first, first_score), (second, second_score) = results()
    assert (first, second, second_score) == ("Zoe Zimmer", "Aaron Able", 0) and first_score >= second_score
    provider().confirmed_by_provider()
    assert [name for name, _ in results()] == ["Aaron Able", "Zoe Zimmer"]


def test_an_answer_to_a_confirmation_email_confirms_a_registry_listing(tmp_path, taxonomy, make_account):
    from listings.confirmations import record_answer
    from listings.models import ConfirmationRequest

    imported(tmp_path, [jane()])
    account = make_account(provider(), "jane@example.org")
    record_answer(ConfirmationRequest.objects.create(account=account, nonce="n"), "accepting")
    assert not provider().unconfirmed_registry_listing


def test_an_approved_claim_confirms_a_registry_listing(tmp_path, taxonomy, django_user_model):
    from listings import claims
    from listings.models import ClaimRequest

    imported(tmp_path, [jane()])
    verifier = django_user_model.objects.create_superuser("v", "v@example.org", "x")
    claim = claims.submit(ClaimRequest(name="Jane Doe", license_number="lcsw-123", jurisdiction="TX",
                                       email="jane@example.org"))
    claims.approve(claim, claim.provider, by=verifier)
    assert provider().provider_confirmed is not None
    assert not provider().unconfirmed_registry_listing


def test_the_generated_file_has_the_registrys_330_quoted_columns(tmp_path):
    path = tmp_path / "f.csv"
    nppes_file.write(path, nppes_file.mix(50, 0.2))
    lines = path.read_text().splitlines()
    assert len(lines) == 51
    assert all(len(row) == 330 for row in csv.reader(lines))
    assert all(line.startswith('"') and line.endswith('"') and '",' in line for line in lines)
