"""`ipdemo report` views: the progress grid, the --by breakdowns and the plan's tasks, in Chinese
or English.

Every label that names the plan's areas or its whole comes from the plan's own words
(`Plan.words`: 区镇 / 县（市、区） / 街道, 全区 / 全市), so table, markdown, CSV, HTML and XLSX say
what the plan says. Pure: grids in, grids out; the CLI prints them.
"""

from __future__ import annotations

from ipdemo.engine.progress import IndicatorProgress, Progress
from ipdemo.i18n import message
from ipdemo.plan.model import Plan
from ipdemo.render.grid import Grid, cell_text

STATUS = {
    "zh": {"achieved": "已完成", "on_track": "正常推进", "at_risk": "有风险", "behind": "滞后", None: "—"},
    "en": {"achieved": "achieved", "on_track": "on track", "at_risk": "at risk", "behind": "behind", None: "—"},
}
STATUS_STYLE = {"achieved": "green", "on_track": "cyan", "at_risk": "yellow", "behind": "bold red"}

LABELS = {
    "zh": {"id": "编号", "name": "指标", "target": "目标", "actual": "实际", "percent": "完成率%",
           "expected": "序时目标", "status": "状态", "phase_increment": "本阶段新增", "needed_per_week": "每周需完成",
           "projection": "期末预计", "note": "说明", "unit": "单位", "district": "全区", "share": "占全区%",
           "total": "累计", "increment": "新增"},
    "en": {"id": "id", "name": "indicator", "target": "target", "actual": "actual", "percent": "percent",
           "expected": "expected", "status": "status", "phase_increment": "phase increment",
           "needed_per_week": "needed / week", "projection": "projected", "note": "note", "unit": "unit",
           "district": "district", "share": "share %", "total": "total", "increment": "increment"},
}


def labels(plan: Plan, lang: str) -> dict[str, str]:
    """Column labels in `lang`, the whole and share columns in the plan's words."""
    words = plan.words(lang)
    return {**LABELS[lang], "district": words.whole, "share": message("report_share_column", lang, whole=words.whole)}


def unassigned_label(plan: Plan, lang: str) -> str:
    """未划分区镇 / Town unassigned, in the plan's word for its areas."""
    area = plan.words(lang).area
    return message("area_unassigned_column", lang, area=area, Area=area[:1].upper() + area[1:])


def name_of(item, lang: str) -> str:
    return item.name if lang == "zh" else (item.name_en or item.name)


def title(progress: Progress, lang: str) -> str:
    plan = progress.plan.plan
    zh = lang == "zh"
    name = plan.name if zh else (plan.name_en or plan.name)
    w = progress.window
    parts = [name]
    if w.baseline:
        parts.append(message("report_baseline_title", lang, start=w.start, as_of=w.end))
    else:
        parts.append(f"统计区间 {w.start} 至 {w.end}" if zh else f"{w.start} .. {w.end}")
    if w.phase:
        parts.append(f"第{w.phase.id}阶段（{w.phase.name}）" if zh else
                     f"phase {w.phase.id} ({w.phase.name_en or w.phase.name})")
    if progress.town:
        parts.append(progress.town)
    return " · ".join(parts)


def target_cell(i: IndicatorProgress, lang: str, plan: Plan | None = None) -> str:
    """The target as the plan states it: '30,000 件', '> 6 件' (突破: more than), '2..4 个', a due date."""
    zh = lang == "zh"
    if i.kind == "milestone":
        text = (f"{i.due} 前" if zh else f"by {i.due}") if i.due else ""
        if i.target and i.target > 1:
            words = plan.words(lang) if plan else None
            text += message("report_area_count", lang, count=cell_text(i.target),
                            area=words.area if words else ("区镇" if zh else "town"),
                            areas=words.areas if words else "towns")
        return text
    if i.kind == "trend":
        return "上升" if zh else "rising"
    if i.kind == "range" and i.max is not None:
        return f"{cell_text(i.min)}..{cell_text(i.max)} {i.unit}"
    if i.target is None:
        return "—"
    more = "> " if i.comparison == "more_than" else ""
    return f"{more}{cell_text(i.target)} {i.unit}" + (("/年" if zh else "/yr") if i.kind == "annual" else "")


def note_cell(i: IndicatorProgress, lang: str) -> str:
    zh = lang == "zh"
    if i.kind == "annual":
        marks = {"achieved": "✓", "behind": "✗"}
        return " · ".join(f"{y.year}: {cell_text(y.actual)}/{cell_text(y.target)}{marks.get(y.status, '')}"
                          for y in i.years)
    if i.kind == "milestone":
        if i.towns_missing:
            return ("未完成：" if zh else "missing: ") + "、".join(i.towns_missing)
        if i.done_before_start:
            return message("milestone_done_before_start", lang, date=i.done_on)
        if i.done_on:
            late = ("（逾期）" if zh else " (late)") if i.late else ""
            return (f"{i.done_on} 完成" if zh else f"done {i.done_on}") + late
        return "未完成" if zh else "not done"
    if i.kind == "trend":
        return (f"期初 {cell_text(i.baseline)} → " if zh else f"start {cell_text(i.baseline)} → ") + \
            " → ".join(f"{y.year}: {cell_text(y.actual)}" for y in i.years)
    if i.above_max:
        return "超过上限" if zh else "above max"
    if i.kind == "stock" and i.baseline is not None:
        return (f"期初 {cell_text(i.baseline)}" if zh else f"start {cell_text(i.baseline)}")
    return ""


def actual_cell(i: IndicatorProgress, lang: str):
    if i.kind == "milestone" and (i.target or 0) <= 1:
        return ("已完成" if lang == "zh" else "done") if i.actual else ("未完成" if lang == "zh" else "not done")
    return i.actual


def progress_grid(progress: Progress, lang: str) -> Grid:
    keys = ["id", "name", "target", "actual", "percent", "expected", "status"]
    if progress.window.phase:
        keys.append("phase_increment")
    if progress.town:
        keys.append("share")
    keys += ["needed_per_week", "note"]
    rows = []
    for i in progress.indicators:
        values = {"id": i.id, "name": name_of(i, lang), "target": target_cell(i, lang, progress.plan),
                  "actual": actual_cell(i, lang),
                  "percent": i.percent, "expected": i.expected, "status": STATUS[lang][i.status],
                  "phase_increment": i.phase_increment, "share": i.share, "needed_per_week": i.needed_per_week,
                  "note": note_cell(i, lang)}
        rows.append([values[k] for k in keys])
    return Grid(keys, [labels(progress.plan, lang)[k] for k in keys], rows, title=title(progress, lang))


def progress_csv_grid(progress: Progress) -> Grid:
    """Machine-friendly: numbers as numbers, canonical keys, one row per indicator."""
    keys = ["id", "name", "kind", "unit", "comparison", "target", "min", "max", "due", "actual", "percent",
            "expected", "status", "phase_increment", "needed_per_week", "projection", "share", "baseline",
            "done_on", "late", "done_before_start"]
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
    label = labels(plan, lang)
    keys = ["id", "name", "unit", "district", *towns] + (["unassigned"] if extra else [])
    header = [label["id"], label["name"], label["unit"], label["district"], *towns] + \
        ([unassigned_label(plan, lang)] if extra else [])
    body = [[r["id"], r["name"] if lang == "zh" else (r["name_en"] or r["name"]), r["unit"], r["district"],
             *[r["towns"][t] for t in towns]] + ([r.get("unassigned")] if extra else []) for r in rows]
    return Grid(keys, header, body, title=message("report_by_area", lang, area=plan.words(lang).area))


def phase_grid(rows: list[dict], phases, lang: str) -> Grid:
    ids = sorted({p["phase"] for r in rows for p in r["phases"]})
    keys, header = ["id", "name", "unit"], [LABELS[lang]["id"], LABELS[lang]["name"], LABELS[lang]["unit"]]
    for pid in ids:
        keys += [f"phase{pid}_increment", f"phase{pid}_total"]
        header += ([f"第{pid}阶段新增", f"第{pid}阶段末累计"] if lang == "zh" else
                   [f"phase {pid} increment", f"phase {pid} total"])
    body = []
    for r in rows:
        by = {p["phase"]: p for p in r["phases"]}
        line = [r["id"], r["name"] if lang == "zh" else (r["name_en"] or r["name"]), r["unit"]]
        for pid in ids:
            line += [by[pid]["increment"], by[pid]["total"]]
        body.append(line)
    return Grid(keys, header, body, title="按阶段" if lang == "zh" else "by phase")


def period_grid(rows: list[dict], lang: str, freq: str) -> Grid:
    labels = [s["period"] for s in rows[0]["series"]] if rows else []
    keys = ["id", "name", "unit", *labels, "total"]
    header = [LABELS[lang]["id"], LABELS[lang]["name"], LABELS[lang]["unit"], *labels, LABELS[lang]["total"]]
    body = []
    for r in rows:
        series = r["series"]
        values = [s["increment"] if s["increment"] is not None else s["total"] for s in series]
        body.append([r["id"], r["name"] if lang == "zh" else (r["name_en"] or r["name"]), r["unit"], *values,
                     series[-1]["total"] if series else None])
    titles = {"year": ("按年度", "by year"), "month": ("按月", "by month")}[freq]
    return Grid(keys, header, body, title=titles[0] if lang == "zh" else titles[1])


def rich_progress(progress: Progress, lang: str):
    """Terminal table: a bar per indicator, colour by status (rich drops colour off a TTY)."""
    from rich.cells import cell_len
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    grid = progress_grid(progress, lang)
    table = Table(title=grid.title, header_style="bold")
    # People read names, not ids (JSON, CSV and markdown keep the ids): the name is never cut.
    shown = [k for k in grid.keys if k != "id"]
    for key in shown:
        label = grid.header[grid.keys.index(key)]
        if key == "name":
            table.add_column(label, no_wrap=True, min_width=max(cell_len(str(r[1])) for r in grid.rows))
            continue
        table.add_column(label, justify="right" if key in ("actual", "percent", "expected", "phase_increment",
                                                           "needed_per_week", "share") else "left")
        if key == "percent":
            table.add_column("", width=12)
    for i, row in zip(progress.indicators, grid.rows):
        cells = []
        for key, value in zip(grid.keys, row):
            if key == "id":
                continue
            if key == "status":
                cells.append(Text(str(value), style=STATUS_STYLE.get(i.status or "", "")))
            else:
                cells.append(cell_text(value) if key != "note" else str(value))
            if key == "percent":
                done = min(100.0, float(i.percent or 0))
                cells.append(ProgressBar(total=100, completed=done, width=12) if i.percent is not None else "")
        table.add_row(*cells)
    if progress.tasks:  # the plan's tasks below the indicators
        from rich.console import Group

        return Group(table, rich_tasks(progress, lang))
    return table


# --- tasks (tasks.py) ------------------------------------------------------------------------

TASK_STATUS = {
    "zh": {"not_started": "未开始", "in_progress": "推进中", "done": "已完成"},
    "en": {"not_started": "not started", "in_progress": "in progress", "done": "done"},
}
TASK_CLASS = {"done": "achieved", "in_progress": "on_track", "not_started": None}  # HTML row colours
TASK_LABELS = {
    "zh": {"title": "重点任务推进情况（逾期在前）", "id": "编号", "ref": "条目", "task": "任务", "lead": "牵头单位",
           "due": "完成时限", "status": "状态", "updated_on": "最近报送", "latest": "最新进展", "overdue": "（逾期）",
           "late": "（逾期完成）", "from": "据指标：", "percent": "完成率{percent}%",
           "counts": "共{total}项：已完成{done}项，推进中{in_progress}项，未开始{not_started}项；逾期{overdue}项。",
           "sheet": "重点任务"},
    "en": {"title": "Tasks (overdue first)", "id": "id", "ref": "item", "task": "task", "lead": "lead unit",
           "due": "due", "status": "status", "updated_on": "last report", "latest": "latest progress",
           "overdue": " (overdue)", "late": " (done late)", "from": "from indicators: ", "percent": "{percent}% of target",
           "counts": "{total} tasks: {done} done, {in_progress} in progress, {not_started} not started; {overdue} overdue.",
           "sheet": "tasks"},
}


def task_status_cell(task, lang: str) -> str:
    """已完成 / 推进中（逾期） / 已完成（逾期完成）: the status in the ledger's words."""
    t = TASK_LABELS[lang]
    text = TASK_STATUS[lang].get(task.status, task.status)
    return text + (t["overdue"] if task.overdue else t["late"] if task.late else "")


def derived_text(task, lang: str) -> str:
    """An unreported task's linked indicators as the report reads them: 据指标：成立示范工作领导小组
    已完成（2021-06-25完成）."""
    t = TASK_LABELS[lang]
    sep, inner = ("；", "，") if lang == "zh" else ("; ", ", ")
    parts = []
    for d in task.derived:
        name = d["name"] if lang == "zh" else (d["name_en"] or d["name"])
        status = STATUS[lang][d["status"]]
        if d["done_on"]:
            status += f"（{d['done_on']}）" if lang == "zh" else f" ({d['done_on']})"
        elif d["percent"] is not None and d["kind"] != "milestone":
            status += inner + t["percent"].format(percent=cell_text(d["percent"]))
        parts.append(f"{name} {status}")
    return t["from"] + sep.join(parts) if parts else ""


def task_latest(task, lang: str) -> str:
    """What the latest entry says, or what the linked indicators show."""
    return task.latest or (derived_text(task, lang) if task.source == "indicators" else "")


def tasks_grid(progress: Progress, lang: str) -> Grid | None:
    """The plan's tasks as the engine ordered them (overdue first, then by status); None when
    there are none to show (a plan without tasks, or a town's report)."""
    if not progress.tasks:
        return None
    t = TASK_LABELS[lang]
    keys = ["id", "ref", "task", "lead", "due", "status", "updated_on", "latest"]
    rows = [[x.id, x.ref, x.title, x.lead, str(x.due), task_status_cell(x, lang),
             str(x.updated_on) if x.updated_on else None, task_latest(x, lang) or None] for x in progress.tasks]
    return Grid(keys, [t[k] for k in keys], rows, title=t["title"])


def tasks_counts(progress: Progress, lang: str) -> str:
    from ipdemo.engine.tasks import counts

    items = progress.tasks or []
    return TASK_LABELS[lang]["counts"].format(total=len(items), **counts(items))


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
    from ipdemo.render.document import Section

    grid = tasks_grid(progress, lang)
    if grid is None:
        return []
    return [Section(grid, ["behind" if x.overdue else TASK_CLASS.get(x.status) for x in progress.tasks])]


def task_sheets(progress: Progress, lang: str) -> list[tuple[str, Grid]]:
    """The tasks as an XLSX sheet; [] when none."""
    grid = tasks_grid(progress, lang)
    return [] if grid is None else [(TASK_LABELS[lang]["sheet"], grid)]


def rich_tasks(progress: Progress, lang: str):
    """Terminal table of the tasks, overdue in red."""
    from rich.table import Table
    from rich.text import Text

    grid = tasks_grid(progress, lang)
    table = Table(title=grid.title, caption=tasks_counts(progress, lang), header_style="bold")
    shown = [k for k in grid.keys if k not in ("id", "due")]
    for key in shown:
        table.add_column(grid.header[grid.keys.index(key)], overflow="fold")
    styles = {"done": "green", "in_progress": "cyan", "not_started": ""}
    for x, row in zip(progress.tasks, grid.rows):
        cells = []
        for key, value in zip(grid.keys, row):
            if key not in shown:
                continue
            if key == "status":
                cells.append(Text(str(value), style="bold red" if x.overdue else styles.get(x.status, "")))
            else:
                cells.append(cell_text(value))
        table.add_row(*cells)
    return table
