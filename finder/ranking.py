"""The fit finder's order: soft preferences, each declared with its SQL condition and its bitmap side by side,
scored over the facet index.

A provider's score is the sum of the weights of the preferences it meets, distance counting in part (full
points next door, none at the radius), scaled down when it offers only what the person tried. In SQL that is
a correlated sub-query per preference for every eligible provider (half a second at a million providers).
Over the facet index, the eligible providers are split into groups by their points with two bitmap
operations per group and preference; only the providers near the person are scored one by one; and only
the top of the order is read from the database. Scoring.ranked() gives the same order in SQL, the reference
the tests hold the index to. Equal scores go in the order providers were listed (their ids), which the index
can answer without reading a name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from pyroaring import BitMap

from directory.search.facet_index import FacetIndex


@dataclass(frozen=True)
class Preference:
    """A soft preference: its name, its weight, and who meets it, in SQL and over the facet index."""

    name: str
    weight: int
    sql: Q
    bitmap: Callable[[FacetIndex], BitMap]


@dataclass(frozen=True)
class Scoring:
    """The preferences that apply to one person's answers, and how the score is put together."""

    preferences: tuple[Preference, ...]
    # An office near the person: (ZIP centre, radius in miles, weight), or None without a ZIP code.
    distance: tuple[tuple[float, float], int, int] | None
    # Offers only what the person tried: their score is scaled into [0, ceiling).
    demoted: Preference | None
    ceiling: int
    # Those who come after everyone else, whatever their points, which are scaled by last_share.
    last: Preference | None = None
    last_share: float = 1.0

    @property
    def most(self) -> int:
        """The most points anyone could have for these answers."""
        return sum(p.weight for p in self.preferences) + (self.distance[2] if self.distance else 0)

    # -- over the facet index -----------------------------------------------------------------

    def top(self, index: FacetIndex, eligible: BitMap, nearest: dict[int, float],
            limit: int) -> list[tuple[int, float]]:
        """The best `limit` of the eligible providers, best first, with their points (what ranked() annotates as
        raw_score); nearest: provider id -> miles to their nearest office within the radius."""
        behind = self.last.bitmap(index) & eligible if self.last else BitMap()
        found = self._top(index, eligible - behind, nearest, limit, 1.0)
        if behind and len(found) < limit:
            found += self._top(index, behind, nearest, limit - len(found), self.last_share)
        return found

    def _top(self, index: FacetIndex, eligible: BitMap, nearest: dict[int, float], limit: int,
             share: float) -> list[tuple[int, float]]:
        groups: dict[int, BitMap] = {0: eligible}
        for preference in self.preferences:
            meets = preference.bitmap(index)
            split: dict[int, BitMap] = {}
            for points, members in groups.items():
                for gained, part in ((preference.weight, members & meets), (0, members - meets)):
                    if part:
                        split[points + gained] = split[points + gained] | part if points + gained in split else part
            groups = split
        scale = self.ceiling / self.most if self.most else 0.0
        demoted = self.demoted.bitmap(index) & eligible if self.demoted else BitMap()
        near = BitMap(nearest) & eligible if self.distance else BitMap()
        by_score: dict[float, list[BitMap | int]] = {}
        for points, members in groups.items():
            far = members - near
            far_demoted = far & demoted
            for score, part in ((float(points), far - far_demoted), (points * scale, far_demoted)):
                if part:
                    by_score.setdefault(score, []).append(part)
            for pk in members & near:
                score = points + self.closeness(nearest[pk])
                by_score.setdefault(score * scale if pk in demoted else score, []).append(pk)
        found: list[tuple[int, float]] = []
        for score in sorted(by_score, reverse=True):
            members = BitMap()
            for part in by_score[score]:
                members |= part if isinstance(part, BitMap) else BitMap([part])
            found.extend((pk, score * share) for pk in members[: limit - len(found)])
            if len(found) >= limit:
                break
        return found

    def closeness(self, miles: float) -> float:
        """Distance's points: the full weight next door, none at the radius (as ranked() computes them)."""
        _, radius, weight = self.distance
        return (1.0 - miles / float(radius)) * weight

    # -- in SQL ---------------------------------------------------------------------------------

    def ranked(self, queryset: QuerySet) -> QuerySet:
        """The queryset ordered by score, best first, with raw_score (and distance_miles with a ZIP code)."""
        terms = [Case(When(p.sql, then=Value(float(p.weight))), default=Value(0.0), output_field=FloatField())
                 for p in self.preferences]
        if self.distance:
            centre, radius, weight = self.distance
            queryset = queryset.with_distance(centre, radius)
            closeness = (Value(1.0) - F("distance_miles") / Value(float(radius))) * Value(float(weight))
            terms.append(Case(When(distance_miles__isnull=False, then=closeness), default=Value(0.0),
                              output_field=FloatField()))
        raw = Value(0.0)
        for term in terms:
            raw = raw + term
        score = raw
        if self.demoted is not None and self.most:
            score = Case(When(self.demoted.sql, then=raw * Value(self.ceiling / self.most)), default=raw,
                         output_field=FloatField())
        if self.last is None:
            return queryset.annotate(raw_score=score).order_by("-raw_score", "pk")
        behind = Case(When(self.last.sql, then=Value(1)), default=Value(0), output_field=IntegerField())
        score = Case(When(self.last.sql, then=score * Value(self.last_share)), default=score,
                     output_field=FloatField())
        return queryset.annotate(raw_score=score, behind=behind).order_by("behind", "-raw_score", "pk")
