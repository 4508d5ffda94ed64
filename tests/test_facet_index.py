"""The search's totals and facet counts (from the facet index) agree with the results (from the database)."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.models import (
    Availability,
    CredentialType,
    License,
    Modality,
    Provider,
)
from directory.search import rules
from directory.search.filters import ProviderFilter
from directory.search.results import SearchResults
from directory.taxonomy import snapshot
from finder.matching import Answers, NextSteps, eligible, eligible_count, ranked, scoring
from finder.recommendations import suggested_next_steps


def facets_of(provider: Provider) -> set[tuple[str, str]]:
    """Every (family, value) a provider counts for, worked out from its own rows, not from the index."""
    found = {("features", "total")}
    for param, relation in (("modality", "modalities"), ("condition", "conditions"), ("format", "formats"),
                            ("age_group", "age_groups"), ("language", "languages"), ("insurance", "insurance")):
        found |= {(param, term.key) for term in getattr(provider, relation).all()}
    licenses = list(provider.licenses.all())
    found |= {("credential", lic.credential_type.code) for lic in licenses}
    found |= {("state", lic.jurisdiction) for lic in licenses}
    features = {
        "prescriber": any(lic.credential_type.can_prescribe for lic in licenses),
        "verified": any(lic.verified_on for lic in licenses),
        "in_person": bool(provider.offices.all()),
        "telehealth": provider.telehealth,
        "sliding_scale": provider.sliding_scale_min is not None,
        "free_consultation": provider.free_consultation,
        "accepting": provider.availability == Availability.ACCEPTING,
        "evenings": provider.evenings,
        "weekends": provider.weekends,
    }
    return found | {("features", name) for name, yes in features.items() if yes}


def expected_counts(filterset: ProviderFilter) -> Counter:
    return Counter(pair for provider in filterset.qs.for_profile() for pair in facets_of(provider))


def shown_counts(filterset: ProviderFilter) -> Counter:
    counts = SearchResults(filterset).counts
    shown = Counter({("features", name): n for name, n in counts["features"].items()})
    for family, values in counts["facets"].items():
        shown.update({(family, key): n for key, n in values.items()})
    return +shown  # zero counts dropped, as in expected_counts


# Valid values of every indexed parameter, some of them shared by no demo provider.
VALUES = {
    "modality": ["cbt", "dbt", "act", "emdr", "tms", "ketamine-assisted-therapy", "ect"],
    "condition": ["depression", "anxiety", "treatment-resistant-depression", "ptsd", "ocd", "bipolar-disorder"],
    "credential": ["LCSW", "LPC", "PSYD", "PHD", "MD", "PMHNP", "lmft"],
    "format": ["individual", "couples", "family", "group"],
    "age_group": ["children", "teens", "adults", "older-adults"],
    "language": ["en", "es", "zh", "vi", "fr"],
    "insurance": ["aetna", "medicaid", "medicare", "cigna"],
    "state": ["TX", "ca", "NY", "FL", "WA", "il", "ZZ"],
    "max_fee": ["0", "40", "75", "100", "150.50", "250"],
    "prescriber": ["true", "false"],
    "telehealth": ["true", "false"],
    "in_person": ["true", "false"],
    "sliding_scale": ["true"],
    "free_consultation": ["true"],
    "accepting": ["true"],
    "evenings": ["true"],
    "weekends": ["true"],
    "verified": ["true"],
    "q": ["therapy", "anxiety", "trauma couples"],
    "zip": ["78701", "10001", "94110"],
    "radius": ["10", "100", "500"],
}
searches = st.lists(
    st.sampled_from(sorted(VALUES)).flatmap(lambda name: st.tuples(st.just(name), st.sampled_from(VALUES[name]))),
    max_size=5,
)


def test_every_declared_search_parameter_is_among_the_values_checked_here():
    """A new rule (directory.search.rules) is held to the database's answer by the tests below."""
    assert set(VALUES) == {rule.name for rule in rules.RULES} | {"radius"}


class TestAgainstTheDemoProviders:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(pairs=searches)
    def test_the_total_and_every_facet_count_agree_with_the_results_whatever_the_search(self, demo, pairs):
        query = QueryDict(mutable=True)
        for name, value in pairs:
            query.appendlist(name, value)
        filterset = ProviderFilter(query, queryset=Provider.objects.published())
        assert SearchResults(filterset).total == filterset.qs.count()
        assert shown_counts(filterset) == expected_counts(filterset)


    @pytest.mark.parametrize("name,value", [(name, value) for name in sorted(VALUES) for value in VALUES[name]])
    def test_the_total_and_every_facet_count_agree_with_the_results_for_each_value_alone(self, demo, name, value):
        filterset = ProviderFilter(QueryDict(f"{name}={value}"), queryset=Provider.objects.published())
        assert SearchResults(filterset).total == filterset.qs.count()
        assert shown_counts(filterset) == expected_counts(filterset)

    def test_the_demo_has_searches_that_find_some_and_searches_that_find_none(self, demo):
        """The property above is only worth something if its searches find providers and also miss some."""
        some = ProviderFilter(QueryDict("modality=cbt&state=TX"), queryset=Provider.objects.published())
        assert 0 < SearchResults(some).total < Provider.objects.published().count()
        pairs = [f"modality={m}&language={lang}" for m in VALUES["modality"] for lang in VALUES["language"]]
        totals = [SearchResults(ProviderFilter(QueryDict(pair), queryset=Provider.objects.published())).total
                  for pair in pairs]
        assert 0 in totals


def total_on_page(client: Client, query: str) -> str:
    response = client.get(f"/providers/?{query}")
    assert response.status_code == 200
    return response.context["results"].total


@pytest.mark.django_db
def test_counts_follow_edits_at_once(client, make_provider):
    provider = make_provider("Rosa Marquez", licenses=[("LCSW", "TX")], modalities=["cbt"])
    assert total_on_page(client, "modality=cbt") == 1
    assert total_on_page(client, "state=NM") == 0

    provider.modalities.add(Modality.objects.get(slug="dbt"))
    License.objects.create(provider=provider, credential_type=CredentialType.objects.get(code="LPC"),
                           jurisdiction="NM", number="NM-1")
    assert total_on_page(client, "modality=dbt") == 1
    assert total_on_page(client, "state=NM&credential=LPC") == 1

    provider.published = False
    provider.save()
    assert total_on_page(client, "modality=cbt") == 0


@pytest.mark.django_db
def test_counts_follow_the_admin_publish_and_unpublish_actions(client, make_provider, today):
    # A verified license: publishing one without asks staff to confirm first (test_admin_entry.py).
    provider = make_provider("Rosa Marquez", modalities=["cbt"], licenses=[("LCSW", "TX", "L-1", today)])
    staff = Client()
    staff.force_login(User.objects.create_superuser("admin", "admin@example.org", "pw-for-tests-only"))
    assert total_on_page(client, "modality=cbt") == 1
    for action, expected in (("unpublish", 0), ("publish", 1)):
        response = staff.post("/admin/directory/provider/", {"action": action, "_selected_action": [provider.pk]})
        assert response.status_code == 302
        assert total_on_page(client, "modality=cbt") == expected


@pytest.mark.django_db
def test_counts_follow_a_csv_import(client, make_provider, tmp_path):
    make_provider("Rosa Marquez", modalities=["cbt"])
    assert total_on_page(client, "modality=cbt") == 1
    path = tmp_path / "more.csv"
    call_command("export_providers", str(path), verbosity=0)
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    # The same listing again under another external ID and name: a second CBT provider.
    rows[0].update(external_id="imported-1", name="Ana Diaz", credentials="LPC:TX:IMPORTED-1")
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    call_command("import_providers", str(path), verbosity=0)
    assert total_on_page(client, "modality=cbt") == 2


@pytest.mark.django_db(transaction=True)
def test_a_write_read_by_a_search_inside_its_own_transaction_counts_once_it_commits(client, make_provider):
    """A search while a transaction is under way does not take its changes (they may yet be rolled back): it does
    once they commit."""
    make_provider("Rosa Marquez", modalities=["cbt"])
    provider = Provider.objects.get()
    assert total_on_page(client, "modality=dbt") == 0
    with transaction.atomic():
        provider.modalities.add(Modality.objects.get(slug="dbt"))
        assert total_on_page(client, "modality=dbt") == 0
    assert total_on_page(client, "modality=dbt") == 1
    with transaction.atomic():
        provider.modalities.clear()
        transaction.set_rollback(True)
    assert total_on_page(client, "modality=dbt") == 1


FIT_FINDER = {
    "state": st.sampled_from(["", "TX", "CA", "NY", "FL", "WA"]),
    "zip": st.sampled_from(["", "78701", "10001", "94110", "33101"]),
    "radius": st.sampled_from([10, 25, 100]),
    "mode": st.sampled_from(["either", "in_person", "telehealth"]),
    "budget": st.sampled_from([None, Decimal("0"), Decimal("60"), Decimal("120.50"), Decimal("200")]),
    "insurance": st.sampled_from(["", "aetna", "medicaid", "cigna"]),
    "language": st.sampled_from(["", "en", "es", "ZH"]),
    "age_group": st.sampled_from(["", "teens", "adults", "older-adults"]),
    "prescriber": st.booleans(),
}


class TestFitFinderCountAgainstTheDemoProviders:
    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(answers=st.builds(Answers, **FIT_FINDER))
    def test_the_count_of_eligible_providers_is_the_databases_count(self, demo, answers):
        assert eligible_count(answers) == eligible(answers).count()

    def test_those_answers_find_some_and_miss_some(self, demo):
        everyone = eligible_count(Answers())
        assert 0 < eligible_count(Answers(state="TX", mode="in_person", budget=Decimal("120"))) < everyone
        assert eligible_count(Answers(zip="78701", radius=10, mode="in_person", prescriber=True)) < everyone
        assert eligible_count(Answers(zip="78701", radius=100, mode="in_person")) > 0


RANKING = {
    **FIT_FINDER,
    "concerns": st.lists(st.sampled_from(["depression", "anxiety", "ptsd", "ocd", "panic-disorder"]), max_size=2,
                         unique=True).map(tuple),
    "tried": st.lists(st.sampled_from(["cbt", "medication-management", "psychodynamic", "emdr"]), max_size=2,
                      unique=True).map(tuple),
    "modalities": st.lists(st.sampled_from(["dbt", "act", "emdr", "tms"]), max_size=2, unique=True).map(tuple),
    "format": st.sampled_from(["", "individual", "couples", "group"]),
    "gender": st.sampled_from(["", "woman", "man", "non-binary"]),
    "age_group": st.sampled_from(["", "teens", "adults"]),
    "limit": st.sampled_from([1, 5, 20]),
}


class TestFitFinderOrderAgainstTheDemoProviders:
    """The fit finder ranks over the facet index; the same preferences in SQL give the same providers, in the same
    order, with the same points."""

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(answers=st.builds(Answers, **RANKING))
    def test_the_index_ranks_as_the_database_does(self, demo, answers):
        taxonomy = snapshot()
        steps = NextSteps.of(answers, suggested_next_steps(answers.situation), taxonomy)
        top, most, _ = ranked(answers, steps, taxonomy)
        points = scoring(answers, steps, taxonomy)
        expected = list(points.ranked(eligible(answers)).values_list("pk", "raw_score")[: answers.limit])
        assert [provider.pk for provider in top] == [pk for pk, _ in expected]
        assert [provider.raw_score for provider in top] == pytest.approx([score for _, score in expected])
        assert most == points.most

    def test_those_answers_rank_providers_with_different_scores(self, demo):
        answers = Answers(concerns=("depression",), tried=("cbt",), zip="78701", radius=100, gender="woman")
        taxonomy = snapshot()
        top, most, _ = ranked(answers, NextSteps.of(answers, suggested_next_steps(answers.situation), taxonomy),
                           taxonomy)
        assert len({provider.raw_score for provider in top}) > 5
        assert any(provider.distance_miles is not None for provider in top)


@pytest.mark.django_db
def test_the_fit_finder_total_follows_edits_at_once(client, make_provider):
    providers = [make_provider(f"Provider {n}", licenses=[("LCSW", "TX")], telehealth=True) for n in range(3)]
    page = client.get("/api/match/?state=TX&limit=1")
    assert page.status_code == 200
    assert client.get("/match/?state=TX&limit=1").context["result"].total == 3
    providers[0].accepting_new_clients = False
    providers[0].save()
    assert client.get("/match/?state=TX&limit=1").context["result"].total == 2
