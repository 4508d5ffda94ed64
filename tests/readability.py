"""Flesch-Kincaid grade level, with a simple syllable counter (no dictionary, so no download)."""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


def syllables(word: str) -> int:
    """Syllables in one word, by vowel groups: a silent final e and most -es and -ed endings do not count."""
    if word.isdigit():
        return len(word)  # read digit by digit: "988" is nine-eight-eight
    if word.isupper() and len(word) > 1:
        return len(word)  # an abbreviation is spelled out: C-B-T
    total = 0
    for part in re.findall(r"[a-z]+", word.lower()):
        if len(part) <= 3:
            total += 1
            continue
        part = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", part)
        part = re.sub(r"^y", "", part)
        total += max(1, len(re.findall(r"[aeiouy]{1,2}", part)))
    return max(1, total)


def words(text: str) -> list[str]:
    return WORD.findall(text)


def sentence_count(text: str) -> int:
    return max(1, len(SENTENCE_END.findall(text.strip())))


def flesch_kincaid_grade(text: str) -> float:
    """0.39 * words per sentence + 11.8 * syllables per word - 15.59."""
    found = words(text)
    if not found:
        return 0.0
    per_sentence = len(found) / sentence_count(text)
    per_word = sum(syllables(w) for w in found) / len(found)
    return 0.39 * per_sentence + 11.8 * per_word - 15.59
