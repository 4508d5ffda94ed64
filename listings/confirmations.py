"""Asking providers who claimed their listing "Still accepting new clients?", and recording the answer they click.

A round (send_round, run daily by `send_confirmations`) emails each claimed, published listing whose availability
was not confirmed in AVAILABILITY_CONFIRM_DAYS, at most once in that time. The email holds three links, one per
answer. Each carries the question's nonce, signed with the time it was made: it expires after LINK_MAX_AGE and
works once. Opening a link changes nothing (mail scanners open them); the page it shows posts the answer.
"""

from __future__ import annotations

import datetime
import secrets
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from directory.models import Provider, availability_cutoff

from .models import ConfirmationRequest, ProviderAccount

Answer = ConfirmationRequest.Answer
LINK_MAX_AGE = datetime.timedelta(days=14)
SALT = "listings.confirmations"


# --- Who is asked ------------------------------------------------------------------------------


def accounts_due() -> QuerySet[ProviderAccount]:
    """Claimed, published listings whose availability was not confirmed in AVAILABILITY_CONFIRM_DAYS, by slug;
    each with `asked`: whether it was already asked in this round."""
    cutoff = availability_cutoff(settings.AVAILABILITY_CONFIRM_DAYS)
    asked = ConfirmationRequest.objects.filter(account=OuterRef("pk")).in_this_round()
    return (
        ProviderAccount.objects.filter(provider__published=True)
        .filter(Q(provider__accepting_confirmed__isnull=True) | Q(provider__accepting_confirmed__lt=cutoff))
        .annotate(asked=Exists(asked))
        .select_related("provider", "user")
        .order_by("provider__slug")
    )


@dataclass
class Round:
    """What one run did, by listing slug: nothing personal, so it can be printed and logged."""

    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # slug: what went wrong, without the address


def send_round(*, dry_run: bool = False) -> Round:
    """Ask every listing that is due; an email the mail server refuses is not recorded, and the round goes on."""
    result = Round()
    connection = get_connection()
    try:
        for account in accounts_due():
            slug = account.provider.slug
            if account.asked or not account.user.email:
                result.skipped.append(slug)
            elif dry_run:
                result.sent.append(slug)
            else:
                try:
                    asked = ask(account, connection)
                except (smtplib.SMTPException, OSError) as error:
                    # The connection may be broken: the next email opens a new one.
                    connection.close()
                    result.failed[slug] = type(error).__name__
                    continue
                (result.sent if asked else result.skipped).append(slug)
    finally:
        connection.close()
    return result


def ask(account: ProviderAccount, connection: BaseEmailBackend | None = None) -> bool:
    """Email one listing its question; False if it was asked meanwhile (by another run).

    The question is recorded only once the mail server has accepted the email: an error rolls it back."""
    with transaction.atomic():
        # Two runs at once: the second waits here for the first, then finds its question.
        list(ProviderAccount.objects.select_for_update().filter(pk=account.pk).values_list("pk", flat=True))
        if ConfirmationRequest.objects.filter(account=account).in_this_round().exists():
            return False
        question = ConfirmationRequest.objects.create(account=account, nonce=secrets.token_urlsafe(24))
        if not question_email(question, connection).send():
            raise smtplib.SMTPException("the email backend sent nothing")
    return True


def question_email(question: ConfirmationRequest, connection: BaseEmailBackend | None = None) -> EmailMessage:
    """The plain-text email: the listing, its three answer links, and how to stop these emails."""
    provider = question.account.provider
    token = token_for(question)
    context = {
        "provider": provider,
        "links": {answer.name.lower(): absolute(reverse("confirm_availability", args=[answer, token]))
                  for answer in Answer},
        "profile_url": absolute(provider.get_absolute_url()),
        "expires_on": timezone.localdate(timezone.now() + LINK_MAX_AGE),
        "link_days": LINK_MAX_AGE.days,
        "confirm_days": settings.AVAILABILITY_CONFIRM_DAYS,
        "stale_days": settings.AVAILABILITY_STALE_DAYS,
        "unknown_days": settings.AVAILABILITY_UNKNOWN_DAYS,
    }
    subject = " ".join(render_to_string("listings/confirm_email_subject.txt", context).split())
    return EmailMessage(
        subject,
        render_to_string("listings/confirm_email.txt", context),
        to=[question.account.user.email],
        connection=connection,
        # Automated mail (RFC 3834): out-of-office replies stay away.
        headers={"Auto-Submitted": "auto-generated"},
    )


def absolute(path: str) -> str:
    return settings.SITE_URL + path


# --- The links --------------------------------------------------------------------------------


def token_for(question: ConfirmationRequest) -> str:
    return signing.TimestampSigner(salt=SALT).sign(question.nonce)


class LinkProblem(Exception):
    """A link that cannot record an answer: the page says why, and nothing changes."""

    status = 400
    title = "This link does not work"
    explanation = ("It may have been copied only in part, or it is no longer valid. "
                   "Try opening it straight from the email.")

    def __init__(self, question: ConfirmationRequest | None = None):
        super().__init__(self.title)
        self.question = question


class LinkExpired(LinkProblem):
    status = 410
    title = "This link has expired"
    explanation = (f"The links in our emails work for {LINK_MAX_AGE.days} days. While your listing's availability "
                   "needs confirming, we email you a new question.")


class LinkUsed(LinkProblem):
    status = 410
    title = "This link has already been used"
    explanation = "Each email's links record one answer."


def open_question(answer: str, token: str) -> ConfirmationRequest:
    """The unanswered question a link is for; LinkProblem when it is not valid, has expired or was used."""
    if answer not in Answer.values:
        raise LinkProblem
    try:
        nonce = signing.TimestampSigner(salt=SALT).unsign(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkProblem from None
    # Gone when staff removed the claim: its links stop working with it.
    question = ConfirmationRequest.objects.select_related("account__provider").filter(nonce=nonce).first()
    if question is None:
        raise LinkProblem
    if question.answered_at is not None:
        raise LinkUsed(question)
    return question


def record_answer(question: ConfirmationRequest, answer: str, waitlist_weeks: int | None = None) -> Provider:
    """The listing says what the provider answered, confirmed today; the link is used up."""
    now = timezone.now()
    today = timezone.localdate(now)
    weeks = waitlist_weeks if answer == Answer.WAITLIST else None
    with transaction.atomic():
        # Conditional, so two clicks at once record one answer: the second finds the link used.
        unused = ConfirmationRequest.objects.filter(pk=question.pk, answered_at__isnull=True)
        if not unused.update(answer=answer, waitlist_weeks=weeks, answered_at=now):
            raise LinkUsed(ConfirmationRequest.objects.get(pk=question.pk))
        provider = Provider.objects.select_for_update().get(pk=question.account.provider_id)
        provider.accepting_new_clients = answer == Answer.ACCEPTING
        provider.waitlist_weeks = weeks
        provider.accepting_confirmed = today
        provider.provider_confirmed = provider.provider_confirmed or today
        # save(), not update(): its signal refreshes the search counts.
        provider.save(update_fields=["accepting_new_clients", "waitlist_weeks", "accepting_confirmed",
                                     "provider_confirmed", "updated"])
        ProviderAccount.objects.filter(pk=question.account_id).update(availability_confirmed_on=today)
    return provider
