"""Free-text search engines side by side, on this database, in one run: what a broad query asked first costs.

Each engine answers what the search page needs: the top 20 in relevance order, the total, and every
match as a bitmap for the facet counts. PostgreSQL only.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from unittest import mock

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from pyroaring import BitMap

from directory.models import Provider, TextIndexEntry
from directory.search import facet_index, text, text_index

QUERIES = ("anxiety therapy", "therapy", "grief", "cbt -dbt")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def timed(work: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """Median and worst time (ms) of runs calls, and what the last returned."""
    timings, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), max(timings), result


class Command(BaseCommand):
    help = (
        "Time free-text engines side by side on this database (PostgreSQL): today's GIN ranking, the RUM index "
        "(--rum), Tantivy (--tantivy) and the bitmap text index; top 20 + total + matches for the facet counts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=5, help="timed runs per engine and query (default 5)")
        parser.add_argument("--rum", action="store_true",
                            help="also RUM (needs postgresql-15-rum; its index made for the run, then dropped)")
        parser.add_argument("--tantivy", action="store_true", help="also Tantivy (an index made in a temporary folder)")
        parser.add_argument("--pages", action="store_true",
                            help="also the whole search page and API answer, asked first: SQL path and index")
        parser.add_argument("--query", action="append", help="a query to time (repeatable; default: a fixed list)")
        parser.add_argument("--output", help="also write the lines to this file")

    def handle(self, *args, runs: int, rum: bool, tantivy: bool, pages: bool, query: list[str] | None,
               output: str | None, **options) -> None:
        if not text.uses_postgres():
            raise CommandError("bench_text measures PostgreSQL engines: set DATABASE_URL to a PostgreSQL database.")
        self.lines: list[str] = []
        self.cleanups: list[Callable[[], object]] = []
        self.extra: list = []  # parts of an engine's work, timed alone
        queries = tuple(query or QUERIES)
        published = facet_index.current().published
        self.say(f"{len(published):,} published providers; {runs} runs each; {load()}")
        engines: list[tuple[str, Callable[[str], tuple[list[int], int, BitMap]]]] = [
            ("GIN, ts_rank (before)", self.gin_ts_rank),
            ("GIN, field points (SQL path)", self.gin_field_points),
        ]
        if rum:
            engines += [("RUM, <=> order", self.rum()), *self.extra]
            self.extra.clear()
        if tantivy:
            engines += [("Tantivy", self.tantivy()), *self.extra]
        engines.append(("bitmap text index (after)", self.bitmaps(published)))
        self.say(f"{'engine':32} {'query':18} {'matches':>9} {'p50 ms':>8} {'max ms':>8}  same matches as GIN")
        for text_query in queries:
            before = None
            for name, engine in engines:
                p50, worst, (top, total, ids) = timed(lambda engine=engine, q=text_query: engine(q), runs)
                before = ids if before is None else before
                same = "" if ids is None else "yes" if ids == before else "no"
                counted = f"{total:9,}" if total is not None else f"{'(top 20)':>9}"
                self.say(f"{name:32} {text_query:18} {counted} {p50:8.1f} {worst:8.1f}  {same}")
        if pages:
            self.pages(queries, runs)
        self.say(load())
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write("\n".join(self.lines) + "\n")
        for cleanup in self.cleanups:
            cleanup()

    def pages(self, queries: tuple[str, ...], runs: int) -> None:
        """The search page and the API's answer for each query asked first (no process remembers its matches),
        through the whole Django stack: by the SQL path (the index switched off) and by the index."""
        host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"), "localhost")
        client, secure = Client(HTTP_HOST=host), bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
        self.say(f"{'whole request, asked first':32} {'query':18} {'':>9} {'p50 ms':>8} {'max ms':>8}")
        for text_query in queries:
            for page, path in (("page", "/providers/"), ("API", "/api/providers/")):
                for engine, switched_off in (("SQL path", True), ("text index", False)):
                    def ask(path=path, text_query=text_query):
                        facet_index.forget_text_matches()
                        response = client.get(path, {"q": text_query}, secure=secure)
                        if response.status_code != 200:
                            raise CommandError(f"{path} answered {response.status_code}")

                    ask()  # the facet index, connections and templates read once
                    with mock.patch.object(text_index, "find", return_value=None) if switched_off else nullcontext():
                        p50, worst, _ = timed(ask, runs)
                    self.say(f"{page + ', ' + engine:32} {text_query:18} {'':>9} {p50:8.1f} {worst:8.1f}")

    def say(self, line: str) -> None:
        self.lines.append(line)
        self.stdout.write(line)

    # -- the engines: each returns (top 20 ids, total, every match as a bitmap) -------------------------

    def _sql(self, sql: str, params: list) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def gin_ts_rank(self, query: str):
        """Before: every match read and ranked by ts_rank in PostgreSQL."""
        rows = self._sql(
            "SELECT id FROM directory_provider, websearch_to_tsquery('english', %s) q"
            " WHERE published AND search_vector @@ q ORDER BY ts_rank(search_vector, q) DESC, name, id", [query])
        ids = [pk for (pk,) in rows]
        return ids[:20], len(ids), BitMap(ids)

    def gin_field_points(self, query: str):
        """The SQL path as it is now (what answers when the index cannot): every match ranked in PostgreSQL."""
        ids = list(text.matching(Provider.objects.published(), query).by_relevance().values_list("pk", flat=True))
        return ids[:20], len(ids), BitMap(ids)

    def rum(self):
        with connection.cursor() as cursor:
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
            except Exception as error:  # noqa: BLE001
                raise CommandError(f"RUM is not installed ({error}): apt-get install postgresql-15-rum") from error
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'provider_search_rum'")
            if cursor.fetchone() is None:
                started = time.perf_counter()
                cursor.execute("CREATE INDEX provider_search_rum ON directory_provider"
                               " USING rum (search_vector rum_tsvector_ops)")
                self.say(f"RUM index made in {time.perf_counter() - started:.0f} s")
                self.cleanups.append(lambda: connection.cursor().execute("DROP INDEX provider_search_rum"))
            cursor.execute("SELECT pg_size_pretty(pg_relation_size('provider_search_rum')),"
                           " pg_size_pretty(pg_relation_size('provider_search_vector'))")
            rum_size, gin_size = cursor.fetchone()
            self.say(f"RUM index {rum_size} (GIN {gin_size})")

        def top_alone(query: str):
            top = [pk for (pk,) in self._sql(
                "SELECT id FROM directory_provider, websearch_to_tsquery('english', %s) q"
                " WHERE published AND search_vector @@ q ORDER BY search_vector <=> q LIMIT 20", [query])]
            return top, None, None

        self.extra.append(("RUM, top 20 alone", top_alone))

        def engine(query: str):
            top = [pk for (pk,) in self._sql(
                "SELECT id FROM directory_provider, websearch_to_tsquery('english', %s) q"
                " WHERE published AND search_vector @@ q ORDER BY search_vector <=> q LIMIT 20", [query])]
            ids = [pk for (pk,) in self._sql(
                "SELECT id FROM directory_provider WHERE published"
                " AND search_vector @@ websearch_to_tsquery('english', %s)", [query])]
            return top, len(ids), BitMap(ids)

        return engine

    def tantivy(self):
        import tantivy

        folder = tempfile.mkdtemp(prefix="bench-text-")  # removed at the end of the run
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("id", stored=True, fast=True, indexed=True)
        for field in ("name", "terms", "bio"):
            builder.add_text_field(field, stored=False, tokenizer_name="en_stem")
        schema = builder.build()
        index = tantivy.Index(schema, path=folder)
        started = time.perf_counter()
        writer = index.writer(heap_size=200_000_000, num_threads=1)
        terms = self._sql(
            "SELECT p.id, p.name || ' ' || p.practice_name,"
            " coalesce((SELECT string_agg(m.name || ' ' || m.aliases, ' ') FROM directory_provider_modalities l"
            "   JOIN directory_modality m ON m.id = l.modality_id WHERE l.provider_id = p.id), '') || ' ' ||"
            " coalesce((SELECT string_agg(c.name || ' ' || c.aliases, ' ') FROM directory_provider_conditions l"
            "   JOIN directory_condition c ON c.id = l.condition_id WHERE l.provider_id = p.id), ''),"
            " p.bio FROM directory_provider p WHERE p.published ORDER BY p.id", [])
        for pk, name, described, bio in terms:
            writer.add_document(tantivy.Document(id=pk, name=name, terms=described, bio=bio))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self.say(f"Tantivy index made in {time.perf_counter() - started:.0f} s,"
                 f" {sum(f.stat().st_size for f in os.scandir(folder)) / 2**20:.0f} MB")
        searcher = index.searcher()

        def top_alone(query: str):
            parsed = index.parse_query(query, ["name", "terms", "bio"],
                                       field_boosts={"name": 10, "terms": 4, "bio": 2}, conjunction_by_default=True)
            found = searcher.search(parsed, 20, count=True)
            return searcher.fast_field_values("id", [address for _, address in found.hits]), found.count, None

        self.extra.append(("Tantivy, top 20 + count alone", top_alone))

        def engine(query: str):
            parsed = index.parse_query(query, ["name", "terms", "bio"],
                                       field_boosts={"name": 10, "terms": 4, "bio": 2}, conjunction_by_default=True)
            found = searcher.search(parsed, 20, count=True)
            top = searcher.fast_field_values("id", [address for _, address in found.hits])
            # Every match, for the facet counts: the cheapest way out of the bindings is ordering by the id
            # fast field, which hands each id back with its hit.
            every = searcher.search(parsed, max(1, found.count), count=False, order_by_field="id").hits
            return top, found.count, BitMap(pk for pk, _ in every)

        self.cleanups.append(lambda: shutil.rmtree(folder, ignore_errors=True))
        return engine

    def bitmaps(self, published: BitMap):
        entries = TextIndexEntry.objects.count()
        if not entries:
            raise CommandError("The text index is not built: run `manage.py rebuild_text_index` first.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", [TextIndexEntry._meta.db_table])
            self.say(f"bitmap text index: {entries:,} entries, {cursor.fetchone()[0]} in PostgreSQL")

        def engine(query: str):
            found = text_index.find(query, published)
            if found is None:
                raise CommandError(f"the text index did not answer {query!r}")
            return found.ranked_within(found.ids, 0, 20), len(found.ids), found.ids

        return engine
