"""Listings kept true by the providers themselves: the account that ties a person signing in to their
listing, and when they last confirmed their availability."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from directory.models import Provider


class ProviderAccount(models.Model):
    """A provider who claimed their listing. They sign in with a one-time link sent to `user.email` and see
    and edit only this listing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_account")
    provider = models.OneToOneField(Provider, on_delete=models.CASCADE, related_name="account")
    claimed_at = models.DateTimeField(auto_now_add=True)
    availability_confirmed_on = models.DateField(
        "availability last confirmed by the provider", null=True, blank=True,
        help_text="When the provider last confirmed their availability themselves (a one-click answer or an edit).",
    )

    class Meta:
        ordering = ["provider__name"]

    def __str__(self) -> str:
        return f"{self.provider} ({self.user.email})"
