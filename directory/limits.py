"""Rate limits on reports about a listing: so many an hour from one address, and so many about one provider.

Counted with django-ratelimit in Django's cache, under hashed keys that expire with the hour: no address is
stored. When the cache fails, reports are let through (fail open): a report form that stops working is worse
than a few extra reports for staff to read.
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


def report_refusal(request: HttpRequest, provider: Provider) -> Refusal | None:
    """Count one report from this address about this provider; the limit it passes, or None to accept it.

    The address is counted first: a report it refuses does not count against the provider.
    """
    limits: list[tuple[str, str | Callable, int]] = [
        # "ip": client_address (RATELIMIT_IP_META_KEY), an IPv6 address by its /64 as one client can hold all of it.
        ("address", "ip", settings.REPORTS_PER_ADDRESS_PER_HOUR),
        ("provider", lambda group, request: str(provider.pk), settings.REPORTS_PER_PROVIDER_PER_HOUR),
    ]
    for limit, key, per_hour in limits:
        try:
            usage = get_usage(request, group=f"report-{limit}", key=key, rate=(per_hour, HOUR), increment=True)
        except Exception:  # a cache outage, whatever the backend raises
            logger.warning("Report rate limit not checked; the report is let through", exc_info=True)
            return None
        if usage is not None and usage["should_limit"]:
            return Refusal(limit, per_hour, max(1, usage["time_left"]))
    return None
