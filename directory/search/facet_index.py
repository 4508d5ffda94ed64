"""The facet index: for every search facet value, the set of providers that have it, as a bitmap of ids.

A search page shows, beside its results, how many of them have each approach, concern, credential,
state, language and yes/no feature: some 150 counts. In SQL that is a join per family over every
result, hundreds of milliseconds once a search matches thousands of the 100,000 providers. With a
compressed bitmap (pyroaring) per value, the results of the filters the index knows are the
intersection of a few bitmaps, and each count is one intersection's size: microseconds.

The index is a cache of the database, read with a handful of queries and kept in this process and in
Django's cache (so other processes need not read it again) until a provider, license, office or term
changes, or CACHE_SECONDS pass. The index answers "how many" and, for the searches whose order is
known without an ORDER BY over the table (free text by relevance, distance), "which ids on this page";
the rows themselves are always read from the database (directory.search.results).

Free text and distance are not indexed: their providers come from the database and are intersected.
The providers a free-text query finds, best match first, are remembered beside this process's copy of
the index for the queries asked most recently (TextMatches): a broad query ("anxiety therapy") finds
tens of thousands, which the text index (directory.search.text_index) finds and groups by relevance in a
few milliseconds, else PostgreSQL reads and ranks in some 150 ms; the next page, facet or sort of the
same query then costs nothing. They are forgotten with the index, whenever the data changes.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import os
import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from pyroaring import BitMap

from ..models import CredentialType, License, Office, Provider, Term
from ..shared_copy import SharedCopy
from ..taxonomy import KINDS, RELATIONS, snapshot
from . import text_index
from .text import clean_query, matching

# Each process of a deployment without a shared cache (REDIS_URL) keeps its own copy: bound how stale
# its counts can be after an edit made in another process.
CACHE_SECONDS = 300
# Free-text queries whose matches this process remembers (at most some 230 KB each at 57,000 matches).
TEXT_QUERIES_KEPT = 32

@dataclass(frozen=True)
class FacetIndex:
    published: BitMap
    terms: dict[str, dict[int, BitMap]]  # taxonomy parameter (modality, ...) -> term id -> providers
    credentials: dict[int, BitMap]  # credential type id -> providers holding one
    licensed: dict[str, BitMap]  # jurisdiction -> providers licensed there
    offices: dict[str, BitMap]  # jurisdiction -> providers with an office there
    prescribing: dict[str, BitMap]  # jurisdiction -> providers holding a prescribing license there
    features: dict[str, BitMap]  # prescriber, telehealth, in_person, sliding_scale, ... -> providers
    fees: tuple[Decimal, ...]  # every published provider's lowest fee, ascending ...
    fee_providers: tuple[int, ...]  # ... and whose fee it is
    genders: dict[str, BitMap]  # Provider.gender -> providers
    verified: Dated  # providers by the latest staff verification of a current license of theirs
    confirmed: Dated  # providers by the day they last confirmed whether they are accepting new clients

    def any_term(self, param: str, terms: list[Term]) -> BitMap:
        """Providers with any of these values of a taxonomy relation (modality, language, ...)."""
        return self.any_of(self.terms[param], [term.pk for term in terms])

    @staticmethod
    def any_of(bitmaps: dict[Any, BitMap], keys: list) -> BitMap:
        return BitMap.union(BitMap(), *(bitmaps[key] for key in keys if key in bitmaps))

    def costing_at_most(self, max_fee: Decimal) -> BitMap:
        """Providers whose lowest fee is at most max_fee (models.costs_at_most); no fee listed, no match."""
        return BitMap(self.fee_providers[: bisect.bisect_right(self.fees, max_fee)])

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


@dataclass(frozen=True)
class Dated:
    """Providers by a date of theirs, as compact arrays sorted by day: since(day) gives those on or after it."""

    days: array  # date ordinals, ascending ...
    ids: array  # ... and whose date each is
    _since: dict[int, BitMap] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, dates: dict[int, datetime.date]) -> Dated:
        pairs = sorted((day.toordinal(), pk) for pk, day in dates.items())
        return cls(array("I", (day for day, _ in pairs)), array("I", (pk for _, pk in pairs)))

    def since(self, day: datetime.date) -> BitMap:
        """The providers whose date is day or later (the same few days are asked for all day: kept)."""
        ordinal = day.toordinal()
        found = self._since.get(ordinal)
        if found is None:
            found = BitMap(self.ids[bisect.bisect_left(self.days, ordinal):])
            if len(self._since) > 8:
                self._since.clear()
            self._since[ordinal] = found
        return found


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


def build() -> FacetIndex:
    """Read the index from the database: one query per relation, license and office families."""
    published = BitMap(Provider.objects.published().values_list("pk", flat=True))
    terms = {}
    for relation, kind in RELATIONS.items():
        field = Provider._meta.get_field(relation)
        links = field.remote_field.through.objects.values_list(
            f"{field.m2m_reverse_field_name()}_id", f"{field.m2m_field_name()}_id"
        )
        terms[kind.param] = grouped(links)
    # An expired license counts for nothing; the index is read again at least every CACHE_SECONDS, so a
    # license that expires today stops counting within that time.
    licenses = License.objects.current().values_list("credential_type_id", "jurisdiction", "provider_id", "verified_on")
    prescribing = set(CredentialType.objects.filter(can_prescribe=True).values_list("pk", flat=True))
    credentials, licensed, prescribing_in, prescribers, verified = {}, {}, {}, [], []
    verified_last: dict[int, datetime.date] = {}
    for credential_type, jurisdiction, provider, verified_on in licenses.iterator(chunk_size=10_000):
        credentials.setdefault(credential_type, []).append(provider)
        licensed.setdefault(jurisdiction, []).append(provider)
        if credential_type in prescribing:
            prescribers.append(provider)
            prescribing_in.setdefault(jurisdiction, []).append(provider)
        if verified_on is not None:
            verified.append(provider)
            if verified_on > verified_last.get(provider, datetime.date.min):
                verified_last[provider] = verified_on
    offices = grouped(Office.objects.values_list("jurisdiction", "provider_id"))
    rows = Provider.objects.published().with_lowest_fee().order_by().values_list(
        "pk", "telehealth", "free_consultation", "evenings", "weekends", "sliding_scale_min", "lowest_fee",
        "gender", "accepting_confirmed", "unconfirmed_registry_listing",
    )
    # Accepting as ProviderQuerySet.accepting() says (confirmed recently enough to be known); the index is read
    # again at least every CACHE_SECONDS, so a status that becomes unknown today stops counting within that time.
    accepting = BitMap(Provider.objects.published().accepting().order_by().values_list("pk", flat=True))
    telehealth, free, evenings, weekends, sliding, fees = [], [], [], [], [], []
    genders: dict[str, list[int]] = {}
    confirmed: dict[int, datetime.date] = {}
    unconfirmed_registry = []
    for (pk, offers_telehealth, free_consultation, evening, weekend, sliding_min, lowest, gender,
         confirmed_on, unconfirmed) in rows.iterator(10_000):
        if offers_telehealth:
            telehealth.append(pk)
        if free_consultation:
            free.append(pk)
        if evening:
            evenings.append(pk)
        if weekend:
            weekends.append(pk)
        if sliding_min is not None:
            sliding.append(pk)
        if lowest is not None:
            fees.append((lowest, pk))
        if gender:
            genders.setdefault(gender, []).append(pk)
        if confirmed_on is not None:
            confirmed[pk] = confirmed_on
        if unconfirmed:
            unconfirmed_registry.append(pk)
    fees.sort()
    return FacetIndex(
        published=published,
        terms=terms,
        credentials={key: BitMap(ids) for key, ids in credentials.items()},
        licensed={key: BitMap(ids) for key, ids in licensed.items()},
        offices=offices,
        prescribing={key: BitMap(ids) for key, ids in prescribing_in.items()},
        features={
            "prescriber": BitMap(prescribers), "telehealth": BitMap(telehealth),
            "in_person": BitMap.union(BitMap(), *offices.values()), "sliding_scale": BitMap(sliding),
            "free_consultation": BitMap(free), "accepting": accepting, "verified": BitMap(verified),
            "evenings": BitMap(evenings), "weekends": BitMap(weekends),
            "unconfirmed_registry_listing": BitMap(unconfirmed_registry),
        },
        fees=tuple(fee for fee, _ in fees),
        fee_providers=tuple(pk for _, pk in fees),
        genders={key: BitMap(ids) for key, ids in genders.items()},
        verified=Dated.of(verified_last),
        confirmed=Dated.of(confirmed),
    )


def grouped(pairs) -> dict[Any, BitMap]:
    """{key: bitmap of ids} from (key, id) rows."""
    found: dict[Any, list[int]] = {}
    for key, pk in pairs.iterator(chunk_size=10_000):
        found.setdefault(key, []).append(pk)
    return {key: BitMap(ids) for key, ids in found.items()}


# The free-text queries asked last under the version of the index this process holds, least recent
# first; each is kept only as a keyed hash (the key never leaves this process), never written to the
# cache or a log.
_texts: OrderedDict[bytes, TextMatches] = OrderedDict()
_text_key = os.urandom(16)
_texts_lock = threading.Lock()


def forget_text_matches() -> None:
    with _texts_lock:
        _texts.clear()


shared = SharedCopy("facet-index", build, CACHE_SECONDS, on_new_copy=forget_text_matches)


def current() -> FacetIndex:
    """The index, from this process, else the cache, else the database."""
    return shared.get()


def text_matches(text: str) -> TextMatches | text_index.IndexedMatches:
    """The published providers text finds (directory.search.text.matching), best first: remembered for
    the most recent queries until the data changes (see current())."""
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
        while len(_texts) > TEXT_QUERIES_KEPT:
            _texts.popitem(last=False)
    return found


def forget(**kwargs) -> None:
    """Drop the index now and again when the transaction commits (a rebuild in between would read the
    old rows)."""
    shared.forget()
    transaction.on_commit(shared.forget)


def connect_signals() -> None:
    """Forget the index whenever what it holds changes through the ORM; bulk writers call forget().

    A term's save or delete counts too: its name is in the providers' search text, and deleting it drops
    its links without an m2m_changed signal.
    """
    for model in (Provider, License, Office, *(kind.model for kind in KINDS)):
        post_save.connect(forget, sender=model, dispatch_uid=f"facet-index-save-{model.__name__}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"facet-index-delete-{model.__name__}")
    for relation in RELATIONS:
        through = Provider._meta.get_field(relation).remote_field.through
        m2m_changed.connect(forget, sender=through, dispatch_uid=f"facet-index-{relation}")
