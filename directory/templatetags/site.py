from __future__ import annotations

import re
from urllib.parse import quote

from django import template
from django.http import HttpRequest

from directory.jurisdictions import by_country
from directory.navigation import main_navigation

register = template.Library()

# A resource's text number: "838255", or a keyword to send first, "HOME to 741741".
TEXT_NUMBER = re.compile(r"(?:(?P<keyword>\S+) to )?(?P<number>\+?[\d -]+)")


@register.inclusion_tag("_navigation.html")
def site_navigation(request: HttpRequest | None = None) -> dict:
    # Error pages render without a request (so without the database): no current page then.
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else None
    return {"links": main_navigation(), "current": current}


@register.filter
def sms_href(text_number: str) -> str:
    """An sms: link for a text number; a keyword ("HOME to 741741") becomes the message (RFC 5724)."""
    found = TEXT_NUMBER.fullmatch(text_number.strip())
    if not found:
        return ""
    href = "sms:" + "".join(ch for ch in found["number"] if ch.isdigit() or ch == "+")
    return f"{href}?body={quote(found['keyword'])}" if found["keyword"] else href


@register.filter(name="by_country")
def options_by_country(options: list[dict]) -> list[tuple[str, list[dict]]]:
    """A place select's options ({"value": code, ...}) under the United States, then Canada."""
    return by_country(options, lambda option: option["value"])
