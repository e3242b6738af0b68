"""The pace of a flow's expected line: straight (linear) or the ledger's own season (seasonal).

Patent filings bunch at the year's end; a straight line calls every spring "behind". With
`pace: seasonal` (an indicator's own key, or the plan-wide default) the expected share of a span
follows the months' weights, learnt from the indicator's own records before the plan start:

- the years used: every calendar year before the plan start's year whose records the measure
  holds from its January on (the first record dated in or before that January; a year with no
  record at all is left out: nothing to learn from it);
- a month's weight: the mean, over those years, of that month's share of its year's total (its
  count of records, or its sum for an amount); the twelve weights add up to 1;
- the expected share of a span [start, end] on a day: the weight of the days elapsed over the
  weight of the whole span, a month's weight spread evenly over its days (a partial month counts
  its share of days). 2019: Jan 30 %, Dec 70 %; 2020: Jan 10 %, Dec 90 % → Jan 0.2, Dec 0.8; by
  the end of January 20 % of a calendar year's target is expected, by the end of November still 20 %;
- fewer than one such year (or weights that give the span no weight at all): the straight line,
  and the report says so (`pace: linear`, `pace_asked: seasonal`).

Linear is the elapsed days over the span's days, both ends included (engine/progress.py's
elapsed_share). The engine keeps one Pace per indicator (from the whole's records: a town's
expected line follows the same season).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

import numpy as np

EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Pace:
    """How an indicator's expected line moves: `name` is the pace used, `asked` the pace the plan
    asked for (they differ when seasonal fell back to linear), `years` the years its weights come
    from, `weights` one per month (January first), adding up to 1."""

    name: str = "linear"
    asked: str = "linear"
    years: tuple[int, ...] = ()
    weights: tuple[float, ...] = field(default=(), repr=False)

    def share(self, start: date, end: date, on: date) -> float:
        """The expected share of the span [start, end] by the end of `on` (0 .. 1)."""
        if self.name == "seasonal":
            whole = _weight(self.weights, start, end)
            if whole > 0:
                return min(1.0, max(0.0, _weight(self.weights, start, min(on, end)) / whole))
        return linear_share(start, end, on)


def linear_share(start: date, end: date, on: date) -> float:
    """Elapsed days over the span's days, both ends included."""
    return min(1.0, max(0.0, ((on - start).days + 1) / ((end - start).days + 1)))


def choose(asked: str, days: np.ndarray, values: np.ndarray, plan_start: date) -> Pace:
    """The pace for an indicator whose dated records are (`days` since 1970-01-01, `values`)."""
    if asked != "seasonal":
        return Pace()
    years, weights = month_weights(days, values, plan_start)
    if not years:
        return Pace(asked="seasonal")
    return Pace("seasonal", "seasonal", tuple(years), tuple(weights))


def month_weights(days: np.ndarray, values: np.ndarray, plan_start: date) -> tuple[list[int], list[float]]:
    """(the full pre-plan years used, the twelve monthly weights); ([], []) without a full year."""
    dates = np.asarray(days, dtype=np.float64)
    keep = ~np.isnan(dates)
    stamps = dates[keep].astype(np.int64).astype("datetime64[D]")
    amounts = np.asarray(values, dtype=np.float64)[keep]
    months = stamps.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    if len(months) == 0:
        return [], []
    first = int(months.min())
    first_year = 1970 + first // 12 + (1 if first % 12 else 0)  # data from its January on
    shares: list[np.ndarray] = []
    used: list[int] = []
    for year in range(first_year, plan_start.year):
        base = (year - 1970) * 12
        inside = (months >= base) & (months < base + 12)
        sums = np.bincount(months[inside] - base, weights=amounts[inside], minlength=12)
        if sums.sum() > 0:
            shares.append(sums / sums.sum())
            used.append(year)
    if not used:
        return [], []
    return used, [float(w) for w in np.mean(shares, axis=0)]


def _weight(weights: tuple[float, ...], start: date, end: date) -> float:
    """The weight of the days start..end (both included): each month's weight spread over its days."""
    total = 0.0
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        days = calendar.monthrange(year, month)[1]
        first = max(start, date(year, month, 1))
        last = min(end, date(year, month, days))
        if last >= first:
            total += weights[month - 1] * ((last - first).days + 1) / days
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return total
