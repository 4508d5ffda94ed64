"""SearchResults: what a search page or the API shows for a ProviderFilter, read once.

The ids of every provider the search finds come from the facet index and the declared rules (a bitmap);
from them the total, the facet counts, the "relax one filter" totals and, for searches whose order is
known without an ORDER BY over the table (best text match, nearest first), the ids on the page. The rows
themselves are always read from the database.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, partial
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import QueryDict
from pyroaring import BitMap

from ..jurisdictions import JURISDICTIONS
from ..models import ProviderQuerySet
from ..taxonomy import KINDS, snapshot
from ..wording import TRUE_WORDS
from . import facet_index, orders, rules
from .filters import DEFAULT_PAGE_SIZE, ProviderFilter
from .rules import Criteria

# The parts of the search page where yes/no filters sit (Rule.group), in the page's order.
FEATURE_GROUPS = ("meet", "fees", "availability", "credential", "more")
# From this many results before a page, it is found in a precomputed order (directory.search.orders) even when
# the process has yet to read that order; nearer the top, the database's ORDER BY ... LIMIT answers as fast.
DEEP_PAGE = 1000


class SearchResults:
    def __init__(self, filterset: ProviderFilter) -> None:
        self.filterset = filterset
        self.criteria: Criteria = filterset.criteria()

    # -- which providers, and how many ------------------------------------------------------

    @cached_property
    def hits(self) -> BitMap:
        """The ids of every provider the search finds."""
        return self.criteria.providers(facet_index.current())

    @property
    def total(self) -> int:
        """How many providers match (no COUNT query: see hits)."""
        return len(self.hits)

    @cached_property
    def counts(self) -> dict[str, Any]:
        """How many of the results have each facet value ({"facets": {family: {key: n}}}) and each yes/no
        filter ({"features": {name: n}}, with "total")."""
        index = facet_index.current()
        facets = index.counts(self.hits)
        everyone = Criteria({})
        features = {
            rule.name: self.hits.intersection_cardinality(rule.providers(index, True, everyone))
            for rule in rules.RULES if rule.yes_no
        }
        return {"features": {**features, "total": self.total}, "facets": facets}

    # -- the page of rows -------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        return self.criteria.get("page_size") or DEFAULT_PAGE_SIZE

    def page(self) -> Page:
        """The requested page of results; raises django.core.paginator.InvalidPage when out of range."""
        data = self.criteria
        queryset = self.filterset.qs.for_cards()
        if data.get("q") and data.get("sort") in (None, "", "relevance"):
            # Best match first: the order the remembered text matches already hold (facet_index.text_matches).
            ids_for = partial(facet_index.text_matches(data.get("q")).ranked_within, self.hits)
            queryset = RankedResults(self.total, ids_for, self.rows)
        elif data.get("zip") and data.get("sort") == "distance":
            queryset = RankedResults(self.total, partial(self.nearest_first, queryset), self.rows)
        else:
            # Relevance without a text query, name, fee or recent: a deep page, or any page once this process holds
            # the order, is found in the order read ahead (orders.SortOrder), not by OFFSET.
            sort = data.get("sort") if data.get("sort") in orders.SORTS else "relevance"
            number = 1 if data.get("page") is None else data.get("page")
            if (number - 1) * self.page_size >= DEEP_PAGE or orders.held(sort):
                queryset = RankedResults(self.total, partial(self.in_order, sort), self.rows)
        paginator = Paginator(queryset, self.page_size)
        paginator.count = self.total  # count is a cached_property: set, it is never queried
        return paginator.page(1 if data.get("page") is None else data.get("page"))

    def in_order(self, sort: str, start: int, stop: int) -> list[int]:
        """The [start:stop] slice of the results' ids in the order of sort (one of orders.SORTS)."""
        return orders.read(sort).page(self.hits, start, stop)

    def rows(self, ids: list[int]) -> list:
        """The providers with these ids, as a result card shows them, with their distance when there is a ZIP
        code: read by id alone, the search's conditions already met."""
        rows = list(self.filterset.queryset.filter(pk__in=ids).for_cards())
        if self.criteria.get("zip"):
            nearest = self.criteria.nearest_miles()
            for row in rows:
                row.distance_miles = nearest.get(row.pk)
        return rows

    def nearest_first(self, queryset: ProviderQuerySet, start: int, stop: int) -> list[int]:
        """The [start:stop] slice of the results' ids, nearest first (queryset's order: distance, name, id).

        The distances place the slice; the database orders only the providers at the distances the slice
        spans, so that ties fall by name as in ProviderQuerySet.by_distance().
        """
        miles = self.criteria.nearest_miles()
        ordered = self._by_distance
        if start >= len(ordered):
            return []
        distances = [miles[pk] for pk in ordered]
        low = bisect.bisect_left(distances, distances[start])
        high = bisect.bisect_right(distances, distances[min(stop, len(ordered)) - 1])
        spanned = queryset.prefetch_related(None).filter(pk__in=ordered[low:high]).values_list("pk", flat=True)
        return list(spanned[start - low : stop - low])

    @cached_property
    def _by_distance(self) -> list[int]:
        return sorted(self.hits, key=self.criteria.nearest_miles().__getitem__)

    # -- what the page shows around the rows ------------------------------------------------

    def chips(self) -> list[dict[str, str]]:
        """The filters in force, each with its label and the query string that drops it."""
        chips = []
        for rule, value in self.criteria.active():
            if rule.yes_no:
                chips.append({"label": rule.label, "remove": self.query_without(rule.name)})
            elif rule.chip is None:  # any of several taxonomy values: a chip each
                chips.extend(
                    {"label": f"{rule.label}: {term}", "remove": self.query_without(rule.name, term.key)}
                    for term in value
                )
            else:
                also: tuple[str, ...] = ()
                if rule.name == "zip":  # without a ZIP code there is no radius, nor a distance to sort by
                    also = ("radius", "sort") if self.criteria.get("sort") == "distance" else ("radius",)
                chips.append({"label": rule.chip(value, self.criteria),
                              "remove": self.query_without(rule.name, also=also)})
        return chips

    def relaxations(self, limit: int = 12) -> list[dict[str, Any]]:
        """For an empty result: the active filters whose removal alone would find someone, with how many."""
        suggestions = []
        for chip in self.chips()[:limit]:
            relaxed = ProviderFilter(QueryDict(chip["remove"]), queryset=self.filterset.queryset)
            if relaxed.is_valid():
                count = SearchResults(relaxed).total
                if count:
                    suggestions.append({**chip, "count": count})
        return sorted(suggestions, key=lambda s: -s["count"])

    def facets(self) -> dict[str, Any]:
        """Each filter's options with how many of the current results have them (see counts)."""
        counts = self.counts
        data = self.filterset.data
        errors = self.filterset.errors if self.filterset.is_bound else {}
        taxonomy = snapshot()
        facets: dict[str, Any] = {}
        for kind in KINDS:
            found = counts["facets"][kind.param]
            chosen = {v.strip().lower() for v in data.getlist(kind.param)} if hasattr(data, "getlist") else set()
            options = [
                {"value": term.key, "label": term.name, "count": found.get(term.key, 0),
                 "checked": term.key.lower() in chosen}
                for term in taxonomy.of(kind.param)
            ]
            facets[kind.param] = {
                "name": kind.param, "label": rules.RULE[kind.param].label, "errors": errors.get(kind.param),
                "options": options, "any_checked": any(option["checked"] for option in options),
            }
        states = counts["facets"]["state"]
        facets["state"] = {
            "name": "state", "label": rules.RULE["state"].label,
            "options": [
                {"value": code, "label": label, "count": states.get(code, 0)}
                for code, label in sorted(JURISDICTIONS.items(), key=lambda item: item[1])
            ],
        }
        facets["features"] = {
            rule.name: {
                "name": rule.name, "label": rule.label, "count": counts["features"][rule.name],
                "checked": str(data.get(rule.name, "")).strip().lower() in TRUE_WORDS,
                "errors": errors.get(rule.name), "group": rule.group,
            }
            for rule in rules.RULES if rule.yes_no
        }
        # The yes/no filters by the part of the page they sit in (Rule.group).
        facets["feature_groups"] = {
            group: [feature for feature in facets["features"].values() if feature["group"] == group]
            for group in FEATURE_GROUPS
        }
        credential = facets["credential"]
        credential["extras"] = facets["feature_groups"]["credential"]  # "can prescribe" sits with the credentials
        credential["any_checked"] |= any(feature["checked"] for feature in credential["extras"])
        return facets

    def page_links(self, page: Page) -> list[dict[str, Any] | None]:
        """Previous, the numbered pages around this one (None where some are left out), and next."""
        links: list[dict[str, Any] | None] = []
        if page.has_previous():
            number = page.previous_page_number()
            links.append({"number": number, "query": self.query_for_page(number), "label": "Previous", "rel": "prev"})
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
            if number == page.paginator.ELLIPSIS:
                links.append(None)
            else:
                links.append({"number": number, "query": self.query_for_page(number), "current": number == page.number})
        if page.has_next():
            number = page.next_page_number()
            links.append({"number": number, "query": self.query_for_page(number), "label": "Next", "rel": "next"})
        return links

    def query_without(self, name: str, value: str | None = None, also: tuple[str, ...] = ()) -> str:
        """The current query string with one value of name (or all of name) removed, back on page 1."""
        query = QueryDict(mutable=True)
        for key, values in self._given():
            if key in ("page", *also):
                continue
            if key == name:
                values = [] if value is None else [v for v in values if v.strip().lower() != value.lower()]
            if values:
                query.setlist(key, values)
        return query.urlencode()

    def query_for_page(self, number: int) -> str:
        query = QueryDict(mutable=True)
        for key, values in self._given():
            if key != "page":
                query.setlist(key, values)
        query["page"] = str(number)
        return query.urlencode()

    def _given(self) -> list[tuple[str, list[str]]]:
        """The parameters as given, without the empty ones a plain GET form sends for untouched fields."""
        data = self.filterset.data
        lists = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
        return [(key, [v for v in values if v.strip()]) for key, values in lists if any(v.strip() for v in values)]


class RankedResults(Sequence):
    """Results whose order is known before their rows are read (see ProviderFilter.paginate): a slice asks
    ids_for(start, stop) for its ids in order, then reads just those rows with rows_for(ids)."""

    def __init__(
        self, total: int, ids_for: Callable[[int, int], list[int]], rows_for: Callable[[list[int]], Iterable[Any]]
    ) -> None:
        self.total, self.ids_for, self.rows_for = total, ids_for, rows_for

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(self.total)
        ids = self.ids_for(start, stop) if start < stop else []
        rows = {row.pk: row for row in self.rows_for(ids)} if ids else {}
        return [rows[pk] for pk in ids if pk in rows]
