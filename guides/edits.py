"""Editorial edits to the imported guides, kept as data in guides/edits.toml and applied by the import.

Each guide's entry, keyed by its slug, lists passages to remove (exact text, or a regular expression),
editor's notes on quoted claims, the "In short" summary and who reviewed the guide and when. An edit whose
quoted text is no longer in the guide is an error naming the guide and the edit: edits cannot silently rot.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .rendering import claim_block

EDITS_FILE = Path(__file__).with_name("edits.toml")
CLAIM_MAX_CHARS = 300  # EditorNote.claim
QUOTE_SHOWN = 60

GUIDE_KEYS = {"in_short", "reviewed_on", "reviewed_by", "remove", "notes"}
REMOVE_KEYS = {"text", "pattern", "why"}
NOTE_KEYS = {"claim", "note"}


class EditError(ValueError):
    """An edit file that cannot be read, or an edit that no longer applies; the message says which."""


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= QUOTE_SHOWN else text[:QUOTE_SHOWN].rstrip() + '…'}”"


def _cut(text: str, start: int, end: int) -> str:
    """text without text[start:end], leaving no double space and no space at a line's start or end."""
    before, after = text[:start], text[end:]
    if before.endswith(" ") and (not after or after[0] in " \n.,;:!?)"):
        before = before[:-1]
    elif after.startswith(" ") and (not before or before.endswith("\n")):
        after = after[1:]
    return before + after


@dataclass(frozen=True)
class Removal:
    text: str = ""
    pattern: str = ""
    why: str = ""

    def describe(self) -> str:
        return f"text {_quoted(self.text)}" if self.text else f"pattern {_quoted(self.pattern)}"

    def spans(self, text: str) -> list[tuple[int, int]]:
        if self.text:
            return [(m.start(), m.end()) for m in re.finditer(re.escape(self.text), text)]
        return [(m.start(), m.end()) for m in re.finditer(self.pattern, text, flags=re.M) if m.end() > m.start()]

    def apply(self, text: str) -> tuple[str, int]:
        """text with every occurrence removed, and how many there were."""
        spans = self.spans(text)
        for start, end in reversed(spans):
            text = _cut(text, start, end)
        return text, len(spans)


@dataclass(frozen=True)
class NoteEdit:
    claim: str
    note: str


@dataclass(frozen=True)
class GuideEdits:
    slug: str
    in_short: str = ""
    reviewed_on: datetime.date | None = None
    reviewed_by: str = ""
    remove: tuple[Removal, ...] = ()
    notes: tuple[NoteEdit, ...] = ()

    def apply(self, body: str, summary: str) -> tuple[str, str]:
        """The body and summary with the passages removed; EditError if any edit no longer applies."""
        problems = []
        for number, removal in enumerate(self.remove, start=1):
            body, found = removal.apply(body)
            if not found:
                problems.append(f"remove #{number} ({removal.describe()}): not found in the guide")
            summary, _ = removal.apply(summary)
        for number, note in enumerate(self.notes, start=1):
            if claim_block(body, note.claim) is None:
                problems.append(f"note #{number} (claim {_quoted(note.claim)}): the claim is not in the guide")
        if problems:
            raise EditError("; ".join(f"guide “{self.slug}”, {problem}" for problem in problems))
        body = re.sub(r"[ \t]+$", "", body, flags=re.M)
        body = re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"
        return body, " ".join(summary.split())


def load_edits(path: Path = EDITS_FILE) -> dict[str, GuideEdits]:
    """The edit file, checked: every key known, every value of the right kind, every pattern valid."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError as error:
        raise EditError(f"{path}: no such edit file") from error
    except tomllib.TOMLDecodeError as error:
        raise EditError(f"{path}: not valid TOML: {error}") from error
    return {slug: _guide_edits(path, slug, entry) for slug, entry in data.items()}


def _guide_edits(path: Path, slug: str, entry: object) -> GuideEdits:
    where = f"{path}: guide “{slug}”"
    if not isinstance(entry, dict):
        raise EditError(f"{where}: expected a table of edits")
    _known_keys(where, entry, GUIDE_KEYS)
    reviewed_on = entry.get("reviewed_on")
    if reviewed_on is not None and (
        not isinstance(reviewed_on, datetime.date) or isinstance(reviewed_on, datetime.datetime)
    ):
        raise EditError(f"{where}: reviewed_on must be a date such as 2026-11-30")
    reviewed_by = _string(where, "reviewed_by", entry.get("reviewed_by", ""))
    if reviewed_on and not reviewed_by.strip():
        raise EditError(f"{where}: reviewed_on needs reviewed_by")
    removals = []
    for number, item in enumerate(_tables(where, entry, "remove"), start=1):
        here = f"{where}, remove #{number}"
        _known_keys(here, item, REMOVE_KEYS)
        text, pattern = _string(here, "text", item.get("text", "")), _string(here, "pattern", item.get("pattern", ""))
        if bool(text) == bool(pattern):
            raise EditError(f"{here}: give either text or pattern")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as error:
                raise EditError(f"{here}: the pattern is not a valid regular expression: {error}") from error
        removals.append(Removal(text=text, pattern=pattern, why=_string(here, "why", item.get("why", ""))))
    notes = []
    for number, item in enumerate(_tables(where, entry, "notes"), start=1):
        here = f"{where}, note #{number}"
        _known_keys(here, item, NOTE_KEYS)
        claim = " ".join(_string(here, "claim", item.get("claim", "")).split())
        note = " ".join(_string(here, "note", item.get("note", "")).split())
        if not claim or not note:
            raise EditError(f"{here}: needs both a claim and a note")
        if len(claim) > CLAIM_MAX_CHARS:
            raise EditError(f"{here}: quote at most {CLAIM_MAX_CHARS} characters of the claim")
        if claim in {n.claim for n in notes}:
            raise EditError(f"{here}: this claim already has a note")
        notes.append(NoteEdit(claim, note))
    return GuideEdits(
        slug=slug,
        in_short=" ".join(_string(where, "in_short", entry.get("in_short", "")).split()),
        reviewed_on=reviewed_on,
        reviewed_by=reviewed_by.strip(),
        remove=tuple(removals),
        notes=tuple(notes),
    )


def _known_keys(where: str, table: dict, known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise EditError(f"{where}: unknown key {', '.join(unknown)} (known: {', '.join(sorted(known))})")


def _string(where: str, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise EditError(f"{where}: {key} must be text")
    return value


def _tables(where: str, entry: dict, key: str) -> list[dict]:
    items = entry.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise EditError(f"{where}: write each of {key} as a [[<slug>.{key}]] table")
    return items
