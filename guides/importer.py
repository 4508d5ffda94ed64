"""Plain-text documents (articles saved from web pages) to guides: structure recovered, scraping debris removed.

The documents have lost their markup: headings are short lines, lists are "- ", "•" or "1." lines, tables are
pipe rows or space-separated rows, and link text was glued to its neighbours. parse_document() recovers the
structure as Markdown and applies the editors' edits (guides/edits.py); save_guides() stores the result, all or
nothing.
"""

from __future__ import annotations

import datetime
import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.core import serializers
from django.db import transaction
from django.utils.text import slugify

from .edits import EditError, GuideEdits
from .glossary import Glossary
from .models import EditorNote, Guide, Topic

SUMMARY_MAX_CHARS = 300

# Small words that stay lowercase inside a title ("Treatment for Mild Depression").
MINOR_WORDS = {
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the",
    "to", "vs", "with", "are",
}

# --- Debris ----------------------------------------------------------------------------
# Everything from an author blurb on is the page's footer, not the article.
AUTHOR_BLURB = re.compile(r"^(about the author|author of the article|about the writer|written by\b.*)$", re.I)
STRAY_LINES = [
    re.compile(r"^(add|leave|post) a (comment|reply)$", re.I),
    # The sidebar of one page carried an unrelated advertiser's name.
    re.compile(r"^[\w&,' -]{0,60}\blaborator(y|ies)$", re.I),
]
# A clinic's sales pitch addressed to the page's visitors.
PITCH = re.compile(
    r"give us a call|call us (today|now)|contact us|book (an|your) appointment|schedule (a|your) (consultation|visit)"
    r"|we[’']re experts|our [\w-]+ services",
    re.I,
)
PLACEHOLDER_ITEM = re.compile(r"(…|\.\.\.)$")

BULLET = re.compile(r"^\s*(?:[-•*▪◦‣]|(?P<number>\d{1,3})[.)])\s+(?P<text>\S.*)$")
PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")
TERMINAL = re.compile(r"[.!?:…\"”’)]$")
LABEL = re.compile(r"^(?P<label>[A-Z][\w’'-]*(?: [\w’'-]+){0,2}):\s+(?P<rest>\S.*)$")
LEAD_IN_HEADING = re.compile(r"^(?P<heading>[A-Z][^.?!:]{2,80}:\s[^.?!]{2,80}?)\.\s+(?P<rest>[A-Z“\"].*)$")
# Sections that close a document sit at the top level, whatever came before them.
CLOSING_HEADINGS = {"references", "sources", "conclusion", "further reading"}


@dataclass
class Block:
    kind: str  # heading, subheading, paragraph, quote, list, table
    text: str = ""
    label: str = ""
    level: int = 0
    ordered: bool = False
    items: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    rows: list[list[str]] = field(default_factory=list)  # first row is the header
    caption: str = ""
    after_blank: bool = False


@dataclass
class Document:
    source: str
    title: str
    slug: str
    summary: str
    body: str
    topic: str
    modalities: list[str]
    conditions: list[str]
    in_short: str = ""
    reviewed_on: datetime.date | None = None
    reviewed_by: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)  # (claim, note)


class DocumentError(ValueError):
    """A document that cannot become a guide; the message says which and why."""


# --- Text helpers ------------------------------------------------------------------------


def _normal(text: str) -> str:
    """Text as compared for duplicates: quotes, dashes and case folded."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"[–—‐‑]", "-", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def _words(text: str) -> list[str]:
    return text.split()


def _capitalised(word: str) -> bool:
    word = word.lstrip("“\"'‘(")
    return bool(word) and (word[0].isupper() or word[0].isdigit())


def is_title_case(text: str) -> bool:
    words = re.findall(r"[A-Za-z0-9][\w’'-]*", text)
    if not words:
        return False
    return all(_capitalised(w) or w.lower() in MINOR_WORDS for w in words) and _capitalised(words[0])


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text.strip()) if s]


def split_glued_words(text: str, glossary: Glossary) -> str:
    """Put back the separators lost where adjacent links were stripped: "(CBT)Dialectical", "MBCTACTEMDR"."""
    text = re.sub(r"\)(?=[A-Z][a-z])", "), ", text)
    abbreviations = glossary.abbreviations()

    def split_abbreviations(match: re.Match) -> str:
        token = match.group(0)
        if token in abbreviations:
            return token
        parts = _segment(token, abbreviations)
        return ", ".join(parts) if parts and len(parts) > 1 else token

    text = re.sub(r"\b[A-Z]{4,}\b", split_abbreviations, text)
    starts = sorted(glossary.spelled_out() | glossary.words(), key=len, reverse=True)
    ends = sorted(glossary.words() | {"psychotherapy", "therapy", "counseling", "counselling", "medication"},
                  key=len, reverse=True)
    if starts:
        glued = re.compile(
            r"\b(" + "|".join(map(re.escape, ends)) + r")(" + "|".join(map(re.escape, starts)) + r")\b", re.I
        )
        text = glued.sub(r"\1, \2", text)
    return text


def _segment(token: str, pieces: set[str]) -> list[str] | None:
    """token as a sequence of known pieces, or None."""
    if not token:
        return []
    for size in range(len(token), 1, -1):
        head = token[:size]
        if head in pieces:
            rest = _segment(token[size:], pieces)
            if rest is not None:
                return [head, *rest]
    return None


def _escape(text: str) -> str:
    text = re.sub(r"([\\`*_\[\]])", r"\\\1", text)
    text = text.replace("<", "&lt;")
    return re.sub(r"^(\d+)\. ", r"\1\\. ", re.sub(r"^([#>+-])", r"\\\1", text))


# --- Lines to blocks ---------------------------------------------------------------------


def _heading_like(line: str) -> bool:
    words = _words(line)
    if not words or len(line) > 120 or not _capitalised(words[0]):
        return False
    if line.endswith("?"):
        return len(words) <= 20 and ". " not in line
    if re.search(r"[.!,;:…]$", line) or ". " in line:
        return False
    return len(words) <= 14


def _colon_heading(line: str) -> bool:
    return line.endswith(":") and len(_words(line)) <= 8 and is_title_case(line[:-1])


def _split_row(line: str) -> list[str] | None:
    """A row of a table whose columns lost their separator: "Individual Variability The diverse needs ..."."""
    words = _words(line)
    stop = next((i for i, w in enumerate(words) if not _capitalised(w) and w.lower() not in MINOR_WORDS), None)
    if stop is None:
        return None
    capitals = [i for i in range(1, stop) if _capitalised(words[i])]
    if not capitals:
        return None
    split = capitals[-1]
    first, second = words[:split], words[split:]
    if not 1 <= len(first) <= 5 or len(second) < 2 or first[-1].lower() in MINOR_WORDS:
        return None
    return [" ".join(first), " ".join(second)]


def _split_header(line: str) -> list[str] | None:
    words = _words(line)
    if not 2 <= len(words) <= 6 or not is_title_case(line) or re.search(r"[.!?,;:]$", line):
        return None
    if len(words) == 2:
        return words
    for i in range(1, len(words) - 1):
        if _capitalised(words[i]) and words[i + 1] in MINOR_WORDS:
            return [" ".join(words[:i]), " ".join(words[i:])]
    return [" ".join(words[:-1]), words[-1]]


def _raw_lines(text: str, glossary: Glossary) -> tuple[str, list[str]]:
    text = unicodedata.normalize("NFC", text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\t", " ")
    lines = [re.sub(r"[ ]{2,}", " ", line.rstrip()) if not BULLET.match(line) else line.rstrip()
             for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise DocumentError("the document is empty")
    title = lines.pop(0).strip()
    kept = []
    for line in lines:
        stripped = line.strip()
        if AUTHOR_BLURB.match(stripped):
            break
        if any(p.match(stripped) for p in STRAY_LINES):
            continue
        kept.append(split_glued_words(line, glossary) if stripped else "")
    return title, kept


def _blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    blank = False
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            blank = True
            i += 1
            continue
        if PIPE_ROW.match(line):
            rows = []
            while i < len(lines) and PIPE_ROW.match(lines[i].strip()):
                if not PIPE_SEPARATOR.match(lines[i].strip()):
                    rows.append([cell.strip() for cell in lines[i].strip().strip("|").split("|")])
                i += 1
            blocks.append(Block("table", rows=rows, after_blank=blank))
        elif bullet := BULLET.match(lines[i]):
            ordered = bullet.group("number") is not None
            items = []
            while i < len(lines) and (b := BULLET.match(lines[i])) and (b.group("number") is not None) == ordered:
                items.append(("", b.group("text").strip()))
                i += 1
            blocks.append(Block("list", ordered=ordered, items=items, after_blank=blank))
        else:
            table = _space_table(lines, i)
            if table:
                block, i = table
                if blocks and blocks[-1].kind == "line" and not block.after_blank:
                    caption = blocks.pop().text
                    block.caption = re.sub(r"^Table:\s*", "", caption)
                    block.after_blank = blank
                blocks.append(block)
            else:
                blocks.append(Block("line", text=line, after_blank=blank))
                i += 1
        blank = False
    return blocks


def _space_table(lines: list[str], i: int) -> tuple[Block, int] | None:
    header = _split_header(lines[i].strip())
    if not header:
        return None
    rows = [header]
    j = i + 1
    while j < len(lines) and lines[j].strip() and not BULLET.match(lines[j]):
        row = _split_row(lines[j].strip())
        if not row:
            break
        rows.append(row)
        j += 1
    if len(rows) < 3:
        return None
    return Block("table", rows=rows, after_blank=False), j


# --- Blocks to a guide -------------------------------------------------------------------


def _classify(blocks: list[Block], title: str) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        if block.kind != "line":
            out.append(block)
            continue
        text = block.text
        if _normal(text) == _normal(title):
            continue  # the page repeated its own title
        if _heading_like(text):
            out.append(Block("heading", text=text, after_blank=block.after_blank))
        elif _colon_heading(text):
            out.append(Block("subheading", text=text[:-1], after_blank=block.after_blank))
        elif (lead := LEAD_IN_HEADING.match(text)) and is_title_case(lead.group("heading")):
            out.append(Block("subheading", text=lead.group("heading"), after_blank=block.after_blank))
            out.append(Block("paragraph", text=lead.group("rest")))
        elif (labelled := LABEL.match(text)) and is_title_case(labelled.group("label")) and len(
            _words(labelled.group("rest"))
        ) >= 4:
            label, rest = labelled.group("label"), labelled.group("rest")
            if label.lower() == "quote":
                out.append(Block("quote", text=rest.strip("“”\" ")))
            else:
                out.append(Block("paragraph", text=rest, label=label))
        else:
            out.append(Block("paragraph", text=text, after_blank=block.after_blank))
    for block in out:
        if block.kind == "list":
            block.items = [_item_label(text) for _, text in block.items]
    return out


def _item_label(text: str) -> tuple[str, str]:
    """ "Improved Emotional Regulation: Learning to ..." keeps its lead-in as a label."""
    head, sep, rest = text.partition(": ")
    if sep and len(_words(head)) <= 6 and not re.search(r"[.!?,;]", head) and len(_words(rest)) >= 2:
        return head, rest
    return "", text


def _remove_debris(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    seen: list[str] = []
    for block in blocks:
        if block.kind == "list":
            block.items = [(label, text) for label, text in block.items if not PLACEHOLDER_ITEM.search(text)]
            if not block.items:
                continue
        if block.kind in ("paragraph", "quote"):
            kept = [s for s in sentences(block.text) if not PITCH.search(s)]
            text = " ".join(kept)
            if text and not TERMINAL.search(text) and len(_words(text)) >= 12:
                # The page cut the paragraph off mid-word: keep its complete sentences.
                complete = sentences(text)[:-1]
                text = " ".join(complete)
            if not text:
                continue
            if any(_normal(text) in earlier for earlier in seen):
                continue  # a pull quote repeating a sentence already on the page
            seen.append(_normal(text))
            block.text = text
        out.append(block)
    # A sentence ending in a colon that introduces nothing (its list or table was lost).
    for index, block in enumerate(out):
        following = out[index + 1] if index + 1 < len(out) else None
        if block.kind == "paragraph" and block.text.endswith(":") and (
            following is None or following.kind not in ("list", "table")
        ):
            block.text = " ".join(sentences(block.text)[:-1])
    out = [b for b in out if b.kind not in ("paragraph", "quote") or b.text]
    # A heading with nothing under it (page furniture at the end).
    while out and out[-1].kind in ("heading", "subheading"):
        out.pop()
    return out


def _assign_levels(blocks: list[Block], spaced: bool) -> None:
    """Headings become h2 (a section) or h3 (a sub-section).

    A section heading sits right above its first sub-heading, or, in documents that separate paragraphs with
    blank lines, above a one-paragraph introduction followed by its sub-headings.
    """
    headings = [i for i, b in enumerate(blocks) if b.kind == "heading"]
    parents = {i for n, i in enumerate(headings) if _introduces_section(blocks, headings, n, spaced)}
    seen_parent = False
    level = 2
    for i, block in enumerate(blocks):
        if block.kind == "heading":
            if i in parents or block.text.casefold() in CLOSING_HEADINGS:
                seen_parent = i in parents
                block.level = 2
            else:
                block.level = 3 if seen_parent else 2
            level = block.level
        elif block.kind == "subheading":
            block.level = min(level + 1, 4)


def _introduces_section(blocks: list[Block], headings: list[int], n: int, spaced: bool) -> bool:
    i = headings[n]
    following = blocks[i + 1] if i + 1 < len(blocks) else None
    if following is None:
        return False
    if following.kind in ("heading", "subheading"):
        return True
    return (
        spaced
        and following.kind == "paragraph"
        and n + 2 < len(headings)
        and headings[n + 1] == i + 2
        and _section_length(blocks, headings[n + 1]) > 1
    )


def _section_length(blocks: list[Block], start: int) -> int:
    n = 0
    for block in blocks[start + 1:]:
        if block.kind in ("heading", "subheading"):
            break
        n += 1
    return n


def _markdown(blocks: list[Block]) -> str:
    parts = []
    for block in blocks:
        if block.kind in ("heading", "subheading"):
            parts.append("#" * block.level + " " + _escape(block.text))
        elif block.kind == "paragraph":
            label = f"**{_escape(block.label)}:** " if block.label else ""
            parts.append(label + _escape(block.text))
        elif block.kind == "quote":
            parts.append("> " + _escape(block.text))
        elif block.kind == "list":
            lines = []
            for n, (label, text) in enumerate(block.items, start=1):
                marker = f"{n}." if block.ordered else "-"
                lead = f"**{_escape(label)}:** " if label else ""
                lines.append(f"{marker} {lead}{_escape(text)}")
            parts.append("\n".join(lines))
        elif block.kind == "table":
            if block.caption:
                parts.append(f"**{_escape(block.caption)}**")
            width = max(len(r) for r in block.rows)
            rows = [r + [""] * (width - len(r)) for r in block.rows]
            lines = ["| " + " | ".join(_escape(c).replace("|", "\\|") for c in row) + " |" for row in rows]
            lines.insert(1, "|" + " --- |" * width)
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _summary(blocks: list[Block]) -> str:
    first = next((b.text for b in blocks if b.kind == "paragraph" and not b.label), "")
    summary = ""
    for sentence in sentences(first):
        if summary and len(summary) + len(sentence) + 1 > SUMMARY_MAX_CHARS:
            break
        summary = f"{summary} {sentence}".strip()
    return summary


TOPIC_KEYWORDS: list[tuple[str, re.Pattern]] = [
    (Topic.NOT_WORKING, re.compile(
        r"isn[’']?t (working|effective|helping)|aren[’']?t helping|not working|ineffective|therapy fails|stalled"
        r"|therapy challenges|next steps",
        re.I,
    )),
    (Topic.TREATMENT_RESISTANCE, re.compile(r"treatment[- ]resist\w*", re.I)),
    (Topic.MEDICATION, re.compile(r"\bmedications?\b|antidepressants?|pharmacolog\w*", re.I)),
    (Topic.COMPLEMENTARY, re.compile(r"complementary|alternative|\bart\b|music|yoga|biofeedback", re.I)),
    (Topic.FINDING, re.compile(r"find(ing)? (a|the right) (therapist|provider)|choosing a|qualified provider", re.I)),
    (Topic.APPROACHES, re.compile(r"approach(es)?|modalit(y|ies)|techniques", re.I)),
]


def choose_topic(title: str, headings: list[str]) -> str:
    """The topic the title names, else the one most headings name; the list order settles ties."""
    scores = []
    for rank, (topic, pattern) in enumerate(TOPIC_KEYWORDS):
        score = 10 * len(pattern.findall(title)) + sum(1 for h in headings if pattern.search(h))
        scores.append((-score, rank, topic))
    return min(scores)[2]


MARKDOWN_HEADING = re.compile(r"^#{1,6} (?P<text>.*)$")
MARKDOWN_CAPTION = re.compile(r"^\*\*.*\*\*$")
MARKDOWN_TABLE_RULE = re.compile(r"^\|( --- \|)+$")
MARKDOWN_LEAD = re.compile(r"^(?:>\s|-\s|\d+\.\s)?(?:\*\*.+?:\*\*\s)?")


def _unescaped(text: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def _tags(title: str, body: str, glossary: Glossary) -> tuple[list[str], list[str]]:
    """Terms the guide, as edited, plainly discusses.

    A named therapy is never mentioned by accident, so one mention tags a modality; condition names are also
    everyday words ("stress", "trauma"), so a condition needs two mentions or a heading. Labels ("**Label:**")
    and table captions are the document's furniture and do not count.
    """
    text, headings = [], [title]
    for line in body.splitlines():
        line = line.strip()
        if not line or MARKDOWN_CAPTION.match(line) or MARKDOWN_TABLE_RULE.match(line):
            continue
        if heading := MARKDOWN_HEADING.match(line):
            headings.append(_unescaped(heading.group("text")))
            text.append(headings[-1])
        elif line.startswith("|"):
            text.extend(_unescaped(cell.strip()) for cell in re.split(r"(?<!\\)\|", line.strip("|")))
        else:
            text.append(_unescaped(MARKDOWN_LEAD.sub("", line, count=1)))
    counts = glossary.count("\n".join(text))
    in_headings = set(glossary.count("\n".join(headings)))
    chosen = [
        t for t in glossary.terms
        if t in in_headings or counts[t] >= (1 if t.kind == "modality" else 2)
    ]
    modalities = sorted(t.slug for t in chosen if t.kind == "modality")
    conditions = sorted(t.slug for t in chosen if t.kind == "condition")
    return modalities, conditions


def parse_document(
    text: str, source: str, glossary: Glossary, edits: dict[str, GuideEdits] | None = None
) -> Document:
    """The document as a guide, with the edits for its slug applied (DocumentError if one no longer applies)."""
    title, lines = _raw_lines(text, glossary)
    content = [line for line in lines if line.strip()]
    blank_lines = len(lines) - len(content)
    trailing = len(lines) - len("\n".join(lines).rstrip("\n").split("\n"))
    spaced = (blank_lines - trailing) >= 0.6 * max(len(content), 1)
    blocks = _remove_debris(_classify(_blocks(lines), title))
    _assign_levels(blocks, spaced)
    if not any(b.kind == "paragraph" for b in blocks):
        raise DocumentError("no paragraphs of text were found")
    slug = slugify(title)[:200] or slugify(Path(source).stem)
    body, summary = _markdown(blocks), _summary(blocks)
    edited = (edits or {}).get(slug) or GuideEdits(slug)
    try:
        body, summary = edited.apply(body, summary)
    except EditError as error:
        raise DocumentError(str(error)) from error
    modalities, conditions = _tags(title, body, glossary)
    headings = [b.text for b in blocks if b.kind in ("heading", "subheading")]
    return Document(
        source=source,
        title=title,
        slug=slug,
        summary=summary,
        body=body,
        topic=choose_topic(title, headings),
        modalities=modalities,
        conditions=conditions,
        in_short=edited.in_short,
        reviewed_on=edited.reviewed_on,
        reviewed_by=edited.reviewed_by,
        notes=[(note.claim, note.note) for note in edited.notes],
    )


# --- Files to the database ----------------------------------------------------------------


def read_documents(
    paths: list[Path], glossary: Glossary, edits: dict[str, GuideEdits] | None = None
) -> tuple[list[Document], list[str]]:
    """Every document parsed and edited, or the reason each bad one was refused."""
    documents, errors = [], []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            documents.append(parse_document(text, path.name, glossary, edits))
        except FileNotFoundError:
            errors.append(f"{path}: no such file")
        except IsADirectoryError:
            errors.append(f"{path}: is a directory, not a document")
        except UnicodeDecodeError:
            errors.append(f"{path}: not UTF-8 text")
        except DocumentError as error:
            errors.append(f"{path}: {error}")
    slugs: dict[str, str] = {}
    for document in documents:
        if document.slug in slugs:
            errors.append(f"{document.source}: has the same title as {slugs[document.slug]}")
        slugs[document.slug] = document.source
    return documents, errors


@transaction.atomic
def save_guides(documents: list[Document]) -> list[Guide]:
    """Create or update one guide per document, matched by slug; its editor's notes become the edit file's."""
    from directory.models import Condition, Modality

    guides = []
    for document in documents:
        guide, _ = Guide.objects.update_or_create(
            slug=document.slug,
            defaults={
                "title": document.title,
                "summary": document.summary,
                "in_short": document.in_short,
                "body": document.body,
                "source": document.source,
                "topic": document.topic,
                "reviewed_on": document.reviewed_on,
                "reviewed_by": document.reviewed_by,
            },
        )
        guide.modalities.set(Modality.objects.filter(slug__in=document.modalities))
        guide.conditions.set(Condition.objects.filter(slug__in=document.conditions))
        guide.notes.exclude(claim__in=[claim for claim, _ in document.notes]).delete()
        for claim, note in document.notes:
            EditorNote.objects.update_or_create(guide=guide, claim=claim, defaults={"note": note})
        guides.append(guide)
    return guides


FIXTURE_FIELDS = ["slug", "title", "summary", "in_short", "body", "source", "topic", "reading_minutes", "published",
                  "reviewed_on", "reviewed_by", "modalities", "conditions"]
NOTE_FIELDS = ["guide", "claim", "note"]


def fixture_json(guides: list[Guide]) -> str:
    """The guides and their notes as a loaddata fixture with natural keys: the same guides give the same text."""
    ordered = list(Guide.objects.filter(pk__in=[g.pk for g in guides]).order_by("slug"))
    notes = EditorNote.objects.filter(guide__in=ordered).select_related("guide").order_by("guide__slug", "claim")
    text = serializers.serialize(
        "json", [*ordered, *notes], fields=FIXTURE_FIELDS + NOTE_FIELDS, indent=2, sort_keys=True,
        use_natural_foreign_keys=True, use_natural_primary_keys=True,
    )
    return text + "\n"
