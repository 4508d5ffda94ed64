"""The published providers in each order known without a search (name, fee, recent): a deep page without OFFSET.

OFFSET steps over every earlier row: some 700,000 for a page three quarters of the way through a million
providers. Here each order is read once (one query, the order ProviderQuerySet.sorted_by() declares) for the
version of the facet index a process holds, and a page of a search's hits (a bitmap) is found in it: the order
is cut into blocks of BLOCK positions, each with a bitmap of its ids; counting the hits in each block (one
intersection each, in C) finds the block where the page starts, and only from there are ids walked one by one.
"""

from __future__ import annotations

import threading
import weakref
from array import array
from dataclasses import dataclass

from pyroaring import BitMap

from ..models import Provider
from . import facet_index

BLOCK = 4096


@dataclass(frozen=True)
class SortOrder:
    ids: array  # every published provider's id, in the order
    members: BitMap  # the same ids, as a set
    blocks: tuple[BitMap, ...]  # ids[k * BLOCK : (k + 1) * BLOCK] of each block k, as a set

    @classmethod
    def of(cls, ids: array) -> SortOrder:
        blocks = tuple(BitMap(ids[start : start + BLOCK]) for start in range(0, len(ids), BLOCK))
        return cls(ids=ids, members=BitMap(ids), blocks=blocks)

    def page(self, hits: BitMap, start: int, stop: int) -> list[int]:
        """The [start:stop] slice of hits, in this order."""
        if hits == self.members:
            return list(self.ids[start:stop])
        found: list[int] = []
        seen = 0  # hits before the block at hand
        for number, block in enumerate(self.blocks):
            inside = hits.intersection_cardinality(block)
            if seen + inside <= start:
                seen += inside
                continue
            for pk in self.ids[number * BLOCK : (number + 1) * BLOCK]:
                if pk in hits:
                    if seen >= start:
                        found.append(pk)
                        if len(found) == stop - start:
                            return found
                    seen += 1
        return found


# Sorts whose order is read here; relevance without a text query (ProviderQuerySet.by_relevance) is by name, with
# the basic registry listings no provider confirmed after the others.
SORTS = ("relevance", "name", "fee", "recent")

_held: dict[str, SortOrder] = {}
_held_for: weakref.ref | None = None  # the facet index the orders were read under
_lock = threading.Lock()


def read(sort: str) -> SortOrder:
    """The order of sort (one of SORTS), read once for the facet index this process holds."""
    global _held_for
    index = facet_index.current()
    with _lock:
        if _held_for is None or _held_for() is not index:
            _held.clear()
            _held_for = weakref.ref(index)
        found = _held.get(sort)
        if found is None:
            ids = array("I", Provider.objects.published().sorted_by(sort).values_list("pk", flat=True))
            found = _held[sort] = SortOrder.of(ids)
        return found


def held(sort: str) -> bool:
    """Whether this process already holds the order of sort for its facet index."""
    index = facet_index.current()
    with _lock:
        return sort in _held and _held_for is not None and _held_for() is index
