"""Writing the published directory as HSDS JSON files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from directory.models import Provider

from . import identifiers as ids
from . import mapping

CHUNK = 500
FILES = ("services.json", "organizations.json", "taxonomies.json", "taxonomy_terms.json")


def _dump(value: Any) -> str:
    # One compact object per line: the C encoder (indent= falls back to Python, several times slower),
    # and still a readable diff from one export to the next.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _write_array(path: Path, items: Iterator[Any]) -> int:
    """Write a JSON array item by item, so a large directory never sits in memory as one string."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for item in items:
            out.write(",\n" if count else "\n")
            out.write(_dump(item))
            count += 1
        out.write("\n]\n" if count else "]\n")
    return count


def export_directory(directory: Path, base_url: str) -> dict[str, int]:
    """Write services, organizations, taxonomies and taxonomy terms; {file name: how many objects}.

    Each file is written beside its final name and moved into place, so a reader never sees half a file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    vocabulary = mapping.HsdsTerms()
    members: dict[tuple[str, str], list[mapping.Member]] = {}
    rows = Provider.objects.published().order_by("name", "slug").values_list("practice_name", "slug", "name",
                                                                             "website")
    for practice_name, slug, name, website in rows.iterator(chunk_size=5000):
        key = ("practice", practice_name) if practice_name else ("provider", slug)
        members.setdefault(key, []).append(mapping.Member(name, slug, website))
    organizations = {key: mapping.organization(key, people) for key, people in members.items()}

    def services() -> Iterator[dict[str, Any]]:
        providers = mapping.for_hsds(Provider.objects.published().order_by("name", "id"))
        for provider in providers.iterator(chunk_size=CHUNK):
            yield mapping.service(provider, base_url=base_url, vocabulary=vocabulary,
                                  organization=organizations[ids.organization_key(provider)])

    contents = {
        "services.json": services(),
        "organizations.json": iter(sorted(organizations.values(), key=lambda o: (o["name"], o["id"]))),
        "taxonomies.json": iter([mapping.taxonomy()]),
        "taxonomy_terms.json": iter(vocabulary.all_terms()),
    }
    counts = {}
    for name, items in contents.items():
        partial = directory / f".{name}.partial"
        counts[name] = _write_array(partial, items)
        os.replace(partial, directory / name)
    return counts
