"""The facet index follows edits without being built again: a copy brought up to date from the change log (and by
the calendar overnight) holds what a fresh build holds, new processes start from the published copy, and a large
batch of changes is built by one process while the copy in use keeps serving."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import random
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory import writing
from directory.models import (
    Condition,
    CredentialType,
    Language,
    License,
    Modality,
    Office,
    Provider,
    ProviderChange,
)
from directory.search import changes, facet_index, index_bench
from tests.test_facet_index import total_on_page

STATES = ["TX", "CA", "NY"]
CODES = ["LCSW", "LPC", "MD", "PMHNP"]
MODALITIES = ["cbt", "dbt", "emdr"]
PRESCRIBING = {"MD", "DO", "PMHNP"}
NUMBERS = itertools.count()  # license numbers and slugs never used before


class Edits:
    """Random edits of every kind the index holds, each through the path the site makes it by."""

    def __init__(self, rnd: random.Random, today: datetime.date) -> None:
        self.rnd = rnd
        self.today = today
        self.made = 0

    def provider(self) -> Provider | None:
        ids = list(Provider.objects.values_list("pk", flat=True))
        return Provider.objects.get(pk=self.rnd.choice(ids)) if ids else None

    def fields(self) -> dict:
        rnd = self.rnd
        fee = rnd.choice([None, Decimal("80"), Decimal("120.50"), Decimal("150")])
        sliding = rnd.choice([None, Decimal("40")]) if fee is not None else None
        accepting = rnd.random() < 0.7
        unknown_after = timezone.localdate() - datetime.timedelta(days=90)
        return {
            "published": rnd.random() < 0.8, "telehealth": rnd.random() < 0.5, "evenings": rnd.random() < 0.5,
            "weekends": rnd.random() < 0.3, "free_consultation": rnd.random() < 0.3, "standard_fee": fee,
            "sliding_scale_min": sliding, "sliding_scale_max": sliding and sliding + 40,
            "accepting_new_clients": accepting,
            # Near the day it stops counting, so that moving the date on makes it lapse.
            "accepting_confirmed": unknown_after + datetime.timedelta(days=rnd.randint(-1, 3)) if accepting else None,
        }

    def create(self) -> None:
        self.made += 1
        Provider.objects.create(name=f"Provider {self.made}", external_id=f"edit-{self.made}", **self.fields())

    def edit(self) -> None:
        provider = self.provider()
        if provider:
            for name, value in self.fields().items():
                setattr(provider, name, value)
            provider.save()

    def publish_or_unpublish(self) -> None:
        ids = list(Provider.objects.values_list("pk", flat=True))[: self.rnd.randint(0, 3)]
        with transaction.atomic():  # as the admin's actions do
            facet_index.changed(ids)
            Provider.objects.filter(pk__in=ids).update(published=self.rnd.random() < 0.5)

    def delete(self) -> None:
        provider = self.provider()
        if provider:
            provider.delete()

    def link(self) -> None:
        provider = self.provider()
        if provider:
            modality = Modality.objects.get(slug=self.rnd.choice(MODALITIES))
            if self.rnd.random() < 0.5:
                provider.modalities.add(modality)
            else:
                modality.providers.add(provider)  # from the term's side
            provider.languages.add(Language.objects.get(slug=self.rnd.choice(["en", "es"])))

    def unlink(self) -> None:
        provider = self.provider()
        if provider:
            choice = self.rnd.randrange(3)
            modality = Modality.objects.get(slug=self.rnd.choice(MODALITIES))
            if choice == 0:
                provider.modalities.remove(modality)
            elif choice == 1:
                provider.languages.clear()
            else:
                modality.providers.clear()  # every provider's link to it

    def license(self) -> None:
        provider = self.provider()
        if provider:
            License.objects.create(
                provider=provider, credential_type=CredentialType.objects.get(code=self.rnd.choice(CODES)),
                jurisdiction=self.rnd.choice(STATES), number=f"N-{next(NUMBERS)}",
                expires_on=self.rnd.choice([None, timezone.localdate() + datetime.timedelta(self.rnd.randint(-1, 3))]),
            )

    def change_license(self) -> None:
        license = License.objects.order_by("?").first()
        if license is None:
            return
        choice = self.rnd.randrange(4)
        if choice == 0:
            license.expires_on = timezone.localdate() - datetime.timedelta(days=1)  # expired
        elif choice == 1:
            license.verified_on = timezone.localdate()  # verified
        elif choice == 2:
            license.provider = self.provider()  # moved to another provider
        else:
            license.delete()
            return
        license.save()

    def office(self) -> None:
        provider = self.provider()
        if provider:
            Office.objects.create(provider=provider, city="Austin", jurisdiction=self.rnd.choice(STATES))

    def move_office(self) -> None:
        office = Office.objects.order_by("?").first()
        if office is None:
            return
        if self.rnd.random() < 0.5:
            office.jurisdiction = self.rnd.choice(STATES)
        else:
            office.provider = self.provider()
        office.save()

    def confirm_accepting(self) -> None:
        provider = self.provider()
        if provider:
            provider.accepting_new_clients = True
            provider.accepting_confirmed = timezone.localdate()
            provider.save(update_fields=["accepting_new_clients", "accepting_confirmed", "waitlist_weeks", "updated"])

    def prescribing_changes(self) -> None:
        """A credential that can prescribe no longer (or again): a change of every holder."""
        credential = CredentialType.objects.get(code=self.rnd.choice(CODES))
        credential.can_prescribe = not credential.can_prescribe
        credential.save()

    def term_deleted(self) -> None:
        condition = Condition.objects.create(slug=f"new-{next(NUMBERS)}", name="New concern")
        for provider in Provider.objects.order_by("?")[:2]:
            provider.conditions.add(condition)
        facet_index.current()
        condition.delete()

    def import_rows(self) -> None:
        """The bulk writer, which sends no signals."""
        key = self.rnd.randrange(4)
        records = [
            writing.ProviderRecord(
                external_id=f"import-{key}", values={"name": "Imported", **self.fields()},
                terms={"modalities": self.rnd.sample(MODALITIES, 2)},
                licenses=[writing.LicenseRecord(self.rnd.choice(CODES), self.rnd.choice(STATES), f"IMP-{key}-{n}")
                          for n in range(self.rnd.randint(0, 2))],
                offices=[writing.OfficeRecord("1 Main St", "Austin", self.rnd.choice(STATES), "78701")],
            )
        ]
        writing.write_providers(records)

    def next_day(self) -> None:
        self.traveller.shift(datetime.timedelta(days=self.rnd.randint(1, 2)))


EDITS = [name for name in vars(Edits) if not name.startswith("_") and name not in ("provider", "fields")]


def _index_without_caches(index: facet_index.FacetIndex) -> dict:
    return index.__getstate__()


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 2**32)), min_size=1, max_size=12))
def test_an_index_kept_up_to_date_equals_a_fresh_build_after_any_edits(taxonomy, steps):
    start = timezone.now().replace(hour=15)  # midday in the site's time zone: a shift of a day is a new date
    with time_machine.travel(start, tick=False) as traveller:
        # Each example starts from the taxonomy alone (the test's transaction is rolled back only at its end).
        Provider.objects.all().delete()
        Condition.objects.filter(slug__startswith="new-").delete()
        for credential in CredentialType.objects.all():
            credential.can_prescribe = credential.code in PRESCRIBING
            credential.save()
        cache.clear()
        facet_index.live.reset()
        edits = Edits(random.Random(0), timezone.localdate())
        edits.traveller = traveller
        for _ in range(3):
            edits.create()
            edits.license()
            edits.link()
        facet_index.current()
        for name, seed in steps:
            edits.rnd = random.Random(seed)
            getattr(edits, name)()
            kept = facet_index.current()
            assert kept.as_of == timezone.localdate()
            assert _index_without_caches(kept) == _index_without_caches(facet_index.build()), name


@pytest.fixture
def full_reads(monkeypatch) -> list:
    """The builds of the whole index from here on (read() of every provider)."""
    found = []
    reading = facet_index.read

    def read(providers=None):
        if providers is None:
            found.append(timezone.localdate())
        return reading(providers)

    monkeypatch.setattr(facet_index, "read", read)
    return found


@pytest.mark.django_db
def test_a_status_that_lapses_overnight_stops_counting_without_a_build(client, make_provider, full_reads):
    start = timezone.now().replace(hour=12)
    with time_machine.travel(start, tick=False) as traveller:
        today = timezone.localdate()
        make_provider("Rosa Marquez", accepting_confirmed=today - datetime.timedelta(days=90), licenses=[])
        provider = make_provider("Ana Diaz", licenses=[])
        License.objects.create(provider=provider, credential_type=CredentialType.objects.get(code="LPC"),
                               jurisdiction="NM", number="NM-1", expires_on=today)
        assert total_on_page(client, "accepting=true") == 2
        assert total_on_page(client, "state=NM") == 1
        built = len(full_reads)

        traveller.shift(datetime.timedelta(days=1))
        assert total_on_page(client, "accepting=true") == 1  # confirmed 91 days ago: no longer known
        assert total_on_page(client, "state=NM") == 0  # the license expired yesterday
        assert len(full_reads) == built


@pytest.mark.django_db
def test_an_edit_is_applied_by_rereading_the_provider_not_by_a_build(client, make_provider, full_reads):
    provider = make_provider("Rosa Marquez", modalities=["cbt"])
    assert total_on_page(client, "modality=cbt") == 1
    built = len(full_reads)
    provider.modalities.clear()
    assert total_on_page(client, "modality=cbt") == 0
    assert len(full_reads) == built
    assert ProviderChange.objects.filter(provider_id=provider.pk).exists()


@pytest.mark.django_db
def test_a_new_process_starts_from_the_published_copy_and_catches_up(client, make_provider, full_reads):
    make_provider("Rosa Marquez", modalities=["cbt"])
    assert total_on_page(client, "modality=cbt") == 1  # this process builds and publishes the first copy
    assert len(full_reads) == 1
    make_provider("Ana Diaz", modalities=["cbt"])

    facet_index.live.reset()  # a new process: nothing of its own yet
    assert total_on_page(client, "modality=cbt") == 2
    assert len(full_reads) == 1  # loaded, then brought up to date from the change log


@pytest.mark.django_db
def test_the_published_copy_is_read_from_its_file_when_the_cache_lost_it(client, make_provider, full_reads, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr(facet_index.live.published, "path", tmp_path / "facet-index.bin")
    make_provider("Rosa Marquez", modalities=["cbt"])
    assert total_on_page(client, "modality=cbt") == 1
    assert (tmp_path / "facet-index.bin").exists()

    cache.clear()  # Redis restarted empty
    facet_index.live.reset()
    assert total_on_page(client, "modality=cbt") == 1
    assert len(full_reads) == 1


@pytest.mark.django_db
def test_a_large_batch_is_built_once_in_the_background_while_the_copy_in_use_serves(client, make_provider,
                                                                                   full_reads, monkeypatch):
    waiting = []
    monkeypatch.setattr(facet_index, "in_background", waiting.append)
    monkeypatch.setattr(facet_index, "REBUILD_AT", 3)
    make_provider("Rosa Marquez", modalities=["cbt"])
    assert total_on_page(client, "modality=cbt") == 1
    records = [writing.ProviderRecord(external_id=f"batch-{n}", values={"name": f"Batch {n}"},
                                      terms={"modalities": ["cbt"]}) for n in range(5)]
    writing.write_providers(records)

    assert total_on_page(client, "modality=cbt") == 1  # the copy in use, not a visitor waiting on a build
    assert total_on_page(client, "modality=cbt") == 1
    assert len(waiting) == 1  # one build, not one per request
    with facet_index.live.published.building(wait=False) as mine:
        assert mine  # nobody else is building

    waiting.pop()()  # the build, in its thread
    assert total_on_page(client, "modality=cbt") == 6
    other_process = facet_index.LiveIndex(facet_index.live.published)
    assert len(other_process.get().terms["modality"][Modality.objects.get(slug="cbt").pk]) == 6
    assert len(full_reads) == 2


@pytest.mark.django_db
def test_while_one_process_builds_another_does_not():
    published = facet_index.live.published
    theirs = []

    def another_process() -> None:
        try:
            with published.building(wait=False) as mine:
                theirs.append(mine)
        finally:
            connection.close()

    with published.building(wait=False) as mine:
        thread = threading.Thread(target=another_process)
        thread.start()
        thread.join()
    assert mine and theirs == [False]


@pytest.mark.django_db
def test_text_matches_are_forgotten_when_a_provider_changes(client, make_provider):
    provider = make_provider("Rosa Marquez", bio="Grief counselling")
    assert total_on_page(client, "q=grief") == 1
    provider.bio = "Couples work"
    provider.save()
    assert total_on_page(client, "q=grief") == 0


@contextlib.contextmanager
def written_but_not_committed(edit) -> Iterator[None]:
    """Inside: edit() has written in another connection's transaction, which commits on leaving."""
    written, go_on = threading.Event(), threading.Event()

    def slow_edit() -> None:
        try:
            with transaction.atomic():
                edit()
                written.set()
                go_on.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_edit)
    thread.start()
    written.wait(10)
    try:
        yield
    finally:
        go_on.set()
        thread.join()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_a_change_that_commits_after_a_later_one_is_still_applied(client, make_provider):
    """Change ids are handed out as rows are written, not as transactions commit: the earlier id commits last."""
    first, second = make_provider("Rosa Marquez"), make_provider("Ana Diaz")
    assert total_on_page(client, "modality=dbt") == 0
    dbt = Modality.objects.get(slug="dbt")
    with written_but_not_committed(lambda: first.modalities.add(dbt)):
        second.modalities.add(dbt)  # a later change id, committed first
        assert total_on_page(client, "modality=dbt") == 1
    assert total_on_page(client, "modality=dbt") == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_a_copy_built_while_a_write_is_under_way_takes_the_write_once_it_commits(client, make_provider):
    provider = make_provider("Rosa Marquez")
    dbt = Modality.objects.get(slug="dbt")
    with written_but_not_committed(lambda: provider.modalities.add(dbt)):
        assert total_on_page(client, "modality=dbt") == 0  # built and published from the rows before the write
    assert total_on_page(client, "modality=dbt") == 1


@pytest.mark.django_db
def test_changes_older_than_a_week_are_pruned():
    week = datetime.timedelta(days=changes.KEPT_DAYS)
    old = ProviderChange.objects.create(provider_id=1, created=timezone.now() - week - datetime.timedelta(hours=1))
    recent = ProviderChange.objects.create(provider_id=2, created=timezone.now() - week + datetime.timedelta(hours=1))
    changes.prune()
    assert list(ProviderChange.objects.filter(pk__in=[old.pk, recent.pk])) == [recent]


@pytest.mark.django_db
def test_the_publish_command_publishes_the_copy_new_processes_start_from(make_provider, full_reads, tmp_path,
                                                                         monkeypatch, capsys):
    monkeypatch.setattr(facet_index.live.published, "path", tmp_path / "facet-index.bin")
    make_provider("Rosa Marquez", modalities=["cbt"])
    call_command("facet_index", "publish")
    assert "Published the facet index of 1 published providers" in capsys.readouterr().out
    assert (tmp_path / "facet-index.bin").exists()

    cache.clear()  # a new process on another server: the file is what it finds
    facet_index.live.reset()
    assert len(facet_index.current().published) == 1
    assert len(full_reads) == 1  # the command's build, no other


@pytest.mark.django_db
def test_the_bench_says_what_to_do_without_providers():
    with pytest.raises(CommandError, match="generate_providers"):
        call_command("facet_index", "bench")


class TestFiguresOnTheDemoProviders:
    def test_a_search_right_after_an_edit_applies_the_edit_and_leaves_the_provider_as_it_was(self, demo, full_reads):
        provider = Provider.objects.published().order_by("pk").first()
        figures = index_bench.search_after_an_edit(runs=2)
        assert 0 < figures["apply_ms"] < figures["search_ms"]
        assert len(full_reads) <= 1  # at most the first copy: every edit was applied, not built
        assert Provider.objects.get(pk=provider.pk).telehealth == provider.telehealth

    def test_the_fee_filter_is_timed_as_it_is_and_as_it_was_finding_the_same_providers(self, demo):
        figures = index_bench.fee_filter(runs=2)
        assert figures["same"]
        assert figures["before_ms"] > 0 and figures["before_mb"] > 0
