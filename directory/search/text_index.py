"""The free-text index: for each word (lexeme) of the stored search vectors and each field weight, the
providers that have it there, as a compressed bitmap kept in PostgreSQL (TextIndexEntry).

Why this engine. A broad query asked first ("anxiety therapy": 570,450 of 949,810 published providers)
needs three things at once: the top of the page in relevance order, the total, and every match as a
bitmap for the facet counts (directory.search.facet_index). Measured side by side on the same 1M data in
one run (`manage.py bench_text`; docs/bench/text-1m.txt, the README), top 20 + total + matches:
- PostgreSQL's GIN index finds the matches but reads and ranks every matching row: 1.5 to 6 s;
- the RUM index access method orders by rank inside the index, yet its top 20 alone took 0.4 to 3.9 s,
  the total and the matching ids still read every matching row (1.7 to 7.8 s in all), and its index is
  3.5 times the GIN one, every edit rewriting posting lists with their positions;
- Tantivy ranks and counts in milliseconds, but its Python bindings hand every matching id back as an
  object (0.2 to 0.8 s in all); its files live beside the database with a single writer that every
  process editing a provider would have to reach; and it ranks by BM25 where the SQL path ranks otherwise;
- these bitmaps answer the whole query in 8 to 30 ms from a few rows read by key in one statement, cost
  the workers no memory between requests, are kept in step in the same transactions as the edits, and
  are rebuilt from the search vectors by one command (`manage.py rebuild_text_index`).

How. PostgreSQL parses the query (query.PARSE_SQL: websearch_to_tsquery, as the SQL path does); the
entries of its words are read and combined (and, or, -word) over the published providers. Providers whose
search text changed since the last build (TextIndexChange, noted by text.refresh_search_vectors in the same
transaction) are read from their own rows instead, so a search follows every edit at once; past
CHANGES_KEPT of them the index is dropped, and searches run in SQL until it is rebuilt. Relevance is the
rule of directory.search.query applied to bitmaps (score_buckets); ties fall by name, in the database's
own name order. What the index cannot answer goes to the SQL path of directory.search.text, which gives
the same answer, slower: a quoted phrase, words that match nobody (names found by trigram), an index that
is missing, not built or unreadable (logged for the operator, never an error page).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection, transaction
from pyroaring import BitMap

from ..models import Provider, TextIndexChange, TextIndexEntry
from . import query as text_query

log = logging.getLogger(__name__)

# Providers changed since the last build that a search reads from their rows; past this, the index is
# dropped until rebuilt (a bulk import: rebuild at its end).
CHANGES_KEPT = 10_000
# The entry whose lexeme is blank lists every provider the build read: its presence means "built".
BUILT = ("", "")
WEIGHTS = tuple(weight for weight, _ in text_query.FIELD_POINTS)
WARN_EVERY_SECONDS = 300

_warned: dict[str, float] = {}


class NotAnswered(Exception):  # noqa: N818  (not an error: the SQL path answers)
    """The index cannot answer this query; with a message when the operator should hear of it."""


# --- Answering a query -------------------------------------------------------------------


@dataclass(frozen=True)
class IndexedMatches:
    """The published providers a query finds (ids), grouped by relevance, best first (buckets)."""

    ids: BitMap
    buckets: tuple[tuple[int, BitMap], ...]  # (score, providers), best score first
    population: int  # published providers: how dense a bucket is

    def ranked_within(self, hits: BitMap, start: int, stop: int) -> list[int]:
        """The [start:stop] slice, in ProviderQuerySet.by_relevance() order, of the matches among hits."""
        found: list[int] = []
        every = len(hits) == len(self.ids)
        for _, providers in self.buckets:
            if stop <= 0:
                break
            part = providers if every else providers & hits
            size = len(part)
            if start < size:
                found += by_name(part, start, min(stop, size) - start, self.population)
            start, stop = max(0, start - size), stop - size
        return found


def find(query: str, published: BitMap, last: BitMap | None = None) -> IndexedMatches | None:
    """The providers among published that query finds, from the index; None where the SQL path answers. Those in
    last (unconfirmed registry listings: ProviderQuerySet.by_relevance()) come after all the others."""
    if not text_query.uses_postgres() or not _tables_exist():
        return None
    try:
        # Inside a transaction, a savepoint: a failed read must leave it usable for the SQL path.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            return _find(query, published, last or BitMap())
    except NotAnswered as reason:
        if reason.args:
            warn(reason.args[0])
    except Exception as error:  # noqa: BLE001  (the SQL path still answers: never an error page)
        warn(f"the free-text index could not be read ({error.__class__.__name__}: {error}); searching in SQL "
             "until it is rebuilt with `manage.py rebuild_text_index`")
    return None


def _find(query: str, published: BitMap, last: BitMap) -> IndexedMatches | None:
    parsed, entries, changed, now = _read(query)
    if BUILT not in entries:
        raise NotAnswered("the free-text index is not built: searching in SQL until "
                          "`manage.py rebuild_text_index` builds it")
    if len(changed) > CHANGES_KEPT:
        raise NotAnswered(f"more than {CHANGES_KEPT} providers changed since the free-text index was built: "
                          "searching in SQL until `manage.py rebuild_text_index` rebuilds it")
    # Nothing to search for, a phrase (word positions needed), or words read apart from those scored.
    if parsed.tree is None or parsed.has_phrase or not parsed.words <= parsed.scored:
        raise NotAnswered()
    nothing = BitMap()

    def holding(word: str, weight: str) -> BitMap:
        """The providers whose search vector has word with that weight, as of now."""
        return (entries.get((word, weight), nothing) - changed) | now.get((word, weight), nothing)

    matched = evaluate(parsed.tree, holding, published) & published
    if not matched:
        raise NotAnswered()  # perhaps a name with a typo: the SQL path compares names by trigram
    buckets = text_query.score_buckets(matched, parsed.scored, holding)
    if last & matched:
        buckets = tuple((score, part) for score, bucket in buckets for part in (bucket - last,) if part) + tuple(
            (score, part) for score, bucket in buckets for part in (bucket & last,) if part)
    return IndexedMatches(matched, buckets, len(published))


def _read(query: str):
    """In one query: the parsed query, the index entries of its words (and the one saying it is built), and the
    providers changed since the build (at most CHANGES_KEPT + 1) with the weights each has the words in now."""
    entry, change, provider = (model._meta.db_table for model in (TextIndexEntry, TextIndexChange, Provider))
    sql = (
        f"WITH q AS ({text_query.PARSE_SQL})"
        f" SELECT 'query', NULL::text, NULL::text, NULL::bytea, NULL::bigint, q.* FROM q"
        f" UNION ALL SELECT 'entry', e.lexeme, e.weight, e.providers, NULL, NULL, NULL"
        f" FROM {entry} e, q WHERE e.lexeme = ANY(q.words) OR e.lexeme = ''"
        f" UNION ALL SELECT 'change', u.lexeme, NULL, NULL, c.provider_id, NULL, u.weights"
        f" FROM q CROSS JOIN (SELECT provider_id FROM {change} LIMIT %(over)s) c"
        f" LEFT JOIN {provider} p ON p.id = c.provider_id"
        f" LEFT JOIN LATERAL unnest(p.search_vector) AS u(lexeme, positions, weights) ON u.lexeme = ANY(q.words)"
    )
    parsed, entries, changed, now = None, {}, BitMap(), {}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"config": text_query.SEARCH_CONFIG, "text": query, "over": CHANGES_KEPT + 1})
        for kind, lexeme, weight, providers, pk, tsquery, words in cursor.fetchall():
            if kind == "query":
                parsed = text_query.parsed(tsquery, words)
            elif kind == "entry":
                entries[(lexeme, weight)] = BitMap.deserialize(bytes(providers))
            else:
                changed.add(pk)
                for held in set(words or ()):  # the weights this provider has the lexeme in
                    now.setdefault((lexeme, held), BitMap()).add(pk)
    return parsed, entries, changed, now


def evaluate(node: tuple, holding, published: BitMap) -> BitMap:
    """The providers a parsed query (query.ParsedQuery.tree) matches; -word among the published."""
    kind, value = node
    if kind == "word":
        return BitMap.union(BitMap(), *(holding(value, weight) for weight in WEIGHTS))
    if kind == "not":
        return published - evaluate(value, holding, published)
    parts = [evaluate(child, holding, published) for child in value]
    if kind == "and":
        return BitMap.intersection(*parts) if len(parts) > 1 else parts[0]
    if kind == "or":
        return BitMap.union(*parts)
    raise NotAnswered()  # a phrase needs word positions


def by_name(ids: BitMap, skip: int, count: int, population: int) -> list[int]:
    """count of ids in name order (then id), after skipping skip: read in the database's order, the cheaper
    way: sort just these ids, or walk every published provider by name until enough are among them."""
    if count <= 0:
        return []
    table = Provider._meta.db_table
    walk = (skip + count) * population / max(1, len(ids))
    with connection.cursor() as cursor:
        if walk > 2 * len(ids):
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY name, id OFFSET %s LIMIT %s",
                           [list(ids), skip, count])
            return [pk for (pk,) in cursor.fetchall()]
        found: list[int] = []
        batch = min(50_000, max(200, int(walk * 1.2)))
        after: tuple[str, int] | None = None
        while len(found) < count:
            if after is None:
                cursor.execute(f"SELECT id, name FROM {table} WHERE published ORDER BY name, id LIMIT %s", [batch])
            else:
                cursor.execute(f"SELECT id, name FROM {table} WHERE published AND (name, id) > (%s, %s)"
                               f" ORDER BY name, id LIMIT %s", [*after, batch])
            rows = cursor.fetchall()
            for pk, _ in rows:
                if pk in ids:
                    if skip:
                        skip -= 1
                    else:
                        found.append(pk)
                        if len(found) == count:
                            break
            if len(rows) < batch:
                break
            after, batch = (rows[-1][1], rows[-1][0]), min(50_000, batch * 2)
        return found


def warn(message: str) -> None:
    """Tell the operator, at most once every WARN_EVERY_SECONDS for the same message in this process."""
    now = time.monotonic()
    if now - _warned.get(message, -WARN_EVERY_SECONDS) >= WARN_EVERY_SECONDS:
        _warned[message] = now
        log.warning(message)


# --- Keeping it in step ------------------------------------------------------------------


def note_changes(cursor, provider_ids: list[int]) -> None:
    """These providers' search text is being rewritten (text.refresh_search_vectors, same transaction):
    searches read them from their rows until the next build; too many, and the index is dropped."""
    change, entry = TextIndexChange._meta.db_table, TextIndexEntry._meta.db_table
    # Asked each time, not remembered: a migration (even one run backwards) refreshes vectors without them.
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [change])
    if not cursor.fetchone()[0]:
        return
    # A change already noted is written again: its new row version (xmin) tells a rebuild under way that it
    # came after the rebuild read the vectors, so that the rebuild keeps it.
    cursor.execute(
        f"INSERT INTO {change} (provider_id) SELECT DISTINCT unnest(%s::bigint[])"
        f" WHERE EXISTS (SELECT 1 FROM {entry} WHERE lexeme = '' AND weight = '')"
        f" ON CONFLICT (provider_id) DO UPDATE SET provider_id = EXCLUDED.provider_id",
        [list(provider_ids)],
    )
    if cursor.rowcount and cursor.rowcount > 0:
        cursor.execute(f"SELECT count(*) FROM {change}")
        if cursor.fetchone()[0] > CHANGES_KEPT:
            # Searches would read too many rows: drop the index (searches run in SQL, and warn) until rebuilt.
            cursor.execute(f"DELETE FROM {entry}")
            cursor.execute(f"DELETE FROM {change}")


_tables_seen = False


def _tables_exist() -> bool:
    """Whether the index's tables were made (migrate): asked once a process, as they are there from then on."""
    global _tables_seen
    if not _tables_seen:
        _tables_seen = TextIndexEntry._meta.db_table in connection.introspection.table_names()
    return _tables_seen


# One rebuild at a time (a PostgreSQL advisory lock, held until the rebuild commits).
REBUILD_LOCK = 0x7465787469647831


@transaction.atomic
def rebuild(chunk: int = 5000) -> int:
    """Read the index again from every provider's stored search vector; the number of providers read.

    Searches and edits go on meanwhile: searches with the previous index until this one commits; an edit
    made after the vectors were read stays noted as a change.
    """
    if not text_query.uses_postgres():
        return 0
    change, provider = TextIndexChange._meta.db_table, Provider._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REBUILD_LOCK])
        # The changes noted so far, each as the row version it is now: the vectors read next include them.
        cursor.execute(f"SELECT provider_id, xmin::text FROM {change}")
        noted = cursor.fetchall()
    columns = ", ".join(f"tsvector_to_array(ts_filter(search_vector, '{{{weight.lower()}}}'))" for weight in WEIGHTS)
    bitmaps: dict[tuple[str, str], BitMap] = {}
    every = BitMap()
    waiting: dict[tuple[str, str], list[int]] = {}
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(f"SELECT id, {columns} FROM {provider} WHERE search_vector IS NOT NULL ORDER BY id")
        read = 0
        while rows := cursor.fetchmany(chunk):
            for pk, *lexemes in rows:
                for weight, words in zip(WEIGHTS, lexemes, strict=True):
                    for word in words:
                        waiting.setdefault((word, weight), []).append(pk)
            every.update(pk for pk, *_ in rows)
            read += len(rows)
            if read % 100_000 < chunk:  # bounded memory: the ids go into the bitmaps now and then
                _flush(waiting, bitmaps)
        _flush(waiting, bitmaps)
    finally:
        cursor.close()
    bitmaps[BUILT] = every
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {change} c USING unnest(%s::bigint[], %s::text[]) AS read(provider_id, version)"
            f" WHERE c.provider_id = read.provider_id AND c.xmin::text = read.version",
            [[pk for pk, _ in noted], [version for _, version in noted]],
        )
    TextIndexEntry.objects.all().delete()
    TextIndexEntry.objects.bulk_create(
        (TextIndexEntry(lexeme=word, weight=weight, providers=providers.serialize())
         for (word, weight), providers in bitmaps.items()),
        batch_size=500,
    )
    return len(every)


def _flush(waiting: dict[tuple[str, str], list[int]], bitmaps: dict[tuple[str, str], BitMap]) -> None:
    for key, ids in waiting.items():
        found = bitmaps.get(key)
        if found is None:
            bitmaps[key] = BitMap(ids)
        else:
            found.update(ids)
    waiting.clear()


def built_over() -> set[int] | None:
    """The providers the index was last built from; None when it is not built."""
    entry = TextIndexEntry.objects.filter(lexeme=BUILT[0], weight=BUILT[1]).values_list("providers", flat=True).first()
    return None if entry is None else set(BitMap.deserialize(bytes(entry)))


def rebuild_if_dropped(report: Callable[[str], object] | None = None) -> int | None:
    """After a bulk write has committed (an import, the generator): build the index again when the write dropped
    it (more than CHANGES_KEPT providers changed) or it was never built, so that searches do not stay in SQL;
    report says so. The number of providers read, else None."""
    if not text_query.uses_postgres() or not _tables_exist():
        return None
    if TextIndexEntry.objects.filter(lexeme=BUILT[0], weight=BUILT[1]).exists():
        return None
    count = rebuild()
    if report is not None:
        report(f"Built the free-text index over {count:,} providers.")
    return count


def drop() -> None:
    """Forget the index: searches run in SQL (and warn) until it is rebuilt."""
    if text_query.uses_postgres() and _tables_exist():
        TextIndexEntry.objects.all().delete()
        TextIndexChange.objects.all().delete()
