"""Phone numbers as the directory writes them: (512) 555-0142 in the US and Canada, +44 20 7946 0958 elsewhere."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

NOT_A_PHONE_NUMBER = (
    "This does not look like a phone number. Enter it with its area code, such as (512) 555-0142 (an extension "
    "as x12); a number outside the US and Canada starts with + and its country code."
)


def normalize_phone(value: str) -> str:
    """The number in the directory's format, "" for none; ValidationError for what cannot be a phone number."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(NOT_A_PHONE_NUMBER, code="invalid_phone")
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(number, style.NATIONAL if number.country_code == 1 else style.INTERNATIONAL)
