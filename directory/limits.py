"""Rate limits: so many an hour from one address, and so many about one thing (a provider reported, an email
asking for a sign-in link).

Counted with django-ratelimit in Django's cache, under hashed keys that expire with the hour: no address is
stored. When the cache fails, requests are let through (fail open): a form that stops working is worse than a
few extra requests.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from .models import Provider

HOUR = 60 * 60

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """Which limit a report passed ("address" or "provider"), that limit, and the seconds until it may be sent."""

    limit: str
    per_hour: int
    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


# A limit: its name, what it counts by ("ip": client_address, through RATELIMIT_IP_META_KEY, an IPv6 address by
# its /64 as one client can hold all of it; or a function of the request), and how many an hour.
Limit = tuple[str, str | Callable, int]


def refusal(request: HttpRequest, group: str, limits: list[Limit]) -> Refusal | None:
    """Count one request against each limit in turn; the first limit it passes, or None to let it through.

    A request refused by one limit does not count against the limits after it."""
    for limit, key, per_hour in limits:
        try:
            usage = get_usage(request, group=f"{group}-{limit}", key=key, rate=(per_hour, HOUR), increment=True)
        except Exception:  # a cache outage, whatever the backend raises
            logger.warning("Rate limit %s not checked; the request is let through", group, exc_info=True)
            return None
        if usage is not None and usage["should_limit"]:
            return Refusal(limit, per_hour, max(1, usage["time_left"]))
    return None


def report_refusal(request: HttpRequest, provider: Provider) -> Refusal | None:
    """Count one report from this address about this provider; the limit it passes, or None to accept it."""
    return refusal(request, "report", [
        ("address", "ip", settings.REPORTS_PER_ADDRESS_PER_HOUR),
        ("provider", lambda group, request: str(provider.pk), settings.REPORTS_PER_PROVIDER_PER_HOUR),
    ])
