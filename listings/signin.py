"""Providers sign in without a password: a link sent by email (django-sesame) that works once, for 15 minutes
(SESAME_MAX_AGE, SESAME_ONE_TIME). A link goes only to an address on file: the email of an account, or the email
on a listing nobody has claimed yet, which claims it at once."""

from __future__ import annotations

import logging
import secrets
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from sesame.backends import ModelBackend as TokenBackend
from sesame.utils import get_query_string

from directory import limits
from directory.models import Provider

from .models import ProviderAccount

logger = logging.getLogger(__name__)

TOKEN_BACKEND = "sesame.backends.ModelBackend"
# Modest limits: a person who mistyped tries again; a script sending links to many inboxes is stopped.
LINKS_PER_ADDRESS = 20  # an hour
LINKS_PER_EMAIL = 5


def accounts_for(email: str) -> list[ProviderAccount]:
    """The accounts that sign in with this email (a provider, never staff: staff use their password)."""
    if not email:
        return []
    return list(
        ProviderAccount.objects.select_related("provider", "user").filter(
            user__email__iexact=email, user__is_active=True, user__is_staff=False, user__is_superuser=False
        )
    )


def claim_by_email(email: str) -> list[ProviderAccount]:
    """Listings with this email on file and no account yet are claimed at once: whoever reads the mail sent
    there is the provider. Returns the new accounts."""
    if not email:
        return []
    claimed = []
    with transaction.atomic():
        unclaimed = Provider.objects.select_for_update(of=("self",)).filter(email__iexact=email, account__isnull=True)
        for provider in unclaimed:
            claimed.append(ProviderAccount.objects.create(user=new_provider_user(email), provider=provider))
            provider.confirmed_by_provider()
    return claimed


def new_provider_user(email: str) -> AbstractBaseUser:
    """A user who can only sign in by link: no password, not staff."""
    return get_user_model().objects.create_user(username=f"provider-{secrets.token_hex(8)}", email=email)


def sign_in_url(user: AbstractBaseUser) -> str:
    return settings.SITE_URL + reverse("sign_in_link") + get_query_string(user)


def send_sign_in_links(email: str) -> int:
    """Email a sign-in link for every listing this address may manage; nothing when there is none.

    Returns how many links were sent (never shown to the person asking: the page says the same either way).
    """
    email = email.strip()
    accounts = accounts_for(email)
    claimed = claim_by_email(email)
    if not accounts and not claimed:
        return 0
    links = [{"listing": account.provider.name, "url": sign_in_url(account.user), "new": account in claimed}
             for account in accounts + claimed]
    context = {"links": links, "sign_in_page": sign_in_page_url()}
    sent = send_email("Your sign-in link for Next Step", "listings/email/sign_in.txt", context, email)
    return len(links) if sent else 0


def send_email(subject: str, template: str, context: dict, to: str) -> bool:
    """Send a plain-text email; False (and a logged error) when the mail server cannot take it."""
    try:
        send_mail(subject, render_to_string(template, context), None, [to])
    except (smtplib.SMTPException, OSError):
        logger.error("Email not sent: the mail server did not take it", exc_info=True)
        return False
    return True


def sign_in_page_url() -> str:
    return settings.SITE_URL + reverse("sign_in")


def too_many_requests(request: HttpRequest, email: str) -> bool:
    """More than LINKS_PER_ADDRESS requests from this address, or LINKS_PER_EMAIL for this email, in an hour.

    Counted in the cache; when the cache fails, the request goes through (a provider is never locked out by an
    outage)."""
    return limits.refusal(request, "listings.sign_in", [
        ("address", "ip", LINKS_PER_ADDRESS),
        ("email", lambda group, request: email.strip().lower(), LINKS_PER_EMAIL),
    ]) is not None


def user_for_link(token: str | None) -> AbstractBaseUser | None:
    """The provider a sign-in link is for, if it is valid (signed, not expired, not used); None otherwise.

    Checking does not use the link up: signing in does (it changes the user's last login, which the token
    carries)."""
    if not token:
        return None
    user = TokenBackend().authenticate(None, sesame=token)
    if user is None or user.is_staff or user.is_superuser or not ProviderAccount.objects.filter(user=user).exists():
        return None
    return user


def sign_in(request: HttpRequest, user: AbstractBaseUser) -> None:
    """Start the provider's session; their link can no longer be used."""
    login(request, user, backend=TOKEN_BACKEND)
