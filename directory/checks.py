"""What staff are warned of after saving a listing: entries that are allowed but probably wrong (none is refused)."""

from __future__ import annotations

from . import geo
from .jurisdictions import US_STATES, jurisdiction_name
from .models import License, Office, Provider


def office_warnings(provider: Provider) -> list[str]:
    """An office whose ZIP code is not in its state (or is no US ZIP code), or in a state where the provider
    holds no current license (they may not see clients there)."""
    licensed = set(License.objects.current().filter(provider=provider).values_list("jurisdiction", flat=True))
    warnings = []
    for office in Office.objects.filter(provider=provider).order_by("id"):
        state = jurisdiction_name(office.jurisdiction)
        if office.postal_code and office.jurisdiction in US_STATES:
            zip_state = geo.zip_state(office.postal_code)
            if zip_state is None:
                warnings.append(f"Office {office}: {office.postal_code} is not a US ZIP code we know, so the office "
                                "cannot be found by distance. Check the ZIP code.")
            elif zip_state != office.jurisdiction:
                warnings.append(f"Office {office}: ZIP code {office.postal_code} is in {jurisdiction_name(zip_state)}, "
                                f"not {state}. Check the ZIP code or the state.")
        if office.jurisdiction not in licensed:
            warnings.append(f"Office {office} is in {state}, where {provider.name} holds no current license, so they "
                            f"may not see clients there. Add their {state} license, or check the office's state.")
    return warnings
