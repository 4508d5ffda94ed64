"""Small helpers for the plain-language sentences the directory writes."""

from __future__ import annotations

# What the directory reads as yes and as no, in a query string or a CSV cell.
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", ""})


def join_words(words: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
