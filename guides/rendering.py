"""A guide's Markdown body to safe HTML: table of contents, taxonomy mentions linked, crisis detection."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

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


@dataclass
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)  # [{"id", "name", "children": [...]}]
    discusses_crisis: bool = False


def render_body(body: str, glossary: Glossary | None = None) -> Rendered:
    """Markdown to sanitised HTML, each modality and condition linked at its first mention."""
    md = markdown.Markdown(extensions=["tables", "toc", "sane_lists"], extension_configs={"toc": {"toc_depth": "2-3"}})
    raw = md.convert(body or "")
    clean = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        id_prefix=ID_PREFIX,
    )
    clean = link_mentions(clean, glossary if glossary is not None else Glossary.from_taxonomy())
    text = html.unescape(TAG.sub(" ", clean))
    return Rendered(html=clean, toc=_toc(md.toc_tokens), discusses_crisis=bool(CRISIS.search(text)))


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
