"""The National Provider Identifier: ten digits, the last a Luhn check digit over the prefix 80840 and the first
nine (the card issuer prefix of US health identifiers)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

# The NPI is an ISO/IEC 7812 card number whose issuer prefix 80840 is left out of it.
PREFIX = "80840"


def check_digit(first_nine: str) -> int:
    """The Luhn digit that completes 80840 followed by these nine digits."""
    total = 0
    # From the right of the number without its check digit, every other digit (starting with the last) doubles.
    for position, char in enumerate(reversed(PREFIX + first_nine)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def npi_problem(value: str) -> str:
    """Why value is not an NPI, in words; "" when it is one."""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return "an NPI is 10 digits"
    if check_digit(value[:9]) != int(value[9]):
        return "check digit is wrong"
    return ""


def validate_npi(value: str) -> None:
    """The model field's validator: the same rule as the registry import's."""
    problem = npi_problem(value or "")
    if problem:
        raise ValidationError(f"Not an NPI: {problem}.", code="invalid_npi")
