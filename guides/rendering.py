"""A guide's Markdown body to safe HTML: table of contents, taxonomy mentions linked, crisis detection."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import markdown
import nh3

from .glossary import Glossary

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "b", "i", "a", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "br", "hr", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    **{f"h{n}": {"id"} for n in range(2, 7)},
    "th": {"scope"},
    "ol": {"start"},
}
# Heading ids get a prefix so nothing typed in a body can take over an id of the page around it.
ID_PREFIX = "guide-"
# Text inside these is never turned into a link.
NO_LINKS_INSIDE = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "th"}
CRISIS = re.compile(r"\b(suicid\w*|self-harm|crisis|crises)\b", re.I)
TAG = re.compile(r"(<[^>]*>)")
BLOCK_BREAK = re.compile(r"\n[ \t]*\n")
NOTE_LABEL = "Editor's note"


class Note(Protocol):
    claim: str
    note: str


@dataclass
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)  # [{"id", "name", "children": [...]}]
    discusses_crisis: bool = False


def render_body(body: str, glossary: Glossary | None = None, notes: Iterable[Note] = ()) -> Rendered:
    """Markdown to sanitised HTML, each modality and condition linked at its first mention.

    Each editor's note follows the block (paragraph, list, table) that contains its claim.
    """
    md = markdown.Markdown(extensions=["tables", "toc", "sane_lists"], extension_configs={"toc": {"toc_depth": "2-3"}})
    body, placed, unplaced = _mark_notes(body or "", list(notes))
    raw = md.convert(body)
    clean = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        id_prefix=ID_PREFIX,
    )
    clean = link_mentions(clean, glossary if glossary is not None else Glossary.from_taxonomy())
    text = html.unescape(TAG.sub(" ", clean))
    for marker, note in placed.items():
        if f"<p>{marker}</p>" in clean:
            clean = clean.replace(f"<p>{marker}</p>", _aside(note), 1)
        else:  # the placeholder landed inside something else, such as a code block
            clean = clean.replace(marker, "")
            unplaced.append(note)
    # A note whose claim has gone from the body is still shown, with the claim quoted, never dropped.
    clean += "".join(_aside(note, quote_claim=True) for note in unplaced)
    return Rendered(html=clean, toc=_toc(md.toc_tokens), discusses_crisis=bool(CRISIS.search(text)))


def _comparable(text: str) -> str:
    """Text as a reader sees it: Markdown escapes and entities undone, runs of white space made one."""
    text = html.unescape(re.sub(r"\\(.)", r"\1", text))
    return " ".join(text.split())


def claim_block(body: str, claim: str) -> int | None:
    """The index of the body's first block (paragraphs, lists, tables: split at blank lines) quoting claim."""
    wanted = _comparable(claim)
    if not wanted:
        return None
    for index, block in enumerate(BLOCK_BREAK.split(body)):
        if wanted in _comparable(block):
            return index
    return None


def _mark_notes(body: str, notes: list[Note]) -> tuple[str, dict[str, Note], list[Note]]:
    """The body with a placeholder paragraph after each claim's block; the placeholders; the notes not placed."""
    if not notes:
        return body, {}, []
    blocks = BLOCK_BREAK.split(body)
    after: dict[int, list[str]] = {}
    placed: dict[str, Note] = {}
    unplaced = []
    nonce = secrets.token_hex(8)
    for number, note in enumerate(notes):
        index = claim_block(body, note.claim)
        if index is None:
            unplaced.append(note)
            continue
        marker = f"EDITORNOTE{nonce}N{number}"
        placed[marker] = note
        after.setdefault(index, []).append(marker)
    parts = []
    for index, block in enumerate(blocks):
        parts.append(block)
        parts.extend(after.get(index, []))
    return "\n\n".join(parts), placed, unplaced


def _aside(note: Note, quote_claim: bool = False) -> str:
    about = f" on “{html.escape(note.claim, quote=False)}”" if quote_claim else ""
    return (
        f'<aside class="editor-note" role="note" aria-label="{NOTE_LABEL}">'
        f"<p><strong>{NOTE_LABEL}{about}:</strong> {html.escape(note.note, quote=False)}</p></aside>"
    )


def _toc(tokens: list[dict]) -> list[dict]:
    return [
        {"id": ID_PREFIX + t["id"], "name": html.unescape(t["name"]), "children": _toc(t.get("children", []))}
        for t in tokens
    ]


def link_mentions(fragment: str, glossary: Glossary) -> str:
    """Link each term's first mention in running text; never inside a link, heading or code."""
    linked: set = set()
    out = []
    open_tags: list[str] = []
    for piece in TAG.split(fragment):
        if piece.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", piece)
            if name:
                tag = name.group(1).lower()
                if piece.startswith("</"):
                    if tag in open_tags:
                        del open_tags[len(open_tags) - 1 - open_tags[::-1].index(tag)]
                elif not piece.endswith("/>") and tag not in ("br", "hr"):
                    open_tags.append(tag)
            out.append(piece)
            continue
        if not piece or NO_LINKS_INSIDE.intersection(open_tags):
            out.append(piece)
            continue
        text = html.unescape(piece)
        position = 0
        parts = []
        for mention in glossary.mentions(text):
            if mention.term in linked:
                continue
            linked.add(mention.term)
            parts.append(html.escape(text[position:mention.start], quote=False))
            parts.append(
                f'<a href="{html.escape(mention.term.url)}" class="term-link">'
                f"{html.escape(mention.text, quote=False)}</a>"
            )
            position = mention.end
        if parts:
            parts.append(html.escape(text[position:], quote=False))
            out.append("".join(parts))
        else:
            out.append(piece)
    return "".join(out)
