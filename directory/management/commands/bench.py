"""Benchmark: a fixed, representative set of requests through the full Django stack."""

from __future__ import annotations

import datetime
import json as _json
import os
import pickle
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from directory.models import Provider
from directory.search import facet_index
from directory.search.filters import ProviderFilter
from directory.search.results import SearchResults

SEARCH = "state=CA&modality=cbt&max_fee=100"
NEAR = "zip=90012&radius=25&sort=distance"
TEXT = "q=anxiety+therapy"
# A new worker's first request and the search after an edit may each read the whole index: fewer runs.
SLOW_RUNS = 3
MATCH = "concern=depression&tried=cbt&tried=medication-management&state=CA&budget=120&language=es&format=individual"


@dataclass
class Figures:
    name: str
    path: str
    p50: float
    p95: float
    queries: int
    size: int


def requests(profile_slug: str, profile_name: str, deep_page: int) -> list[tuple[str, str]]:
    """(name, path): the same list every run, so figures compare across runs and machines."""
    return [
        ("search, no filter", "/providers/"),
        ("search, state + modality + max_fee", f"/providers/?{SEARCH}"),
        ("search, zip + radius by distance", f"/providers/?{NEAR}"),
        ("search, full text q", f"/providers/?{TEXT}"),
        # The same query when no process remembers its matches (facet_index.text_matches): asked first.
        ("search, full text q, asked first", f"/providers/?{TEXT}&first=1"),
        # A broad query matches more than half the directory; a surname, a few providers.
        ("search, full text q (a surname)", f"/providers/?{urlencode({'q': profile_name.split()[-1]})}"),
        ("search, deep page", f"/providers/?page={deep_page}"),
        ("search, facets (htmx results)", f"/providers/?{SEARCH}&hx=1"),
        ("profile", f"/providers/{profile_slug}/"),
        ("fit finder", f"/match/?{MATCH}"),
        ("API search, state + modality + max_fee", f"/api/providers/?{SEARCH}"),
        ("API search, zip + radius by distance", f"/api/providers/?{NEAR}"),
        ("API search, full text q", f"/api/providers/?{TEXT}"),
        ("API search, full text q, asked first", f"/api/providers/?{TEXT}&first=1"),
        ("API fit finder", f"/api/match/?{MATCH}"),
    ]


def statements(captured: list[dict]) -> list[dict]:
    """The queries that read or write: not the savepoints a request takes inside a transaction (the free-text
    index reads under one when it runs in a transaction, as under the tests; a request in production does not)."""
    return [query for query in captured if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class Command(BaseCommand):
    help = "Time representative search, profile and fit-finder requests (p50/p95 ms, SQL queries, bytes)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=20, help="timed runs per request (default 20)")
        parser.add_argument("--slow-runs", type=int, default=SLOW_RUNS,
                            help=f"timed runs of a new worker's first request and of the search after an edit "
                                 f"(default {SLOW_RUNS})")
        parser.add_argument("--output", help="also write the table to this file")
        parser.add_argument("--json", help="also write the figures to this file, as JSON")
        parser.add_argument("--compare", action="append", metavar="DATABASE_URL",
                            help="run the bench on each of these databases in turn (repeat the option), each in a "
                                 "process of its own, and print their figures side by side")

    def handle(self, *args, runs: int, slow_runs: int, output: str | None, json: str | None,
               compare: list[str] | None, **options) -> None:
        if runs < 1 or slow_runs < 1:
            raise CommandError("--runs and --slow-runs must be at least 1.")
        if compare:
            text = self.compare(compare, runs, slow_runs)
        else:
            text = "\n".join(self.bench(runs, min(runs, slow_runs), json))
        self.stdout.write(text)
        if output:
            Path(output).write_text(text + "\n")

    def bench(self, runs: int, slow_runs: int, json_output: str | None) -> list[str]:
        first = Provider.objects.published().order_by("id").values_list("slug", "name").first()
        if first is None:
            raise CommandError("No published providers: run generate_providers first.")
        profile, profile_name = first
        host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"), "localhost")
        client = Client(HTTP_HOST=host)
        secure = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
        # Three quarters of the way through the unfiltered results: far enough for OFFSET to cost.
        deep_page = max(1, Provider.objects.published().count() * 3 // 4 // 20)
        timed = requests(profile, profile_name, deep_page)
        started = machine()
        figures = [self.measure(client, name, path, runs, secure) for name, path in timed]
        below = ["", *self.main_sql(runs), "", self.index_build(), self.zip_table()]
        # Last, as an edit may leave the index to be read again: no figure above pays for it.
        if _database_url():
            figures.append(self.new_worker(host, f"/providers/?{SEARCH}", slow_runs, secure))
        figures.append(self.after_edit(client, f"/providers/?{SEARCH}", slow_runs, secure))
        lines = [started, *self.table(figures, runs, slow_runs), *below, machine()]
        if json_output:
            Path(json_output).write_text(_json.dumps({
                "count": Provider.objects.published().count(), "runs": runs, "slow_runs": slow_runs,
                "figures": [f.__dict__ for f in figures], "lines": lines,
            }))
        return lines

    def new_worker(self, host: str, path: str, runs: int, secure: bool) -> Figures:
        """A fresh process: from its start to its first answered search (a test client in a new interpreter, on
        this database, with this cache: as a new worker of a deployment starts)."""
        timings, size, queries = [], 0, 0
        environment = {**os.environ, "DATABASE_URL": _database_url()}
        for _ in range(runs):
            began = time.time()
            done = subprocess.run([sys.executable, "-c", _NEW_WORKER, host, path, "1" if secure else ""],
                                  cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True,
                                  timeout=600)
            if done.returncode != 0:
                raise CommandError(f"first request in a new worker failed: {done.stderr.strip()[-500:]}")
            answer = _json.loads(done.stdout.strip().splitlines()[-1])
            if answer["status"] != 200:
                raise CommandError(f"first request in a new worker answered {answer['status']}")
            timings.append((answer["answered"] - began) * 1000)
            size, queries = answer["size"], answer["queries"]
        return Figures("first request in a new worker", path, statistics.median(timings),
                       percentile(timings, 0.95), queries, size)

    def after_edit(self, client: Client, path: str, runs: int, secure: bool) -> Figures:
        """The next search after a provider is edited through the ORM (as the admin or a provider's dashboard
        saves): whatever the index does about edits is in the figure. The edit is undone at the end."""
        provider = Provider.objects.published().order_by("id").first()
        original = provider.evenings
        timings, queries = [], 0
        try:
            for _ in range(runs):
                provider.evenings = not provider.evenings
                provider.save()
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    response = client.get(path, secure=secure)
                    timings.append((time.perf_counter() - start) * 1000)
                queries += len(captured.captured_queries)
        finally:
            if provider.evenings != original:
                provider.evenings = original
                provider.save()
        if response.status_code != 200:
            raise CommandError(f"search right after an edit answered {response.status_code}")
        return Figures("search right after an edit", path, statistics.median(timings), percentile(timings, 0.95),
                       queries // runs, len(response.content))

    def compare(self, urls: list[str], runs: int, slow_runs: int) -> str:
        """The bench on each database in turn, one process each, then their figures side by side."""
        results = []
        for url in urls:
            with tempfile.NamedTemporaryFile(suffix=".json") as figures:
                done = subprocess.run(
                    [sys.executable, "manage.py", "bench", "--runs", str(runs), "--slow-runs", str(slow_runs),
                     "--json", figures.name],
                    cwd=settings.BASE_DIR, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)
                if done.returncode != 0:
                    raise CommandError(f"The bench on {_without_password(url)} failed: {done.stderr.strip()[-500:]}")
                results.append(_json.loads(Path(figures.name).read_text()))
        lines = []
        for url, result in zip(urls, results, strict=True):
            lines += [f"== {result['count']:,} published providers ({_without_password(url)})", *result["lines"], ""]
        sizes = [f"{result['count']:,}" for result in results]
        lines.append("side by side, p50 / p95 ms: " + " | ".join(sizes))
        lines.append(f"{'request':40} " + " ".join(f"{size:>21}" for size in sizes))
        for number, figure in enumerate(results[0]["figures"]):
            cells = []
            for result in results:
                other = result["figures"][number]
                cells.append(f"{other['p50']:10.1f} {other['p95']:10.1f}")
            lines.append(f"{figure['name']:40} " + " ".join(cells))
        return "\n".join(lines)

    def measure(self, client: Client, name: str, path: str, runs: int, secure: bool) -> Figures:
        headers = {}
        if path.endswith("&hx=1"):
            path = path.removesuffix("&hx=1")
            headers = {"HX-Request": "true"}
        first = path.endswith("&first=1")
        path = path.removesuffix("&first=1")
        response = client.get(path, secure=secure, headers=headers)  # warm caches and connections
        if response.status_code != 200:
            # The request's name, not its URL: query strings stay out of logs and terminals.
            raise CommandError(f"{name} answered {response.status_code}")
        timings = []
        with CaptureQueriesContext(connection) as captured:
            for _ in range(runs):
                if first:
                    facet_index.forget_text_matches()
                start = time.perf_counter()
                response = client.get(path, secure=secure, headers=headers)
                timings.append((time.perf_counter() - start) * 1000)
        return Figures(
            name, path, statistics.median(timings), percentile(timings, 0.95),
            len(statements(captured.captured_queries)) // runs, len(response.content),
        )

    def table(self, figures: list[Figures], runs: int, slow_runs: int) -> list[str]:
        count = Provider.objects.published().count()
        lines = [
            f"{count:,} published providers on {connection.vendor}; {runs} runs each ({slow_runs} for a new "
            f"worker and after an edit)",
            f"{'request':40} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KB':>8}",
        ]
        for f in figures:
            lines.append(f"{f.name:40} {f.p50:8.1f} {f.p95:8.1f} {f.queries:8d} {f.size / 1024:8.1f}")
        return lines

    def index_build(self) -> str:
        """How long a process takes to read the facet index after an edit, and its size in the cache."""
        start = time.perf_counter()
        index = facet_index.build()
        took = time.perf_counter() - start
        return f"facet index: read in {took * 1000:.0f} ms, {len(pickle.dumps(index)) / 1024:.0f} KB in the cache"

    def zip_table(self) -> str:
        """The first ZIP search's set-up in a new process: reading the shipped table, and (as before it shipped)
        making the table from the zipcodes package; time and memory, each in a fresh interpreter."""
        shipped = _cold_start("geo.zip_centre('90012')")
        from_package = _cold_start("geo.ZipTable.from_package().place('90012')")
        return (
            f"ZIP table, first search of a new process: read in {shipped['ms']:.1f} ms, +{shipped['mb']:.1f} MB; "
            f"made from the zipcodes package (before) {from_package['ms']:.0f} ms, +{from_package['mb']:.0f} MB"
        )

    def main_sql(self, runs: int) -> list[str]:
        """The search as the page runs it, without rendering (first page of 20 with its rows, the total and
        the facet counts), and the time of its SQL alone: what surrounds them is the rest of each figure."""
        lines = ["search without rendering (first page of 20, total, counts), and its SQL alone:"]
        for label, query in (("state + modality + max_fee", SEARCH), ("zip + radius", NEAR), ("full text", TEXT)):
            data = QueryDict(query)  # as a request carries it: repeated parameters are lists
            timings, sql = [], []
            for _ in range(runs):
                filterset = ProviderFilter(data, queryset=Provider.objects.published())
                spent = [0.0]

                def timed(execute, *args, spent=spent):
                    began = time.perf_counter()
                    try:
                        return execute(*args)
                    finally:
                        spent[0] += time.perf_counter() - began

                with connection.execute_wrapper(timed):
                    start = time.perf_counter()
                    results = SearchResults(filterset)
                    list(results.page())
                    results.counts  # noqa: B018  (read: the search's counts are part of its cost)
                    timings.append((time.perf_counter() - start) * 1000)
                sql.append(spent[0] * 1000)
            lines.append(
                f"  {label:30} search p50 {statistics.median(timings):6.1f} p95 {percentile(timings, 0.95):6.1f} ms;"
                f" SQL p50 {statistics.median(sql):6.1f} p95 {percentile(sql, 0.95):6.1f} ms"
            )
        return lines


def machine() -> str:
    """The time and how busy the machine is: figures mean little without them."""
    one, five, fifteen = os.getloadavg()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{now}; load average {one:.2f} {five:.2f} {fifteen:.2f} on {len(os.sched_getaffinity(0))} cores"


def _database_url() -> str:
    """This process's database as a URL another process can open (the test database, under the tests); blank
    for an in-memory database, which no other process can."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return "" if "memory" in str(db["NAME"]) else f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _without_password(url: str) -> str:
    return re.sub(r"(//[^:/@]*):[^@]*@", r"\1:***@", url)


_NEW_WORKER = """
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
host, path, secure = sys.argv[1:4]
with CaptureQueriesContext(connection) as captured:
    response = Client(HTTP_HOST=host).get(path, secure=bool(secure))
answered = time.time()
print(json.dumps({"answered": answered, "status": response.status_code, "size": len(response.content),
                  "queries": len(captured.captured_queries)}))
"""

_COLD_START = """
import json, os, time
def resident():  # bytes in memory now (Linux)
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
before = resident()
start = time.perf_counter()
from directory import geo
{lookup}
took = time.perf_counter() - start
print(json.dumps({{"ms": took * 1000, "mb": (resident() - before) / 2**20}}))
"""


def _cold_start(lookup: str) -> dict[str, float]:
    """Time (ms) and memory growth (MB) of one ZIP lookup in a fresh interpreter."""
    code = _COLD_START.format(lookup=lookup)
    done = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True, text=True,
                          check=True, timeout=120)
    return _json.loads(done.stdout)
