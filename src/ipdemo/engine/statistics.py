"""Published figures (`kind: statistic`): a figure an office publishes for a period, not records.

A statistic's ledger holds releases: one row (or several that add up: exports + imports) per
period and release, with the day it was published (the measure's `date`), the year it is for
(`period`, an integer field) and the figure (`aggregate: sum` of `field`; `aggregate: count` counts
the rows). A ratio divides `field` by `denominator` (服判息诉率 = 服判息诉案件数 / 结案数; 占GDP比重 =
增加值 / GDP): both summed over the release, each in its field's unit, the quotient expressed in
the indicator's unit, whose dimension is `ratio` (`%: {dimension: ratio, factor: 0.01}`).

Definitions (docs/targets.md "statistic" says the same in prose):
- the figure on a date: the latest period published by that date (published on or before it),
  in its latest release by then (a revision replaces the first release). None when nothing is
  published yet: a report says 尚未公布 / not yet published, never 0.
- areas: a row with an area (a province) is that area's figure; a row without one is the
  whole's. The whole is never the sum of the areas (a ratio or a score does not add up); an area
  without rows has no figure (None: "—").
- 完成率 (percent): with the plan's baseline (the indicator's `baseline`, when the plan states
  one), (actual − baseline) / (target − baseline); without it, actual / target.
- status: achieved when the figure meets the target; unmet with a figure for the target year
  (the year of `due`, else of the plan end) or later: behind; before that, with a baseline, the
  progress made against the straight line from the baseline year to the target year (on_track /
  at_risk / behind by the plan's thresholds); without a baseline no pace can be judged: no status.
- no rate per week and no projection: a figure is published, not accumulated.
- `--by year`: each year's own figure as published by the window end, never a running total;
  `--by month`: none (a yearly figure has no month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipdemo.data import arrays
from ipdemo.engine.dataset import Dataset
from ipdemo.engine.progress import (
    IndicatorProgress,
    Window,
    _pct,
    _r,
    _town_target,
    day_number,
    meets,
    pace,
    periods,
)
from ipdemo.plan.model import Indicator, Measure, Plan, unit_scale


@dataclass(frozen=True)
class Figure:
    """One published figure: the year it is for, the day its release was published, its value in
    the indicator's unit (None: a ratio over a denominator of 0)."""

    period: int
    published_on: date
    value: float | None


def _numbers(values: pa.ChunkedArray) -> np.ndarray:
    """Validated numbers as floats; NaN where empty."""
    empty = arrays.lengths(values) == 0
    numbers = pc.cast(pc.if_else(arrays.bools(empty), arrays.string("0", values.type), values), pa.float64())
    return np.where(empty, np.nan, arrays.to_numpy(numbers))


class Releases:
    """One statistic indicator's releases as columns: day published, period, numerator,
    denominator (NaN: none), area code, measure number."""

    def __init__(self, plan: Plan, data: Dataset, ind: Indicator):
        self.plan, self.ind = plan, ind
        self.ratio = any(m.denominator for m in ind.measures)
        parts = [self._rows(data, k, m) for k, m in enumerate(ind.measures)]
        self.rows = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def _field_factor(self, m: Measure, field: str | None) -> float:
        unit = self.plan.ledgers[m.ledger].fields[field].unit if field else None
        return self.plan.units[unit].factor if unit in self.plan.units else 1.0

    def _rows(self, data: Dataset, k: int, m: Measure) -> dict[str, np.ndarray]:
        from ipdemo.engine.progress import _matching

        count = data.rows(m.ledger)
        day = data.days(m.ledger, m.date) if m.date else np.full(count, np.nan)
        period = _numbers(data.strings(m.ledger, m.period)) if m.period else np.full(count, np.nan)
        keep = ~np.isnan(day) & ~np.isnan(period)
        if m.where:
            keep &= _matching(data, m.ledger, m.where)
        summed = m.aggregate == "sum" and m.field
        top = _numbers(data.strings(m.ledger, m.field)) if summed and m.field else np.ones(count)
        if self.ratio:  # each side in its field's unit; the quotient scaled once (figure)
            top = top * self._field_factor(m, m.field if summed else None)
            bottom = _numbers(data.strings(m.ledger, m.denominator)) if m.denominator else np.zeros(count)
            bottom = bottom * self._field_factor(m, m.denominator)
        else:
            top, bottom = top * unit_scale(self.plan, self.ind, m), np.full(count, np.nan)
        return {
            "day": day[keep],
            "period": period[keep].astype(np.int64),
            "top": np.nan_to_num(top[keep]),
            "bottom": np.nan_to_num(bottom[keep]),
            "area": data.town_codes(m.ledger)[keep],
            "measure": np.full(int(keep.sum()), k),
        }

    def _area(self, town: str | None) -> np.ndarray:
        """Rows of the whole (no area), or of one area; none for an area the plan lacks."""
        if town is None:
            return self.rows["area"] < 0
        names = self.plan.town_index.names
        return self.rows["area"] == (names.index(town) if town in names else -99)

    def has_area(self, town: str | None) -> bool:
        """Whether any release has a figure for the whole (None) or this area."""
        return bool(self._area(town).any())

    def figure(self, on: date, town: str | None = None, year: int | None = None) -> Figure | None:
        """The figure published by `on` for the whole or an area: of `year`, else of the latest
        period published; each measure's latest release of that period. None: none published."""
        rows = self.rows
        seen = self._area(town) & (rows["day"] <= day_number(on))
        if year is not None:
            seen &= rows["period"] == year
        if not seen.any():
            return None
        period = int(rows["period"][seen].max())
        chosen = seen & (rows["period"] == period)
        latest = np.zeros(len(chosen), dtype=bool)
        for k in np.unique(rows["measure"][chosen]):  # each measure's latest release
            mine = chosen & (rows["measure"] == k)
            latest |= mine & (rows["day"] == rows["day"][mine].max())
        published = date.fromordinal(date(1970, 1, 1).toordinal() + int(rows["day"][latest].max()))
        return Figure(period, published, self._value(latest))

    def _value(self, picked: np.ndarray) -> float | None:
        top = float(self.rows["top"][picked].sum())
        if not self.ratio:
            return top
        bottom = float(self.rows["bottom"][picked].sum())
        return top / bottom / self.plan.units[self.ind.unit].factor if bottom else None


def plan_baseline(plan: Plan, ind: Indicator) -> tuple[float | None, int]:
    """The plan's own 基期值 of an indicator and its year (`baseline: {value, year}`); without
    one (None, the year before the plan starts)."""
    if ind.baseline is not None:
        return ind.baseline.value, ind.baseline.year
    return None, plan.plan.start.year - 1


def completion(actual: float, target: float, baseline: float | None) -> float | None:
    """完成率 in %: progress from the baseline to the target when there is a baseline,
    else the share of the target reached."""
    if baseline is None:
        return _pct(actual, target)
    if target == baseline:
        return None
    return _r(100 * (actual - baseline) / (target - baseline), 1)


def target_year(plan: Plan, ind: Indicator) -> int:
    """The year whose figure the target is for: that of `due`, else of the plan end."""
    return (ind.due or plan.plan.end).year


def judge(plan: Plan, ind: Indicator, figure: Figure, value: float, target: float) -> tuple[str | None, float | None]:
    """(status, expected figure for the figure's year) of a published figure; see the module."""
    if meets(ind, value, target):
        return "achieved", None
    due = target_year(plan, ind)
    if figure.period >= due:
        return "behind", None
    base, base_year = plan_baseline(plan, ind)
    if base is None or due <= base_year:
        return None, None
    expected = base + (target - base) * (figure.period - base_year) / (due - base_year)
    return pace(plan, value - base, expected - base), _r(expected, 2)


def statistic_figures(
    plan: Plan, releases: Releases, ind: Indicator, window: Window, town: str | None, out: IndicatorProgress
) -> None:
    """Fill `out` for a statistic: the figure published by the window end, its period, 完成率,
    status. An area has its allocation as its target, and no baseline (the plan's is the whole's)."""
    target = _town_target(ind, town, ind.target)
    out.target = _r(target)
    base = plan_baseline(plan, ind)[0] if town is None else None
    out.baseline = _r(base)
    if town is not None and not releases.has_area(town):  # no release covers this area
        out.no_area_data = True
        return
    figure = releases.figure(window.end, town)
    if figure is None:
        return
    out.period, out.published_on = figure.period, figure.published_on
    out.actual = _r(figure.value)
    if figure.value is None or target is None:
        return
    out.percent = completion(figure.value, target, base)
    if not window.baseline:
        status, expected = judge(plan, ind, figure, figure.value, target)
        out.status, out.expected = status, expected if town is None else None


def latest_value(releases: Releases, end: date) -> float | None:
    """The figure in force on `end` (a phase's end): the latest published by then."""
    figure = releases.figure(end)
    return None if figure is None else _r(figure.value)


def period_series(releases: Releases, window: Window, freq: str) -> list[dict]:
    """`--by year`: each year's own figure as published by the window end (never a running
    total, no increment); `--by month`: none, a yearly figure has no month."""
    series = []
    for label, start, _end in periods(window, freq):
        figure = releases.figure(window.end, year=start.year) if freq == "year" else None
        value = None if figure is None else _r(figure.value)
        series.append({"period": label, "increment": None, "total": value})
    return series


def statistic_ledgers(plan: Plan) -> set[str]:
    """Ledgers of published figures only: read by statistics and by nothing else. Their rows
    are releases, not records: the weekly summary counts them apart."""
    published = {m.ledger for i in plan.indicators if i.spec.published for m in i.measures}
    others = {m.ledger for i in plan.indicators if not i.spec.published for m in i.measures}
    return published - others


def published_in(plan: Plan, data: Dataset, ledger: str, start: date, end: date) -> int:
    """Rows of a statistics ledger published in [start, end] (any statistic's publication date)."""
    fields = {m.date for i in plan.indicators if i.spec.published for m in i.measures if m.ledger == ledger and m.date}
    dated = np.zeros(data.rows(ledger), dtype=bool)
    for name in sorted(fields):
        days = data.days(ledger, name)
        with np.errstate(invalid="ignore"):
            dated |= (days >= day_number(start)) & (days <= day_number(end))
    return int(dated.sum())
