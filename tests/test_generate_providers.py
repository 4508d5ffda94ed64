"""The fictional-provider generator and the demo providers it made: deterministic, plainly fictional, plausible."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Q

from directory.generator import Generator, Taxonomy
from directory.models import (
    AgeGroup,
    Condition,
    CredentialType,
    InsurancePlan,
    Language,
    License,
    Modality,
    Office,
    Provider,
    SessionFormat,
)
from directory.writing import read_ahead, write_providers

pytestmark = pytest.mark.django_db

DEMO_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo_providers.json"
DEMO_ARGS = ["--count", "300", "--seed", "1", "--today", "2026-11-30"]
DEMO_DAY = datetime.date(2026, 11, 30)
PRESCRIBER_ONLY = {"medication-management", "pharmacogenetic-testing", "tms", "ect", "ketamine-assisted-therapy"}


def generate(*args) -> str:
    out = io.StringIO()
    call_command("generate_providers", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (Provider.objects.count(), License.objects.count(), Office.objects.count(),
            Provider.modalities.through.objects.count(), Provider.languages.through.objects.count())




# --- Determinism and the committed fixture -----------------------------------------------------


def test_the_same_seed_gives_an_identical_file_and_another_seed_a_different_one(tmp_path, taxonomy):
    for name, seed in (("a.json", 7), ("b.json", 7), ("c.json", 8)):
        generate("--count", 40, "--seed", seed, "--today", "2026-11-01", "--output", tmp_path / name)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a.json").read_bytes() != (tmp_path / "c.json").read_bytes()


def test_the_committed_demo_fixture_is_exactly_a_fresh_generation(tmp_path, taxonomy):
    generate(*DEMO_ARGS, "--output", tmp_path / "demo.json")
    assert (tmp_path / "demo.json").read_text(encoding="utf-8") == DEMO_FIXTURE.read_text(encoding="utf-8")


def test_the_database_and_the_fixture_hold_the_same_providers(tmp_path, taxonomy):
    generate("--count", 60, "--seed", 5, "--today", "2026-11-01", "--output", tmp_path / "f.json")
    call_command("loaddata", str(tmp_path / "f.json"), verbosity=0)
    call_command("export_providers", str(tmp_path / "from_fixture.csv"), stdout=io.StringIO())
    Provider.objects.all().delete()

    generate("--count", 60, "--seed", 5, "--today", "2026-11-01")
    call_command("export_providers", str(tmp_path / "from_database.csv"), stdout=io.StringIO())
    assert (tmp_path / "from_database.csv").read_bytes() == (tmp_path / "from_fixture.csv").read_bytes()


def test_generating_into_the_database_again_with_the_same_seed_updates_instead_of_duplicating(taxonomy):
    assert "Created 50 and updated 0 providers" in generate("--count", 50, "--seed", 3)
    first = counts()
    assert "Created 0 and updated 50 providers" in generate("--count", 50, "--seed", 3)
    assert counts() == first
    assert "Created 20 and updated 0 providers" in generate("--count", 20, "--seed", 4)
    assert not Office.objects.filter(latitude__isnull=True).exists()


def test_drawn_in_batches_the_providers_are_those_drawn_all_at_once(taxonomy):
    taxonomy_now = Taxonomy.load()
    at_once = Generator(taxonomy_now, 9, DEMO_DAY).providers(30)
    streamed = Generator(taxonomy_now, 9, DEMO_DAY)
    last = {record.external_id: record for record in streamed.stream(30, 7)}  # a writer keeps the last of each
    assert streamed.revised > 0  # 30 providers leave values nobody drew: some records come again, revised
    assert [last[record.external_id] for record in at_once] == at_once


def test_a_large_load_writes_the_same_providers_and_restores_every_check_and_index(tmp_path, taxonomy):
    if connection.vendor != "postgresql":
        pytest.skip("a large load sets checks and indexes aside on PostgreSQL only")

    def checks_and_indexes() -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                           " UNION ALL SELECT indexname, indexdef FROM pg_indexes ORDER BY 1, 2")
            return cursor.fetchall()

    generate("--count", 40, "--seed", 5, "--today", "2026-11-01")
    call_command("export_providers", str(tmp_path / "usual.csv"), stdout=io.StringIO())
    before = checks_and_indexes()
    Provider.objects.all().delete()
    records = Generator(Taxonomy.load(), 5, datetime.date(2026, 11, 1)).stream(40, 15)
    assert write_providers(read_ahead(records, 15), batch_size=15, large=True).created == 40
    call_command("export_providers", str(tmp_path / "large.csv"), stdout=io.StringIO())
    assert (tmp_path / "large.csv").read_bytes() == (tmp_path / "usual.csv").read_bytes()
    assert checks_and_indexes() == before
    assert Provider.objects.filter(search_vector=SearchQuery("fictional")).count() == 40


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "0"], "--count must be 1 to"),
        (["--count", "5", "--today", "1 Nov 2026"], "is not a date written YYYY-MM-DD"),
    ],
)
def test_bad_arguments_get_a_clear_message(taxonomy, args, message):
    with pytest.raises(CommandError, match=message):
        generate(*args)


def test_without_a_taxonomy_it_says_to_load_one_first(empty_taxonomy):
    with pytest.raises(CommandError, match="loaddata taxonomy"):
        generate("--count", "5")


@pytest.mark.usefixtures("demo")
class TestTheDemoProviders:
    """Read-only checks of the committed demo providers (loaded once for all the tests that read them)."""

    def test_the_demo_fixture_loads_twice_without_duplicating_anything(self):
        first = counts()
        call_command("loaddata", "taxonomy", "demo_providers", verbosity=0)
        assert counts() == first
        assert first[0] == 300


    # --- Plainly fictional ---------------------------------------------------------------------------


    def test_every_demo_contact_detail_is_reserved_for_fiction(self):
        providers = list(Provider.objects.all())
        assert all(re.fullmatch(r"\(\d{3}\) 555-01\d\d", p.phone) for p in providers)
        assert all(p.email.endswith("@example.org") for p in providers)
        assert all(p.website.startswith("https://example.org/") for p in providers if p.website)
        assert any(p.website for p in providers)
        assert all(p.bio.startswith("This is a fictional listing for demonstration") for p in providers)
        assert all(number.startswith("DEMO-") for number in License.objects.values_list("number", flat=True))


    def test_bios_say_what_a_provider_offers_and_make_no_other_claims(self):
        for provider in Provider.objects.prefetch_related("modalities")[:50]:
            assert all(m.name in provider.bio for m in provider.modalities.all())
            assert not re.search(r"\b(cure|guarantee|proven|best|effective)\b", provider.bio, re.IGNORECASE)


    # --- Plausible -----------------------------------------------------------------------------------


    def test_every_taxonomy_value_is_used_by_the_demo_providers(self):
        for model in (Modality, Condition, SessionFormat, AgeGroup, Language, InsurancePlan):
            unused = model.objects.annotate(n=Count("providers")).filter(n=0)
            assert not unused.exists(), f"{model.__name__} never used: {[t.key for t in unused]}"
        unheld = CredentialType.objects.annotate(n=Count("licenses")).filter(n=0)
        assert not unheld.exists(), [c.code for c in unheld]


    def test_only_prescribers_offer_medication_and_brain_stimulation_and_most_manage_medication(self):
        prescribers = Provider.objects.prescribers()
        assert not Provider.objects.offering(sorted(PRESCRIBER_ONLY)).exclude(pk__in=prescribers).exists()
        managing = prescribers.offering(["medication-management"]).count()
        assert managing >= 0.8 * prescribers.count() > 0
        others = Provider.objects.exclude(pk__in=prescribers)
        assert not others.filter(modalities__isnull=True).exists()
        assert not others.exclude(modalities__category="psychotherapy").exists()


    def test_fees_are_valid_and_a_third_or_so_have_a_sliding_scale(self):
        providers = list(Provider.objects.all())
        sliding = [p for p in providers if p.has_sliding_scale]
        assert 0.25 <= len(sliding) / len(providers) <= 0.45
        assert all(0 < p.sliding_scale_min < p.sliding_scale_max <= p.standard_fee for p in sliding)
        assert all(p.standard_fee > 0 for p in providers if p.standard_fee is not None)
        assert 0 < sum(p.standard_fee is None for p in providers) < 0.2 * len(providers)
        assert all(p.sliding_scale_min is None for p in providers if p.standard_fee is None)


    def test_places_licenses_and_dates_follow_real_patterns(self):
        telehealth_only = Provider.objects.filter(offices__isnull=True)
        assert telehealth_only.exists() and not telehealth_only.filter(telehealth=False).exists()
        licensed_in = Provider.objects.annotate(states=Count("licenses__jurisdiction", distinct=True))
        assert licensed_in.filter(states=1).exists() and licensed_in.filter(states__in=[2, 3]).exists()
        assert not licensed_in.filter(Q(states=0) | Q(states__gt=3)).exists()
        # Offices are where the provider is licensed, at a real ZIP code's centre.
        in_licensed_state = Office.objects.filter(provider__licenses__jurisdiction=F("jurisdiction"))
        assert not Office.objects.exclude(pk__in=in_licensed_state).exists()
        assert not Office.objects.filter(latitude__isnull=True).exists()
        assert len(set(Office.objects.values_list("jurisdiction", flat=True))) >= 30

        verified = License.objects.filter(verified_on__isnull=False)
        assert 0.4 <= verified.count() / License.objects.count() <= 0.8
        two_years_before = DEMO_DAY - datetime.timedelta(days=731)
        assert not verified.exclude(verified_on__range=(two_years_before, DEMO_DAY)).exists()
        stale_before = DEMO_DAY - datetime.timedelta(days=365)
        assert Provider.objects.filter(last_verified__lt=stale_before).exists()
        assert Provider.objects.filter(last_verified__gte=stale_before).exists()
        assert Provider.objects.filter(published=False).exists()
        assert Provider.objects.filter(accepting_new_clients=False).exists()
        assert Provider.objects.filter(accepting_new_clients=True, accepting_confirmed__isnull=False).exists()
