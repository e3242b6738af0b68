"""The path from the plan's baseline (基期值) to its target, and goals judged in their target year.

A plan states where an indicator stood in its base year (`baseline: {value: 6.3, year: 2020}`)
and where it must be by the end (`target`). The expected figure on any date or in any year lies on
the path between the two:

- the path starts at the end of the base year (基期 2020 → 2020-12-31), or on the day before the
  plan start when that is earlier (a plan starting mid-year with its own month as the base);
- `path: linear` (default): base + (target − base) × t; `path: compound` (a growth-rate plan,
  the same rate every year): base × (target / base) ^ t; t is the share of the way from the start
  of the path to the target's date (0 .. 1);
- a level (stock) with a stated baseline follows the path by days to its `due` (default: plan end);
- a yearly flow with `due` (annual) is a target-year goal: judged against its target in the year
  of `due` only. An earlier year y has its own figure on the path, t = (y − base year) / (target
  year − base year); without a baseline an earlier year has none (no status, unless it already
  meets the target: then achieved ahead of time, 提前实现). Its status is that of the latest year,
  not the worst of all years;
- with a stated baseline, the 完成率 of a level is the progress made from the baseline to the
  target: (actual − baseline) / (target − baseline).

Pure functions of the plan; no data, no terminal.
"""

from __future__ import annotations

from datetime import date, timedelta

from ipdemo.plan.model import Indicator, Plan


def path_value(base: float, target: float, t: float, compound: bool) -> float:
    """The figure a share `t` (0 .. 1) of the way from `base` to `target`: on a straight line, or
    at a constant rate of growth (compound needs both figures above 0: the plan checks it)."""
    t = min(1.0, max(0.0, t))
    if compound and base > 0 and target > 0:
        return base * (target / base) ** t
    return base + (target - base) * t


def compound(ind: Indicator) -> bool:
    return ind.path == "compound"


def path_start(plan: Plan, ind: Indicator) -> date:
    """Where the path begins: the end of the base year, or the day before the plan start if earlier."""
    before = plan.plan.start - timedelta(days=1)
    if ind.baseline is None:
        return before
    return min(date(ind.baseline.year, 12, 31), before)


def level_expected(plan: Plan, ind: Indicator, target: float, due: date, on: date) -> float:
    """A level's expected figure on `on`: its place on the path from the stated baseline to the
    target on `due`, by days."""
    assert ind.baseline is not None  # only called for indicators with a stated baseline
    begin = path_start(plan, ind)
    span = (due - begin).days
    t = (on - begin).days / span if span > 0 else 1.0
    return path_value(ind.baseline.value, target, t, compound(ind))


def target_year(plan: Plan, ind: Indicator) -> int | None:
    """The year a target-year goal is judged in (the year of its `due`), else None."""
    return ind.due.year if ind.spec.target_year and ind.due is not None else None


def year_goal(plan: Plan, ind: Indicator, year: int, target: float | None, whole: bool = True) -> float | None:
    """A yearly flow's own full-year figure for `year`: the target itself, except before the
    target year of a target-year goal, where it is the path's figure — None without a baseline,
    and for an area (`whole` False: the baseline is the whole's, not the area's)."""
    final = target_year(plan, ind)
    if final is None or year >= final or target is None:
        return target
    if ind.baseline is None or not whole:
        return None
    t = (year - ind.baseline.year) / (final - ind.baseline.year)
    return path_value(ind.baseline.value, target, t, compound(ind))


def early(plan: Plan, ind: Indicator, year: int) -> bool:
    """Whether `year` comes before the target year of a target-year goal."""
    final = target_year(plan, ind)
    return final is not None and year < final


def progress_percent(actual: float, baseline: float, target: float) -> float | None:
    """完成率 from a stated baseline: the share of the way from baseline to target, %. None when
    the two are equal (no way to go: the plain actual / target applies)."""
    if abs(target - baseline) < 1e-12:
        return None
    return 100 * (actual - baseline) / (target - baseline)
