"""`ipdemo report` views: the progress grid, the --by breakdowns and the plan's tasks, in Chinese
or English.

Every label that names the plan's areas or its whole comes from the plan's own words
(`Plan.words`: 区镇 / 县（市、区） / 街道, 全区 / 全市), so table, markdown, CSV, HTML and XLSX say
what the plan says. Every other word is an i18n label (report.*, task.*, status.*, task_status.*).
Pure: grids in, grids out; the CLI prints them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ipdemo.engine.progress import IndicatorProgress, Progress
from ipdemo.engine.tasks import STATUSES
from ipdemo.i18n import day_words, label, localized, message
from ipdemo.plan.kinds import kind_spec
from ipdemo.plan.model import Plan, record_quantum
from ipdemo.render.dates import day_text, range_text
from ipdemo.render.grid import Exact, Grid, cell_text
from ipdemo.render.pace import indicator_pace

STATUS_STYLE = {"achieved": "green", "on_track": "cyan", "at_risk": "yellow", "behind": "bold red"}
COLUMNS = (
    "id",
    "name",
    "target",
    "actual",
    "percent",
    "expected",
    "status",
    "phase_increment",
    "needed_per_week",
    "note",
    "unit",
    "total",
    "baseline",
    "binding",
    "plan_text",
)  # labels report.<key>; `district` and `share` are the plan's words


def status_text(status: str | None, lang: str) -> str:
    """已完成 / on track / — (no status yet)."""
    return label(f"status.{status or 'none'}", lang)


OVERVIEW = ("achieved", "on_track", "at_risk", "behind")  # the order the overview line counts in


def overview(indicators: list[IndicatorProgress], lang: str) -> str:
    """The line a page starts with: 22项指标：已完成12项，正常推进5项，有风险2项，滞后3项 — a
    status no indicator has is left out (no 有风险0项); indicators with no status yet are in the
    total only."""
    parts = [
        label(f"overview.{status}", lang, n=n)
        for status in OVERVIEW
        if (n := sum(i.status == status for i in indicators))
    ]
    head = label("overview.head", lang, total=len(indicators))
    return label("overview.line", lang, head=head, parts=label("punct.comma", lang).join(parts)) if parts else head


def task_status_text(status: str, lang: str) -> str:
    """未开始 / in progress / done; a status in the user's own words as it is."""
    return label(f"task_status.{status}", lang) if status in STATUSES else status


def labels(plan: Plan, lang: str) -> dict[str, str]:
    """Column labels in `lang`, the whole and share columns in the plan's words."""
    words = plan.words(lang)
    return {
        **{key: label(f"report.{key}", lang) for key in COLUMNS},
        "district": words.whole,
        "share": message("report_share_column", lang, whole=words.whole),
    }


def unassigned_label(plan: Plan, lang: str) -> str:
    """未划分区镇 / Town unassigned, in the plan's word for its areas."""
    return message("area_unassigned_column", lang, area=plan.words(lang).area)


def name_of(item: Any, lang: str) -> str:
    """An indicator's (or anything with name / name_en) name in `lang`."""
    return localized(item.name, item.name_en, lang)


def title(progress: Progress, lang: str) -> str:
    plan = progress.plan.plan
    w = progress.window
    parts = [localized(plan.name, plan.name_en, lang)]
    if w.baseline:
        parts.append(message("report_baseline_title", lang, start=day_text(w.start, lang), as_of=day_text(w.end, lang)))
    else:
        parts.append(label("report.window", lang, range=range_text(w.start, w.end, lang)))
    if w.phase:
        parts.append(label("report.phase", lang, id=w.phase.id, name=localized(w.phase.name, w.phase.name_en, lang)))
    if progress.town:
        parts.append(progress.town)
    return " · ".join(parts)


def target_cell(i: IndicatorProgress, lang: str, plan: Plan) -> str:
    """The target as the plan states it: '30,000 件', '> 6 件' (突破: more than), '2..4 个', a due date."""
    spec = i.spec
    if spec.done_on_date:
        text = label("report.due_by", lang, due=day_text(i.due, lang)) if i.due else ""
        if i.target and i.target > 1:
            text += message("report_area_count", lang, count=cell_text(i.target), areas=plan.words(lang).areas)
        return text
    if spec.directional:
        return label("trend.rising", lang)
    if spec.bounded and i.max is not None:
        return label("report.range", lang, low=cell_text(i.min), high=cell_text(i.max), unit=i.unit)
    if i.target is None:
        return "—"
    more = "> " if i.comparison == "more_than" else ""
    text = f"{more}{cell_text(i.target)} {i.unit}"
    if i.target_year is not None:  # a target-year goal: the value of that year
        return label("report.in_year", lang, text=text, year=i.target_year)
    return label("report.per_year", lang, text=text) if spec.yearly else text


def baseline_cell(i: IndicatorProgress, lang: str) -> str:
    """The plan's 基期值 with its year ('6.3（2020年）'); '' when the plan states none."""
    if i.baseline_year is None:
        return ""
    return label("report.baseline_value", lang, value=cell_text(i.baseline), year=i.baseline_year)


def binding_cell(i: IndicatorProgress, lang: str) -> str:
    """预期性 / 约束性; '' when the plan does not say."""
    return label(f"binding.{i.binding}", lang) if i.binding else ""


def pace_note(i: IndicatorProgress, lang: str) -> str:
    """Which pace the expected line used, when the plan asked for the season."""
    if i.pace_asked != "seasonal":
        return ""
    if i.pace != "seasonal":
        return label("report.pace_fallback", lang)
    years = i.pace_years
    span = str(years[0]) if len(years) == 1 else label("report.year_span", lang, first=years[0], last=years[-1])
    return label("report.pace_seasonal", lang, years=span)


def note_cell(i: IndicatorProgress, lang: str) -> str:
    notes = [text for text in (_kind_note(i, lang), pace_note(i, lang)) if text]
    return label("punct.semicolon", lang).join(notes)


def _kind_note(i: IndicatorProgress, lang: str) -> str:
    spec = i.spec
    if spec.published:  # the year the figure is for: 2023年
        return label("report.period", lang, year=i.period) if i.period is not None else ""
    if spec.yearly:
        marks: dict[str | None, str] = {"achieved": "✓", "behind": "✗"}
        return " · ".join(
            f"{y.year}: {cell_text(y.actual)}/{cell_text(y.target)}{marks.get(y.status, '')}" for y in i.years
        )
    if spec.done_on_date:
        if i.towns_missing:
            return label("report.towns_missing", lang, towns="、".join(i.towns_missing))
        if i.done_before_start:
            return message("milestone_done_before_start", lang, date=day_words(i.done_on) if i.done_on else "—")
        if i.done_on:
            late = label("report.late", lang) if i.late else ""
            return label("report.done_on", lang, date=day_text(i.done_on, lang)) + late
        return label("report.not_done", lang)
    if spec.directional:
        return (
            label("report.start_level", lang, value=cell_text(i.baseline))
            + " → "
            + " → ".join(f"{y.year}: {cell_text(y.actual)}" for y in i.years)
        )
    if i.above_max:
        return label("report.above_max", lang)
    if spec.level and i.baseline is not None and i.baseline_year is None:  # a stated one has its column
        return label("report.start_level", lang, value=cell_text(i.baseline))
    return ""


def actual_cell(i: IndicatorProgress, lang: str) -> Any:
    """The actual figure; a single milestone says 已完成 / 未完成."""
    if i.spec.done_on_date and (i.target or 0) <= 1:
        return label("report.done" if i.actual else "report.not_done", lang)
    if i.spec.published and i.period is None and not i.no_area_data:  # nothing published yet: not 0
        return label("report.not_published", lang)
    return i.actual


def stated_columns(items: list[IndicatorProgress]) -> set[str]:
    """The plan's own statements some indicator has (属性, 基期值, its words): each is a column
    of the progress grid only then."""
    found = {
        "binding": any(i.binding for i in items),
        "baseline": any(i.baseline_year is not None for i in items),
        "plan_text": any(i.plan_text for i in items),
    }
    return {key for key, present in found.items() if present}


def exact(value: Any, counted: bool = True) -> Any:
    """A figure shown with every digit the engine kept (grid.Exact): expected-to-date and the
    rate needed, and a count's actual (whole records, also in 万件). Other figures as they are."""
    return Exact(value) if counted and isinstance(value, float) else value


def progress_grid(progress: Progress, lang: str) -> Grid:
    stated = stated_columns(progress.indicators)
    keys = ["id", "name", *[k for k in ("binding", "baseline") if k in stated]]
    keys += ["target", "actual", "percent", "expected", "status"]
    if progress.window.phase:
        keys.append("phase_increment")
    if progress.town:
        keys.append("share")
    keys += ["needed_per_week", "note", *[k for k in ("plan_text",) if k in stated]]
    rows = []
    for i in progress.indicators:
        values = {
            "id": i.id,
            "name": name_of(i, lang),
            "binding": binding_cell(i, lang),
            "baseline": baseline_cell(i, lang),
            "plan_text": i.plan_text,
            "target": target_cell(i, lang, progress.plan),
            "actual": exact(
                actual_cell(i, lang), record_quantum(progress.plan, progress.plan.indicator(i.id)) is not None
            ),
            "percent": i.percent,
            "expected": exact(i.expected),
            "status": status_text(i.status, lang),
            "phase_increment": i.phase_increment,
            "share": i.share,
            "needed_per_week": indicator_pace(i, progress, lang),
            "note": note_cell(i, lang),
        }
        rows.append([values[k] for k in keys])
    return Grid(keys, [labels(progress.plan, lang)[k] for k in keys], rows, title=title(progress, lang))


def progress_csv_grid(progress: Progress) -> Grid:
    """Machine-friendly: numbers as numbers, canonical keys, one row per indicator."""
    keys = [
        "id",
        "name",
        "kind",
        "unit",
        "comparison",
        "target",
        "min",
        "max",
        "due",
        "actual",
        "percent",
        "expected",
        "status",
        "phase_increment",
        "needed_per_week",
        "projection",
        "share",
        "baseline",
        "done_on",
        "late",
        "done_before_start",
        "baseline_year",
        "binding",
        "path",
        "target_year",
        "pace",
        "plan_text",
        "period",
        "published_on",
        "no_area_data",
    ]
    rows = [[i.as_dict()[k] for k in keys] for i in progress.indicators]
    return Grid(keys, keys, rows)


def has_unassigned(rows: list[dict]) -> bool:
    """Whether any indicator counts records whose town is not yet known (未划分区镇)."""
    return any(r.get("unassigned") for r in rows)


def town_grid(rows: list[dict], lang: str, plan: Plan) -> Grid:
    """Indicator × town (the towns by_town shows); a 未划分区镇 column after them only when some
    indicator counts records whose town is not yet known (key `unassigned`, as in the JSON)."""
    extra = has_unassigned(rows)
    towns = list(rows[0]["towns"]) if rows else []
    names = labels(plan, lang)
    keys = ["id", "name", "unit", "whole", *towns] + (["unassigned"] if extra else [])  # as JSON's `whole`
    header = [names["id"], names["name"], names["unit"], names["district"], *towns] + (
        [unassigned_label(plan, lang)] if extra else []
    )
    body = [
        [r["id"], localized(r["name"], r["name_en"], lang), r["unit"], r["district"], *[r["towns"][t] for t in towns]]
        + ([r.get("unassigned")] if extra else [])
        for r in rows
    ]
    return Grid(keys, header, body, title=message("report_by_area", lang, area=plan.words(lang).area))


def phase_grid(rows: list[dict], lang: str) -> Grid:
    ids = sorted({p["phase"] for r in rows for p in r["phases"]})
    keys = ["id", "name", "unit"]
    header = [label("report.id", lang), label("report.name", lang), label("report.unit", lang)]
    for pid in ids:
        keys += [f"phase{pid}_increment", f"phase{pid}_total"]
        header += [label("report.phase_increment_n", lang, phase=pid), label("report.phase_total_n", lang, phase=pid)]
    body = []
    for r in rows:
        by = {p["phase"]: p for p in r["phases"]}
        line = [r["id"], localized(r["name"], r["name_en"], lang), r["unit"]]
        for pid in ids:
            line += [by[pid]["increment"], by[pid]["total"]]
        body.append(line)
    return Grid(keys, header, body, title=label("report.by_phase", lang))


PERIOD_TITLES = {"year": "report.by_year", "month": "report.by_month"}


def period_grid(rows: list[dict], lang: str, freq: str) -> Grid:
    periods = [s["period"] for s in rows[0]["series"]] if rows else []
    keys = ["id", "name", "unit", *periods, "total"]
    header = [
        label("report.id", lang),
        label("report.name", lang),
        label("report.unit", lang),
        *periods,
        label("report.total", lang),
    ]
    body = []
    for r in rows:
        series = r["series"]
        values = [s["increment"] if s["increment"] is not None else s["total"] for s in series]
        # A published figure's years are each year's own figure: no running total beside them.
        total = None if kind_spec(r.get("kind", "")).published else series[-1]["total"] if series else None
        body.append(
            [
                r["id"],
                localized(r["name"], r["name_en"], lang),
                r["unit"],
                *values,
                total,
            ]
        )
    return Grid(keys, header, body, title=label(PERIOD_TITLES[freq], lang))


def rich_progress(progress: Progress, lang: str):
    """Terminal table: a bar per indicator, colour by status (rich drops colour off a TTY)."""
    from rich.cells import cell_len
    from rich.console import RenderableType
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    grid = progress_grid(progress, lang)
    table = Table(title=grid.title, header_style="bold")
    # People read names, not ids (JSON, CSV and markdown keep the ids): the name is never cut.
    shown = [k for k in grid.keys if k not in ("id", "plan_text")]  # the plan's words: markdown, HTML, XLSX
    for key in shown:
        heading = grid.header[grid.keys.index(key)]
        if key == "name":
            table.add_column(heading, no_wrap=True, min_width=max(cell_len(str(r[1])) for r in grid.rows))
            continue
        table.add_column(
            heading,
            justify="right"
            if key in ("actual", "percent", "expected", "phase_increment", "needed_per_week", "share")
            else "left",
        )
        if key == "percent":
            table.add_column("", width=12)
    for i, row in zip(progress.indicators, grid.rows):
        cells: list[RenderableType] = []
        for key, value in zip(grid.keys, row):
            if key not in shown:
                continue
            if key == "status":
                cells.append(Text(str(value), style=STATUS_STYLE.get(i.status or "", "")))
            else:
                cells.append(cell_text(value) if key != "note" else str(value))
            if key == "percent":
                done = min(100.0, float(i.percent or 0))
                cells.append(ProgressBar(total=100, completed=done, width=12) if i.percent is not None else "")
        table.add_row(*cells)
    tasks = rich_tasks(progress, lang)
    if tasks is not None:  # the plan's tasks below the indicators
        from rich.console import Group

        return Group(table, tasks)
    return table


# --- tasks (tasks.py) ------------------------------------------------------------------------

TASK_CLASS = {"done": "achieved", "in_progress": "on_track", "not_started": None}  # HTML row colours
TASK_COLUMNS = ("id", "ref", "task", "lead", "due", "status", "updated_on", "latest")  # labels task.<key>


def task_status_cell(task, lang: str) -> str:
    """已完成 / 推进中（逾期） / 已完成（逾期完成）: the status in the ledger's words."""
    mark = label("task.overdue", lang) if task.overdue else label("task.late", lang) if task.late else ""
    return task_status_text(task.status, lang) + mark


def derived_text(task, lang: str) -> str:
    """An unreported task's linked indicators as the report reads them: 据指标：成立示范工作领导小组
    已完成（2021年6月25日）."""
    parts = []
    for d in task.derived:
        status = status_text(d["status"], lang)
        if d["done_on"]:
            status += label("punct.paren", lang, text=day_text(date.fromisoformat(d["done_on"]), lang))
        elif d["percent"] is not None and kind_spec(d["kind"]).amount:
            status += label("punct.comma", lang) + label("task.percent", lang, percent=cell_text(d["percent"]))
        parts.append(f"{localized(d['name'], d['name_en'], lang)} {status}")
    return label("task.from", lang, items=label("punct.semicolon", lang).join(parts)) if parts else ""


def task_latest(task, lang: str) -> str:
    """What the latest entry says, or what the linked indicators show."""
    return task.latest or (derived_text(task, lang) if task.source == "indicators" else "")


def tasks_grid(progress: Progress, lang: str) -> Grid | None:
    """The plan's tasks as the engine ordered them (overdue first, then by status); None when
    there are none to show (a plan without tasks, or a town's report)."""
    if not progress.tasks:
        return None
    rows = [
        [
            x.id,
            x.ref,
            x.title,
            x.lead,
            day_text(x.due, lang),
            task_status_cell(x, lang),
            day_text(x.updated_on, lang) if x.updated_on else None,
            task_latest(x, lang) or None,
        ]
        for x in progress.tasks
    ]
    return Grid(
        list(TASK_COLUMNS), [label(f"task.{key}", lang) for key in TASK_COLUMNS], rows, title=label("task.title", lang)
    )


def tasks_counts(progress: Progress, lang: str) -> str:
    from ipdemo.engine.tasks import counts

    items = progress.tasks or []
    return label("task.counts", lang, total=len(items), **counts(items))


def tasks_markdown(progress: Progress, lang: str) -> str:
    """The tasks section of `report --format markdown` ('' when there is none): a heading, the
    counts, the table."""
    from ipdemo.render.grid import md_escape, to_markdown

    grid = tasks_grid(progress, lang)
    if grid is None:
        return ""
    title, grid.title = grid.title, ""
    return f"\n## {md_escape(title)}\n\n{md_escape(tasks_counts(progress, lang))}\n\n{to_markdown(grid)}"


def task_sections(progress: Progress, lang: str) -> list:
    """The tasks as an HTML section (rows coloured by status, overdue in red); [] when none."""
    from ipdemo.render.html import Section

    grid = tasks_grid(progress, lang)
    if grid is None:
        return []
    return [Section(grid, ["behind" if x.overdue else TASK_CLASS.get(x.status) for x in progress.tasks or []])]


def rich_tasks(progress: Progress, lang: str):
    """Terminal table of the tasks, overdue in red; None when there are none to show."""
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

    grid = tasks_grid(progress, lang)
    if grid is None or not progress.tasks:
        return None
    table = Table(title=grid.title, caption=tasks_counts(progress, lang), header_style="bold")
    shown = [k for k in grid.keys if k not in ("id", "due")]
    for key in shown:
        table.add_column(grid.header[grid.keys.index(key)], overflow="fold")
    styles = {"done": "green", "in_progress": "cyan", "not_started": ""}
    for x, row in zip(progress.tasks, grid.rows):
        cells: list[RenderableType] = []
        for key, value in zip(grid.keys, row):
            if key not in shown:
                continue
            if key == "status":
                cells.append(Text(str(value), style="bold red" if x.overdue else styles.get(x.status, "")))
            else:
                cells.append(cell_text(value))
        table.add_row(*cells)
    return table
