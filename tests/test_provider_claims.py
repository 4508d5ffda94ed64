"""Claiming a listing whose email on file is not yours: the request waits for staff; only a verifier (or a
superuser) approves it, which makes the account and emails a sign-in link; a rejection carries its reason."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import IntegrityError
from django.test import Client
from pytest_django.asserts import assertContains

from listings.models import ClaimRequest, Decision, ProviderAccount

pytestmark = pytest.mark.django_db

CLAIM = {"name": "Ana Díaz", "license_number": "LCSW-1234", "jurisdiction": "TX", "email": "ana.new@example.org"}


@pytest.fixture
def ana(make_provider):
    return make_provider("Ana Díaz", email="old-practice@example.org", licenses=[("LCSW", "TX", "LCSW-1234")])


@pytest.fixture
def staff(db):
    """staff("verifiers"): a signed-in client for a staff member in that role."""
    call_command("setup_roles", stdout=io.StringIO())

    def sign_in(role: str) -> Client:
        user = User.objects.create_user(f"{role}-member", password="a-long-password-2026", is_staff=True)
        user.groups.set([Group.objects.get(name=role)])
        client = Client()
        client.force_login(user)
        return client

    return sign_in


def claim_for(client: Client) -> ClaimRequest:
    assert client.post("/provider/claim/", CLAIM).status_code == 302
    return ClaimRequest.objects.get()


def decide(client: Client, claim: ClaimRequest, **data):
    return client.post(f"/admin/listings/claimrequest/{claim.pk}/change/", data)


def test_a_claim_waits_for_staff_with_the_listing_its_license_names(client, ana, mailbox):
    response = client.post("/provider/claim/", CLAIM, follow=True)
    assertContains(response, "Thank you: we received your claim")
    claim = ClaimRequest.objects.get()
    assert (claim.provider, claim.status, claim.email) == (ana, Decision.PENDING, "ana.new@example.org")
    assert not ProviderAccount.objects.exists()
    assert mailbox.messages == []


def test_a_claim_with_missing_answers_is_explained_and_not_kept(client, ana):
    response = client.post("/provider/claim/", {**CLAIM, "license_number": "", "jurisdiction": "ZZ"})
    assertContains(response, "Enter your license number.", status_code=400)
    assertContains(response, "Select a valid choice", status_code=400)
    assert not ClaimRequest.objects.exists()


def test_a_verifier_approves_a_claim_and_the_provider_signs_in_with_the_emailed_link(client, ana, staff, mailbox):
    claim = claim_for(client)
    verifier = staff("verifiers")
    page = verifier.get(f"/admin/listings/claimrequest/{claim.pk}/change/")
    assertContains(page, "Listings holding this license")
    assertContains(page, f'/admin/directory/provider/{ana.pk}/change/')
    response = decide(verifier, claim, decision="approve", provider=ana.pk, reason="")
    assert response.status_code == 302, response.content.decode()[:2000]

    account = ProviderAccount.objects.get(provider=ana)
    assert account.user.email == "ana.new@example.org" and not account.user.is_staff
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by.username) == (Decision.APPROVED, "verifiers-member")
    assert mailbox.messages[-1]["To"] == "ana.new@example.org"
    assert "approved your claim: the listing of Ana Díaz" in mailbox.body()
    [link] = [url for url in mailbox.links() if "/provider/sign-in/link/" in url]
    parts = urlsplit(link)
    token = client.get(f"{parts.path}?{parts.query}").context["token"]
    assertContains(client.post("/provider/sign-in/link/", {"sesame": token}, follow=True), "Your listing: Ana Díaz")


def test_an_editor_may_read_a_claim_but_not_approve_it(client, ana, staff, mailbox):
    claim = claim_for(client)
    editor = staff("editors")
    page = editor.get(f"/admin/listings/claimrequest/{claim.pk}/change/")
    assert page.status_code == 200
    assert b'name="decision"' not in page.content
    assert decide(editor, claim, decision="approve", provider=ana.pk, reason="").status_code == 403
    claim.refresh_from_db()
    assert claim.status == Decision.PENDING
    assert not ProviderAccount.objects.exists()
    assert mailbox.messages == []


def test_a_rejection_needs_a_reason_which_the_person_is_sent(client, ana, staff, mailbox):
    claim = claim_for(client)
    verifier = staff("verifiers")
    response = decide(verifier, claim, decision="reject", provider=ana.pk, reason="  ")
    assertContains(response, "Say why: the person who asked sees this.")
    assert ClaimRequest.objects.get().status == Decision.PENDING
    assert decide(verifier, claim, decision="reject", provider=ana.pk,
                  reason="The board lists this license under another name.").status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.reason) == (Decision.REJECTED, "The board lists this license under another name.")
    assert "Why: The board lists this license under another name." in mailbox.body()
    assert not ProviderAccount.objects.exists()


def test_a_listing_already_claimed_cannot_be_given_to_someone_else(client, ana, staff, make_account, mailbox):
    make_account(ana, "ana@example.org")
    claim = claim_for(client)
    response = decide(staff("verifiers"), claim, decision="approve", provider=ana.pk, reason="")
    assertContains(response, "Ana Díaz is already claimed: nobody else can be given it.")
    assert ProviderAccount.objects.get(provider=ana).user.email == "ana@example.org"
    assert ClaimRequest.objects.get().status == Decision.PENDING
    assert mailbox.messages == []


def test_approving_needs_a_listing(client, make_provider, staff, mailbox):
    make_provider("Someone Else")
    claim = claim_for(client)
    assert claim.provider is None  # no listing holds the license
    response = decide(staff("verifiers"), claim, decision="approve", provider="", reason="")
    assertContains(response, "Choose the listing the claim is approved for.")
    assert not ProviderAccount.objects.exists()


def test_a_decided_claim_is_read_only(client, ana, staff, mailbox):
    claim = claim_for(client)
    verifier = staff("verifiers")
    decide(verifier, claim, decision="reject", provider=ana.pk, reason="Not found at the board.")
    assert decide(verifier, claim, decision="approve", provider=ana.pk, reason="").status_code == 403
    assert not ProviderAccount.objects.exists()


def test_a_rejected_claim_must_say_why(ana):
    with pytest.raises(IntegrityError):
        ClaimRequest.objects.create(**{**CLAIM, "status": Decision.REJECTED, "reason": ""})


def test_an_approved_claim_must_name_its_listing(ana):
    with pytest.raises(IntegrityError):
        ClaimRequest.objects.create(**{**CLAIM, "status": Decision.APPROVED, "provider": None})
