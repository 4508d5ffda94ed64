"""The taxonomy as words in running text: which modalities and conditions a passage mentions, and where."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from directory.models import Condition, Modality

# Abbreviations such as ACT or TRD are also ordinary words ("act"), so they match only as written;
# spelled-out names and lowercase aliases match in any case.
_PARENTHETICAL = re.compile(r"\s*\(([^)]*)\)\s*$")


@dataclass(frozen=True)
class Entry:
    kind: str  # "modality" or "condition"
    slug: str
    name: str
    url: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Mention:
    term: Entry
    start: int
    end: int
    text: str


def _phrases(name: str, aliases: list[str]) -> list[str]:
    phrases = []
    abbreviation = _PARENTHETICAL.search(name)
    if abbreviation:
        phrases.append(abbreviation.group(1).strip())
        name = _PARENTHETICAL.sub("", name)
    phrases.append(name.lower())
    for alias in aliases:
        phrases.append(alias if any(ch.isupper() for ch in alias) else alias.lower())
    return [p for p in dict.fromkeys(phrases) if p]


def _pattern(phrase: str) -> str:
    body = re.escape(phrase).replace(r"\ ", r"\s+").replace(r"\-", r"[-\u2010\u2011 ]?")
    return body if any(ch.isupper() for ch in phrase) else f"(?i:{body})"


@dataclass
class Glossary:
    terms: list[Entry]
    _regex: re.Pattern | None = field(default=None, repr=False)
    _by_phrase: dict[str, Entry] = field(default_factory=dict, repr=False)

    @classmethod
    def from_taxonomy(cls) -> Glossary:
        terms = [
            Entry("modality", m.slug, m.name, m.get_absolute_url(), tuple(_phrases(m.name, m.alias_list())))
            for m in Modality.objects.all()
        ]
        terms += [
            Entry("condition", c.slug, c.name, c.get_absolute_url(), tuple(_phrases(c.name, c.alias_list())))
            for c in Condition.objects.all()
        ]
        return cls(terms)

    def __post_init__(self) -> None:
        entries = []
        for term in self.terms:
            for phrase in term.phrases:
                key = phrase if any(ch.isupper() for ch in phrase) else phrase.lower()
                # The first term to claim a phrase keeps it: the taxonomy's order decides ties.
                if key not in self._by_phrase:
                    self._by_phrase[key] = term
                    entries.append(phrase)
        if not entries:
            self._regex = None
            return
        # Longest first, so "treatment-resistant depression" wins over "depression".
        entries.sort(key=len, reverse=True)
        alternatives = "|".join(f"(?P<t{i}>{_pattern(p)})" for i, p in enumerate(entries))
        self._entries = entries
        self._regex = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")

    def mentions(self, text: str) -> list[Mention]:
        """Every mention of a taxonomy term in text, in order, never overlapping."""
        if self._regex is None:
            return []
        found = []
        for match in self._regex.finditer(text):
            phrase = self._entries[int(match.lastgroup[1:])]
            key = phrase if any(ch.isupper() for ch in phrase) else phrase.lower()
            found.append(Mention(self._by_phrase[key], match.start(), match.end(), match.group(0)))
        return found

    def count(self, text: str) -> Counter[Entry]:
        return Counter(m.term for m in self.mentions(text))

    def abbreviations(self) -> set[str]:
        """The all-capital abbreviations (CBT, EMDR) that documents write without spaces between them."""
        return {p for t in self.terms for p in t.phrases if p.isupper() and p.isalpha() and len(p) >= 2}

    def words(self) -> set[str]:
        """Lowercase words that begin or end a term's name, for splitting words glued together."""
        words = set()
        for term in self.terms:
            for phrase in term.phrases:
                if phrase.islower():
                    parts = re.findall(r"[a-z]+", phrase)
                    if parts:
                        words.update({parts[0], parts[-1]})
        return {w for w in words if len(w) >= 4}

    def spelled_out(self) -> set[str]:
        return {p for t in self.terms for p in t.phrases if p.islower() and len(p) >= 4}
