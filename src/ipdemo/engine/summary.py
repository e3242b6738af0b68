"""The weekly digest: what was recorded in a week, how every indicator moved, what is at risk,
the week's progress reports on the plan's tasks, which ledgers went stale in which town, data
problems, and imports made. Pure data, no terminal.

Deterministic: it depends only on the ledgers, the journal and the chosen week (never on the
clock, except to pick the default week).

It reads the ledgers as the report does (Dataset.days, town_codes, strings: Arrow and numpy),
never as a pandas frame: no pandas import (~0.2 s) and no copy of a large ledger as Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow.compute as pc

from ipdemo.data.store import committed_sha256, landed, read_journal, vouched_sha256
from ipdemo.engine.dataset import Dataset
from ipdemo.engine.progress import EPOCH, IndicatorProgress, Progress, Window, compute, day_number
from ipdemo.engine.statistics import published_in, statistic_ledgers
from ipdemo.errors import Problem, UsageError
from ipdemo.plan.model import Plan

RISKY = ("at_risk", "behind")


@dataclass(frozen=True)
class Week:
    year: int
    number: int
    start: date  # Monday
    end: date  # Sunday, or the as-of date

    @property
    def label(self) -> str:
        """The ISO week (2023-W39) when the seven days are one; else the dates (--as-of on a
        Tuesday spans two ISO weeks: 2024-12-25..2024-12-31 is not 2025-W01)."""
        if self.start.isoweekday() == 1 and self.end == self.start + timedelta(days=6):
            return f"{self.year}-W{self.number:02d}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_week(text: str) -> Week:
    try:
        year, number = text.upper().split("-W")
        start = date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise UsageError("bad_week", value=text) from None
    return Week(int(year), int(number), start, start + timedelta(days=6))


def week_ending(day: date) -> Week:
    """The seven days ending on `day` (for --as-of)."""
    iso = day.isocalendar()
    return Week(iso.year, iso.week, day - timedelta(days=6), day)


def default_week(plan: Plan, today: date) -> Week:
    """The last complete ISO week before today, moved inside the plan period."""
    monday = today - timedelta(days=today.weekday()) - timedelta(days=7)
    day = min(max(monday, plan.plan.start), plan.plan.end)
    iso = day.isocalendar()
    week = parse_week(f"{iso.year}-W{iso.week:02d}")
    return week


@dataclass
class Movement:
    indicator: IndicatorProgress
    before: float | None
    status_before: str | None
    # A statistic: the year of the figure in force a week earlier (None: none was published).
    # A new year's figure published in the week is a publication, not records dated in it.
    period_before: int | None = None

    @property
    def newly_published(self) -> bool:
        """A statistic whose figure changed period (or first appeared) during the week."""
        return self.indicator.spec.published and self.indicator.period not in (None, self.period_before)

    @property
    def delta(self) -> float | None:
        after = self.indicator.actual
        if after is None or self.before is None:
            return None
        return round(after - self.before, 6)


@dataclass
class Stale:
    ledger: str
    town: str
    last: date | None
    days: int | None
    limit: int


@dataclass
class Summary:
    plan: Plan
    week: Week
    records: dict[str, dict[str, int]]  # ledger → town → records dated in the week
    movements: list[Movement]
    stale: list[Stale]
    errors: int
    warnings: int
    first_problems: list[Problem]
    imports: list[dict] = field(default_factory=list)
    progress: Progress | None = None  # at the week's end, for charts
    # Progress entries on the plan's tasks dated in the week (tasks.week_updates), oldest first.
    task_updates: list[dict] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)  # ledger → held rows not yet imported
    # Ledgers of published figures (statistics.statistic_ledgers) → releases published in the
    # week: publications, never counted among `records`.
    published: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> list[Movement]:
        return [m for m in self.movements if m.status_before != m.indicator.status]

    @property
    def risky(self) -> list[Movement]:
        return [m for m in self.movements if m.indicator.status in RISKY]


def record_date_field(plan: Plan, ledger: str) -> str | None:
    """The date a record is 'recorded' on: the ledger's first date field (filed_on, held_on …)."""
    return next((n for n, f in plan.ledgers[ledger].fields.items() if f.type == "date"), None)


def build(plan: Plan, data: Dataset, week: Week) -> Summary:
    end = min(week.end, plan.plan.end)
    if end < plan.plan.start:
        raise UsageError("as_of_before_start", as_of=week.end, start=plan.plan.start)
    now = compute(plan, data, Window(plan.plan.start, end))
    previous_end = week.start - timedelta(days=1)
    if previous_end >= plan.plan.start:
        before = {i.id: i for i in compute(plan, data, Window(plan.plan.start, previous_end)).indicators}
    else:
        before = {}
    movements = [_movement(i, before.get(i.id)) for i in now.indicators]
    records, stale = {}, []
    published = statistic_ledgers(plan)
    for name in data.tables:
        column = record_date_field(plan, name)
        if name in published:  # releases of published figures: not records (below)
            continue
        if column is None or not data.has(name, column):
            continue
        days, towns = data.days(name, column), data.town_codes(name)
        records[name] = _week_records(plan, towns, days, week)
        limit = plan.ledgers[name].stale_after_days
        if limit:
            stale += _stale(plan, name, towns, days, week.end, limit)
    landed_entries = landed_imports(plan)
    imports = [e for e in landed_entries if _in_week(e.get("time"), week)]
    problems = sorted(data.problems, key=lambda p: (p.severity != "error", p.file, p.line or 0))
    from ipdemo.engine.tasks import week_updates

    return Summary(
        plan,
        week,
        records,
        movements,
        stale,
        sum(p.severity == "error" for p in data.problems),
        sum(p.severity == "warning" for p in data.problems),
        problems[:5],
        imports,
        now,
        week_updates(plan, data, week.start, week.end),
        waiting_rows(plan, data, landed_entries),
        {name: published_in(plan, data, name, week.start, end) for name in sorted(published) if name in data.tables},
    )


def _movement(now: IndicatorProgress, before: IndicatorProgress | None) -> Movement:
    """How an indicator moved in the week: from 0 before the plan started (a statistic: from
    what was published by then, None when nothing was)."""
    if before is None:
        return Movement(now, None if now.spec.published else 0, None)
    return Movement(now, before.actual, before.status, before.period)


def waiting_rows(plan: Plan, data: Dataset, entries: list[dict]) -> dict[str, int]:
    """Per ledger, the rows that wait in a FILE.unplaced.csv for the clerk. Replaying the journal:
    an import records the keys it held under each file it wrote (`held_keys`); importing such a
    file again settles its rows (those still blank are recorded again under the next file); a
    file the clerk deleted holds nothing. Keys the ledger holds by now (completed, or placed by a
    later export) no longer wait."""
    files: dict[str, tuple[str, list[str]]] = {}  # held file → (ledger, keys)
    for entry in entries:
        for source in entry.get("sources") or []:
            files.pop(source, None)
        held = entry.get("held_keys")
        if isinstance(held, dict) and entry.get("ledger") in plan.ledgers:
            for path, keys in held.items():
                files[path] = (entry["ledger"], list(keys))
    waiting: dict[str, set[str]] = {}
    for path, (name, keys) in files.items():
        if keys and (plan.source.parent / path).exists():  # recorded from the project folder
            waiting.setdefault(name, set()).update(keys)
    out: dict[str, int] = {}
    for name, keys in waiting.items():
        left = keys - _stored_keys(plan, data, name)
        if left:
            out[name] = len(left)
    return out


def _stored_keys(plan: Plan, data: Dataset, name: str) -> set[str]:
    spec = plan.ledgers[name]
    if name not in data.tables or not all(data.has(name, k) for k in spec.key):
        return set()
    parts = [data.strings(name, k) for k in spec.key]
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "/")
    return set(joined.to_pylist())


def landed_imports(plan: Plan) -> list[dict]:
    """The journal's entries whose ledger change landed. An import journals its intent before it
    replaces the ledger; one cut short there (full disk, kill, a lost race) left the ledger as it
    was, and its `after_sha256` never became the ledger's hash: it is not an import that happened."""

    def current(name: str):
        if name not in plan.ledgers:
            return False  # a ledger the plan no longer has: cannot be checked, kept
        try:
            path = plan.ledger_path(name)
            return vouched_sha256(plan.data_dir, name, path) or committed_sha256(path)
        except FileNotFoundError:
            return None
        except OSError:
            return False

    return landed(read_journal(plan.data_dir), current)


def _week_records(plan: Plan, towns: np.ndarray, days: np.ndarray, week: Week) -> dict[str, int]:
    """Records dated in the week, per town the plan names (`towns`: Dataset.town_codes; `days`:
    Dataset.days, NaN when empty). A record with no town, or no date, counts nowhere here."""
    with np.errstate(invalid="ignore"):
        in_week = (days >= day_number(week.start)) & (days <= day_number(week.end))
    codes = towns[in_week]
    counts = np.bincount(codes[codes >= 0], minlength=len(plan.town_index.names))
    return {t: int(counts[i]) for i, t in enumerate(plan.town_index.names) if counts[i]}


def _stale(plan: Plan, ledger: str, towns: np.ndarray, days: np.ndarray, end: date, limit: int) -> list[Stale]:
    """Towns whose latest record dated on or before `end` is more than `limit` days old (or none)."""
    out = []
    with np.errstate(invalid="ignore"):
        upto = days <= day_number(end)
    code = {name: i for i, name in enumerate(plan.town_index.names)}
    for town in plan.reported_towns:  # a nominal town is never stale
        seen = days[upto & (towns == code[town])]
        seen_day = EPOCH + timedelta(days=int(seen.max())) if len(seen) else None
        gap = (end - seen_day).days if seen_day else None
        if gap is None or gap > limit:
            out.append(Stale(ledger, town, seen_day, gap, limit))
    return out


def _in_week(stamp: str | None, week: Week) -> bool:
    if not stamp:
        return False
    try:
        day = datetime.fromisoformat(stamp).date()
    except ValueError:
        return False
    return week.start <= day <= week.end


def burn_up(plan: Plan, data: Dataset, ind_id: str, end: date, step_days: int = 7) -> tuple[list[date], list[float]]:
    """Cumulative actual of one indicator at each week end from the plan start to `end`; nothing
    when `end` is before the start (a report as of a day before the plan has no curve yet)."""
    from ipdemo.engine.progress import facts_of

    if end < plan.plan.start:
        return [], []

    facts = facts_of(data, plan.indicator(ind_id))
    days = [plan.plan.start + timedelta(days=d) for d in range(0, (end - plan.plan.start).days + 1, step_days)]
    if days[-1] != end:
        days.append(end)
    values = [facts.level(d) for d in days]
    return days, [v if v is not None else np.nan for v in values]
