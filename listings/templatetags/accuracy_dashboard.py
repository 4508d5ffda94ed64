"""The freshness of the listings and the open accuracy round, for the admin's index page."""

from __future__ import annotations

from django import template

from listings.accuracy import freshness, open_round

register = template.Library()


@register.inclusion_tag("listings/accuracy_dashboard.html")
def listing_freshness() -> dict:
    return {"freshness": freshness(), "open_round": open_round()}
