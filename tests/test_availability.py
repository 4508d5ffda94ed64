"""Availability people can act on: accepting (and the next opening), a waitlist, hours; and an accepting status
that grows old first ranks lower, then counts as unknown everywhere."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from directory.models import Availability

pytestmark = pytest.mark.django_db


def names(client, **params) -> list[str]:
    return [r["name"] for r in client.get("/api/providers/", params).json()["results"]]


def test_a_status_not_confirmed_in_90_days_is_unknown_and_not_accepting_anywhere(client, make_provider, today):
    make_provider("Recent", telehealth=True, accepting_confirmed=today - datetime.timedelta(days=90))
    old = make_provider("Old", telehealth=True, accepting_confirmed=today - datetime.timedelta(days=91))
    make_provider("Never", telehealth=True, accepting_confirmed=None)
    assert names(client, accepting="true") == ["Recent"]
    assert [r["name"] for r in client.get("/api/match/", {"state": "TX"}).json()["results"]] == ["Recent"]
    assert old.availability == Availability.UNKNOWN
    card = client.get("/providers/", {"q": "Old"}).content.decode()
    assert "Availability unknown" in card and "ask the provider" in card
    profile = client.get(f"/providers/{old.slug}/").content.decode()
    assert "Availability unknown" in profile
    assert "Accepting new clients</" not in profile


def test_the_facet_count_for_accepting_agrees_with_the_list(client, make_provider, today):
    make_provider("Recent", accepting_confirmed=today)
    make_provider("Old", accepting_confirmed=today - datetime.timedelta(days=120))
    page = client.get("/providers/").content.decode()
    assert 'name="accepting"' in page
    assert client.get("/api/providers/", {"accepting": "true"}).json()["count"] == 1


def test_a_waitlist_and_a_next_opening_are_shown_in_plain_words(client, make_provider, today):
    make_provider("Waits", accepting_new_clients=False, accepting_confirmed=today, waitlist_weeks=4)
    make_provider("Opens", accepting_confirmed=today, next_opening=today + datetime.timedelta(days=10))
    page = client.get("/providers/").content.decode()
    assert "Waitlist, about 4 weeks" in page
    assert f"Accepting new clients, next opening {today + datetime.timedelta(days=10):%B %-d}" in page
    assert names(client, accepting="true") == ["Opens"]


def test_evening_and_weekend_hours_are_search_filters_and_shown(client, make_provider):
    make_provider("Evenings", evenings=True, weekday_daytime=True)
    make_provider("Weekends", weekends=True)
    make_provider("Days", weekday_daytime=True)
    assert names(client, evenings="true") == ["Evenings"]
    assert names(client, weekends="true") == ["Weekends"]
    assert names(client, evenings="true", weekends="true") == []
    page = client.get("/providers/", {"evenings": "true"}).content.decode()
    assert "Hours: weekday daytime, evenings" in page
    assert "Evening hours" in page  # the filter's checkbox, and its chip


def test_a_provider_cannot_be_accepting_and_on_a_waitlist(make_provider):
    with transaction.atomic(), pytest.raises(IntegrityError):
        make_provider("Both", accepting_new_clients=True, waitlist_weeks=3)


def test_the_fit_finder_can_require_evening_or_weekend_hours(client, make_provider):
    make_provider("Evenings", telehealth=True, evenings=True)
    make_provider("Weekends", telehealth=True, weekends=True)
    make_provider("Days", telehealth=True, weekday_daytime=True)

    def found(**answers) -> list[str]:
        return sorted(r["name"] for r in client.get("/api/match/", {"state": "TX", **answers}).json()["results"])

    assert found(evenings="true") == ["Evenings"]
    assert found(weekends="true") == ["Weekends"]
    assert found(evenings="true", weekends="true") == ["Evenings", "Weekends"]  # either will do
    body = client.get("/api/match/", {"state": "TX", "evenings": "true"}).json()
    assert "Sees clients in the evening, as you asked" in body["results"][0]["reasons"]
    page = client.get("/match/", {"state": "TX", "evenings": "true"}).content.decode()
    assert "I need evening appointments" in page and "Evenings" in page and "Days</" not in page
