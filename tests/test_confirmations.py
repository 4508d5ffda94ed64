"""The "Still accepting?" question every 30 days, end to end: `send_confirmations` emails a real SMTP server on
localhost, and the links read from the received emails are opened and answered as a provider would."""

from __future__ import annotations

import datetime
import io
import re
import time
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from directory.models import Provider
from listings.models import ConfirmationRequest, ProviderAccount

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/listings/confirm/([a-z-]+)/[^/\s]+/)")


def send_round(*options: str) -> str:
    out = io.StringIO()
    call_command("send_confirmations", *options, stdout=out, stderr=out)
    return out.getvalue()


def links_in(message) -> dict[str, str]:
    """The answer links in an email, by answer: {"accepting": "/listings/confirm/accepting/…/", …}."""
    return {answer: path for path, answer in LINK.findall(message.get_content())}


def links_for(inbox, address: str) -> dict[str, str]:
    [message] = [m for m in inbox.messages if m["To"] == address]
    return links_in(message)


def availability(provider: Provider) -> tuple:
    provider = Provider.objects.select_related("account").get(pk=provider.pk)
    return (provider.accepting_new_clients, provider.waitlist_weeks, provider.accepting_confirmed,
            provider.account.availability_confirmed_on)


@pytest.fixture
def ana(make_claimed_provider) -> Provider:
    """Claimed, said she was accepting 31 days ago: due for the question."""
    return make_claimed_provider("Ana Díaz", "ana@example.org", confirmed_days_ago=31)


@pytest.fixture
def asked(ana, smtp_server) -> dict[str, str]:
    """Ana has been asked: the links in the email she received."""
    send_round()
    return links_for(smtp_server, "ana@example.org")


# --- The round ------------------------------------------------------------------------------


def test_a_round_emails_each_claimed_published_listing_not_confirmed_in_30_days_and_nobody_else(
    make_claimed_provider, make_provider, smtp_server, today
):
    make_claimed_provider("Ana Díaz", "ana@example.org", confirmed_days_ago=31)
    make_claimed_provider("Ben Roe", "ben@example.org", confirmed_days_ago=None, accepting_new_clients=False)
    make_claimed_provider("Cleo Park", "cleo@example.org", confirmed_days_ago=10)
    make_claimed_provider("Dee Fox", "dee@example.org", confirmed_days_ago=30)
    make_claimed_provider("Eve Hidden", "eve@example.org", confirmed_days_ago=60, published=False)
    make_provider("Fay Unclaimed", accepting_confirmed=today - datetime.timedelta(days=60))

    output = send_round()

    assert smtp_server.recipients() == ["ana@example.org", "ben@example.org"]
    assert "Sent 2, skipped 0" in output and "failed 0" in output
    assert ConfirmationRequest.objects.count() == 2


def test_a_claim_without_an_email_address_is_skipped_and_the_round_goes_on(ana, make_claimed_provider, smtp_server):
    ben = make_claimed_provider("Ben Roe", "ben@example.org")
    User.objects.filter(pk=ben.account.user_id).update(email="")
    assert "Sent 1, skipped 1" in send_round()
    assert smtp_server.recipients() == ["ana@example.org"]
    assert not ConfirmationRequest.objects.filter(account__provider=ben).exists()


def test_the_email_names_the_listing_gives_three_links_and_says_how_to_stop(ana, smtp_server, settings):
    send_round()
    [message] = smtp_server.messages
    body = message.get_content()
    assert message["Subject"].strip() == "Are you still accepting new clients? (Ana Díaz)"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message.get_content_type() == "text/plain"
    assert "Listing: Ana Díaz" in body
    assert f"{settings.SITE_URL}/providers/ana-diaz/" in body
    assert set(links_in(message)) == {"accepting", "not-accepting", "waitlist"}
    assert "work for 14 days" in body
    assert "To stop these emails, ask our staff to remove your listing" in body
    assert "/providers/ana-diaz/#report" in body


def test_running_the_round_again_sends_nothing_more(ana, make_claimed_provider, smtp_server):
    make_claimed_provider("Ben Roe", "ben@example.org", confirmed_days_ago=40)
    send_round()
    output = send_round()
    assert smtp_server.recipients() == ["ana@example.org", "ben@example.org"]
    assert "Sent 0, skipped 2" in output


def test_a_listing_that_did_not_answer_is_asked_again_after_30_days_and_not_before(ana, smtp_server):
    send_round()
    ConfirmationRequest.objects.update(sent_at=F("sent_at") - datetime.timedelta(days=29))
    send_round()
    assert len(smtp_server.messages) == 1
    ConfirmationRequest.objects.update(sent_at=F("sent_at") - datetime.timedelta(days=2))
    send_round()
    assert smtp_server.recipients() == ["ana@example.org", "ana@example.org"]


def test_a_listing_that_answered_is_not_asked_until_30_days_after_its_answer(ana, asked, smtp_server, client):
    client.post(asked["accepting"])
    ConfirmationRequest.objects.update(sent_at=F("sent_at") - datetime.timedelta(days=31))
    send_round()
    assert len(smtp_server.messages) == 1


def test_a_dry_run_counts_but_sends_and_records_nothing(ana, smtp_server):
    output = send_round("--dry-run")
    assert "would send 1, skip 0" in output
    assert smtp_server.messages == []
    assert ConfirmationRequest.objects.count() == 0
    send_round()
    assert smtp_server.recipients() == ["ana@example.org"]


def test_the_output_gives_counts_and_slugs_but_no_names_or_addresses(ana, smtp_server):
    output = send_round("--verbosity", "2") + send_round("--dry-run", "--verbosity", "2")
    assert "asked: ana-diaz" in output and "skipped: ana-diaz" in output
    assert "ana@" not in output and "Ana" not in output


# --- Mail server failures ---------------------------------------------------------------------


def test_a_refused_recipient_does_not_stop_the_round_and_is_asked_on_the_next_run(make_claimed_provider, smtp_server):
    for name in ("Ana Díaz", "Ben Roe", "Cleo Park"):
        make_claimed_provider(name, f"{name.split()[0].lower()}@example.org")
    smtp_server.refused.add("ben@example.org")

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 could not be sent"):
        call_command("send_confirmations", stdout=out, stderr=out)

    assert smtp_server.recipients() == ["ana@example.org", "cleo@example.org"]
    assert "Sent 2, skipped 0" in out.getvalue() and "failed 1" in out.getvalue()
    assert "Not sent to ben-roe: SMTPRecipientsRefused" in out.getvalue()
    assert "ben@" not in out.getvalue()
    assert sorted(ConfirmationRequest.objects.values_list("account__provider__slug", flat=True)) == [
        "ana-diaz", "cleo-park"]

    smtp_server.refused.clear()
    send_round()
    assert smtp_server.recipients() == ["ana@example.org", "ben@example.org", "cleo@example.org"]


def test_when_the_mail_server_is_down_nothing_is_recorded_as_sent(ana, smtp_server, settings):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # discard: nothing listens there
    with pytest.raises(CommandError, match="1 could not be sent"):
        send_round()
    assert ConfirmationRequest.objects.count() == 0
    settings.EMAIL_PORT = port
    send_round()
    assert smtp_server.recipients() == ["ana@example.org"]


# --- Answering ---------------------------------------------------------------------------------


def test_opening_a_link_changes_nothing_and_pressing_the_button_records_the_answer(ana, asked, client, today):
    before = availability(ana)
    assert client.get("/providers/", {"accepting": "true"}).context["results"].total == 1

    page = client.get(asked["not-accepting"])
    assert page.status_code == 200
    assertContains(page, "Confirm: not accepting new clients")
    assertContains(page, 'href="tel:988"')
    assert availability(ana) == before
    assert ConfirmationRequest.objects.get().answered_at is None

    done = client.post(asked["not-accepting"])
    assertContains(done, "now says: <strong>Not accepting new clients</strong>, confirmed today")
    assert availability(ana) == (False, None, today, today)
    question = ConfirmationRequest.objects.get()
    assert (question.answer, question.answered_at is not None) == ("not-accepting", True)
    assert client.get("/providers/", {"accepting": "true"}).context["results"].total == 0
    assertContains(client.get("/providers/ana-diaz/"), "Not accepting new clients")


def test_accepting_clears_a_waitlist(make_claimed_provider, smtp_server, client, today):
    ben = make_claimed_provider("Ben Roe", "ben@example.org", accepting_new_clients=False, waitlist_weeks=8)
    send_round()
    client.post(links_for(smtp_server, "ben@example.org")["accepting"])
    assert availability(ben) == (True, None, today, today)
    assertContains(client.get("/providers/ben-roe/"), "Accepting new clients")


def test_a_waitlist_answer_asks_about_how_many_weeks_four_unless_changed(ana, asked, client, today):
    page = client.get(asked["waitlist"])
    assertContains(page, "About how many weeks is the wait?")
    assertContains(page, 'name="weeks"')
    assertContains(page, 'value="4"')
    client.post(asked["waitlist"], {"weeks": "6"})
    assert availability(ana) == (False, 6, today, today)
    assertContains(client.get("/providers/ana-diaz/"), "Waitlist, about 6 weeks")
    assert ConfirmationRequest.objects.get().waitlist_weeks == 6


@pytest.mark.parametrize("weeks", ["", "0", "105", "six", "4.5", "-3", "99999999999999999999", "4\x00"])
def test_a_waitlist_without_a_sensible_number_of_weeks_is_explained_and_changes_nothing(
    ana, asked, client, today, weeks
):
    before = availability(ana)
    response = client.post(asked["waitlist"], {"weeks": weeks})
    assertContains(response, "Enter about how many weeks the wait is: a whole number from 1 to 104.", status_code=400)
    assertContains(response, 'aria-invalid="true"', status_code=400)
    assert availability(ana) == before
    assert ConfirmationRequest.objects.get().answered_at is None
    client.post(asked["waitlist"], {"weeks": "104"})
    assert availability(ana) == (False, 104, today, today)


def test_a_used_link_says_so_and_changes_nothing(ana, asked, client, today):
    client.post(asked["waitlist"], {"weeks": "3"})
    for path in (asked["waitlist"], asked["accepting"]):
        response = client.post(path, {"weeks": "9"})
        assertContains(response, "This link has already been used", status_code=410)
        assertContains(response, "Nothing was changed", status_code=410)
        assertContains(response, "about 3 weeks", status_code=410)
        assertContains(client.get(path), "This link has already been used", status_code=410)
    assert availability(ana) == (False, 3, today, today)


@pytest.mark.parametrize(("days", "works"), [(13, True), (15, False)])
def test_a_link_works_for_14_days_and_then_says_it_has_expired(ana, asked, client, monkeypatch, today, days, works):
    before = availability(ana)
    later = time.time() + days * 24 * 3600
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
    if works:
        assertContains(client.post(asked["accepting"]), "Thank you")
        assert availability(ana) == (True, None, today, today)
        return
    for response in (client.get(asked["accepting"]), client.post(asked["accepting"])):
        assertContains(response, "This link has expired", status_code=410)
        assertContains(response, "Nothing was changed", status_code=410)
    assert availability(ana) == before
    assert ConfirmationRequest.objects.get().answered_at is None


def tampered(path: str) -> list[str]:
    answer, token = path.strip("/").split("/")[2:]
    nonce, stamp, signature = token.split(":")
    other = signing.TimestampSigner(salt="some.other.purpose").sign(nonce)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        f"/listings/confirm/{answer}/{nonce}x:{stamp}:{signature}/",
        f"/listings/confirm/{answer}/{nonce}:{stamp}:{flipped}/",
        f"/listings/confirm/{answer}/{other}/",
        f"/listings/confirm/{answer}/{token[:20]}/",
        f"/listings/confirm/maybe/{token}/",
    ]


def test_a_tampered_link_says_it_does_not_work_and_changes_nothing(ana, asked, client):
    before = availability(ana)
    for path in tampered(asked["accepting"]):
        for response in (client.get(path), client.post(path)):
            assertContains(response, "This link does not work", status_code=400)
            assertNotContains(response, "Ana Díaz", status_code=400)
    assert availability(ana) == before
    assert ConfirmationRequest.objects.get().answered_at is None


def test_the_links_stop_working_when_staff_remove_the_claim(ana, asked, client):
    ProviderAccount.objects.filter(provider=ana).delete()
    assertContains(client.post(asked["accepting"]), "This link does not work", status_code=400)
    assert Provider.objects.get(pk=ana.pk).accepting_confirmed < timezone.localdate()


def test_the_answer_needs_the_pages_csrf_token(ana, asked, today):
    strict = Client(enforce_csrf_checks=True)
    before = availability(ana)
    assert strict.post(asked["accepting"]).status_code == 403
    assert availability(ana) == before
    token = strict.get(asked["accepting"]).cookies["csrftoken"].value
    assertContains(strict.post(asked["accepting"], {"csrfmiddlewaretoken": token}), "Thank you")
    assert availability(ana) == (True, None, today, today)


def test_the_confirmation_pages_are_not_cached_or_indexed(ana, asked, client):
    response = client.get(asked["accepting"])
    assert "no-store" in response["Cache-Control"]
    assertContains(response, '<meta name="robots" content="noindex, nofollow">')
    assert response["Referrer-Policy"] == "same-origin", "its form posts with an Origin the CSRF check accepts"


# --- The record's rules -------------------------------------------------------------------------


def _violates(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_an_answer_is_recorded_with_its_time_and_only_then(ana):
    account = ana.account
    _violates(lambda: ConfirmationRequest.objects.create(account=account, nonce="a", answer="accepting"))
    _violates(lambda: ConfirmationRequest.objects.create(account=account, nonce="b", answered_at=timezone.now()))


def test_only_a_waitlist_answer_gives_weeks_and_it_must(ana):
    account, now = ana.account, timezone.now()
    _violates(lambda: ConfirmationRequest.objects.create(
        account=account, nonce="a", answer="accepting", answered_at=now, waitlist_weeks=4))
    _violates(lambda: ConfirmationRequest.objects.create(
        account=account, nonce="b", answer="waitlist", answered_at=now))
    _violates(lambda: ConfirmationRequest.objects.create(
        account=account, nonce="c", answer="waitlist", answered_at=now, waitlist_weeks=105))
