"""The address a request came from: the one place that decides which proxy to believe."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind PROXY_COUNT trusted proxies, the right-most X-Forwarded-For entry none of them added.

    Each proxy appends the address it was reached from, so entries to the left of that one are whatever the
    client chose to send. A header shorter than the proxy count, or an entry that is not an address, leaves
    REMOTE_ADDR: never a value the client picked.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.BEHIND_PROXY:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if settings.PROXY_COUNT < 1 or len(hops) < settings.PROXY_COUNT:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-settings.PROXY_COUNT]))
    except ValueError:
        return remote
