"""Figures of the facet index at scale, for `manage.py facet_index bench` and the bench command's rows.

Each function measures one thing a visitor or an operator notices: how long a build takes and how large the
published copy is, how soon a new worker answers its first search (in a fresh interpreter, loading the published
copy), how soon a search after an edit shows it, the max-fee filter, and a worker's resident memory after warm-up.
The machine's load is printed beside them (os.getloadavg), since the figures only compare within one run.
"""

from __future__ import annotations

import bisect
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from pyroaring import BitMap

from ..models import Provider
from . import changes, facet_index
from .filters import ProviderFilter
from .results import SearchResults

SEARCH = "state=CA&modality=cbt&max_fee=100"
# What a worker serves in its first minutes: the searches, a free-text query, the fit finder.
WARM_UP = (
    "/providers/", f"/providers/?{SEARCH}", "/providers/?zip=90012&radius=25&sort=distance",
    "/providers/?q=anxiety+therapy", "/providers/?q=anxiety+therapy&page=2", "/providers/?q=grief",
    "/match/?concern=depression&tried=cbt&state=CA&budget=120&language=es&format=individual",
    f"/api/providers/?{SEARCH}",
)


def load() -> str:
    """The machine's load averages over 1, 5 and 15 minutes."""
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def resident_mb() -> float:
    """This process's resident memory, in MB (Linux)."""
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def build() -> dict[str, Any]:
    """A full build: its time, and the size of the copy published (pickled, bitmaps in roaring's format)."""
    start = time.perf_counter()
    index = facet_index.build()
    took = (time.perf_counter() - start) * 1000
    size = len(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    return {"ms": took, "kb": size / 1024, "providers": len(index.published), "index": index}


def search_after_an_edit(runs: int = 10) -> dict[str, float]:
    """A search right after an edit of one provider (its fee and telehealth): the time to apply the change to this
    process's copy, and the whole search with it. Each edit is undone (and that applied) before the next run."""
    facet_index.current()
    provider = Provider.objects.published().order_by("pk").first()
    applying, searching = [], []
    for run in range(runs * 2):
        with transaction.atomic():
            provider.telehealth = not provider.telehealth
            provider.save(update_fields=["telehealth"])
        started = time.perf_counter()
        facet_index.current()
        applied = time.perf_counter()
        results = SearchResults(ProviderFilter(QueryDict(SEARCH), queryset=Provider.objects.published()))
        list(results.page())
        results.counts  # noqa: B018  (the page's counts are part of the search)
        if run % 2 == 0:  # the undoing runs are not counted
            applying.append((applied - started) * 1000)
            searching.append((time.perf_counter() - started) * 1000)
    return {"apply_ms": statistics.median(applying), "search_ms": statistics.median(searching)}


def fee_filter(runs: int = 20) -> dict[str, float]:
    """The max-fee filter over the index, and as it was before (a bitmap made from a sorted tuple of every fee,
    each time), with whether both find the same providers."""
    index = facet_index.current()
    fees = sorted((Decimal(cents) / 100, pk) for cents, ids in index.fees.items() for pk in ids)
    amounts, providers = tuple(fee for fee, _ in fees), tuple(pk for _, pk in fees)
    def before() -> BitMap:
        return BitMap(providers[: bisect.bisect_right(amounts, Decimal("100"))])

    first = timed(lambda: replace(index, _costing={}).costing_at_most(Decimal("100")))
    again = statistics.median(timed(lambda: index.costing_at_most(Decimal("100"))) for _ in range(runs))
    old = statistics.median(timed(before) for _ in range(runs))
    return {"first_ms": first, "again_ms": again, "before_ms": old,
            "same": before() == index.costing_at_most(Decimal("100")),
            "before_mb": (sys.getsizeof(amounts) + sys.getsizeof(providers) + sum(map(sys.getsizeof, amounts))) / 2**20}


def new_worker(checkout: str | os.PathLike | None = None, env: dict[str, str] | None = None) -> dict[str, float]:
    """A new worker, in a fresh interpreter: its first search (the index loaded from the published copy, or built,
    as the code at checkout does), then its resident memory after serving WARM_UP."""
    done = subprocess.run(
        [sys.executable, "-c", _NEW_WORKER], cwd=checkout or settings.BASE_DIR, capture_output=True, text=True,
        timeout=900, env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


_NEW_WORKER = f"""
import json, os, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.conf import settings
from django.test import Client

def resident():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"), "localhost")
client = Client(HTTP_HOST=host)
secure = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
client.get("/healthz", secure=secure)  # the code and the connection, not the index
before = resident()
start = time.perf_counter()
from directory.search import facet_index
facet_index.current()
ready = (time.perf_counter() - start) * 1000
assert client.get("/providers/?{SEARCH}", secure=secure).status_code == 200
first = (time.perf_counter() - start) * 1000
for path in {list(WARM_UP)!r}:
    assert client.get(path, secure=secure).status_code == 200, path
print(json.dumps({{"ready_ms": ready, "first_ms": first, "first_mb": resident() - before, "warm_mb": resident()}}))
"""


def _worker_line(name: str, worker: dict[str, float]) -> str:
    return (f"  {name}: index ready in {worker['ready_ms']:.0f} ms, first search answered in {worker['first_ms']:.0f} "
            f"ms (+{worker['first_mb']:.0f} MB); resident after warm-up {worker['warm_mb']:.0f} MB ({load()})")


def report(compare_with: str | None = None, runs: int = 10) -> Iterator[str]:
    """The figures, line by line as they are measured. compare_with: a checkout of the code before, run on the
    same database."""
    yield f"facet index at {Provider.objects.published().count():,} published providers ({load()})"
    mark = changes.mark_now()
    built = build()
    yield f"  build: {built['ms']:.0f} ms; published copy {built['kb'] / 1024:.1f} MB ({load()})"
    # This build, published where a new worker finds it.
    path = settings.FACET_INDEX_PATH or str(Path(tempfile.gettempdir()) / "facet-index-bench.bin")
    facet_index.live.published.path = Path(path)
    facet_index.live.published.publish(mark, built["index"])
    facet_index.live.reset()
    yield _worker_line("new worker", new_worker(env={"FACET_INDEX_PATH": path}))
    if compare_with:
        yield _worker_line("new worker, before", new_worker(compare_with))
    edit = search_after_an_edit(runs)
    yield (f"  search right after an edit: {edit['search_ms']:.1f} ms, of which applying the edit "
           f"{edit['apply_ms']:.1f} ms (before, the next search waited for a build) ({load()})")
    fees = fee_filter(runs)
    yield (f"  max-fee filter: {fees['first_ms']:.2f} ms first, {fees['again_ms']:.3f} ms after; before "
           f"{fees['before_ms']:.2f} ms each time, and {fees['before_mb']:.0f} MB of fees per worker")
