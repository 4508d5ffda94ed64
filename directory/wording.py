"""Small helpers for the plain-language sentences the directory writes."""

from __future__ import annotations


def join_words(words: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
