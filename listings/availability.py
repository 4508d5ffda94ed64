"""A provider's own word on whether they take new clients: applied at once, and counted as a confirmation."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .forms import AvailabilityForm
from .models import ProviderAccount


def confirm(form: AvailabilityForm, account: ProviderAccount) -> None:
    """Save the valid availability form; the listing and the account both record today as confirmed."""
    today = timezone.localdate()
    with transaction.atomic():
        provider = form.save(commit=False)
        provider.accepting_confirmed = today
        provider.save(update_fields=[*form.Meta.fields, "accepting_confirmed", "updated"])
        account.availability_confirmed_on = today
        account.save(update_fields=["availability_confirmed_on"])
