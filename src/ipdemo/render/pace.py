"""How a needed pace is worded: the one rule every renderer that states one uses.

`needed_pace(remaining, weeks_left, unit, lang, quantum=1.0)` turns "this much is still needed in
this many weeks" into the words an official reads:

- a per-week rate, "每周需完成53件" / "53 件 a week", only when it is a rate worth stating: a
  count (whole records, `quantum` given) of at least PER_WEEK_FROM records a week, where rounding
  up to whole records overstates the need by under a fifth;
- otherwise the whole gap and the time left, "13周内还需2次" / "2 次 within 13 weeks" (never
  "每周需完成 1 次" when 2 are due in 13 weeks); under a week left, in days ("3天内还需2次");
- the time already up, "已到期，尚差2次" / "2 次 short, past due";
- nothing ("") when nothing is needed.

Contract (tests/test_pace_text.py):
- `remaining` is in `unit`, never negative in the words (≤ 0 → ""); a count's gap and rate are
  rounded UP to `quantum` (one record in the unit: 1 for 件, 0.0001 for 万件), so the words never
  ask for less than is needed; `quantum=None` (sums such as 亿元, densities) states the gap with
  at most two decimals (rounded up) and always as gap-and-time, never per week;
- `weeks_left` is fractional weeks until the due date; the weeks shown are whole weeks rounded
  down (the sentence then asks for the gap a little sooner, never later);
- the words are i18n labels (pace.*); the result is one phrase with no trailing punctuation,
  fit for a table cell or inside a sentence.

`indicator_pace(item, progress, lang)` is the same for one indicator of a report: the gap and the
weeks left to its due date (the plan end, a stock's `due`, or for annual targets the current
year's end), as the engine measures them; None when the indicator has no pace (milestones,
trends, nothing left to do). A renderer with an IndicatorProgress calls this (the report's 尚需完成
cells, the summary, the digest; the 自查报告's 下一步工作 should too, in place of formatting
`needed_per_week` itself); with figures of its own, `needed_pace`. JSON and CSV keep the engine's
number `needed_per_week`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ipdemo.i18n import label
from ipdemo.render.grid import Exact, cell_text

if TYPE_CHECKING:
    from ipdemo.engine.progress import IndicatorProgress, Progress

PER_WEEK_FROM = 5  # records a week: below this a weekly rate rounds to nonsense (2 in 13 weeks → 1/week)


def _up(value: float, step: float) -> float:
    """`value` rounded up to a multiple of `step` (free of float noise)."""
    return round(math.ceil(value / step - 1e-9) * step, 6)


def weekly_rate_worth_stating(rate: float, quantum: float | None) -> bool:
    """Whether a per-week rate is worth stating: a count of at least PER_WEEK_FROM records a week
    (the one threshold every renderer uses, the 自查报告's sentences included)."""
    return bool(quantum) and rate >= PER_WEEK_FROM * (quantum or 1.0)


def needed_pace(
    remaining: float, weeks_left: float, unit: str, lang: str, quantum: float | None = 1.0, rate: float | None = None
) -> str:
    """The pace still needed, in words (see the module docstring for the rule). `rate`: the
    engine's own per-week figure (IndicatorProgress.needed_per_week), so the words say what JSON
    says; without it, remaining / weeks_left."""
    if remaining <= 0:
        return ""
    step = quantum if quantum else 0.01
    gap = cell_text(_up(remaining, step))
    if weeks_left <= 0:
        return label("pace.overdue", lang, amount=gap, unit=unit)
    if weeks_left < 1:  # days left: a weekly rate means nothing
        return label("pace.in_days", lang, days=max(1, math.floor(weeks_left * 7 + 1e-9)), amount=gap, unit=unit)
    rate = remaining / weeks_left if rate is None else rate
    if quantum and weekly_rate_worth_stating(rate, quantum):  # whole records: every digit (0.6847 万件)
        return label("pace.per_week", lang, amount=cell_text(Exact(_up(rate, quantum))), unit=unit)
    return label("pace.in_weeks", lang, weeks=math.floor(weeks_left), amount=gap, unit=unit)


def indicator_pace(item: IndicatorProgress, progress: Progress, lang: str) -> str | None:
    """The pace `item` still needs by its due date, or None when it has none to state."""
    from ipdemo.engine.progress import remaining
    from ipdemo.plan.model import record_quantum

    if not item.needed_per_week:  # the engine states no rate: done, no target, or past due
        return None
    plan, end = progress.plan, progress.window.end
    ind = plan.indicator(item.id)
    if item.spec.yearly and item.years:
        year = item.years[-1]
        target, actual, due = year.target, year.actual, year.end
    else:
        target, actual = item.target, item.actual
        due = ind.due if item.spec.pace_to_due and ind.due else plan.plan.end
    if target is None or not isinstance(actual, (int, float)):
        return None
    gap = remaining(plan, ind, float(actual), float(target), progress.town, end)
    quantum = record_quantum(plan, ind)
    return needed_pace(gap, (due - end).days / 7, item.unit, lang, quantum, item.needed_per_week) or None
