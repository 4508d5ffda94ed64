from __future__ import annotations

from django import template
from django.http import HttpRequest

from directory.navigation import main_navigation

register = template.Library()


@register.inclusion_tag("_navigation.html")
def site_navigation(request: HttpRequest | None = None) -> dict:
    # Error pages render without a request (so without the database): no current page then.
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else None
    return {"links": main_navigation(), "current": current}
