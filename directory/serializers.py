"""The public JSON shape of a provider (contract section 4), shared by the search and fit-finder APIs."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from .models import Provider


def provider_json(provider: Provider, distance_miles: float | None = None) -> dict[str, Any]:
    """A provider as the API shows it; load it with Provider.objects.for_cards() to avoid a query per row.

    distance_miles defaults to the distance that ProviderQuerySet.near() annotated, if any.
    """
    if distance_miles is None:
        distance_miles = getattr(provider, "distance_miles", None)
    licenses = provider.current_licenses
    return {
        "external_id": provider.external_id,
        "slug": provider.slug,
        "name": provider.name,
        "url": provider.get_absolute_url(),
        "credentials": sorted(
            (
                {"code": lic.credential_type.code, "state": lic.jurisdiction, "verified": lic.verified}
                for lic in licenses
            ),
            key=lambda c: (c["code"], c["state"]),
        ),
        "can_prescribe": provider.can_prescribe,
        "licensed_states": provider.licensed_states,
        "modalities": _keys(provider.modalities.all()),
        "conditions": _keys(provider.conditions.all()),
        "formats": _keys(provider.formats.all()),
        "age_groups": _keys(provider.age_groups.all()),
        "languages": _keys(provider.languages.all()),
        "insurance": _keys(provider.insurance.all()),
        "fees": {
            "standard": _number(provider.standard_fee),
            "sliding_scale_min": _number(provider.sliding_scale_min),
            "sliding_scale_max": _number(provider.sliding_scale_max),
            "lowest": _number(provider.lowest_fee),
            "free_consultation": provider.free_consultation,
        },
        "telehealth": provider.telehealth,
        "in_person": provider.is_in_person,
        "offices": [
            {"city": office.city, "state": office.jurisdiction, "postal_code": office.postal_code}
            for office in provider.offices.all()
        ],
        "accepting_new_clients": provider.accepting_new_clients,
        "accepting_confirmed": _date(provider.accepting_confirmed),
        "availability": provider.availability.value,
        "next_opening": _date(provider.next_opening),
        "waitlist_weeks": provider.waitlist_weeks,
        "hours": {"weekday_daytime": provider.weekday_daytime, "evenings": provider.evenings,
                  "weekends": provider.weekends},
        "last_verified": _date(provider.last_verified),
        "distance_miles": None if distance_miles is None else round(float(distance_miles), 1),
        "photo_url": provider.photo.url if provider.photo else None,
    }


def _keys(terms) -> list[str]:
    return sorted(term.key for term in terms)


def _number(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)


def _date(day: datetime.date | None) -> str | None:
    return None if day is None else day.isoformat()


def provider_json_ld(provider: Provider) -> dict[str, Any]:
    """schema.org description of the provider for search engines; only what the profile itself shows."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Person",
        "name": provider.name,
        "url": provider.get_absolute_url(),
    }
    credentials = provider.credential_names
    if credentials:
        data["jobTitle"] = ", ".join(credentials)
    if provider.practice_name:
        data["worksFor"] = {"@type": "MedicalBusiness", "name": provider.practice_name}
    if provider.phone:
        data["telephone"] = provider.phone
    if provider.public_email:
        data["email"] = provider.public_email
    if provider.website:
        data["sameAs"] = provider.website
    offices = provider.offices.all()
    if offices:
        data["workLocation"] = [
            {
                "@type": "Place",
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": office.address,
                    "addressLocality": office.city,
                    "addressRegion": office.jurisdiction,
                    "postalCode": office.postal_code,
                },
            }
            for office in offices
        ]
    languages = provider.languages.all()
    if languages:
        data["knowsLanguage"] = [language.slug for language in languages]
    modalities = provider.modalities.all()
    if modalities:
        data["knowsAbout"] = [modality.name for modality in modalities]
    return data


def json_ld_script(data: dict[str, Any]) -> SafeString:
    """A <script type="application/ld+json"> data block, escaped as Django's json_script escapes it."""
    # json_script makes "<", ">" and "&" inert; only the type differs from what it writes.
    script = json_script(data, "schema-org")
    return mark_safe(script.replace('type="application/json"', 'type="application/ld+json"', 1))
