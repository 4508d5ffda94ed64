"""A person's shortlist and what they need to reach each provider on it: a first email and a short phone script.

The shortlist is the page address alone (/shortlist/?p=slug&p=slug): nothing about it is stored on the server,
and what the person adds to a message (their name, their concern, their insurance) is filled in by their browser
only. A message is a list of parts, text and blanks; the page shows the blanks for the browser to fill, and a
mail link carries the same text with each blank in brackets until it is filled.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from directory.models import Provider, money

MAX_PROVIDERS = 10
NEXT_THREE = 3
REPLY_DAYS = 3  # how long to wait for a reply before contacting the next providers

# The blanks a person may fill: name, and how each reads while it is empty.
BLANKS: dict[str, str] = {
    "name": "your first name",
    "concern": "what you would like help with",
    "insurance": "your insurance plan, or that you would pay yourself",
    "meet": "in person or by video",
    "reach": "your phone number or email",
}


@dataclass(frozen=True)
class Part:
    text: str = ""
    blank: str = ""  # a key of BLANKS: the person's own words go here

    @property
    def plain(self) -> str:
        return f"[{BLANKS[self.blank]}]" if self.blank else self.text


def plain(parts: list[Part]) -> str:
    return "".join(part.plain for part in parts)


def _blank(name: str) -> Part:
    return Part(blank=name)


@dataclass(frozen=True)
class Outreach:
    provider: Provider
    email: list[Part]
    phone: list[Part]
    subject: str = "Are you taking new clients?"

    @property
    def mailto(self) -> str:
        """A mail link with the message, its blanks in brackets (the browser fills them as the person types)."""
        address = self.provider.public_email
        return f"mailto:{quote(address, safe='@')}?" + urlencode(
            {"subject": self.subject, "body": plain(self.email)}, quote_via=quote
        ) if address else ""


def outreach(provider: Provider) -> Outreach:
    """A first email asking what matters before a first appointment, and the same questions for a call."""
    fees = "What is your fee for a session, and do you offer a sliding scale?"
    if provider.has_sliding_scale:
        fees = (f"Your listing mentions a sliding scale from {money(provider.sliding_scale_min)}: what would a "
                "session cost me?")
    email = [
        Part(f"Hello {provider.name},\n\nI found your listing in the Next Step directory. I am looking for help with "),
        _blank("concern"),
        Part(", and I have a few questions before booking:\n\n"
             "1. Are you taking new clients, and when could we first meet?\n"
             f"2. {fees}\n"
             "3. Do you accept "), _blank("insurance"),
        Part("?\n4. What experience do you have helping people with "), _blank("concern"),
        Part("?\n5. What happens in a first session, and how long does it last?\n\nI would like to meet "),
        _blank("meet"), Part(". The best way to reach me is "), _blank("reach"),
        Part(".\n\nThank you,\n"), _blank("name"),
    ]
    phone = [
        Part("Hello, my name is "), _blank("name"),
        Part(". I found you in the Next Step directory and I am looking for help with "), _blank("concern"),
        Part(". Are you taking new clients? What do you charge, and is there a sliding scale? Do you take "),
        _blank("insurance"),
        Part("? What experience do you have with this? What happens in a first session?"),
    ]
    return Outreach(provider, email, phone)


def chosen_slugs(values: list[str]) -> tuple[list[str], int]:
    """The slugs asked for, each once, in order, at most MAX_PROVIDERS; and how many were left over."""
    slugs = list(dict.fromkeys(value.strip() for value in values if value.strip()))
    return slugs[:MAX_PROVIDERS], max(0, len(slugs) - MAX_PROVIDERS)


def shortlisted(slugs: list[str]) -> list[Provider]:
    """The published providers among the slugs, in the person's order."""
    found = {p.slug: p for p in Provider.objects.published().filter(slug__in=slugs).for_cards()}
    return [found[slug] for slug in slugs if slug in found]


def next_three(providers: list[Provider]) -> list[Provider]:
    """Providers accepting new clients, like those on the list (a state and an approach in common), most recently
    confirmed first: whom to contact when nobody on the list replies."""
    return list(Provider.objects.published().accepting().similar_to(providers)
                .order_by("-accepting_confirmed", "pk").for_cards()[:NEXT_THREE])


def query_with(slugs: list[str], *, add: str = "", remove: str = "") -> str:
    """The shortlist's address with one provider added or removed."""
    kept = [slug for slug in slugs if slug != remove]
    if add and add not in kept:
        kept.append(add)
    return urlencode([("p", slug) for slug in kept])
