"""Accuracy you can see: the monthly phone checks of a random sample of listings, run by staff in the admin and
published with their confidence intervals, and how recently the listings were confirmed."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from directory.models import Provider
from listings import accuracy
from listings.models import AccuracyCall, AccuracyRound, ProviderAccount

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 1)
APRIL = datetime.date(2026, 4, 1)


def text_of(response) -> str:
    """The page as a person reads it: tags gone, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def listings(make_provider) -> list[Provider]:
    return [make_provider(f"Provider {n:02d}", phone=f"512-555-01{n:02d}") for n in range(1, 11)]


def record(call: AccuracyCall, result: str, accepting: str = "unknown", fee: str = "not-asked",
           insurance: str = "not-asked") -> None:
    call.result, call.accepting, call.fee_as_listed, call.insurance_as_listed = result, accepting, fee, insurance
    call.called_on = timezone.localdate()
    call.save()


def closed_round(month: datetime.date, results: list[tuple]) -> AccuracyRound:
    """A round of len(results) listings, each call recorded as given (result, accepting, fee, insurance), closed."""
    round_ = accuracy.draw_round(len(results), month=month, seed=7)
    for call, answers in zip(round_.calls.order_by("position"), results, strict=True):
        record(call, *answers)
    accuracy.close(round_)
    return round_


# 7 of 10 reached, 5 of them accepting; the fee asked of 4 (3 as listed); insurance never asked.
KNOWN_SAMPLE = [
    ("reached", "yes", "yes"), ("reached", "yes", "yes"), ("reached", "yes", "yes"), ("reached", "yes", "no"),
    ("reached", "yes"), ("reached", "no"), ("reached", "unknown"),
    ("not-reached",), ("not-reached",), ("could-not-call",),
]


# --- The confidence interval ----------------------------------------------------------------------------


def test_the_wilson_interval_for_7_of_10_is_39_7_to_89_2_percent():
    low, high = accuracy.wilson_interval(7, 10)
    assert (round(low * 100, 1), round(high * 100, 1)) == (39.7, 89.2)


def test_the_wilson_interval_stays_within_0_and_100_percent_at_the_extremes():
    assert accuracy.wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert accuracy.wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert accuracy.wilson_interval(0, 1)[0] >= 0 and accuracy.wilson_interval(1, 1)[1] <= 1


def test_a_share_reads_as_a_percentage_with_its_range():
    assert str(accuracy.Share(62, 100)) == "62% (52% to 71%)"
    assert str(accuracy.Share(7, 10)) == "70% (40% to 89%)"
    assert accuracy.Share(1, 8).percent == 13  # 12.5%: a half rounds up


def test_a_sample_of_100_gives_a_margin_of_about_10_points():
    assert [accuracy.margin_in_points(n) for n in (50, 100, 200, 400)] == [14, 10, 7, 5]


# --- The public page -------------------------------------------------------------------------------------


def test_the_page_shows_a_closed_rounds_shares_with_their_95_percent_intervals(client, listings):
    closed_round(MARCH, KNOWN_SAMPLE)
    page = text_of(client.get("/accuracy/"))
    assert "March 2026: 10 listings chosen at random from 10 published" in page
    assert "Reached the provider or their office 70% (40% to 89%) of 10 listings we called" in page
    assert "Reached, and accepting new clients 50% (24% to 76%) of 10 listings we called" in page
    assert "Fee as listed 75% (30% to 95%) of 4 listings where we asked" in page
    assert "Insurance as listed Not asked this round" in page
    assert "We have not finished a round" not in page


def test_closed_rounds_are_shown_newest_first_and_an_open_round_not_at_all(client, listings):
    closed_round(MARCH, [("reached", "yes")] * 10)
    closed_round(APRIL, [("not-reached",)] * 10)
    accuracy.draw_round(10, month=datetime.date(2026, 5, 1))
    page = text_of(client.get("/accuracy/"))
    assert page.index("April 2026") < page.index("March 2026")
    assert "May 2026" not in page
    assert "0% (0% to 28%) of 10 listings we called" in page
    assert "100% (72% to 100%) of 10 listings we called" in page


def test_with_no_closed_round_the_page_says_so_and_shows_no_figures(client, listings):
    accuracy.draw_round(10, month=MARCH)  # calls under way are not results
    response = client.get("/accuracy/")
    assert response.status_code == 200
    page = text_of(response)
    assert "We have not finished a round of phone checks yet" in page
    assert "listings we called" not in page
    assert 'href="tel:988"' in response.content.decode()


def test_the_page_says_how_the_checks_are_made(client, db):
    page = text_of(client.get("/accuracy/"))
    assert "choose listings at random" in page and "staff phone each one" in page
    assert "could not call, counts as not reached" in page
    assert "There are no published listings yet." in page


def test_every_page_links_to_the_accuracy_page_from_its_footer(client, db):
    for path in ["/", "/resources/", "/accuracy/"]:
        assert 'href="/accuracy/">How accurate are these listings?</a>' in client.get(path).content.decode(), path


def test_a_closed_round_without_calls_shows_no_figures_rather_than_an_error(client, db):
    AccuracyRound.objects.create(month=MARCH, seed=1, population_size=0, status="closed", closed_at=timezone.now())
    response = client.get("/accuracy/")
    assert response.status_code == 200
    assert "We have not finished a round of phone checks yet" in text_of(response)


def test_a_round_keeps_its_figures_when_a_sampled_provider_is_deleted(client, listings):
    closed_round(MARCH, KNOWN_SAMPLE)
    Provider.objects.filter(pk=listings[0].pk).delete()
    assert "70% (40% to 89%) of 10 listings we called" in text_of(client.get("/accuracy/"))


# --- Freshness: confirmed recently ----------------------------------------------------------------------


@pytest.fixture
def confirmations(make_provider, today):
    """Four published listings and one unpublished; the provider confirmed one within 30 days themselves
    (another 31 days ago); anyone confirmed two within 30 days (one exactly 30), one 40 and one 100 days ago."""

    def days_ago(n: int) -> datetime.date:
        return today - datetime.timedelta(days=n)

    ana = make_provider("Ana", accepting_confirmed=days_ago(30), needs_reverification=True)
    ben = make_provider("Ben", accepting_confirmed=days_ago(2), last_verified=today)
    make_provider("Cy", accepting_confirmed=days_ago(40), last_verified=today)
    make_provider("Dee", accepting_confirmed=days_ago(100), last_verified=days_ago(400))
    make_provider("Eve (hidden)", published=False, accepting_confirmed=today, needs_reverification=True)
    for name, provider, confirmed in [("ana", ana, days_ago(31)), ("ben", ben, days_ago(2))]:
        user = User.objects.create_user(name, f"{name}@example.org")
        ProviderAccount.objects.create(user=user, provider=provider, availability_confirmed_on=confirmed)


def test_freshness_counts_published_listings_confirmed_within_each_window(confirmations):
    figures = accuracy.freshness()
    assert figures.published == 4
    assert (figures.confirmed_by_provider.count, figures.confirmed_by_provider.percent) == (1, 25)
    assert {days: share.count for days, share in figures.confirmed_within.items()} == {30: 2, 45: 3, 90: 3}
    assert (figures.flagged, figures.not_verified_in_a_year) == (1, 2)  # Ana flagged; Ana never verified, Dee


def test_the_page_shows_the_share_confirmed_by_providers_and_by_anyone_in_30_days(client, confirmations):
    page = text_of(client.get("/accuracy/"))
    assert "All 4 published listings, today" in page
    assert "By the provider themselves 25% (1 of 4)" in page
    assert "By anyone: the provider or our staff 50% (2 of 4)" in page


def test_the_admin_index_shows_the_freshness_figures_and_the_open_rounds_progress(admin_client, confirmations):
    round_ = accuracy.draw_round(4, month=MARCH)
    record(round_.calls.first(), "reached", "yes")
    page = text_of(admin_client.get("/admin/"))
    assert "Published listings 4" in page
    assert "Availability confirmed by the provider, last 30 days 25% (1)" in page
    assert "Availability confirmed by anyone, last 30 days 50% (2)" in page
    assert "Availability confirmed by anyone, last 45 days 75% (3)" in page
    assert "Availability confirmed by anyone, last 90 days 75% (3)" in page
    assert "Flagged by a report: to verify again 1" in page
    assert "Not verified in 12 months 2" in page
    assert "March 2026: 1 of 4 calls recorded" in page
    assert "Provider listings" in page, "the admin's own index is still there"


def test_with_no_open_round_the_admin_index_offers_to_draw_one(admin_client, db):
    page = text_of(admin_client.get("/admin/"))
    assert "Published listings 0" in page
    assert "None open. Draw this month's sample" in page


# --- Drawing a sample -----------------------------------------------------------------------------------


def test_the_sample_has_the_requested_size_and_never_includes_unpublished_listings(make_provider):
    published = {make_provider(f"Shown {n}").pk for n in range(12)}
    hidden = {make_provider(f"Hidden {n}", published=False).pk for n in range(8)}
    round_ = accuracy.draw_round(10, month=MARCH)
    sampled = set(round_.calls.values_list("provider_id", flat=True))
    assert len(sampled) == 10 == round_.calls.count()
    assert sampled <= published and not sampled & hidden
    assert round_.population_size == 12
    assert set(round_.sampled_provider_ids) == sampled


def test_when_fewer_listings_are_published_than_asked_for_every_one_is_called(make_provider):
    published = {make_provider(f"Shown {n}").pk for n in range(3)}
    make_provider("Hidden", published=False)
    round_ = accuracy.draw_round(100, month=MARCH)
    assert set(round_.calls.values_list("provider_id", flat=True)) == published


def test_the_same_seed_draws_the_same_sample_and_a_recorded_round_can_be_drawn_again(listings, make_provider):
    for n in range(20):
        make_provider(f"More {n}")
    ids = list(Provider.objects.published().values_list("pk", flat=True))
    assert accuracy.sample_ids(ids, 10, seed=1234) == accuracy.sample_ids(reversed(ids), 10, seed=1234)
    assert accuracy.sample_ids(ids, 10, seed=1234) != accuracy.sample_ids(ids, 10, seed=4321)
    round_ = accuracy.draw_round(10, month=MARCH)
    assert round_.sampled_provider_ids == accuracy.sample_ids(ids, 10, seed=round_.seed)
    calls = list(round_.calls.order_by("position").values_list("provider_id", flat=True))
    assert calls == round_.sampled_provider_ids


def test_only_one_round_is_open_at_a_time(listings):
    accuracy.draw_round(5, month=MARCH)
    with pytest.raises(accuracy.RoundRefused, match="The round for March 2026 is still open"):
        accuracy.draw_round(5, month=APRIL)
    assert AccuracyRound.objects.count() == 1


# --- Staff in the admin ---------------------------------------------------------------------------------


@pytest.fixture
def editor(client, db):
    call_command("setup_roles", stdout=io.StringIO())
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.groups.set([Group.objects.get(name="editors")])
    client.force_login(user)
    return client


def call_form(**overrides) -> dict:
    data = {"result": "reached", "accepting": "yes", "fee_as_listed": "yes", "insurance_as_listed": "not-asked",
            "called_on": "", "notes": "Spoke with the office manager."}
    return {**data, **overrides}


def test_an_editor_draws_a_round_records_calls_and_closes_it(editor, listings, today):
    page = editor.get("/admin/listings/accuracyround/add/").content.decode()
    assert "100 listings, about ±10" in page, "the expected margin of error is shown before drawing"
    response = editor.post("/admin/listings/accuracyround/add/",
                           {"month": "2026-03-17", "requested_size": "3", "seed": "99"})
    round_ = AccuracyRound.objects.get()
    assert response.status_code == 302
    assert (round_.month, round_.seed, round_.calls.count()) == (MARCH, 99, 3)
    first, second, third = round_.calls.order_by("position")

    page = editor.get(f"/admin/listings/accuracyround/{round_.pk}/change/").content.decode()
    assert first.provider_name in page and "Record the next call" in page
    assert first.provider.phone in editor.get(f"/admin/listings/accuracycall/{first.pk}/change/").content.decode()
    response = editor.post(f"/admin/listings/accuracycall/{first.pk}/change/", {**call_form(), "_next_call": "1"})
    assert response.url == f"/admin/listings/accuracycall/{second.pk}/change/"
    first.refresh_from_db()
    assert (first.result, first.accepting, first.called_on, first.called_by.username) == (
        "reached", "yes", today, "editor")
    editor.post(f"/admin/listings/accuracycall/{second.pk}/change/",
                call_form(result="not-reached", accepting="unknown", fee_as_listed="not-asked", notes=""))
    editor.post(f"/admin/listings/accuracyround/{round_.pk}/close/", {"_mark_remaining": "1"})
    third.refresh_from_db()
    assert third.result == "could-not-call"

    editor.post(f"/admin/listings/accuracyround/{round_.pk}/close/", {"_close": "1"})
    round_.refresh_from_db()
    assert not round_.is_open and round_.closed_by.username == "editor"
    assert "33% (6% to 79%) of 3 listings we called" in text_of(editor.get("/accuracy/"))


def test_a_round_cannot_be_closed_while_a_call_is_unrecorded(admin_client, listings):
    round_ = accuracy.draw_round(3, month=MARCH)
    for call in round_.calls.all()[:2]:
        record(call, "reached", "yes")
    page = text_of(admin_client.get(f"/admin/listings/accuracyround/{round_.pk}/close/"))
    assert "1 call has no result yet" in page
    response = admin_client.post(f"/admin/listings/accuracyround/{round_.pk}/close/", {"_close": "1"}, follow=True)
    assert "The round is still open: 1 call has no result yet" in text_of(response)
    round_.refresh_from_db()
    assert round_.is_open and round_.closed_at is None
    assert "We have not finished a round" in text_of(admin_client.get("/accuracy/"))
    with pytest.raises(accuracy.RoundRefused):
        accuracy.close(round_)


def test_a_closed_round_and_its_calls_are_read_only_in_the_admin(admin_client, listings):
    round_ = closed_round(MARCH, KNOWN_SAMPLE)
    call = round_.calls.order_by("position").first()
    page = admin_client.get(f"/admin/listings/accuracyround/{round_.pk}/change/").content.decode()
    assert "Close the round" not in page and "Record the next call" not in page
    assert 'name="result"' not in admin_client.get(f"/admin/listings/accuracycall/{call.pk}/change/").content.decode()
    assert admin_client.post(f"/admin/listings/accuracycall/{call.pk}/change/",
                             call_form(result="not-reached", accepting="unknown", fee_as_listed="not-asked"),
                             ).status_code == 403
    assert admin_client.post(f"/admin/listings/accuracyround/{round_.pk}/close/",
                             {"_mark_remaining": "1"}).status_code == 403
    assert admin_client.post(f"/admin/listings/accuracyround/{round_.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post("/admin/listings/accuracyround/", {"action": "delete_selected", "_selected_action": [round_.pk]})
    call.refresh_from_db()
    assert (call.result, AccuracyRound.objects.closed().count()) == ("reached", 1)


def test_a_call_that_reached_nobody_cannot_have_answers_and_nothing_is_saved(admin_client, listings):
    call = accuracy.draw_round(3, month=MARCH).calls.first()
    response = admin_client.post(f"/admin/listings/accuracycall/{call.pk}/change/",
                                 call_form(result="not-reached", accepting="yes"))
    assert response.status_code == 200
    assert "Only a call that reached the provider has answers" in response.content.decode()
    call.refresh_from_db()
    assert call.result == ""


def test_a_call_dated_in_the_future_is_refused(admin_client, listings, today):
    call = accuracy.draw_round(3, month=MARCH).calls.first()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    response = admin_client.post(f"/admin/listings/accuracycall/{call.pk}/change/", call_form(called_on=tomorrow))
    assert "The day of the call cannot be in the future." in response.content.decode()
    call.refresh_from_db()
    assert call.result == ""


@pytest.mark.parametrize("size", ["0", "-5", "abc", str(accuracy.LARGEST_SAMPLE + 1)])
def test_a_sample_size_out_of_range_is_refused_and_nothing_is_drawn(admin_client, listings, size):
    response = admin_client.post("/admin/listings/accuracyround/add/",
                                 {"month": "2026-03-01", "requested_size": size, "seed": ""})
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not AccuracyRound.objects.exists()


def test_drawing_while_a_round_is_open_or_for_a_month_already_done_is_refused_with_a_message(admin_client, listings):
    closed_round(MARCH, [("reached", "yes")] * 10)
    response = admin_client.post("/admin/listings/accuracyround/add/", {"month": "2026-03-20", "requested_size": "5"})
    assert "There is already a round for March 2026." in response.content.decode()
    accuracy.draw_round(5, month=APRIL)
    response = admin_client.post("/admin/listings/accuracyround/add/", {"month": "2026-05-01", "requested_size": "5"})
    assert "The round for April 2026 is still open: close it before drawing another." in response.content.decode()
    assert AccuracyRound.objects.count() == 2


def test_with_nothing_published_no_round_is_drawn(admin_client, make_provider):
    make_provider("Hidden", published=False)
    response = admin_client.post("/admin/listings/accuracyround/add/", {"month": "2026-03-01", "requested_size": "5"})
    assert "There are no published listings to call." in response.content.decode()
    assert not AccuracyRound.objects.exists()


def test_every_accuracy_admin_page_answers(admin_client, listings):
    round_ = accuracy.draw_round(3, month=MARCH)
    call = round_.calls.first()
    rounds, calls = "/admin/listings/accuracyround/", "/admin/listings/accuracycall/"
    for url in [rounds, f"{rounds}add/", f"{rounds}{round_.pk}/change/", f"{rounds}{round_.pk}/close/",
                f"{rounds}nonsense/change/", calls, f"{calls}{call.pk}/change/", f"{calls}?result__exact="]:
        assert admin_client.get(url, follow=True).status_code == 200, url


# --- Constraints ----------------------------------------------------------------------------------------


def violates(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def a_round(**fields) -> AccuracyRound:
    return AccuracyRound.objects.create(**{"month": MARCH, "seed": 1, "population_size": 10, **fields})


def test_only_one_round_can_be_open_in_the_database(db):
    a_round()
    violates(lambda: a_round(month=APRIL))
    a_round(month=APRIL, status="closed", closed_at=timezone.now())


def test_a_month_has_one_round(db):
    a_round(status="closed", closed_at=timezone.now())
    violates(lambda: a_round(status="closed", closed_at=timezone.now()))


def test_a_closed_round_has_the_time_it_was_closed_and_an_open_one_does_not(db):
    violates(lambda: a_round(status="closed"))
    violates(lambda: a_round(closed_at=timezone.now()))


def test_a_round_calls_at_least_one_listing(db):
    violates(lambda: a_round(requested_size=0))


def test_a_listing_is_in_a_round_once(listings):
    round_ = a_round()
    AccuracyCall.objects.create(round=round_, provider=listings[0], provider_name="A", position=1)
    violates(lambda: AccuracyCall.objects.create(round=round_, provider=listings[0], provider_name="A", position=2))


def test_only_a_call_that_reached_the_provider_has_answers(listings, today):
    round_ = a_round()

    def call(**fields):
        return AccuracyCall.objects.create(round=round_, provider_name="A", position=1, called_on=today, **fields)

    violates(lambda: call(result="not-reached", accepting="yes"))
    violates(lambda: call(result="could-not-call", fee_as_listed="no"))
    violates(lambda: call(result="", insurance_as_listed="yes"))
    call(result="reached", accepting="no", fee_as_listed="no", insurance_as_listed="yes")


def test_a_recorded_call_has_the_day_it_was_made(listings):
    round_ = a_round()
    violates(lambda: AccuracyCall.objects.create(round=round_, provider_name="A", position=1, result="not-reached"))
