"""Providers sign in with a one-time link sent by email, through a real SMTP server on localhost: the link
works once and for 15 minutes, the page never says who is listed, requests are rate-limited, and a listing
whose email on file matches is claimed at once."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains
from sesame.utils import get_query_string

from listings.models import ProviderAccount

pytestmark = pytest.mark.django_db

SENT = "If this address belongs to a listing, we sent a link to it."
LINK_FAILED = "This sign-in link does not work"


def ask_for_link(client: Client, email: str):
    return client.post("/provider/sign-in/", {"email": email}, follow=True)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def signed_in_user(client: Client) -> int | None:
    return client.session.get("_auth_user_id")


@pytest.fixture
def ana(make_provider, make_account):
    return make_account(make_provider("Ana Díaz"), "ana@example.org")


def test_a_provider_asks_for_a_link_it_arrives_by_email_and_signs_them_in_once(client, mailbox, ana):
    response = ask_for_link(client, "Ana@Example.org")
    assertContains(response, SENT)
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == "Ana@Example.org"
    assert "Sign in to manage the listing of Ana Díaz" in mailbox.body()
    [link] = [url for url in mailbox.links() if "/provider/sign-in/link/" in url]

    confirm = client.get(path_of(link))
    assertContains(confirm, "Your link is valid")
    assert signed_in_user(client) is None  # opening the link (as a mail scanner would) does not use it up
    token = confirm.context["token"]
    response = client.post("/provider/sign-in/link/", {"sesame": token}, follow=True)
    assert response.redirect_chain[-1][0] == "/provider/"
    assertContains(response, "Your listing: Ana Díaz")
    assert signed_in_user(client) == str(ana.user.pk)

    again = Client()
    assertContains(again.post("/provider/sign-in/link/", {"sesame": token}), LINK_FAILED, status_code=403)
    assertContains(again.get(path_of(link)), LINK_FAILED, status_code=400)
    assert signed_in_user(again) is None


def test_an_expired_link_is_refused_and_signs_nobody_in(client, mailbox, ana):
    ask_for_link(client, "ana@example.org")
    [link] = [url for url in mailbox.links() if "/provider/sign-in/link/" in url]
    token = path_of(link).split("sesame=")[1]
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        response = client.get(path_of(link))
        assertContains(response, LINK_FAILED, status_code=400)
        assertContains(response, "It may have expired (a link works for 15 minutes)", status_code=400)
        assert client.post("/provider/sign-in/link/", {"sesame": token}).status_code == 403
    assert signed_in_user(client) is None
    assert User.objects.get(pk=ana.user.pk).last_login is None
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=14)):
        assert client.post("/provider/sign-in/link/", {"sesame": token}).status_code == 302


@pytest.mark.parametrize("token", ["", "nonsense", "AAAAAQ" * 5, "x" * 500, "%00"])
def test_a_bad_link_explains_itself_offers_a_new_one_and_changes_nothing(client, ana, token):
    response = client.get("/provider/sign-in/link/", {"sesame": token})
    assertContains(response, LINK_FAILED, status_code=400)
    assertContains(response, 'href="/provider/sign-in/"', status_code=400)
    assertContains(response, "988", status_code=400)
    assertContains(client.post("/provider/sign-in/link/", {"sesame": token}), LINK_FAILED, status_code=403)
    assert signed_in_user(client) is None
    assert User.objects.get(pk=ana.user.pk).last_login is None


def test_the_answer_never_says_whether_an_address_is_listed(client, mailbox, ana, make_provider):
    make_provider("Ben Roe", email="ben@example.org")
    answers = [ask_for_link(client, address) for address in ("nobody@example.org", "ana@example.org",
                                                              "ben@example.org")]
    assert all(response.redirect_chain == [("/provider/sign-in/sent/", 302)] for response in answers)
    assert len({response.content for response in answers}) == 1
    assert sorted(message["To"] for message in mailbox.messages) == ["ana@example.org", "ben@example.org"]


def test_a_listing_with_the_same_email_on_file_is_claimed_at_once(client, mailbox, make_provider):
    ben = make_provider("Ben Roe", email="Ben.Roe@Example.org")
    ask_for_link(client, "ben.roe@example.ORG")
    account = ProviderAccount.objects.get(provider=ben)
    assert account.user.email == "ben.roe@example.org"
    assert not account.user.is_staff and not account.user.has_usable_password()
    assert "This address is the one on the listing of Ben Roe, so that listing is now yours" in mailbox.body()
    [link] = [url for url in mailbox.links() if "/provider/sign-in/link/" in url]
    token = client.get(path_of(link)).context["token"]
    dashboard = client.post("/provider/sign-in/link/", {"sesame": token}, follow=True)
    assertContains(dashboard, "Your listing: Ben Roe")

    ask_for_link(Client(), "ben.roe@example.org")  # asking again signs in to the same account
    assert ProviderAccount.objects.filter(provider=ben).count() == 1
    assert "now yours" not in mailbox.body()


def test_an_email_that_is_not_an_address_is_explained_and_nothing_is_sent(client, mailbox, ana):
    response = client.post("/provider/sign-in/", {"email": "ana at example"})
    assertContains(response, "Enter an email address such as name@example.com.", status_code=400)
    assertContains(response, 'aria-invalid="true"', status_code=400)
    assertContains(client.post("/provider/sign-in/", {"email": "ana\x00@example.org"}), "Null characters",
                   status_code=400)
    assert mailbox.messages == []


def test_requests_for_one_email_are_limited_to_five_an_hour(client, mailbox, ana):
    for _ in range(5):
        assert client.post("/provider/sign-in/", {"email": "ana@example.org"}).status_code == 302
    response = client.post("/provider/sign-in/", {"email": "ANA@example.org"})
    assertContains(response, "Too many requests", status_code=429)
    assert len(mailbox.messages) == 5
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        assert client.post("/provider/sign-in/", {"email": "ana@example.org"}).status_code == 302
    assert len(mailbox.messages) == 6


def test_requests_from_one_address_are_limited_to_twenty_an_hour(client, mailbox):
    for n in range(20):
        assert client.post("/provider/sign-in/", {"email": f"person{n}@example.org"}).status_code == 302
    assertContains(client.post("/provider/sign-in/", {"email": "another@example.org"}), "Too many requests",
                   status_code=429)


def test_when_the_cache_fails_sign_in_requests_still_go_through(client, mailbox, ana, monkeypatch):
    class BrokenCache:
        def add(self, *args, **kwargs):
            raise ConnectionError("cache down")

        incr = get = add

    monkeypatch.setattr("django_ratelimit.core.caches", {"default": BrokenCache()})
    for _ in range(7):
        assert client.post("/provider/sign-in/", {"email": "ana@example.org"}).status_code == 302
    assert len(mailbox.messages) == 7


def test_staff_never_sign_in_by_link(client, mailbox, make_provider):
    staff = User.objects.create_user("staff", email="staff@example.org", password="a-long-password-2026",
                                     is_staff=True)
    ProviderAccount.objects.create(user=staff, provider=make_provider("Cy Lee"))
    ask_for_link(client, "staff@example.org")
    assert mailbox.messages == []
    # Even a correctly signed link for a staff member is refused.
    response = client.get("/provider/sign-in/link/" + get_query_string(staff))
    assertContains(response, LINK_FAILED, status_code=400)
    assert signed_in_user(client) is None


def test_the_dashboard_asks_visitors_to_sign_in(client, ana):
    response = client.get("/provider/")
    assert (response.status_code, response["Location"]) == (302, "/provider/sign-in/")


def test_signing_out_ends_the_session(client, ana):
    client.force_login(ana.user)
    response = client.post("/provider/sign-out/", follow=True)
    assertContains(response, "You are signed out.")
    assert client.get("/provider/").status_code == 302
    assertNotContains(response, "Your listing: Ana Díaz")


def test_staff_signed_in_without_a_listing_are_told_there_is_none(admin_client):
    assertContains(admin_client.get("/provider/"), "No listing for this account", status_code=403)


def test_the_home_page_leads_providers_to_sign_in(client):
    assertContains(client.get("/"), '<a href="/provider/sign-in/">Sign in to keep your listing up to date</a>')
