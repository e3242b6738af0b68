"""The plan's qualitative tasks (targets.yaml `tasks`): where each one stands on a date.

The progress of a task is recorded as dated entries in the ledger whose field is `type: task`
(task_progress: task, reported_on, status, done, evidence, town). Definitions:
- an entry counts when it is dated on or before the window end; entries after it do not exist yet;
- a task's status is its latest counted entry's status (not_started / in_progress / done); a
  later entry overrides an earlier one (work reopened after a `done` is in progress again);
- done_on: the first day of the last unbroken run of `done` entries (a later `done` adding
  evidence does not move it);
- unreported (no counted entry) and linked to indicators (`indicators`): the status follows them
  as the report reads them on the window end: done when every linked indicator is achieved (a
  milestone done, a target met), in progress when any has something to show (a record counted, a
  town done), else not started. A task with entries never looks at its indicators: the entries
  say more than a count;
- due: the end of the task's `due_phase`, else the plan end; overdue: not done and the window
  ends after the due day; late: done after it;
- order (`ordered`): overdue first, then not started, in progress, done; plan order within each.

Pure functions over plain values, except `entries`, which reads the task ledger from a Dataset
(and loads it into the Dataset when the caller did not: `ipdemo report` loads only the ledgers
indicators count). No pandas: the rows are few and Arrow gives them as Python values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ipdemo.plan.model import Plan, Task

if TYPE_CHECKING:
    from ipdemo.engine.dataset import Dataset
    from ipdemo.engine.progress import IndicatorProgress, Window

STATUSES = ("not_started", "in_progress", "done")
ORDER = {"not_started": 0, "in_progress": 1, "done": 2}


@dataclass(frozen=True)
class Entry:
    """One dated progress entry of a task, as stored."""

    task: str
    reported_on: date
    status: str
    done: str = ""  # what was done
    evidence: str = ""
    town: str = ""
    ledger: str = ""


@dataclass
class TaskState:
    """A task as of the window end: what the report, the JSON and the 自查报告 show."""

    id: str
    ref: str
    section: str
    title: str
    text: str
    lead: str
    partners: list[str]
    due_phase: int | None
    due: date
    indicators: list[str]
    status: str = "not_started"
    source: str = "none"  # entries | indicators | none: where the status comes from
    updated_on: date | None = None  # the latest entry's date
    latest: str = ""  # the latest entry's `done`
    evidence: str = ""  # the latest entry's evidence
    town: str = ""  # the latest entry's town
    done_on: date | None = None
    overdue: bool = False
    late: bool = False
    entries: int = 0  # counted entries
    derived: list[dict] = field(default_factory=list)  # unreported: the linked indicators read

    def as_dict(self) -> dict:
        out = {
            k: getattr(self, k)
            for k in (
                "id",
                "ref",
                "section",
                "title",
                "text",
                "lead",
                "partners",
                "due_phase",
                "due",
                "indicators",
                "status",
                "source",
                "updated_on",
                "latest",
                "evidence",
                "town",
                "done_on",
                "overdue",
                "late",
                "entries",
                "derived",
            )
        }
        for key in ("due", "updated_on", "done_on"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def state(
    plan: Plan,
    task: Task,
    entries: list[Entry],
    end: date,
    indicators: dict[str, IndicatorProgress] | None = None,
    baseline: bool = False,
) -> TaskState:
    """One task on `end` from its entries (any order) and, when it has none, its indicators."""
    due = plan.due_of(task)
    out = TaskState(
        task.id,
        task.ref,
        task.section,
        task.title,
        task.text,
        task.lead,
        list(task.partners),
        task.due_phase,
        due,
        list(task.indicators),
    )
    counted = sorted((e for e in entries if e.reported_on <= end), key=lambda e: e.reported_on)
    out.entries = len(counted)
    if counted:
        last = counted[-1]
        out.status, out.source = last.status, "entries"
        out.updated_on, out.latest, out.evidence, out.town = last.reported_on, last.done, last.evidence, last.town
        if last.status == "done":
            run = [e for e in counted if e.status != "done"]
            after = run[-1].reported_on if run else None
            out.done_on = next(
                e.reported_on for e in counted if e.status == "done" and (after is None or e.reported_on > after)
            )
    elif task.indicators and indicators and not baseline:
        _derive(out, [indicators[i] for i in task.indicators if i in indicators])
    out.overdue = out.status != "done" and end > due
    out.late = out.status == "done" and out.done_on is not None and out.done_on > due
    return out


def _derive(out: TaskState, linked: list[IndicatorProgress]) -> None:
    """An unreported task's status from the indicators it shares."""
    if not linked:
        return
    done = [i.status == "achieved" for i in linked]
    started = [bool(i.actual) or bool(i.towns_done) for i in linked]
    out.source = "indicators"
    out.status = "done" if all(done) else ("in_progress" if any(done) or any(started) else "not_started")
    days = [i.done_on for i in linked if i.done_on is not None]
    if out.status == "done" and days and len(days) == len(linked):  # milestones: done when the last was
        out.done_on = max(days)
    out.derived = [
        {
            "id": i.id,
            "name": i.name,
            "name_en": i.name_en,
            "kind": i.kind,
            "status": i.status,
            "actual": i.actual,
            "target": i.target,
            "unit": i.unit,
            "percent": i.percent,
            "done_on": i.done_on.isoformat() if i.done_on else None,
        }
        for i in linked
    ]


def states(
    plan: Plan, entries: dict[str, list[Entry]], window: Window, indicators: list[IndicatorProgress] | None = None
) -> list[TaskState]:
    """Every task of the plan on the window end, in the report's order (`ordered`)."""
    by_id = {i.id: i for i in indicators or []}
    return ordered(
        plan, [state(plan, task, entries.get(task.id, []), window.end, by_id, window.baseline) for task in plan.tasks]
    )


def ordered(plan: Plan, items: list[TaskState]) -> list[TaskState]:
    """Overdue first, then not started, in progress, done; the plan's order within each."""
    position = {t.id: n for n, t in enumerate(plan.tasks)}
    return sorted(items, key=lambda t: (not t.overdue, ORDER.get(t.status, 0), position.get(t.id, 0)))


def counts(items: list[TaskState]) -> dict[str, int]:
    """How many tasks are in each status, and how many are overdue."""
    out = {s: sum(t.status == s for t in items) for s in STATUSES}
    out["overdue"] = sum(t.overdue for t in items)
    return out


# --- reading the ledger ---------------------------------------------------------------------


def entries(plan: Plan, data: Dataset | None) -> dict[str, list[Entry]]:
    """Every valid entry of the task ledgers, by task id (in ledger order)."""
    out: dict[str, list[Entry]] = {}
    if data is None:
        return out
    for ledger, fname in plan.task_fields:
        ensure_loaded(plan, data, ledger)
        table = data.tables.get(ledger)
        if table is None or not table.num_rows:
            continue
        wanted = [fname, "reported_on", "status", "done", "evidence", "town"]
        present = [c for c in wanted if c in table.column_names]
        for row in table.select(present).to_pylist():
            try:
                day = date.fromisoformat(row.get("reported_on") or "")
            except ValueError:  # valid rows have ISO dates; an empty one cannot place the entry
                continue
            task = row.get(fname) or ""
            out.setdefault(task, []).append(
                Entry(
                    task,
                    day,
                    row.get("status") or "not_started",
                    row.get("done") or "",
                    row.get("evidence") or "",
                    row.get("town") or "",
                    ledger,
                )
            )
    return out


def ensure_loaded(plan: Plan, data: Dataset, ledger: str) -> None:
    """Check and add a ledger the caller's Dataset lacks (its rows, invalid lines, problems)."""
    if ledger in data.tables:
        return
    from ipdemo.engine.dataset import checked_ledger

    data.add(ledger, checked_ledger(plan, ledger))


def week_updates(plan: Plan, data: Dataset, start: date, end: date) -> list[dict]:
    """The entries dated start..end (a week), oldest first, with their task's ref and title."""
    known = {t.id: t for t in plan.tasks}
    out = []
    for task_id, items in entries(plan, data).items():
        task = known.get(task_id)
        for e in items:
            if start <= e.reported_on <= end:
                out.append(
                    {
                        "task": task_id,
                        "ref": task.ref if task else "",
                        "title": task.title if task else task_id,
                        "reported_on": e.reported_on.isoformat(),
                        "status": e.status,
                        "done": e.done,
                        "evidence": e.evidence,
                        "town": e.town,
                    }
                )
    position = {t.id: n for n, t in enumerate(plan.tasks)}
    return sorted(out, key=lambda u: (u["reported_on"], position.get(u["task"], 0)))
