"""The report workbook (`report --format xlsx`): typed sheets built from the progress model.

Sheets: 进度 (one row per indicator), the `--by` breakdown when asked for, 重点任务 (the plan's
tasks), 说明 (plan, window). Every sheet reads like the office's own table: the indicator's
name first, its unit in a 单位 column (rows are in different units), figures as numbers in the
unit's number format (whole records #,##0; amounts and densities two decimals; rates as 0.0%),
the status in its own column, dates as dates (shown 2023年12月31日), the machine id last and
hidden (kept for filters and scripts).

What a cell cannot hold as a number is said in words in its own cell: a range target (2至4), a
due date (2022年12月31日前), a rising trend (上升); the number columns that mean nothing for it
(完成率 against a range) stay empty and 说明 says why.

Pure: a view in, Sheets out; render/workbook.py writes them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from ipdemo.engine.progress import IndicatorProgress, Progress
from ipdemo.i18n import label, localized, message
from ipdemo.plan.model import Plan, record_quantum
from ipdemo.render.grid import Grid, cell_text
from ipdemo.render.pace import indicator_pace
from ipdemo.render.report import baseline_cell, binding_cell, name_of, stated_columns, status_text, task_status_cell
from ipdemo.render.workbook import AMOUNT, COUNT, DATE, RATE, ROW, Column, Sheet, about_sheet

if TYPE_CHECKING:
    from ipdemo.render.formats import ReportView

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
YEAR = re.compile(r"^\d{4}$")


def day_text(d: date, lang: str) -> str:
    """2023年12月31日 (zh), 2023-12-31 (en)."""
    return label("xlsx.day", lang, y=d.year, m=d.month, d=d.day)


def span_text(start: date, end: date, lang: str) -> str:
    """2021年6月1日至2023年12月31日."""
    return label("xlsx.span", lang, start=day_text(start, lang), end=day_text(end, lang))


def number_format(plan: Plan, indicator_id: str) -> str:
    """Whole records as #,##0; amounts, densities and counts in 万件 with two decimals."""
    ind = next((i for i in plan.indicators if i.id == indicator_id), None)
    if ind is None or ind.unit not in plan.units:
        return AMOUNT
    return COUNT if record_quantum(plan, ind) == 1.0 else AMOUNT


def title(progress: Progress, lang: str) -> str:
    """计划名称 · 2021年6月1日至2023年12月31日 · 第二阶段 · 盛泽镇."""
    plan, w = progress.plan.plan, progress.window
    parts = [localized(plan.name, plan.name_en, lang), window_text(progress, lang)]
    if w.phase:
        parts.append(label("report.phase", lang, id=w.phase.id, name=localized(w.phase.name, w.phase.name_en, lang)))
    if progress.town:
        parts.append(progress.town)
    return " · ".join(parts)


def window_text(progress: Progress, lang: str) -> str:
    """2021年6月1日至2023年12月31日; before the plan starts, the baseline on the as-of date."""
    w = progress.window
    if w.baseline:
        return message("report_baseline_title", lang, start=day_text(w.start, lang), as_of=day_text(w.end, lang))
    return span_text(w.start, w.end, lang)


# --- 进度 ---------------------------------------------------------------------------------------


def progress_sheet(progress: Progress, lang: str) -> Sheet:
    plan = progress.plan
    stated = stated_columns(progress.indicators)  # 属性 and 基期值 beside the target, when the plan states them
    keys = ["name", "unit", *[k for k in ("binding", "baseline") if k in stated]]
    keys += ["target", "actual", "percent", "expected", "status"]
    if progress.window.phase:
        keys.append("phase_increment")
    if progress.town:
        keys.append("share")
    keys += ["needed_per_week", "note", "id"]
    columns = [_progress_column(key, plan, lang) for key in keys]
    rows = [_progress_values(i, progress, lang) for i in progress.indicators]
    return Sheet(
        label("xlsx.progress_sheet", lang),
        title(progress, lang),
        columns,
        [[values[k] for k in keys] for values in rows],
        row_formats=[number_format(plan, i.id) for i in progress.indicators],
        fills=[i.status for i in progress.indicators],
    )


def _progress_column(key: str, plan: Plan, lang: str) -> Column:
    formats = {"percent": RATE, "share": RATE, "note": None, "name": None, "unit": None, "status": None, "id": None}
    formats["needed_per_week"] = None  # the pace in words (13周内还需2次), as every output says it
    formats["binding"] = formats["baseline"] = None
    header = label(f"xlsx.{key}", lang, whole=plan.words(lang).whole)
    return Column(
        key,
        header,
        formats.get(key, ROW),
        width=34 if key == "note" else None,
        hidden=key == "id",
        wrap=key in ("note", "name", "target", "needed_per_week"),
        coloured=key == "status",
    )


def _progress_values(i: IndicatorProgress, progress: Progress, lang: str) -> dict[str, Any]:
    plan = progress.plan
    unrated = (i.spec.bounded and i.max is not None) or _single_milestone(i)  # no figure to rate
    return {
        "name": name_of(i, lang),
        "unit": unit_text(i, plan, lang),
        "binding": binding_cell(i, lang) or None,
        "baseline": baseline_cell(i, lang) or None,  # 1,000（2020年）: the value with its year
        "target": target_value(i, lang),
        "actual": None if _single_milestone(i) else i.actual,
        "percent": None if unrated else _fraction(i.percent),
        "expected": None if unrated else i.expected,
        "status": status_text(i.status, lang) if i.status else None,
        "phase_increment": i.phase_increment,
        "share": _fraction(i.share),
        "needed_per_week": None if unrated else indicator_pace(i, progress, lang),  # words: render/pace.py
        "note": note_text(i, lang),
        "id": i.id,
    }


def _single_milestone(i: IndicatorProgress) -> bool:
    return i.spec.done_on_date and (i.target or 0) <= 1


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else percent / 100


def unit_text(i: IndicatorProgress, plan: Plan, lang: str) -> str | None:
    """件; 次/年 for a yearly target; the plan's word for its areas for a per-town milestone."""
    if i.spec.done_on_date:
        return plan.words(lang).area if (i.target or 0) > 1 else None
    if i.spec.yearly:
        return label("report.per_year", lang, text=i.unit)
    return i.unit or None


def target_value(i: IndicatorProgress, lang: str) -> Any:
    """A number when the target is one; else words: 2至4, 2022年12月31日前, 上升."""
    spec = i.spec
    if spec.done_on_date:
        due = label("xlsx.due_by", lang, due=day_text(i.due, lang)) if i.due else None
        return i.target if (i.target or 0) > 1 else due
    if spec.directional:
        return label("trend.rising", lang)
    if spec.bounded and i.max is not None:
        return label("xlsx.range", lang, min=cell_text(i.min), max=cell_text(i.max))
    return i.target


def note_text(i: IndicatorProgress, lang: str) -> str | None:
    """What the figures alone do not say, in words."""
    spec = i.spec
    parts: list[str] = []
    if spec.done_on_date:
        parts.append(_milestone_note(i, lang))
    elif spec.yearly:
        parts += [label("xlsx.year_note", lang, year=y.year, actual=cell_text(y.actual), target=cell_text(y.target))
                  for y in i.years]  # fmt: skip
    elif spec.directional:
        parts.append(_trend_note(i, lang))
    elif spec.bounded and i.max is not None:
        parts.append(label("report.above_max", lang) if i.above_max else label("xlsx.range_note", lang))
    elif spec.level and i.baseline is not None:
        parts.append(label("report.start_level", lang, value=cell_text(i.baseline)))
    if i.comparison == "more_than":
        parts.insert(0, label("xlsx.more_than", lang, target=cell_text(i.target)))
    return label("punct.semicolon", lang).join(p for p in parts if p) or None


def _milestone_note(i: IndicatorProgress, lang: str) -> str:
    if i.towns_missing:
        return label("report.towns_missing", lang, towns=label("punct.list", lang).join(i.towns_missing))
    if i.done_on and i.done_before_start:
        return message("milestone_done_before_start", lang, date=day_text(i.done_on, lang))
    if i.done_on:
        late = label("report.late", lang) if i.late else ""
        return label("xlsx.done_on", lang, date=day_text(i.done_on, lang)) + late
    return label("report.not_done", lang)


def _trend_note(i: IndicatorProgress, lang: str) -> str:
    years = [label("xlsx.year_value", lang, year=y.year, value=cell_text(y.actual)) for y in i.years]
    return " → ".join([label("report.start_level", lang, value=cell_text(i.baseline)), *years])


# --- the --by breakdown -------------------------------------------------------------------------


def breakdown_sheet(grid: Grid, plan: Plan, lang: str) -> Sheet:
    """A `--by` grid (town, phase, year, month) with the id moved last and hidden, each row's
    figures in its indicator's number format, periods named in words (2021年6月)."""
    keys = [k for k in grid.keys if k != "id"] + (["id"] if "id" in grid.keys else [])
    order = [grid.keys.index(k) for k in keys]
    columns = [
        Column(
            key,
            period_text(grid.header[n], lang),
            None if key in ("name", "unit", "id") else ROW,
            hidden=key == "id",
            wrap=key == "name",
        )
        for key, n in zip(keys, order)
    ]
    ids = [r[grid.keys.index("id")] for r in grid.rows] if "id" in grid.keys else []
    return Sheet(
        grid.title,
        grid.title,
        columns,
        [[r[n] for n in order] for r in grid.rows],
        row_formats=[number_format(plan, str(x)) for x in ids],
    )


def period_text(header: str, lang: str) -> str:
    """2021-06 → 2021年6月, 2021 → 2021年 (zh); other headers as they are."""
    month = MONTH.match(header)
    if month:
        return label("xlsx.month", lang, y=int(month.group(1)), m=int(month.group(2)))
    if YEAR.match(header):
        return label("xlsx.year", lang, y=int(header))
    return header


# --- 重点任务 ----------------------------------------------------------------------------------

TASK_KEYS = ("ref", "task", "lead", "due", "status", "updated_on", "latest", "id")


def tasks_sheet(progress: Progress, lang: str) -> Sheet | None:
    """The plan's tasks as the engine ordered them (overdue first); None when there are none."""
    if not progress.tasks:
        return None
    widths = {"task": 36, "latest": 40, "lead": 16}
    columns = [
        Column(
            key,
            label(f"task.{key}", lang),
            DATE if key in ("due", "updated_on") else None,
            width=widths.get(key),
            hidden=key == "id",
            wrap=key in widths,
            coloured=key == "status",
        )
        for key in TASK_KEYS
    ]
    rows = [
        [x.ref, x.title, x.lead, x.due, task_status_cell(x, lang), x.updated_on, task_latest(x, lang), x.id]
        for x in progress.tasks
    ]
    fills = ["behind" if x.overdue else "achieved" if x.status == "done" else None for x in progress.tasks]
    return Sheet(label("task.sheet", lang), label("task.title", lang), columns, rows, fills=fills)


def task_latest(task, lang: str) -> str | None:
    """What the latest entry says (as written), or what the linked indicators show, dated in words."""
    if task.latest:
        return task.latest
    if task.source != "indicators":
        return None
    parts = []
    for d in task.derived:
        status = status_text(d["status"], lang)
        if d["done_on"]:
            done_on = date.fromisoformat(str(d["done_on"]))
            status += label("punct.paren", lang, text=label("xlsx.done_on", lang, date=day_text(done_on, lang)))
        parts.append(label("xlsx.named_status", lang, name=localized(d["name"], d["name_en"], lang), status=status))
    return label("task.from", lang, items=label("punct.semicolon", lang).join(parts)) if parts else None


# --- the workbook ---------------------------------------------------------------------------------


def report_sheets(view: ReportView) -> list[Sheet]:
    """The report's sheets: 进度, the breakdown, 重点任务, 说明."""
    progress, lang, plan = view.progress, view.lang, view.plan
    sheets = [progress_sheet(progress, lang)]
    if view.grid is not None:
        sheets.append(breakdown_sheet(view.grid, plan, lang))
    tasks = tasks_sheet(progress, lang)
    if tasks is not None:
        sheets.append(tasks)
    sheets.append(
        about_sheet(label("xlsx.about_sheet", lang), title(progress, lang), about_facts(progress, lang), lang)
    )
    return sheets


def about_facts(progress: Progress, lang: str) -> list[tuple[str, str]]:
    plan, w = progress.plan.plan, progress.window
    facts = [
        (label("xlsx.plan", lang), localized(plan.name, plan.name_en, lang)),
        (label("xlsx.region", lang), plan.region),
        (label("xlsx.window", lang), window_text(progress, lang)),
        (label("xlsx.as_of", lang), day_text(w.end, lang)),
    ]
    if w.phase:
        facts.append((label("xlsx.phase", lang), localized(w.phase.name, w.phase.name_en, lang)))
    if progress.town:
        facts.append((progress.plan.words(lang).area, progress.town))
    facts.append((label("xlsx.reading", lang), label("xlsx.reading_text", lang)))
    return facts
