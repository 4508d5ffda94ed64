"""Small helpers for the plain-language sentences the directory writes."""

from __future__ import annotations

# What the directory reads as yes and as no, in a query string or a CSV cell.
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", ""})


def join_words(words: list[str], conjunction: str = "and") -> str:
    """"A", "A and B", "A, B and C" (or "A, B or C")."""
    if len(words) <= 2:
        return f" {conjunction} ".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def in_sentence(name: str) -> str:
    """A name inside a sentence: lower case, keeping abbreviations ("Obsessive-compulsive disorder (OCD)" ->
    "obsessive-compulsive disorder (OCD)")."""
    return " ".join(word if word.strip("()").isupper() else word.lower() for word in name.split())
