"""The progress engine: what the plan's words mean, computed from valid ledger rows. No terminal code.

Definitions (README "How progress is counted" says the same in prose):
- window: plan start .. window end (end of phase N, or --as-of, default today capped at plan end);
  both bounds inclusive; anything dated outside never counts. A window ending before the plan
  start is the BASELINE view: levels on that date, flows 0, no status.
- units: one rule for every kind (plan.unit_scale): a counted record is 1 of the count base
  unit, a summed value is in its field's unit; both are divided by the indicator unit's factor
  (820100 records → 82.01 万件). Densities then divide by the population of the date's year.
- actual: cumulative over the window, in the indicator's unit; a level (stock, trend) is the
  level on the window end, whenever its records started.
- expected: target × elapsed share of the plan period, by days (elapsed includes the end day);
  a level goes from its baseline (the day before the start) to the target. Counts are whole
  records: expected is rounded to a whole record, the rate needed per week rounded up.
- status: achieved when the target is met (`more_than`: passed; equal is not enough); otherwise
  actual / expected against the thresholds in targets.yaml (on_track ≥ 0.95, at_risk ≥ 0.80,
  else behind); after the due date, unmet = behind.
- annual: each calendar year against its own target; a year the plan covers in part (2021:
  June..December) gets a prorated target, rounded up (targets.yaml `partial_year`).
- goals (engine/paths.py): an annual indicator with `due` is judged in that year only, earlier
  years on the path from the plan's `baseline`; a level with a stated baseline follows that path
  and its percent is the progress from the baseline. The expected share of a flow follows the
  ledger's season with `pace: seasonal` (engine/pace.py), else the days.
- stock (and trend): a level on a date, not a flow: a record counts from its `date` until its
  `until` date (that day excluded). With `until_where`, only rows matching it have an end (a
  lapse known on status_on ends a patent; a `valid` status dated the same way does not). An end
  before the start means the record never counts. With `aggregate: distinct` a key (an
  organisation) counts once on a date when any of its records is alive then.
- milestones: done on the first matching record's date, also before the plan start (then done
  before the plan); per-town milestones count the towns done (the indicator's `towns`, else
  every town not nominal).
- towns: a record counts in its town; an empty town in a ledger whose town is `required:
  warning` is UNASSIGNED (未划分区镇): it counts in every district total and in by_town's
  `unassigned`, so towns + unassigned = district for counts and sums. A record with no town by
  design (a district-level output) counts in the district only. A nominal town is left out of
  breakdowns unless it has records.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipdemo.data import arrays
from ipdemo.engine import pace as paces
from ipdemo.engine import paths
from ipdemo.engine.dataset import NO_TOWN_CODE, UNASSIGNED_CODE, Dataset
from ipdemo.errors import UsageError
from ipdemo.plan.kinds import UNKNOWN, KindSpec, kind_spec
from ipdemo.plan.model import Indicator, Measure, Phase, Plan, record_quantum, unit_scale

EPOCH = date(1970, 1, 1)
# The town argument that selects records inside the district whose town is not yet known
# (未划分区镇). No plan town is named '' and --town never resolves to it.
UNASSIGNED = ""
RANK = {"achieved": 0, "on_track": 1, "at_risk": 2, "behind": 3}
DAY = timedelta(days=1)


def day_number(d: date) -> int:
    return (d - EPOCH).days


@dataclass(frozen=True)
class Window:
    start: date
    end: date
    phase: Phase | None = None

    @property
    def baseline(self) -> bool:
        """The window ends before the plan starts: levels on that date, flows 0, no status."""
        return self.end < self.start


def make_window(plan: Plan, phase: int | None = None, as_of: date | None = None, today: date | None = None) -> Window:
    """Plan start → end of phase N, or --as-of (default today), capped at the plan end. An
    --as-of before the plan start gives the baseline window (levels on that date)."""
    start, end = plan.plan.start, plan.plan.end
    chosen = None
    if phase is not None:
        if not plan.phases:
            raise UsageError("no_phases", option="--phase")
        chosen = plan.phase(phase)
        if chosen is None:
            raise UsageError("unknown_phase", phase=phase, known=", ".join(str(p.id) for p in plan.phases))
    if as_of is None:
        as_of = chosen.end if chosen else min(today or date.today(), end)
    elif chosen is not None:
        as_of = min(as_of, chosen.end)
    if chosen is not None and as_of < chosen.start:
        raise UsageError("as_of_before_start", as_of=as_of, start=chosen.start)
    return Window(start, min(as_of, end), chosen)


def _matching(data: Dataset, ledger: str, conditions: dict[str, str | list[str]]) -> np.ndarray:
    """Rows whose every named field holds one of the wanted values (a `where`); a field the
    ledger lacks matches no row."""
    mask = np.ones(data.rows(ledger), dtype=bool)
    for fname, wanted in conditions.items():
        mask &= data.holds(ledger, fname, [wanted] if isinstance(wanted, str) else list(wanted))
    return mask


def _ends(data: Dataset, m: Measure, pick: np.ndarray | None, starts: np.ndarray) -> np.ndarray:
    """Each selected row's end day (NaN: none): its `until` date, on rows matching `until_where`
    only; an end before the start is moved to the start (the record never counts)."""
    if not m.until or not data.has(m.ledger, m.until):
        return _same(len(starts), np.nan)
    ends = data.days(m.ledger, m.until)
    if m.until_where:
        ends = np.where(_matching(data, m.ledger, m.until_where), ends, np.nan)
    ends = _take(ends, pick)
    return np.where(ends < starts, starts, ends)


def _same(count: int, value: float | int, dtype: type = np.float64) -> np.ndarray:
    """`count` copies of one value, held once: a read-only view (numpy broadcast) that indexing,
    sums and sorts read like any column, and any write refuses. A flow's missing end days, a
    count's values and an unused key column cost no memory (8 bytes a row each before: ~0.1 GB
    per million rows over a plan's patent indicators)."""
    return np.broadcast_to(np.array(value, dtype=dtype), (count,))


def _take(values: np.ndarray, pick: np.ndarray | None) -> np.ndarray:
    """The picked rows of a column (None: every row, no copy)."""
    return values if pick is None else values[pick]


def _amounts(values: pa.ChunkedArray) -> np.ndarray:
    """Validated decimal strings as floats; empty (an optional amount left blank) counts 0."""
    blank = arrays.bools(arrays.lengths(values) == 0)
    numbers = pc.cast(pc.if_else(blank, arrays.string("0", values.type), values), pa.float64())
    return arrays.to_numpy(numbers)


class Facts:
    """One indicator's dated amounts, as step functions per town (or district): the cumulative
    amount started by each day and, for levels, the cumulative amount ended by each day."""

    def __init__(self, plan: Plan, data: Dataset, ind: Indicator):
        self.plan, self.ind = plan, ind
        self.start_day = day_number(plan.plan.start)
        self.stock = ind.is_level
        self.distinct = any(m.aggregate == "distinct" for m in ind.measures)
        self.per_population = next((m.per_population for m in ind.measures if m.per_population), None)
        # Flows count inside the plan period only; levels and milestones see every record.
        self.from_start = not self.stock and not ind.spec.done_on_date
        # Whether any of its ledgers may hold records whose town is not yet known (未划分区镇).
        self.unassignable = any(data.unassignable(m.ledger) for m in ind.measures)
        parts = [self._rows(data, m) for m in ind.measures]
        # A statistic's releases (engine/statistics.py): its figures are published, not counted.
        self.releases = _releases(plan, data, ind) if ind.spec.published else None
        # One measure (most indicators): its columns as they are, no copy.
        self.rows = (
            parts[0]
            if len(parts) == 1
            else {k: np.concatenate([p[k] for p in parts]) for k in ("day", "town", "value", "key", "end")}
        )

    def _rows(self, data: Dataset, m: Measure) -> dict[str, np.ndarray]:
        """The measure's rows that match its `where` and have a date, as columns. One selection
        for every column, and none at all when every row counts (a million-row ledger's counts)."""
        days = data.days(m.ledger, m.date) if m.date else None
        keep = _matching(data, m.ledger, m.where) if m.where else None
        if days is not None:
            dated = ~np.isnan(days)
            keep = dated if keep is None else keep & dated
        pick = None if keep is None or keep.all() else np.flatnonzero(keep)
        count = data.rows(m.ledger) if pick is None else len(pick)
        day = _take(days, pick) if days is not None else _same(count, float(self.start_day))
        field = m.field or ""  # the plan check requires a field for sum and distinct
        scale = unit_scale(self.plan, self.ind, m)
        if m.aggregate == "sum":
            values = _take(_amounts(data.strings(m.ledger, field)), pick)
            values = values * scale if scale != 1 else values
        else:
            values = _same(count, float(scale))
        # Keys matter only for distinct counts; elsewhere no column at all is cheaper than 1M ''.
        key = _take(data.column(m.ledger, field), pick) if m.aggregate == "distinct" else _same(count, 0, np.int8)
        return {
            "day": day,
            "town": _take(data.town_codes(m.ledger), pick),
            "value": values,
            "key": key,
            "end": _ends(data, m, pick, day),
        }

    def _kept(self, name: str, make: Callable[[], Any]) -> Any:
        """A value worked out once and kept on this object. Not functools.cached_property: on
        Python 3.11 it holds one lock per property of the class while it computes, so two
        indicators counted at a time (`_each`) would sort their rows one after the other. One
        Facts is only ever worked on by one thread at a time."""
        memo = self.__dict__.setdefault("_kept_memo", {})
        if name not in memo:
            memo[name] = make()
        return memo[name]

    @property
    def _by_day(self) -> np.ndarray:
        """Row order by day (stable), shared by the district and every town."""
        return self._kept("by_day", lambda: _day_order(self.rows["day"]))

    @property
    def _by_town(self) -> tuple[np.ndarray, np.ndarray]:
        """(row order by town then day, each town's first position in it): one pass for all
        towns instead of one per town."""
        return self._kept("by_town", self._town_order)

    def _town_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Town codes are small, so the stable sort is a radix sort."""
        order = self._by_day
        count = len(self.plan.town_index.names)
        towns = self.rows["town"][order].astype(np.int8 if count < 127 else np.int32)
        grouped = np.argsort(towns, kind="stable")  # stable: each town's rows stay in day order
        bounds = np.searchsorted(towns[grouped], np.arange(NO_TOWN_CODE, count + 1))
        return order[grouped], bounds

    def _order(self, town: str | None) -> np.ndarray:
        """The rows of the district (None) or a town, in day order."""
        if town is None:
            return self._by_day
        code = self._town_code(town)
        if code is None:
            return self._by_day[:0]
        grouped, bounds = self._by_town
        at = code - NO_TOWN_CODE  # bounds start at the lowest code
        return grouped[bounds[at] : bounds[at + 1]]

    def steps(self, town: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(sorted start days, cumulative amount started by each, sorted end days, cumulative
        amount ended by each) for the district or a town. Flows have no ends. Computed once per
        town and kept on this object (not functools.cache on the method, which would keep every
        Facts alive for the life of the process)."""
        memo = self.__dict__.setdefault("_steps_memo", {})
        if town not in memo:
            memo[town] = self._steps(town)
        return memo[town]

    @property
    def _has_ends(self) -> bool:
        """Whether any row has an end day (flows never do)."""
        return self._kept("has_ends", lambda: not np.isnan(self.rows["end"]).all())

    def _steps(self, town: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        order = self._order(town)
        days = self.rows["day"][order]
        if self.from_start:  # rows in day order: the plan start is a cut, not a filter
            cut = int(np.searchsorted(days, self.start_day, side="left"))
            order, days = order[cut:], days[cut:]
        values = self.rows["value"][order]
        ends = self.rows["end"][order] if self._has_ends else _same(len(days), np.nan)
        if self.distinct and len(days):
            if self.stock:  # a key is alive while any of its records is
                days, ends = _alive_spans(days, ends, self.rows["key"][order])
                values = np.ones(len(days))
                by_start = np.argsort(days, kind="stable")  # spans come in key order
                days, ends = days[by_start], ends[by_start]
            else:  # each key counts once, on its first day in the period
                _, first = np.unique(self.rows["key"][order], return_index=True)
                first.sort()
                days, values, ends = days[first], values[first], ends[first]
        ended = ~np.isnan(ends)  # flows have none: an empty sort
        end_order = _day_order(ends[ended])
        return (  # day numbers fit 32 bits (5.8 million years): half the memory of each town's steps
            days.astype(np.int32),
            np.cumsum(values),
            ends[ended][end_order].astype(np.int32),
            np.cumsum(values[ended][end_order]),
        )

    def _town_code(self, town: str | None) -> int | None:
        """The code of a plan town, or of UNASSIGNED where the ledgers allow it; None otherwise."""
        if town == UNASSIGNED:
            return UNASSIGNED_CODE if self.unassignable else None
        names = self.plan.town_index.names
        return names.index(town) if town in names else None

    def raw_level(self, on: date, town: str | None = None) -> float:
        """Started minus ended by `on`, in the indicator's unit (before any population)."""
        days, cum, ends, ended = self.steps(town)
        d = day_number(on)
        i = int(np.searchsorted(days, d, side="right"))
        j = int(np.searchsorted(ends, d, side="right"))
        return (float(cum[i - 1]) if i else 0.0) - (float(ended[j - 1]) if j else 0.0)

    def level(self, on: date, town: str | None = None) -> float | None:
        """Cumulative flow from plan start to `on`, or the level on `on` (per population of the
        year of `on`, if asked; None when that population is unknown)."""
        value = self.raw_level(on, town)
        if self.per_population:
            population = self.plan.population(town, on)
            if population is None:
                return None
            value = value / population * self.per_population
        return value

    def between(self, start: date, end: date, town: str | None = None) -> float | None:
        """Increment over [start, end], both inclusive."""
        hi = self.level(end, town)
        lo = self.level(start - DAY, town)
        return None if hi is None or lo is None else hi - lo

    @property
    def pace(self) -> paces.Pace:
        """The pace of the expected line (engine/pace.py), from the whole's records of every date."""
        return self._kept("pace", self._pace)

    def _pace(self) -> paces.Pace:
        asked = self.ind.pace or self.plan.pace
        if not self.ind.spec.seasonal or asked != "seasonal":
            return paces.Pace()
        return paces.choose(asked, self.rows["day"], self.rows["value"], self.plan.plan.start)

    def first_day(self, town: str | None, until: date) -> date | None:
        days = self.steps(town)[0]
        if len(days) == 0 or days[0] > day_number(until):
            return None
        return EPOCH + timedelta(days=int(days[0]))


def _releases(plan: Plan, data: Dataset, ind: Indicator):
    from ipdemo.engine.statistics import Releases

    return Releases(plan, data, ind)


def has_areas(plan: Plan, ind: Indicator) -> bool:
    """Whether the indicator has figures per area at all: some ledger it reads has a `town`
    field (the one the dataset places records by). Without one (a national-only statistic by
    province) an area's figure is None ("—"), not 0."""
    towns = [plan.ledgers[m.ledger].fields.get("town") for m in ind.measures]
    return any(spec is not None and spec.type == "town" for spec in towns)


def _alive_spans(days: np.ndarray, ends: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per key, the union of its records' [day, end) spans, as (starts, ends) of the merged spans
    (NaN end: still alive). Vectorised: sort by key then day; a running maximum of the ends, offset
    per key so keys never mix, says where a record starts a new span."""
    _, group = np.unique(keys, return_inverse=True)
    order = np.lexsort((days, group))
    g, d = group[order].astype(np.float64), days[order]
    open_end = 1e6  # beyond any day number (2099-12-31 is 47,482): "no end yet"
    e = np.where(np.isnan(ends[order]), open_end, ends[order])
    running = np.maximum.accumulate(g * 2 * open_end + e) - g * 2 * open_end
    new = np.ones(len(d), dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (d[1:] > running[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, len(d) - 1)
    span_ends = running[last]
    return d[first], np.where(span_ends >= open_end, np.nan, span_ends)


@dataclass
class YearResult:
    year: int
    start: date
    end: date
    target: float | None
    actual: float | None
    percent: float | None
    status: str | None


@dataclass
class IndicatorProgress:
    id: str
    name: str
    name_en: str
    kind: str
    unit: str
    plan_text: str
    target: float | None = None
    min: float | None = None
    max: float | None = None
    due: date | None = None
    comparison: str = "at_least"
    actual: float | None = None
    percent: float | None = None
    expected: float | None = None
    status: str | None = None
    phase_increment: float | None = None
    needed_per_week: float | None = None
    projection: float | None = None
    share: float | None = None  # with --town: the town's share of the district figure, %
    done_on: date | None = None
    late: bool = False
    done_before_start: bool = False  # a milestone reached before the plan started
    above_max: bool = False
    baseline: float | None = None  # levels: the level on the day before the plan start
    years: list[YearResult] = field(default_factory=list)
    towns_done: list[str] = field(default_factory=list)
    towns_missing: list[str] = field(default_factory=list)
    # The plan's goals (engine/paths.py, engine/pace.py): the year of `baseline` when the plan
    # states it (baseline is then its value), 预期性 / 约束性, the path from the baseline, the year
    # a target-year goal is judged in, and the pace of the expected line (used, asked, its years).
    baseline_year: int | None = None
    binding: str | None = None
    path: str | None = None
    target_year: int | None = None
    pace: str | None = None
    pace_asked: str | None = None
    pace_years: list[int] = field(default_factory=list)
    # A published figure (statistic, engine/statistics.py): the year it is for and the day its
    # release was published; None while nothing is published (actual None: not yet published).
    period: int | None = None
    published_on: date | None = None
    # With a town: the indicator has no figures for that area at all (a national-only figure,
    # an area no release covers): "—", not 0 and not "not yet published".
    no_area_data: bool = False

    @property
    def spec(self) -> KindSpec:
        """What its kind is (plan/kinds.py)."""
        return kind_spec(self.kind)

    def as_dict(self) -> dict:
        out = asdict(self)
        for key in ("due", "done_on", "published_on"):
            out[key] = out[key].isoformat() if out[key] else None
        for year in out["years"]:
            year["start"], year["end"] = year["start"].isoformat(), year["end"].isoformat()
        return out


@dataclass
class Progress:
    plan: Plan
    window: Window
    town: str | None
    indicators: list[IndicatorProgress]
    invalid_rows: int = 0
    # The plan's qualitative tasks on the window end (tasks.TaskState), overdue first; None with a
    # town (tasks are the district's: a town report leaves them out).
    tasks: list | None = None

    def as_dict(self) -> dict:
        p = self.window.phase
        start = self.plan.plan.start
        zh, en = self.plan.words("zh"), self.plan.words("en")
        return {
            "plan": self.plan.plan.id,
            "plan_name": self.plan.plan.name,
            "as_of": self.window.end.isoformat(),
            "window": {"start": self.window.start.isoformat(), "end": self.window.end.isoformat()},
            "before_start": self.window.baseline,
            "phase": {
                "id": p.id,
                "name": p.name,
                "name_en": p.name_en,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
            }
            if p
            else None,
            "town": self.town,
            "words": {
                "area": zh.area,
                "whole": zh.whole,
                "area_en": en.area,
                "areas_en": en.areas,
                "whole_en": en.whole,
            },
            # Where the plan started: every level (stock, trend) on the day before the start.
            "baseline": {
                "on": (start - DAY).isoformat(),
                "levels": {
                    i.id: i.baseline
                    for i in self.indicators
                    if i.spec.level or (i.baseline is not None and i.baseline_year is None)
                },
            },
            "invalid_rows": self.invalid_rows,
            "indicators": [i.as_dict() for i in self.indicators],
            "tasks": None if self.tasks is None else [t.as_dict() for t in self.tasks],
        }


def _r(x: float | None, digits: int = 6) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    value = round(float(x), digits)
    return int(value) if value.is_integer() else value


def _pct(actual: float | None, target: float | None) -> float | None:
    """Percent of the target, one decimal; two significant digits when that would read 0 for a
    figure that is not (36 件 of 9 万件: 0.04, not 0)."""
    if actual is None or not target:
        return None
    share = 100 * actual / target
    return _r(share, 1) if abs(share) >= 0.05 or share == 0 else _r(float(f"{share:.2g}"), 8)


def _expected(x: float, quantum: float | None) -> float | None:
    """Expected-to-date: whole records for counts (half up), else two decimals."""
    if quantum is None:
        return _r(x, 2)
    return _r(math.floor(x / quantum + 0.5 + 1e-9) * quantum)


def _rate(x: float, quantum: float | None) -> float | None:
    """A rate needed: rounded UP, to whole records for counts, else to 0.01 (two significant
    digits when smaller, so that a needed rate never shows as 0)."""
    if x <= 0:
        return 0
    if quantum is not None:
        return _r(math.ceil(x / quantum - 1e-9) * quantum)
    return _r(math.ceil(x * 100 - 1e-9) / 100, 2) if x >= 0.01 else _r(float(f"{x:.2g}"), 8)


def meets(ind: Indicator, actual: float, target: float) -> bool:
    """达到 (at_least): actual ≥ target; 突破 (more_than): actual > target — equal is not enough."""
    return actual > target + 1e-9 if ind.comparison == "more_than" else actual >= target - 1e-9


def pass_step(plan: Plan, ind: Indicator, town: str | None, on: date) -> float:
    """What must be added beyond the target to pass it (`more_than`): one record (one record per
    population for densities), or one of the summed field's units."""
    step = min(unit_scale(plan, ind, m) for m in ind.measures)
    per = next((m.per_population for m in ind.measures if m.per_population), None)
    population = plan.population(town, on) if per else None
    return step / population * per if per and population else step


def remaining(plan: Plan, ind: Indicator, actual: float, target: float, town: str | None, on: date) -> float:
    """How much is still needed to meet the target (0 when met)."""
    if meets(ind, actual, target):
        return 0.0
    extra = pass_step(plan, ind, town, on) if ind.comparison == "more_than" else 0.0
    return max(0.0, target - actual) + extra


def pace(plan: Plan, actual: float, expected: float) -> str:
    if expected <= 0:
        return "on_track"
    ratio = actual / expected
    if ratio >= plan.status.on_track:
        return "on_track"
    return "at_risk" if ratio >= plan.status.at_risk else "behind"


def elapsed_share(start: date, end: date, on: date) -> float:
    return min(1.0, max(0.0, ((on - start).days + 1) / ((end - start).days + 1)))


def facts_of(data: Dataset, ind: Indicator) -> Facts:
    """One Facts per indicator and dataset, shared by the report, its breakdowns, the charts and
    the summary (a report with --by town used to build every indicator's rows twice). It lives
    as long as the dataset does, under the versions of the ledgers it read: a ledger added later
    (tasks load theirs on demand) or again gives new facts for the indicators that read it only."""
    memo = data.derived.setdefault("facts", {})
    key = (ind.id, tuple(data.versions.get(name, 0) for name in ind.ledgers))
    found = memo.get(key)
    if found is None:
        made = Facts(data.plan, data, ind)  # outside the lock: `compute` builds two at a time
        with _FACTS_LOCK:
            for older in [k for k in memo if k[0] == ind.id and k != key]:  # facts of ledgers since replaced
                del memo[older]
            found = memo.setdefault(key, made)
    return found


_FACTS_LOCK = threading.Lock()  # guards the facts memo's keys, never a build
SIDE_BY_SIDE = 2  # indicators computed at once, one a core at most: numpy and Arrow on whole columns, outside the GIL
SIDE_BY_SIDE_ROWS = 2_000_000  # ...when the ledgers hold this many valid rows (at 1M: no time saved, 15 MB more)


def _each(
    data: Dataset, inds: list[Indicator], work: Callable[[Indicator], IndicatorProgress]
) -> list[IndicatorProgress]:
    """work(ind) for each indicator, in plan order; two at a time on a big dataset (a report at 4M
    rows spent ~0.5 s counting on one core of two). The first failure is raised, as one at a time."""
    if len(inds) < 2 or sum(table.num_rows for table in data.tables.values()) < SIDE_BY_SIDE_ROWS:
        return [work(ind) for ind in inds]
    with ThreadPoolExecutor(min(SIDE_BY_SIDE, os.cpu_count() or 1)) as pool:
        return list(pool.map(work, inds))


def _day_order(days: np.ndarray) -> np.ndarray:
    """Stable order of whole day numbers. Over a span below 65,536 days (179 years) the offsets
    fit in 16 bits, and numpy's stable sort of 16-bit integers is a radix sort: same order, ~3×
    faster on a million rows than sorting the float days."""
    if len(days) > 1000:
        low, high = days.min(), days.max()
        if high - low < 65536:
            return np.argsort((days - low).astype(np.uint16), kind="stable")
    return np.argsort(days, kind="stable")


def compute(plan: Plan, data: Dataset, window: Window, town: str | None = None) -> Progress:
    results = _each(data, plan.indicators, lambda ind: indicator_progress(plan, facts_of(data, ind), ind, window, town))
    from ipdemo.engine import tasks as task_states

    # Tasks (tasks.py) are the district's: a town's report leaves them out. Their ledger is read
    # (and checked, its invalid rows counted) whenever the plan has one.
    entries = task_states.entries(plan, data)
    tasks = task_states.states(plan, entries, window, results) if town is None else None
    return Progress(plan, window, town, results, data.invalid_count, tasks)


def indicator_progress(
    plan: Plan, facts: Facts, ind: Indicator, window: Window, town: str | None = None
) -> IndicatorProgress:
    out = IndicatorProgress(
        ind.id,
        ind.name,
        ind.name_en,
        ind.kind,
        ind.unit,
        ind.plan_text,
        min=ind.min,
        max=ind.max,
        due=ind.due,
        comparison=ind.comparison,
    )
    spec = ind.spec
    _goals(plan, facts, ind, out, town)
    if town is not None and not has_areas(plan, ind):  # no per-area data: no figure, not 0
        out.target, out.no_area_data = _r(ind.allocations.towns.get(town)), True
        return out
    _figures_of(spec)(plan, facts, ind, window, town, out)
    if window.phase is not None and spec.amount:
        out.phase_increment = _r(facts.between(window.phase.start, window.end, town))
    if town is not None and spec.amount and not facts.per_population:
        district = facts.between(date(window.end.year, 1, 1), window.end) if spec.yearly else facts.level(window.end)
        local = out.actual
        out.share = _pct(local, district) if district else None
    return out


def _goals(plan: Plan, facts: Facts, ind: Indicator, out: IndicatorProgress, town: str | None) -> None:
    """What the plan states of its goal (its baseline — the whole's, not an area's —, 属性, path,
    target year) and the pace used."""
    if ind.baseline is not None and town is None:
        out.baseline, out.baseline_year = ind.baseline.value, ind.baseline.year
    out.binding = ind.binding
    out.path = (ind.path or "linear") if ind.baseline is not None else None
    out.target_year = paths.target_year(plan, ind)
    if ind.spec.seasonal:
        used = facts.pace
        out.pace, out.pace_asked, out.pace_years = used.name, used.asked, list(used.years)


def _figures_of(spec: KindSpec):
    """How a kind's figures are computed: a milestone's date, a trend's yearly levels, a yearly
    target's years, else a flow or level against its target. An unknown kind is refused, never
    counted as some other kind."""
    if spec is UNKNOWN:
        raise ValueError("an indicator kind plan/kinds.py does not know")
    if spec.done_on_date:
        return _milestone
    if spec.published:
        return _statistic
    if spec.directional:
        return _trend
    return _annual if spec.yearly else _flow


def _statistic(
    plan: Plan, facts: Facts, ind: Indicator, window: Window, town: str | None, out: IndicatorProgress
) -> None:
    from ipdemo.engine.statistics import statistic_figures

    if facts.releases is not None:  # always, for a statistic (Facts)
        statistic_figures(plan, facts.releases, ind, window, town, out)


def _town_target(ind: Indicator, town: str | None, district_target: float | None) -> float | None:
    """A town has a target only when targets.yaml allocates one."""
    if town is None:
        return district_target
    return ind.allocations.towns.get(town)


def _flow(plan: Plan, facts: Facts, ind: Indicator, window: Window, town: str | None, out: IndicatorProgress) -> None:
    actual = facts.level(window.end, town)
    out.actual = _r(actual)
    goal = ind.min if ind.spec.bounded else ind.target
    target = _town_target(ind, town, goal)
    if ind.spec.bounded and town is not None:
        out.min = out.max = None
    out.target = _r(target)  # a range's target is its minimum; max is reported beside it
    stated = out.baseline_year is not None and facts.stock  # the plan's 基期值 (the whole's) starts its path
    base = out.baseline if stated else facts.level(plan.plan.start - DAY, town) if facts.stock else 0.0
    if facts.stock:
        out.baseline = _r(base)
    if actual is None or target is None:
        return
    out.percent = _level_percent(actual, base, target) if stated else _pct(actual, target)
    if ind.spec.bounded and ind.max is not None and town is None and actual > ind.max:
        out.above_max = True
    if window.baseline:  # before the plan: levels and targets, nothing is due yet
        return
    due = ind.due if ind.spec.pace_to_due and ind.due else plan.plan.end
    expected = _expected_level(plan, facts, ind, base, target, due, window.end, stated)
    quantum = record_quantum(plan, ind)
    out.expected = _expected(expected, quantum)
    if meets(ind, actual, target):
        out.status = "achieved"
    else:
        out.status = "behind" if window.end >= due else pace(plan, actual, expected)
    weeks_left = (due - window.end).days / 7
    if weeks_left > 0:
        out.needed_per_week = _rate(remaining(plan, ind, actual, target, town, window.end) / weeks_left, quantum)
        elapsed_days = (window.end - plan.plan.start).days + 1
        if not facts.stock:
            total_days = (due - plan.plan.start).days + 1
            out.projection = _expected(actual / elapsed_days * total_days, quantum)
            if facts.pace.name == "seasonal":  # as the season has gone so far
                out.projection = _projected(actual, facts.pace.share(plan.plan.start, due, window.end), quantum)


def _expected_level(
    plan: Plan, facts: Facts, ind: Indicator, base: float | None, target: float, due: date, on: date, stated: bool
) -> float:
    """Expected on `on`: on the path from the plan's stated baseline (paths.py), else from the
    data's baseline (0 for a flow) at the indicator's pace (pace.py)."""
    if stated:
        return paths.level_expected(plan, ind, target, due, on)
    base = base or 0.0
    return base + (target - base) * facts.pace.share(plan.plan.start, due, on)


def _projected(actual: float, share: float, quantum: float | None) -> float | None:
    """Where the actual ends up if the rest of the span goes as its expected share says."""
    return _expected(actual / share, quantum) if share > 0 else None


def _level_percent(actual: float, base: float | None, target: float) -> float | None:
    """完成率 of a level from the plan's baseline: the way made from it to the target (paths.py)."""
    made = paths.progress_percent(actual, base, target) if base is not None else None
    return _r(made, 1) if made is not None else _pct(actual, target)


def year_spans(plan: Plan, until: date) -> list[tuple[int, date, date]]:
    spans = []
    for year in range(plan.plan.start.year, until.year + 1):
        start = max(plan.plan.start, date(year, 1, 1))
        end = min(plan.plan.end, date(year, 12, 31))
        if start <= until:
            spans.append((year, start, end))
    return spans


def annual_target(plan: Plan, ind: Indicator, year: int, start: date, end: date, base: float | None) -> float | None:
    if base is None:
        return None
    if year in ind.allocations.years:
        return ind.allocations.years[year]
    full_year = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    covered = (end - start).days + 1
    if covered == full_year:
        return base
    policy = ind.partial_year or plan.partial_year
    if policy == "skip":
        return None
    return base if policy == "full" else float(math.ceil(base * covered / full_year - 1e-9))


def _annual(plan: Plan, facts: Facts, ind: Indicator, window: Window, town: str | None, out: IndicatorProgress) -> None:
    base = _town_target(ind, town, ind.target)
    out.target = _r(base)
    if window.baseline:  # no year of the plan has begun
        out.actual = 0
        return
    statuses = []
    for year, start, end in year_spans(plan, window.end):
        upto = min(end, window.end)
        actual = facts.between(start, upto, town)
        target = annual_target(plan, ind, year, start, end, paths.year_goal(plan, ind, year, base, town is None))
        status = _year_status(plan, facts, ind, (year, start, end, upto), actual, target, base)
        if status is not None:
            statuses.append(status)
        out.years.append(YearResult(year, start, end, _r(target), _r(actual), _pct(actual, target), status))
    current = out.years[-1]
    out.actual, out.percent = current.actual, current.percent
    if out.target_year is not None:  # judged against the target-year value: 266.9 % ahead of it
        out.percent = _pct(current.actual, base)
    quantum = record_quantum(plan, ind)
    if current.target is not None and current.actual is not None:
        share = facts.pace.share(current.start, current.end, window.end)
        out.expected = _expected(current.target * share, quantum)
        weeks_left = (current.end - window.end).days / 7
        if weeks_left > 0:
            needed = remaining(plan, ind, current.actual, current.target, town, window.end)
            out.needed_per_week = _rate(needed / weeks_left, quantum)
            out.projection = _projected(current.actual, share, quantum)
    if out.target_year is not None:  # a target-year goal: where its latest year stands
        out.status = current.status
    else:
        out.status = max(statuses, key=RANK.__getitem__) if statuses else None


def _year_status(
    plan: Plan,
    facts: Facts,
    ind: Indicator,
    span: tuple[int, date, date, date],
    actual: float | None,
    target: float | None,
    final: float | None,
) -> str | None:
    """A year's status: achieved when it meets its target; a year that is over and short of it is
    behind, one under way on pace. A year before a target-year goal's year: _early_status."""
    year, start, end, upto = span
    if paths.early(plan, ind, year):
        return _early_status(plan, facts, ind, span, actual, target, final)
    if target is None or actual is None:
        return None
    if meets(ind, actual, target):
        return "achieved"
    if upto >= end:
        return "behind"
    return pace(plan, actual, target * facts.pace.share(start, end, upto))


def _early_status(
    plan: Plan,
    facts: Facts,
    ind: Indicator,
    span: tuple[int, date, date, date],
    actual: float | None,
    target: float | None,
    final: float | None,
) -> str | None:
    """A year before a target-year goal's year: achieved ahead of time (提前实现) when it already
    meets the final target; else on pace with its figure on the path, over or not (the goal is
    not due yet); without a path figure, no status."""
    _, start, end, upto = span
    if actual is not None and final is not None and meets(ind, actual, final):
        return "achieved"
    if target is None or actual is None:
        return None
    return pace(plan, actual, target * facts.pace.share(start, end, upto))


def milestone_towns(plan: Plan, ind: Indicator) -> list[str]:
    """The towns a per-town milestone asks of: its `towns`, else every town not nominal."""
    return list(ind.towns) or plan.reported_towns


def _milestone(
    plan: Plan, facts: Facts, ind: Indicator, window: Window, town: str | None, out: IndicatorProgress
) -> None:
    due = ind.due or plan.plan.end
    if ind.per_town:
        asked = milestone_towns(plan, ind)
        towns = asked if town is None else [t for t in asked if t == town]
        if not towns:  # a town the milestone does not ask of
            return
        late = False
        for name in towns:
            done = facts.first_day(name, window.end)
            if done is None:
                out.towns_missing.append(name)
            else:
                out.towns_done.append(name)
                late |= done > due
                out.done_on = max(out.done_on, done) if out.done_on else done
        if out.towns_missing:
            out.done_on = None
        out.target, out.actual = len(towns), len(out.towns_done)
        out.percent = _pct(out.actual, out.target)
        out.late = late
        complete = not out.towns_missing
    else:
        if town is not None:  # a district-level milestone has no town target
            out.actual = 1 if facts.first_day(town, window.end) else 0
            return
        out.done_on = facts.first_day(None, window.end)
        out.target, out.actual = 1, 1 if out.done_on else 0
        out.percent = 100.0 if out.done_on else 0.0
        out.late = bool(out.done_on and out.done_on > due)
        complete = out.done_on is not None
    out.done_before_start = bool(out.done_on and out.done_on < plan.plan.start)
    if window.baseline:
        return
    out.expected = out.target if window.end >= due else None
    out.status = "achieved" if complete else ("behind" if window.end >= due else "on_track")


def _trend(plan: Plan, facts: Facts, ind: Indicator, window: Window, town: str | None, out: IndicatorProgress) -> None:
    stated = out.baseline_year is not None  # the plan's 基期值 (the whole's)
    base = out.baseline if stated else facts.level(plan.plan.start - DAY, town)
    out.baseline = _r(base)
    for year, start, end in year_spans(plan, window.end):
        value = facts.level(min(end, window.end), town)
        out.years.append(YearResult(year, start, end, None, _r(value), None, None))
    out.actual = _r(facts.level(window.end, town))
    if out.actual is None or base is None or window.baseline:
        return
    rising = out.actual > base if ind.direction == "rising" else out.actual < base
    final = window.end >= plan.plan.end
    out.status = ("achieved" if final else "on_track") if rising else ("behind" if final else "at_risk")


# --- breakdowns ---------------------------------------------------------------------------


def by_town(plan: Plan, data: Dataset, window: Window) -> list[dict]:
    """Indicator × town matrix of actuals, the district totals, and `unassigned`: the records
    whose town is not yet known (未划分区镇) — a number where the indicator's ledgers allow such
    records (0 when there are none), else None. Towns + unassigned = district for counts and sums.
    Nominal towns appear only when some indicator has a figure for them."""
    rows: list[dict[str, Any]] = []
    for ind in plan.indicators:
        facts = facts_of(data, ind)
        towns = {}
        for name in plan.town_index.names:
            towns[name] = indicator_progress(plan, facts, ind, window, name).actual
        district = indicator_progress(plan, facts, ind, window)
        rows.append(
            {
                "id": ind.id,
                "name": ind.name,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "kind": ind.kind,
                "whole": district.actual,
                "areas": towns,
                "district": district.actual,  # alias of `whole` (earlier consumers)
                "towns": towns,  # alias of `areas`
                "unassigned": _unassigned(plan, facts, ind, window),
                "allocations": dict(ind.allocations.towns) or None,
            }
        )
    shown = shown_towns(plan, rows)
    for row in rows:
        row["towns"] = row["areas"] = {name: row["towns"][name] for name in shown}
    return rows


def shown_towns(plan: Plan, rows: list[dict]) -> list[str]:
    """The towns a breakdown shows: every town not nominal, and a nominal one with records."""
    nominal = {t.name for t in plan.towns if t.nominal}
    return [name for name in plan.town_index.names if name not in nominal or any(r["towns"].get(name) for r in rows)]


def _unassigned(plan: Plan, facts: Facts, ind: Indicator, window: Window) -> float | None:
    """The indicator's actual over the records whose town is not yet known, read as a town's is."""
    if not facts.unassignable or (ind.spec.done_on_date and ind.per_town):
        return None  # a per-town milestone counts plan towns; unassigned is no town to complete
    return indicator_progress(plan, facts, ind, window, UNASSIGNED).actual


def _total(plan: Plan, facts: Facts, ind: Indicator, end: date) -> float | None:
    """The running total on `end` as the main report reads it: a milestone's towns done (or
    1 / 0), else the cumulative flow or the level."""
    if ind.spec.done_on_date:
        return indicator_progress(plan, facts, ind, Window(plan.plan.start, end)).actual
    if facts.releases is not None:  # a statistic: the figure in force, never a running total
        from ipdemo.engine.statistics import latest_value

        return latest_value(facts.releases, end)
    return _r(facts.level(end))


def _increment(plan: Plan, facts: Facts, ind: Indicator, start: date, end: date) -> float | None:
    if ind.spec.published:  # a published figure has no increment
        return None
    hi, lo = _total(plan, facts, ind, end), _total(plan, facts, ind, start - DAY)
    return None if hi is None or lo is None else _r(hi - lo)


def by_phase(plan: Plan, data: Dataset, window: Window) -> list[dict]:
    """Each phase's own increment and the running total at its end (phases begun by the window
    end); per-town milestones count towns done, as the main report does."""
    if not plan.phases:
        raise UsageError("no_phases", option="--by phase")
    rows = []
    for ind in plan.indicators:
        facts = facts_of(data, ind)
        phases = []
        for p in plan.phases:
            if p.start > window.end:
                continue
            end = min(p.end, window.end)
            phases.append(
                {
                    "phase": p.id,
                    "increment": _increment(plan, facts, ind, p.start, end),
                    "total": _total(plan, facts, ind, end),
                }
            )
        rows.append({"id": ind.id, "name": ind.name, "name_en": ind.name_en, "unit": ind.unit, "phases": phases})
    return rows


def periods(window: Window, freq: str) -> list[tuple[str, date, date]]:
    out = []
    cursor = window.start
    while cursor <= window.end:
        if freq == "year":
            end = date(cursor.year, 12, 31)
            label = str(cursor.year)
        else:
            nxt = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
            end = nxt - timedelta(days=1)
            label = f"{cursor.year}-{cursor.month:02d}"
        end = min(end, window.end)
        out.append((label, cursor, end))
        cursor = end + timedelta(days=1)
    return out


def by_period(plan: Plan, data: Dataset, window: Window, freq: str) -> list[dict]:
    """A series per indicator: each year's or month's increment and the running total (levels:
    the level at each period's end, no increment; milestones: towns done, as the main report)."""
    spans = periods(window, freq)
    rows = []
    for ind in plan.indicators:
        facts = facts_of(data, ind)
        series = []
        for label, start, end in spans:
            increment = None if ind.spec.level else _increment(plan, facts, ind, start, end)
            series.append({"period": label, "increment": increment, "total": _total(plan, facts, ind, end)})
        if facts.releases is not None:  # a statistic: each year's own figure (statistics.py)
            from ipdemo.engine.statistics import period_series

            series = period_series(facts.releases, window, freq)
        row = {"id": ind.id, "name": ind.name, "name_en": ind.name_en, "unit": ind.unit, "kind": ind.kind}
        rows.append({**row, "series": series})
    return rows
