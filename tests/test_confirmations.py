"""The record of each "Still accepting?" question: an answer comes with its time, weeks only with a waitlist."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from directory.models import Provider
from listings.models import ConfirmationRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(make_claimed_provider) -> Provider:
    return make_claimed_provider("Ana Díaz", "ana@example.org", confirmed_days_ago=31)


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
