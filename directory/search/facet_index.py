"""The facet index: for every search facet value, the set of providers that have it, as a bitmap of ids.

A search page shows, beside its results, how many of them have each approach, concern, credential,
state, language and yes/no feature: some 150 counts. In SQL that is a join per family over every
result, hundreds of milliseconds once a search matches thousands of the providers. With a compressed
bitmap (pyroaring) per value, the results of the filters the index knows are the intersection of a few
bitmaps, and each count is one intersection's size: microseconds.

The index is a copy of the database, kept up to date and never rebuilt while a visitor waits:
- read(): what the index holds of some providers (or of all: a build), the one reading of it;
- each process keeps its copy (LiveIndex) and, once per request, asks the change log (directory.search.changes)
  for the providers changed since, re-reads just those and moves them between bitmaps (FacetIndex.replaced);
  when the day changes, the providers whose license expired or whose accepting status lapsed overnight count as
  changed too, so the calendar needs no expiry;
- a copy is published (PublishedCopy: Redis and/or the file FACET_INDEX_PATH) by whoever builds one; a new
  process loads it and catches up from the log; when more changes wait than are quick to re-read (an import),
  one process builds a new copy in a background thread while every process serves the one it has.

The index answers "how many" and, for the searches whose order is known without an ORDER BY over the table
(free text by relevance, distance), "which ids on this page"; the rows themselves are always read from the
database (directory.search.results).

Free text and distance are not indexed: their providers come from the database and are intersected.
The providers a free-text query finds, best match first, are remembered beside this process's copy of
the index for the queries asked most recently (TextMatches): a broad query ("anxiety therapy") finds
tens of thousands, which the text index (directory.search.text_index) finds and groups by relevance in a
few milliseconds, else PostgreSQL reads and ranks in some 150 ms; the next page, facet or sort of the
same query then costs nothing. They are forgotten whenever the copy takes a change.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from pyroaring import BitMap

from ..models import License, Office, Provider, Term
from ..shared_copy import PublishedCopy
from ..taxonomy import KINDS, RELATIONS, snapshot
from . import changes, text_index
from .text import clean_query, matching

logger = logging.getLogger(__name__)

# Changes a process applies itself, at most (rows of the change log: some 0.3 s of re-reading at the most); past
# that, one process builds a new copy while the others keep serving theirs.
REBUILD_AT = 5_000
# Providers re-read per round of queries.
CHUNK = 2_000
# Free-text queries whose matches this process remembers, and the most ids they may hold together (4 bytes
# each in the ranked array, about as much again in the bitmap).
TEXT_QUERIES_KEPT = 32
TEXT_IDS_KEPT = 2_000_000
# Outside requests (commands, the shell), how often the change log is looked at, at most (a change this process
# makes is looked for at once).
LOOK_EVERY_SECONDS = 1.0
# Thresholds of the max-fee filter whose bitmaps a copy keeps.
FEE_THRESHOLDS_KEPT = 64

Family = dict[Any, BitMap]
# The yes/no features the index holds (rules.feature(), rules.in_the_state()).
FEATURES = ("prescriber", "telehealth", "in_person", "sliding_scale", "free_consultation", "accepting", "verified",
            "evenings", "weekends", "unconfirmed_registry_listing")
# Families of the index other than the taxonomy's, by name (what read() fills and replaced() moves providers in).
FAMILIES = ("credentials", "licensed", "offices", "prescribing", "features", "fees", "genders", "verified_days",
            "confirmed_days")


@dataclass(frozen=True)
class FacetIndex:
    published: BitMap
    terms: dict[str, Family]  # taxonomy parameter (modality, ...) -> term id -> providers
    credentials: Family  # credential type id -> providers holding a current license of it
    licensed: Family  # jurisdiction -> providers with a current license there
    offices: Family  # jurisdiction -> providers with an office there
    prescribing: Family  # jurisdiction -> providers holding a current prescribing license there
    features: Family  # prescriber, telehealth, in_person, sliding_scale, ... -> providers
    fees: Family  # lowest fee in cents -> the published providers whose lowest fee it is
    genders: Family  # Provider.gender -> the published providers of it
    verified_days: Family  # date ordinal -> providers whose latest staff verification of a current license it is
    confirmed_days: Family  # date ordinal -> published providers who last confirmed their availability that day
    as_of: datetime.date  # the day whose calendar the bitmaps hold: licenses current, accepting status known
    _costing: dict[int, BitMap] = field(default_factory=dict, compare=False, repr=False)
    _since: dict[tuple[str, int], BitMap] = field(default_factory=dict, compare=False, repr=False)

    def any_term(self, param: str, terms: list[Term]) -> BitMap:
        """Providers with any of these values of a taxonomy relation (modality, language, ...)."""
        return self.any_of(self.terms[param], [term.pk for term in terms])

    @staticmethod
    def any_of(bitmaps: Family, keys: list) -> BitMap:
        return BitMap.union(BitMap(), *(bitmaps[key] for key in keys if key in bitmaps))

    def costing_at_most(self, max_fee: Decimal) -> BitMap:
        """Providers whose lowest fee is at most max_fee (models.costs_at_most); no fee listed, no match.

        The union of the fee bands up to it, kept for the thresholds asked most (the fit finder's budgets, the
        search's usual amounts): not to be changed by the caller."""
        cents = int((Decimal(max_fee) * 100).to_integral_value(rounding=ROUND_FLOOR))
        found = self._costing.get(cents)
        if found is None:
            found = BitMap.union(BitMap(), *(ids for fee, ids in self.fees.items() if fee <= cents))
            if len(self._costing) >= FEE_THRESHOLDS_KEPT:
                self._costing.clear()
            self._costing[cents] = found
        return found

    def verified_since(self, day: datetime.date) -> BitMap:
        """Providers whose license staff verified on day or later (and is still current)."""
        return self._on_or_after("verified_days", day)

    def confirmed_since(self, day: datetime.date) -> BitMap:
        """Published providers who confirmed whether they are accepting new clients on day or later."""
        return self._on_or_after("confirmed_days", day)

    def _on_or_after(self, family: str, day: datetime.date) -> BitMap:
        # The same few days are asked for all day: kept, not to be changed by the caller.
        key = (family, day.toordinal())
        found = self._since.get(key)
        if found is None:
            days = getattr(self, family)
            found = BitMap.union(BitMap(), *(ids for ordinal, ids in days.items() if ordinal >= key[1]))
            if len(self._since) >= FEE_THRESHOLDS_KEPT:
                self._since.clear()
            self._since[key] = found
        return found

    def counts(self, hits: BitMap) -> dict[str, dict[str, int]]:
        """How many of hits have each value of each part of the taxonomy, and hold a license in each state:
        {"modality": {term key: n}, ..., "credential": {code: n}, "state": {code: n}}."""
        taxonomy = snapshot()
        counts: dict[str, dict[str, int]] = {}
        for kind in KINDS:
            bitmaps = self.credentials if kind.relation is None else self.terms[kind.param]
            counts[kind.param] = {
                term.key: hits.intersection_cardinality(bitmaps[term.pk])
                for term in taxonomy.of(kind.param) if term.pk in bitmaps
            }
        counts["state"] = {code: hits.intersection_cardinality(ids) for code, ids in self.licensed.items()}
        return counts

    # -- kept up to date ----------------------------------------------------------------

    def replaced(self, changed: BitMap, part: FacetIndex) -> FacetIndex:
        """This index with the changed providers as part (read() of them) has them.

        Bitmaps that neither held nor gain a changed provider are shared with this index, never modified: a
        copy in use elsewhere stays as it was."""
        families = {
            name: _replaced(getattr(self, name), changed, getattr(part, name))
            for name in FAMILIES if name != "features"
        }
        return FacetIndex(
            published=_replaced({0: self.published}, changed, {0: part.published}).get(0, BitMap()),
            terms={param: _replaced(self.terms.get(param, {}), changed, new) for param, new in part.terms.items()},
            features=_replaced(self.features, changed, part.features, keep_empty=True),
            as_of=part.as_of,
            **families,
        )

    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("_costing", "_since")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in {**state, "_costing": {}, "_since": {}}.items():
            object.__setattr__(self, name, value)


def _replaced(old: Family, changed: BitMap, new: Family, keep_empty: bool = False) -> Family:
    found = {}
    for key in old.keys() | new.keys():
        ids = old.get(key, BitMap())
        if ids.intersect(changed):
            ids = ids - changed
        if key in new:
            ids = ids | new[key]
        if ids or keep_empty:
            found[key] = ids
    return found


# --- Reading ------------------------------------------------------------------------------


def read(providers: Iterable[int] | None = None) -> FacetIndex:
    """What the index holds of these providers, or of every provider (a build), read from the database.

    The one reading of a provider's facts: a copy kept up to date from the change log and one built afresh
    are made of the same. Each family is read through the ProviderQuerySet and LicenseQuerySet methods that
    answer the same question in SQL (directory.search.rules), on the day it is read (as_of).
    """
    today = timezone.localdate()
    if providers is None:
        return _read(None, today)
    ids = sorted(set(providers))
    if not ids:
        return FacetIndex(published=BitMap(), terms={kind.param: {} for kind in RELATIONS.values()},
                          as_of=today, **{name: {} for name in FAMILIES if name != "features"},
                          features={name: BitMap() for name in FEATURES})
    return _union([_read(ids[start : start + CHUNK], today) for start in range(0, len(ids), CHUNK)], today)


def _union(parts: list[FacetIndex], today: datetime.date) -> FacetIndex:
    """Parts of disjoint providers, as one."""

    def merged(families: list[Family]) -> Family:
        found: Family = {}
        for family in families:
            for key, ids in family.items():
                found[key] = found[key] | ids if key in found else ids
        return found

    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return FacetIndex(
        published=BitMap.union(BitMap(), *(part.published for part in parts)),
        terms={param: merged([part.terms[param] for part in parts]) for param in first.terms},
        as_of=today,
        **{name: merged([getattr(part, name) for part in parts]) for name in FAMILIES},
    )


def _read(ids: list[int] | None, today: datetime.date) -> FacetIndex:
    def of(queryset: QuerySet, column: str = "provider_id") -> QuerySet:
        return queryset if ids is None else queryset.filter(**{f"{column}__in": ids})

    providers = of(Provider.objects.published(), "pk")
    terms = {}
    for relation, kind in RELATIONS.items():
        relation_field = Provider._meta.get_field(relation)
        provider = f"{relation_field.m2m_field_name()}_id"
        links = of(relation_field.remote_field.through.objects.all(), provider)
        terms[kind.param] = grouped(links, f"{relation_field.m2m_reverse_field_name()}_id", provider)
    licenses = of(License.objects.current())
    prescribing = grouped(licenses.filter(credential_type__can_prescribe=True), "jurisdiction")
    offices = grouped(of(Office.objects.all()), "jurisdiction")
    fees = grouped(providers.with_lowest_fee().filter(lowest_fee__isnull=False), "lowest_fee", "pk")
    latest: dict[int, datetime.date] = {}
    for pk, day in licenses.filter(verified_on__isnull=False).order_by().values_list("provider_id", "verified_on"):
        if day > latest.get(pk, datetime.date.min):
            latest[pk] = day
    verified_days: dict[int, list[int]] = {}
    for pk, day in latest.items():
        verified_days.setdefault(day.toordinal(), []).append(pk)
    confirmed = grouped(providers.filter(accepting_confirmed__isnull=False), "accepting_confirmed", "pk")
    return FacetIndex(
        published=ids_of(providers),
        terms=terms,
        credentials=grouped(licenses, "credential_type_id"),
        licensed=grouped(licenses, "jurisdiction"),
        offices=offices,
        prescribing=prescribing,
        features={
            "prescriber": BitMap.union(BitMap(), *prescribing.values()),
            "telehealth": ids_of(providers.offering_telehealth()),
            "in_person": BitMap.union(BitMap(), *offices.values()),
            "sliding_scale": ids_of(providers.with_sliding_scale()),
            "free_consultation": ids_of(providers.with_free_consultation()),
            # Accepting as confirmed recently enough to be known, today: see LiveIndex for the day after.
            "accepting": ids_of(providers.accepting()),
            "verified": ids_of(licenses.filter(verified_on__isnull=False), "provider_id"),
            "evenings": ids_of(providers.with_evening_hours()),
            "weekends": ids_of(providers.with_weekend_hours()),
            "unconfirmed_registry_listing": ids_of(providers.unconfirmed_registry_listings()),
        },
        fees={int(fee * 100): found for fee, found in fees.items()},
        genders=grouped(providers.exclude(gender=""), "gender", "pk"),
        verified_days={day: BitMap(ids) for day, ids in verified_days.items()},
        confirmed_days={day.toordinal(): ids for day, ids in confirmed.items()},
        as_of=today,
    )


def ids_of(queryset: QuerySet, column: str = "pk") -> BitMap:
    """The ids in one column of a query, as a bitmap (on PostgreSQL as one array, not a row each)."""
    queryset = queryset.order_by()
    if connection.vendor == "postgresql":
        return BitMap(queryset.aggregate(ids=ArrayAgg(column, default=[]))["ids"])
    return BitMap(queryset.values_list(column, flat=True).iterator(chunk_size=10_000))


def grouped(queryset: QuerySet, key: str, column: str = "provider_id") -> Family:
    """{key: bitmap of the ids in column} from a query's rows."""
    queryset = queryset.order_by()
    if connection.vendor == "postgresql":
        rows = queryset.values(key).annotate(ids=ArrayAgg(column)).values_list(key, "ids")
        return {value: BitMap(ids) for value, ids in rows}
    found: dict[Any, list[int]] = {}
    for value, pk in queryset.values_list(key, column).iterator(chunk_size=10_000):
        found.setdefault(value, []).append(pk)
    return {value: BitMap(ids) for value, ids in found.items()}


def build() -> FacetIndex:
    """Read the whole index from the database."""
    return read()


def lapsed(first: datetime.date, second: datetime.date) -> set[int]:
    """The providers whose facts differ between these two days: a license expired, or an accepting status no
    longer known (the calendar's rules, LicenseQuerySet.expiring_between and
    ProviderQuerySet.accepting_lapsing_between)."""
    if first == second:
        return set()
    found = set(License.objects.expiring_between(first, second).values_list("provider_id", flat=True))
    return found | set(Provider.objects.accepting_lapsing_between(first, second).values_list("pk", flat=True))


# --- This process's copy ----------------------------------------------------------------------


# Whether this thread's request already looked at the change log (once per request is enough).
_request = threading.local()


def in_background(work: Callable[[], None]) -> None:
    """Run work in a thread of its own, with a database connection of its own (closed after)."""

    def run() -> None:
        try:
            work()
        except Exception:
            logger.exception("Building the facet index failed; the copy in use stays.")
        finally:
            connection.close()

    threading.Thread(target=run, name="facet-index-build", daemon=True).start()


class LiveIndex:
    """This process's copy of the index, with the mark of the changes it holds, kept up to date."""

    # A process that could not build (another one was building) tries again after this many seconds.
    retry_seconds = 10.0

    def __init__(self, published: PublishedCopy) -> None:
        self.published = published
        self._lock = threading.RLock()
        self.index: FacetIndex | None = None
        self.mark: changes.Mark | None = None
        self._built: tuple[changes.Mark, FacetIndex] | None = None  # by a build in a background thread
        self._building = False
        self._next_build = 0.0
        self.on_change: list[Callable[[], None]] = []

    def get(self) -> FacetIndex:
        """The index, brought up to date (once per request)."""
        index = self.index
        if index is not None and (_inside_a_write() or (_already_looked() and index.as_of == timezone.localdate())):
            return index
        with self._lock:
            if self.index is None:
                self._start()
            else:
                self._catch_up()
            _request.looked = time.monotonic()
            return self.index

    def reset(self) -> None:
        """Forget this process's copy (the next request loads the published one)."""
        with self._lock:
            self.index = self.mark = self._built = None
            self._changed()

    def _adopt(self, mark: changes.Mark, index: FacetIndex) -> None:
        self.mark, self.index = mark, index
        self._changed()

    def _changed(self) -> None:
        for listener in self.on_change:
            listener()

    def _start(self) -> None:
        """Load the published copy; with none yet, build and publish it (one process: the others wait for it)."""
        found = self.published.load()
        if found is None:
            with self.published.building(wait=True):
                found = self.published.load() or publish()
        self._adopt(*found)
        if not _inside_a_write():
            self._catch_up()

    def _catch_up(self) -> None:
        """Apply the changes since the mark; with too many, serve this copy while one process builds another."""
        if self._built is not None:
            built, self._built = self._built, None
            if built[0].is_after(self.mark):
                self._adopt(*built)
        found = self._changes()
        if found is None:
            self._build_in_background()
            return
        changed, mark = found
        today = timezone.localdate()
        if changed or today != self.index.as_of:
            self.index = self.index.replaced(BitMap(changed), read(changed))
            self._changed()
        self.mark = mark
        if self.published.stamp() is None:  # Redis restarted empty: the next new process starts from this copy
            self.published.publish(self.mark, self.index)

    def _changes(self) -> tuple[set[int], changes.Mark] | None:
        """The providers changed since the mark (in the change log, and overnight by the calendar) and the mark
        after them, from a newer published copy if this one is too far behind; None when still too many."""
        for first_try in (True, False):
            found = changes.since(self.mark, REBUILD_AT)
            if found is not None:
                changed, mark = found
                changed |= lapsed(self.index.as_of, timezone.localdate())
                if len(changed) <= REBUILD_AT:
                    return changed, mark
            stamp = self.published.stamp() if first_try else None
            newer = stamp is not None and stamp.is_after(self.mark) and self.published.load()
            if not newer:
                return None
            self._adopt(*newer)
        return None

    def _build_in_background(self) -> None:
        if self._building or time.monotonic() < self._next_build:
            return
        self._building, self._next_build = True, time.monotonic() + self.retry_seconds

        def work() -> None:
            try:
                with self.published.building(wait=False) as mine:
                    if mine:
                        self._built = publish()
            finally:
                self._building = False

        in_background(work)


def _already_looked() -> bool:
    """This request looked at the change log already; outside requests (commands, the shell), within a second."""
    looked = getattr(_request, "looked", None)
    if looked is None:
        return False
    return getattr(_request, "active", False) or time.monotonic() - looked < LOOK_EVERY_SECONDS


def _inside_a_write() -> bool:
    """Inside a transaction of the site's own (not a test's): changes read now may yet be rolled back."""
    return any(not block._from_testcase for block in connection.atomic_blocks)


def _request_started(**kwargs) -> None:
    _request.active, _request.looked = True, None


def _request_finished(**kwargs) -> None:
    _request.active, _request.looked = False, None


def _look_again() -> None:
    """This thread logged a change (and again when it commits): its next use of the index looks, even in the same
    request."""
    _request.looked = None


def publish() -> tuple[changes.Mark, FacetIndex]:
    """Build the index, publish it for every process, and prune the change log (changes.KEPT_DAYS)."""
    mark = changes.mark_now()
    index = read()
    live.published.publish(mark, index)
    changes.prune()
    return mark, index


live = LiveIndex(PublishedCopy(f"facet-index-{settings.AVAILABILITY_UNKNOWN_DAYS}", settings.FACET_INDEX_PATH))


def current() -> FacetIndex:
    """The index, up to date with every change committed (this process's copy, caught up from the change log)."""
    return live.get()


def changed(providers: Iterable[int]) -> None:
    """For bulk writers, which send no signals: these providers changed (logged in the current transaction)."""
    changes.log(providers)


# --- Remembered free-text matches ---------------------------------------------------------------


@dataclass(frozen=True)
class TextMatches:
    """The published providers a free-text query finds: as a set, and best match first."""

    ids: BitMap
    ranked: array  # the same ids in ProviderQuerySet.by_relevance() order

    def ranked_within(self, hits: BitMap, start: int, stop: int) -> list[int]:
        """The [start:stop] slice of the ranked ids that are among hits (a subset of ids)."""
        if len(hits) == len(self.ids):
            return list(self.ranked[start:stop])
        found: list[int] = []
        position = 0
        for pk in self.ranked:
            if pk in hits:
                if position >= start:
                    found.append(pk)
                    if len(found) == stop - start:
                        break
                position += 1
        return found


# The free-text queries asked last under the copy of the index this process holds, least recent first; each is
# kept only as a keyed hash (the key never leaves this process), never written to the cache or a log.
_texts: OrderedDict[bytes, TextMatches] = OrderedDict()
_text_key = os.urandom(16)
_texts_lock = threading.Lock()


def forget_text_matches() -> None:
    with _texts_lock:
        _texts.clear()


live.on_change.append(forget_text_matches)


def text_matches(text: str) -> TextMatches | text_index.IndexedMatches:
    """The published providers text finds (directory.search.text.matching), best first: remembered for
    the most recent queries until a provider changes (see current())."""
    current()
    text = clean_query(text)
    key = hashlib.blake2b(text.encode(), key=_text_key, digest_size=16).digest()
    with _texts_lock:
        found = _texts.get(key)
        if found is not None:
            _texts.move_to_end(key)
            return found
    index = current()
    found = text_index.find(text, index.published, last=index.features["unconfirmed_registry_listing"])
    if found is None:  # what the text index cannot answer: the database ranks every match
        ranked = array("I", matching(Provider.objects.published(), text).by_relevance().values_list("pk", flat=True))
        found = TextMatches(ids=BitMap(ranked), ranked=ranked)
    with _texts_lock:
        _texts[key] = found
        while len(_texts) > TEXT_QUERIES_KEPT or (
            len(_texts) > 1 and sum(len(kept.ids) for kept in _texts.values()) > TEXT_IDS_KEPT
        ):
            _texts.popitem(last=False)
    return found


def connect_signals() -> None:
    """Log the changes of every ORM write (directory.search.changes); look at the log once per request."""
    changes.connect_signals()
    changes.on_change_here(_look_again)
    request_started.connect(_request_started, dispatch_uid="facet-index-request-started")
    request_finished.connect(_request_finished, dispatch_uid="facet-index-request-finished")
