"""Accuracy you can see: the monthly phone checks of a random sample of listings (drawing the sample, closing
the round, its figures with confidence intervals) and how recently the published listings were confirmed."""

from __future__ import annotations

import datetime
import math
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from directory.models import Provider, availability_cutoff

from .models import AccuracyCall, AccuracyRound

Z_95 = 1.959963984540054  # the standard normal quantile for a two-sided 95% interval
LARGEST_SAMPLE = 2000


class RoundRefused(Exception):
    """A round cannot be drawn or closed; the message says why, in words for staff."""


# --- The confidence interval ----------------------------------------------------------------------------


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a proportion (Wilson, 1927), with p = successes / trials and n = trials:
    (p + z²/2n ± z·√(p(1 − p)/n + z²/4n²)) / (1 + z²/n)."""
    if trials <= 0:
        raise ValueError("An interval needs at least one trial.")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


def margin_of_error(sample_size: int, z: float = Z_95) -> float:
    """The widest half-width of a 95% interval for a share measured on sample_size listings: z·√(0.25/n), at 50%."""
    return z * math.sqrt(0.25 / sample_size)


def margin_in_points(sample_size: int) -> int:
    return whole_percent(margin_of_error(sample_size))


def whole_percent(fraction: float) -> int:
    """A fraction as a whole percentage, halves rounded up (0.125 is 13)."""
    return math.floor(fraction * 100 + 0.5)


@dataclass(frozen=True)
class Share:
    """count of total, with its 95% Wilson interval; total may be 0 (nothing to show)."""

    count: int
    total: int

    @property
    def percent(self) -> int:
        # In integers: exact halves round up, with no floating-point surprise.
        return (200 * self.count + self.total) // (2 * self.total)

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.count, self.total)

    @property
    def low_percent(self) -> int:
        return whole_percent(self.interval[0])

    @property
    def high_percent(self) -> int:
        return whole_percent(self.interval[1])

    def __str__(self) -> str:
        return f"{self.percent}% ({self.low_percent}% to {self.high_percent}%)"


# --- Drawing and closing a round ------------------------------------------------------------------------


def sample_ids(population: Iterable[int], size: int, seed: int) -> list[int]:
    """size IDs chosen at random (all of them, in a random order, when there are fewer).

    Python's random.Random(seed).sample() over the IDs in ascending order: the same seed and the same IDs
    always give the same sample, so anyone can draw a recorded round again.
    """
    ids = sorted(population)
    return random.Random(seed).sample(ids, min(size, len(ids)))


def new_seed() -> int:
    # Short enough to read out and type when checking a round.
    return secrets.randbelow(10**9)


def first_of_month(day: datetime.date | None = None) -> datetime.date:
    return (day or timezone.localdate()).replace(day=1)


def refusal_to_draw(month: datetime.date) -> str | None:
    """Why a round for this month cannot be drawn now, or None."""
    open_round = AccuracyRound.objects.open().first()
    if open_round is not None:
        return f"The round for {open_round.month:%B %Y} is still open: close it before drawing another."
    if AccuracyRound.objects.filter(month=first_of_month(month)).exists():
        return f"There is already a round for {month:%B %Y}."
    if not Provider.objects.published().exists():
        return "There are no published listings to call."
    return None


@transaction.atomic
def draw(round_: AccuracyRound, drawn_by=None) -> AccuracyRound:
    """Save a new round with its sample of published listings drawn, and a call to make to each."""
    round_.month = first_of_month(round_.month)
    if reason := refusal_to_draw(round_.month):
        raise RoundRefused(reason)
    population = list(Provider.objects.published().values_list("pk", flat=True))
    if round_.seed is None:
        round_.seed = new_seed()
    chosen = sample_ids(population, round_.requested_size, round_.seed)
    round_.population_size = len(population)
    round_.sampled_provider_ids = chosen
    round_.drawn_by = drawn_by
    round_.save()
    names = dict(Provider.objects.filter(pk__in=chosen).values_list("pk", "name"))
    AccuracyCall.objects.bulk_create(
        AccuracyCall(round=round_, provider_id=pk, provider_name=names[pk], position=position)
        for position, pk in enumerate(chosen, start=1)
    )
    return round_


def draw_round(
    size: int = 100, *, month: datetime.date | None = None, seed: int | None = None, drawn_by=None
) -> AccuracyRound:
    """Draw a round of size listings for month (this month when not given)."""
    return draw(AccuracyRound(month=first_of_month(month), requested_size=size, seed=seed), drawn_by)


def record_remaining_as_not_called(round_: AccuracyRound, recorded_by=None) -> int:
    """Mark every call with no result 'Could not call' (counted as not reached); how many were marked."""
    if not round_.is_open:
        raise RoundRefused("A closed round cannot change.")
    return round_.calls.unrecorded().update(
        result=AccuracyCall.Result.COULD_NOT_CALL, called_on=timezone.localdate(), called_by=recorded_by,
    )


@transaction.atomic
def close(round_: AccuracyRound, closed_by=None) -> None:
    """Close the round and publish its figures; refused while a call has no result."""
    locked = AccuracyRound.objects.select_for_update().get(pk=round_.pk)
    if not locked.is_open:
        raise RoundRefused("This round is already closed.")
    unrecorded = locked.calls.unrecorded().count()
    if unrecorded:
        calls = "call has" if unrecorded == 1 else "calls have"
        raise RoundRefused(
            f"The round is still open: {unrecorded} {calls} no result yet. Record them, or mark them "
            "'Could not call' (counted as not reached)."
        )
    locked.status = AccuracyRound.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.closed_by = closed_by
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    round_.refresh_from_db()


# --- A round's figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundFigures:
    """What a round found: shares of the listings called, and of those where fee and insurance were asked."""

    round: AccuracyRound
    called: int
    recorded: int
    could_not_call: int
    reached: Share
    reached_and_accepting: Share
    fee_as_listed: Share
    insurance_as_listed: Share

    @property
    def unrecorded(self) -> int:
        return self.called - self.recorded


def figures_of(round_: AccuracyRound) -> RoundFigures:
    """The figures of a round annotated by AccuracyRoundQuerySet.with_call_counts()."""
    return RoundFigures(
        round=round_,
        called=round_.called,
        recorded=round_.called - round_.unrecorded,
        could_not_call=round_.could_not_call,
        reached=Share(round_.reached, round_.called),
        reached_and_accepting=Share(round_.reached_and_accepting, round_.called),
        fee_as_listed=Share(round_.fee_right, round_.fee_asked),
        insurance_as_listed=Share(round_.insurance_right, round_.insurance_asked),
    )


def published_rounds() -> list[RoundFigures]:
    """Every closed round's figures, newest first; a round with no calls has none."""
    rounds = AccuracyRound.objects.closed().with_call_counts().filter(called__gt=0).newest_first()
    return [figures_of(round_) for round_ in rounds]


def open_round() -> RoundFigures | None:
    round_ = AccuracyRound.objects.open().with_call_counts().first()
    return figures_of(round_) if round_ else None


# --- Freshness of the published listings now -----------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """How recently the published listings' availability was confirmed, today."""

    published: int
    confirm_days: int
    confirmed_by_provider: Share
    confirmed_within: dict[int, Share]  # days -> confirmed by anyone (provider or staff) within them
    flagged: int
    not_verified_in_a_year: int

    @property
    def confirmed(self) -> Share:
        return self.confirmed_within[self.confirm_days]


def freshness() -> Freshness:
    """One query for the confirmations, and one count each for the listings to check again."""
    published = Provider.objects.published()
    days = sorted({
        settings.AVAILABILITY_CONFIRM_DAYS, settings.AVAILABILITY_STALE_DAYS, settings.AVAILABILITY_UNKNOWN_DAYS,
    })
    counts = published.aggregate(
        published=Count("pk"),
        by_provider=Count(
            "pk", filter=Q(account__availability_confirmed_on__gte=availability_cutoff(
                settings.AVAILABILITY_CONFIRM_DAYS)),
        ),
        **{f"within_{n}": Count("pk", filter=Q(accepting_confirmed__gte=availability_cutoff(n))) for n in days},
    )
    total = counts["published"]
    return Freshness(
        published=total,
        confirm_days=settings.AVAILABILITY_CONFIRM_DAYS,
        confirmed_by_provider=Share(counts["by_provider"], total),
        confirmed_within={n: Share(counts[f"within_{n}"], total) for n in days},
        flagged=published.filter(needs_reverification=True).count(),
        not_verified_in_a_year=published.stale().count(),
    )
