"""Claims staff decide: someone says a listing is theirs but the email on file is not theirs (or there is
none). A verifier checks the license with the board, then approves (an account, and a sign-in link by email) or
rejects with a reason (sent by email too)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from directory.models import Provider

from .models import ClaimRequest, Decision, ProviderAccount
from .signin import new_provider_user, send_email, sign_in_page_url, sign_in_url

DECIDE_PERMISSION = "listings.change_claimrequest"


def can_decide(user: AbstractBaseUser) -> bool:
    """Only verifiers (who check licenses with the boards) and superusers decide claims."""
    return user.has_perm(DECIDE_PERMISSION)


def listings_matching(claim: ClaimRequest) -> QuerySet[Provider]:
    """Listings that hold the license the claim names (number and state), for staff to choose from."""
    return Provider.objects.filter(
        licenses__number__iexact=claim.license_number.strip(), licenses__jurisdiction=claim.jurisdiction
    ).distinct()


def submit(claim: ClaimRequest) -> ClaimRequest:
    """Keep a claim for staff, with the listing its license names when exactly one does."""
    matching = list(listings_matching(claim)[:2])
    claim.provider = matching[0] if len(matching) == 1 else None
    claim.save()
    return claim


def problems_approving(claim: ClaimRequest, provider: Provider | None) -> list[str]:
    """Why the claim cannot be approved for this listing, in words; empty when it can."""
    if not claim.is_pending:
        return ["This claim was already decided."]
    if provider is None:
        return ["Choose the listing the claim is approved for."]
    if ProviderAccount.objects.filter(provider=provider).exists():
        return [f"{provider} is already claimed: nobody else can be given it."]
    return []


def approve(claim: ClaimRequest, provider: Provider, by: AbstractBaseUser) -> bool:
    """Give the listing to the person who claimed it and email them a sign-in link; False if the email failed
    (the account stands: they can ask for a link on the sign-in page)."""
    if not can_decide(by):
        raise PermissionDenied("Only verifiers decide claims.")
    problems = problems_approving(claim, provider)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        account = ProviderAccount.objects.create(user=new_provider_user(claim.email), provider=provider)
        provider.confirmed_by_provider()
        _decide(claim, Decision.APPROVED, by, provider=provider)
    context = {"claim": claim, "listing": provider.name, "url": sign_in_url(account.user),
               "sign_in_page": sign_in_page_url()}
    return send_email("Your listing on Next Step is yours to manage", "listings/email/claim_approved.txt", context,
                      claim.email)


def reject(claim: ClaimRequest, reason: str, by: AbstractBaseUser) -> bool:
    """Refuse the claim, with the reason the person is sent; False if the email failed."""
    if not can_decide(by):
        raise PermissionDenied("Only verifiers decide claims.")
    if not claim.is_pending:
        raise ValidationError("This claim was already decided.")
    if not reason.strip():
        raise ValidationError("Say why the claim is not approved.")
    _decide(claim, Decision.REJECTED, by, reason=reason.strip())
    return send_email("Your claim on Next Step", "listings/email/claim_rejected.txt", {"claim": claim}, claim.email)


def _decide(claim: ClaimRequest, status: str, by: AbstractBaseUser, **fields) -> None:
    for name, value in {"status": status, "decided_by": by, "decided_at": timezone.now(), **fields}.items():
        setattr(claim, name, value)
    claim.full_clean()
    claim.save()
