"""The self-inspection report (自查报告) as a Word document, laid out as GB/T 9704 asks.

What it says: title; 基本情况 (plan, period, as-of date, data sources); 主要目标完成情况 (the
engine's indicator table); 各区镇完成情况 (the engine's by-town breakdown); 重点任务推进情况 (the
plan's tasks as tasks.py reads them on the as-of date — or a list given by the caller —, overdue
first; a sentence when the plan has none);
存在的问题 (indicators behind or at risk, missed or late milestones, invalid rows); 下一步工作
(what each indicator behind now needs per week); charts as PNG images.

Invariants:
- every number in it is the engine's (progress.IndicatorProgress, progress.by_town), written with
  grid.cell_text; no section is ever empty (a sentence stands in where there is nothing to list);
- layout: A4, margins 37/35/28/26 mm (top/bottom/left/right), title 方正小标宋简体 22 pt centred,
  headings 黑体 16 pt, body 仿宋_GB2312 16 pt, lines exactly 28.95 pt (22 lines a page), page numbers
  "— N —" from a PAGE field in the footer (odd pages right, even pages left); every run names its
  East-Asian font (w:eastAsia) so Word on Chinese Windows uses it. `lang="en"`: Times New Roman
  and Arial at 12/14/18 pt;
- deterministic: the same inputs give the same bytes (core properties dated on the as-of day,
  zip members stamped with it, no random ids, charts drawn without timestamps);
- charts label Chinese only with a CJK font that matplotlib has (Noto Sans CJK, else WenQuanYi,
  else any font covering CJK); without one they are labelled in English, never as tofu.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any

from ipdemo.engine.dataset import Dataset
from ipdemo.engine.progress import IndicatorProgress, Progress, by_town
from ipdemo.plan.model import Plan
from ipdemo.render.grid import cell_text
from ipdemo.render.report import STATUS, has_unassigned, target_cell

RISKY = ("at_risk", "behind")
DPI = 170
LINE_PITCH = 28.95  # pt: 22 lines on the type area of an A4 page (GB/T 9704)

# Fonts: (latin, east-asian). Word substitutes a font the machine lacks; LibreOffice too.
FONTS = {
    "zh": {"title": ("Times New Roman", "方正小标宋简体"), "heading": ("Times New Roman", "黑体"),
           "sub": ("Times New Roman", "楷体_GB2312"), "body": ("Times New Roman", "仿宋_GB2312"),
           "page": ("宋体", "宋体")},
    "en": {"title": ("Arial", "黑体"), "heading": ("Arial", "黑体"), "sub": ("Times New Roman", "楷体_GB2312"),
           "body": ("Times New Roman", "仿宋_GB2312"), "page": ("Times New Roman", "宋体")},
}
SIZES = {"zh": {"title": 22, "heading": 16, "body": 16, "table": 10.5, "caption": 12, "page": 14},
         "en": {"title": 18, "heading": 14, "body": 12, "table": 9, "caption": 10, "page": 11}}
PITCH = {"zh": LINE_PITCH, "en": 18.0}

T = {
    "zh": {
        "title_suffix": "自查报告", "as_of": "（统计截至{date}）",
        "intro": "根据《{plan}》（以下简称《计划》）要求，{office}对照《计划》开展自查，现将示范创建工作有关情况报告如下。",
        "h": ["一、基本情况", "二、主要目标完成情况", "三、各{area}完成情况", "四、重点任务推进情况",
              "五、存在的问题", "六、下一步工作"],
        "basic_plan": "《计划》实施期为{start}至{end}，分{phases}{count}个阶段开展。",
        "basic_window": "本报告统计区间为{start}至{end}{phase}，数据截至{end}。",
        "basic_phase": "（第{id}阶段：{name}）",
        "basic_sources": "数据来源：{sources}台账。以上台账均经 ipdemo 逐条校验，未通过校验的记录不计入统计。",
        "source": "{name}（有效记录{rows}条）",
        "no_source": "数据来源：尚无台账数据。",
        "summary": "《计划》共设{total}项指标。截至{end}，已完成{achieved}项，正常推进{on_track}项，有风险{at_risk}项，滞后{behind}项{other}。各项指标完成情况见表1。",
        "summary_other": "，暂无法评价{count}项",
        "table1": "表1  主要目标完成情况", "table2": "表2  各{area}主要指标完成情况",
        "cols1": ["序号", "指标", "目标", "完成", "完成率（%）", "状态"],
        "notes": "注：", "towns_intro": "《计划》未向各{area}分解目标，下表列示各{area}实际完成数（单位同表1）{extra}。",
        "towns_unassigned": "；“{unassigned}”为尚未确定所属{area}的记录",
        "towns_none": "暂无可按{area}统计的指标。",
        "col_indicator": "指标", "col_unit": "单位", "col_district": "{whole}", "col_unassigned": "未划分{area}",
        "tasks_intro": "《计划》重点任务、特色任务和保障措施推进情况如下（逾期任务列前）。",
        "tasks_none": "《计划》重点任务、特色任务和保障措施的推进情况尚未纳入台账跟踪，请各牵头单位对照《计划》逐项补充推进情况及佐证材料。",
        "tasks_town": "重点任务、特色任务和保障措施按{whole}跟踪，推进情况见{whole}自查报告。",
        "cols_tasks": ["序号", "任务", "牵头单位", "状态", "最新进展"],
        "task_status": {"not_started": "未开始", "in_progress": "推进中", "done": "已完成"},
        "overdue": "（逾期）", "late_done": "（逾期完成）",
        "p_tasks": "（{n}）部分任务逾期未完成。",
        "task_overdue": "{ref}“{title}”要求于{due}前完成，目前{status}。",
        "p_behind": "（一）部分指标进度滞后。",
        "behind_item": "{name}完成{actual}{unit}，完成率{percent}%，{status}（序时进度应完成{expected}{unit}）。",
        "behind_annual": "{name}{year}年完成{actual}{unit}，年度目标{target}{unit}，{status}。",
        "behind_plain": "{name}{status}。",
        "p_milestones": "（{n}）部分节点任务未按期完成。",
        "missed": "{name}要求于{due}前完成，目前尚未完成{towns}。",
        "missed_towns": "（未完成：{towns}）",
        "late": "{name}要求于{due}前完成，实际于{done}完成，晚于要求时间。",
        "p_data": "（{n}）台账数据质量有待提高。",
        "invalid": "共有{count}条记录未通过校验，未计入统计（{where}），需核实更正。",
        "invalid_part": "{file} {count}条",
        "p_none": "经自查，各项指标均按序时进度推进，节点任务按期完成，台账数据均通过校验，未发现明显问题。",
        "next_intro": "针对上述问题，下一步重点做好以下工作：",
        "next_item": "{name}：距目标尚差{gap}{unit}，剩余{weeks}周，每周需完成{rate}{unit}。",
        "next_item_done_due": "{name}：已过要求完成时间，须尽快完成并补充佐证材料。",
        "next_none": "各项指标进度正常，下一步将继续按《计划》推进各项工作，巩固示范创建成果。",
        "next_close": "同时，收集整理各项工作佐证材料并归档，做好知识产权强省建设示范检查验收准备工作。",
        "figure": "图{n}  {caption}",
        "fig_percent": "主要指标完成率", "fig_burnup": "主要数量指标累计完成情况",
        "fig_towns": "各{area}占{whole}比例",
        "office": "{region}知识产权局",
        "date": "{y}年{m}月{d}日",
        "unit_weeks": "周",
    },
    "en": {
        "title_suffix": "Self-inspection report", "as_of": "(figures as of {date})",
        "intro": "As the {plan} (the Plan) requires, {office} has checked its work against the Plan. This report sets out the findings.",
        "h": ["1. Overview", "2. Main targets", "3. {Areas}", "4. Key tasks", "5. Problems", "6. Next steps"],
        "basic_plan": "The Plan runs from {start} to {end} in {count} phases: {phases}.",
        "basic_window": "This report covers {start} to {end}{phase}.",
        "basic_phase": " (phase {id}: {name})",
        "basic_sources": "Data sources: {sources}. Every record was checked by ipdemo; records that fail the checks are not counted.",
        "source": "{name} ({rows} valid records)",
        "no_source": "Data sources: no ledger data yet.",
        "summary": "The Plan sets {total} targets. By {end}: {achieved} achieved, {on_track} on track, {at_risk} at risk, {behind} behind{other}. Table 1 lists them.",
        "summary_other": ", {count} not yet assessable",
        "table1": "Table 1  Main targets", "table2": "Table 2  {Areas}",
        "cols1": ["No.", "Indicator", "Target", "Actual", "Percent", "Status"],
        "notes": "Notes: ", "towns_intro": "The Plan sets no {area} targets; the table shows what each {area} achieved (units as in Table 1){extra}.",
        "towns_unassigned": "; \"{unassigned}\" counts records whose {area} is not yet known",
        "towns_none": "No indicator can be broken down by {area} yet.",
        "col_indicator": "Indicator", "col_unit": "Unit", "col_district": "{Whole}", "col_unassigned": "{Area} unassigned",
        "tasks_intro": "Progress on the Plan's tasks (overdue tasks first):",
        "tasks_none": "The Plan's qualitative tasks are not tracked in the ledgers yet; each lead unit should report its progress and evidence.",
        "tasks_town": "The Plan's tasks are followed for the {whole}; see the {whole}'s report.",
        "cols_tasks": ["No.", "Task", "Lead unit", "Status", "Latest progress"],
        "task_status": {"not_started": "not started", "in_progress": "in progress", "done": "done"},
        "overdue": " (overdue)", "late_done": " (done late)",
        "p_tasks": "({n}) Some tasks are overdue. ",
        "task_overdue": "{ref} \"{title}\" was due by {due} and is {status}.",
        "p_behind": "(1) Some indicators are behind schedule. ",
        "behind_item": "{name}: {actual} {unit}, {percent}% of the target, {status} (expected by now: {expected} {unit}).",
        "behind_annual": "{name}: {actual} {unit} in {year} against {target} {unit}, {status}.",
        "behind_plain": "{name}: {status}.",
        "p_milestones": "({n}) Some milestones were missed or late. ",
        "missed": "{name} was due by {due} and is not done{towns}.",
        "missed_towns": " (missing: {towns})",
        "late": "{name} was due by {due} and was done on {done}, late.",
        "p_data": "({n}) Ledger data needs attention. ",
        "invalid": "{count} records fail the checks and are not counted ({where}).",
        "invalid_part": "{file}: {count}",
        "p_none": "No problems found: every indicator is on schedule, milestones were met, and every record passes the checks.",
        "next_intro": "Next steps:",
        "next_item": "{name}: {gap} {unit} short of the target with {weeks} weeks left: {rate} {unit} a week.",
        "next_item_done_due": "{name}: past its due date; finish it and file the evidence.",
        "next_none": "Every indicator is on schedule; work continues as the Plan sets out.",
        "next_close": "Collect and file the evidence for every task, ready for the inspection.",
        "figure": "Figure {n}  {caption}",
        "fig_percent": "Percent of target", "fig_burnup": "Main volume targets over time",
        "fig_towns": "Each {area}'s share of the {whole}",
        "office": "the district IP office",
        "date": "{iso}",
        "unit_weeks": "weeks",
    },
}


def wording(plan: Plan, lang: str) -> dict:
    """T[lang] in the plan's own words for its areas and its whole (区镇 / 全区 by default)."""
    words = plan.words(lang) if hasattr(plan, "words") else None
    area = words.area if words else ("区镇" if lang == "zh" else "town")
    areas = words.areas if words else ("区镇" if lang == "zh" else "towns")
    whole = words.whole if words else ("全区" if lang == "zh" else "district")
    swaps = {"{area}": area, "{Area}": area[:1].upper() + area[1:], "{Areas}": areas[:1].upper() + areas[1:],
             "{whole}": whole, "{Whole}": whole[:1].upper() + whole[1:],
             "{unassigned}": ("未划分" + area) if lang == "zh" else f"{area[:1].upper() + area[1:]} unassigned"}

    def swap(value):
        if isinstance(value, str):
            for key, word in swaps.items():
                value = value.replace(key, word)
            return value
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    return {key: swap(value) for key, value in T[lang].items()}


@dataclass(frozen=True)
class TaskLine:
    """One of the plan's qualitative tasks as the report shows it (any object or mapping with
    these names will do: see `task_lines`)."""

    id: str
    title: str
    lead: str = ""
    status: str = ""  # not_started / in_progress / done (or words of the user's own)
    latest: str = ""  # what was done last
    updated_on: date | None = None
    overdue: bool = False
    late: bool = False  # done after its due date


def task_lines(tasks: Sequence[Any] | None) -> list[TaskLine]:
    """Tasks from objects or mappings with TaskLine's names; overdue first, then in the given order."""
    out = []
    for task in tasks or []:
        get = task.get if isinstance(task, Mapping) else (lambda k, d=None, t=task: getattr(t, k, d))
        out.append(TaskLine(str(get("id", "") or ""), str(get("title", "") or get("name", "") or ""),
                            str(get("lead", "") or ""), str(get("status", "") or ""), str(get("latest", "") or ""),
                            get("updated_on", None), bool(get("overdue", False)), bool(get("late", False))))
    return sorted(out, key=lambda t: not t.overdue)


def plan_tasks(progress: Progress, lang: str) -> list[dict]:
    """The engine's tasks (progress.tasks, ordered overdue first, then by status) as task_lines
    reads them: the plan's numbering before the title, the latest entry's words — or, for a task
    nobody reported on, what its linked indicators show."""
    from ipdemo.render.report import task_latest

    return [{"id": x.id, "title": f"{x.ref} {x.title}".strip(), "lead": x.lead, "status": x.status,
             "latest": task_latest(x, lang), "updated_on": x.updated_on, "overdue": x.overdue, "late": x.late}
            for x in progress.tasks or []]


# --- the document ---------------------------------------------------------------------------

def report_docx(plan: Plan, data: Dataset, progress: Progress, lang: str = "zh",
                tasks: Sequence[Any] | None = None, town_rows: list[dict] | None = None,
                charts: bool = True) -> bytes:
    """The 自查报告 as .docx bytes; the same inputs give the same bytes."""
    from docx import Document

    t = wording(plan, lang)
    doc = Document()
    _setup(doc, lang)
    as_of = progress.window.end
    rows = town_rows if town_rows is not None else by_town(plan, data, progress.window)
    font = find_cjk_font() if charts else None
    images = chart_pngs(plan, data, progress, rows, lang, font) if charts else {}
    figures = iter(range(1, 10))

    _title(doc, title_lines(report_title(plan, lang), lang), lang)
    subtitle = t["as_of"].format(date=_date(as_of, lang))
    if progress.town is not None:  # --town: the figures are that town's
        subtitle = f"（{progress.town}）{subtitle}" if lang == "zh" else f"({progress.town}) {subtitle}"
    _para(doc, subtitle, lang, "sub", align="center", indent=False)
    _para(doc, "", lang)
    _para(doc, t["intro"].format(plan=_plan_name(plan, lang), office=_office(plan, lang)), lang)

    _heading(doc, t["h"][0], lang)
    for text in _basic(plan, data, progress, lang):
        _para(doc, text, lang)

    _heading(doc, t["h"][1], lang)
    _para(doc, _summary_sentence(progress, lang), lang)
    _caption(doc, t["table1"], lang)
    _table(doc, t["cols1"], [_indicator_row(plan, n, i, lang) for n, i in enumerate(progress.indicators, 1)], lang,
           widths=[13, 49, 30, 22, 18, 24], numeric={3, 4})
    notes = [f"{name_of(i, lang)}：{note}" if lang == "zh" else f"{name_of(i, lang)}: {note}"
             for i in progress.indicators if (note := _note(i, lang))]
    if notes:
        _para(doc, t["notes"] + ("；".join(notes) + "。" if lang == "zh" else "; ".join(notes) + "."), lang,
              size=SIZES[lang]["caption"], indent=False)
    for key in ("percent", "burnup"):
        if key in images:
            _figure(doc, images[key], t["figure"].format(n=next(figures), caption=t[f"fig_{key}"]), lang)

    _heading(doc, t["h"][2], lang)
    header, body = town_table(plan, rows, lang)
    if body:
        extra = t["towns_unassigned"] if has_unassigned(rows) else ""
        _para(doc, t["towns_intro"].format(extra=extra), lang)
        _caption(doc, t["table2"], lang)
        first = 30 if len(header) > 8 else 40
        rest = (156 - first) / (len(header) - 1)
        _table(doc, header, body, lang, widths=[first] + [rest] * (len(header) - 1),
               numeric=set(range(1, len(header))), size=SIZES[lang]["table"] - (1.5 if len(header) > 9 else 0))
        if "towns" in images:
            _figure(doc, images["towns"], t["figure"].format(n=next(figures), caption=t["fig_towns"]), lang)
    else:
        _para(doc, t["towns_none"], lang)

    _heading(doc, t["h"][3], lang)
    lines = task_lines(tasks if tasks is not None else plan_tasks(progress, lang))
    if lines:
        _para(doc, t["tasks_intro"] + (_task_counts(progress, lang) if tasks is None else ""), lang)
        _table(doc, t["cols_tasks"], [_task_row(n, task, lang) for n, task in enumerate(lines, 1)], lang,
               widths=[10, 52, 26, 18, 50])
    elif tasks is None and progress.tasks is None and progress.plan.tasks:  # --town: tasks are the whole's
        _para(doc, t["tasks_town"], lang)
    else:
        _para(doc, t["tasks_none"], lang)

    _heading(doc, t["h"][4], lang)
    for lead, text in problems(progress, data, lang):
        _para(doc, text, lang, lead=lead)

    _heading(doc, t["h"][5], lang)
    for text in next_steps(progress, lang):
        _para(doc, text, lang)

    _para(doc, "", lang)
    office = _office(plan, lang)
    _para(doc, office[:1].upper() + office[1:], lang, align="right", indent=False, right_chars=4)
    _para(doc, _date(as_of, lang), lang, align="right", indent=False, right_chars=4)
    _properties(doc, plan, as_of, lang)
    out = io.BytesIO()
    doc.save(out)
    from ipdemo.render.reproducible import restamp

    return restamp(out.getvalue(), as_of)


def report_title(plan: Plan, lang: str) -> str:
    """吴江区…创建工作计划 → 吴江区…创建工作自查报告."""
    if lang != "zh":
        return f"{T['en']['title_suffix']}: {_plan_name(plan, lang)}"
    name = plan.plan.name
    stem = name[:-2] if name.endswith("计划") else name
    stem = stem[:-2] if stem.endswith("工作") and not name.endswith("工作计划") else stem
    return f"{stem}{T['zh']['title_suffix']}"


def name_of(item, lang: str) -> str:
    return item.name if lang == "zh" else (item.name_en or item.name)


def _plan_name(plan: Plan, lang: str) -> str:
    return plan.plan.name if lang == "zh" else (plan.plan.name_en or plan.plan.name)


def _office(plan: Plan, lang: str) -> str:
    return T[lang]["office"].format(region=plan.plan.region or "")


def _date(day: date, lang: str) -> str:
    return T[lang]["date"].format(y=day.year, m=day.month, d=day.day, iso=day.isoformat())


def _num(value) -> str:
    return cell_text(value)


# --- what the sections say ------------------------------------------------------------------

def _basic(plan: Plan, data: Dataset, progress: Progress, lang: str) -> list[str]:
    t = wording(plan, lang)
    w = progress.window
    sep = "、" if lang == "zh" else ", "
    phases = sep.join((f"{p.name}（{_date(p.start, lang)}至{_date(p.end, lang)}）" if lang == "zh"
                       else f"{p.name_en or p.name} ({p.start} to {p.end})") for p in plan.phases)
    out = [t["basic_plan"].format(start=_date(plan.plan.start, lang), end=_date(plan.plan.end, lang),
                                  phases=phases, count=len(plan.phases))]
    phase = t["basic_phase"].format(id=w.phase.id, name=w.phase.name if lang == "zh" else (w.phase.name_en or w.phase.name)) \
        if w.phase else ""
    out.append(t["basic_window"].format(start=_date(w.start, lang), end=_date(w.end, lang), phase=phase))
    sources = []
    for name, spec in plan.ledgers.items():
        if name in data.tables:
            sources.append(t["source"].format(name=spec.name if lang == "zh" else (spec.name_en or name),
                                              rows=_num(data.tables[name].num_rows)))
    out.append(t["basic_sources"].format(sources=sep.join(sources)) if sources else t["no_source"])
    return out


def _summary_sentence(progress: Progress, lang: str) -> str:
    counts = {s: sum(i.status == s for i in progress.indicators) for s in ("achieved", "on_track", "at_risk", "behind")}
    other = len(progress.indicators) - sum(counts.values())
    t = T[lang]
    return t["summary"].format(total=len(progress.indicators), end=_date(progress.window.end, lang),
                               other=t["summary_other"].format(count=other) if other else "", **counts)


def _indicator_row(plan: Plan, n: int, i: IndicatorProgress, lang: str) -> list[str]:
    actual = i.actual
    if i.kind == "milestone" and (i.target or 0) <= 1:
        actual_text = (("已完成" if i.actual else "未完成") if lang == "zh" else ("done" if i.actual else "not done"))
    else:
        actual_text = _num(actual)
    return [str(n), name_of(i, lang), target_cell(i, lang, plan), actual_text, _num(i.percent), STATUS[lang][i.status]]


def _note(i: IndicatorProgress, lang: str) -> str:
    """Per-year figures, milestone dates: what the table's columns cannot say."""
    zh = lang == "zh"
    if i.kind == "annual" and i.years:
        return ("，".join(f"{y.year}年{_num(y.actual)}/{_num(y.target)}" for y in i.years) if zh else
                ", ".join(f"{y.year}: {_num(y.actual)}/{_num(y.target)}" for y in i.years))
    if i.kind == "milestone":
        if i.towns_missing:
            return ("未完成：" if zh else "missing: ") + ("、" if zh else ", ").join(i.towns_missing)
        if i.done_on:
            return (f"{i.done_on}完成" if zh else f"done {i.done_on}") + (("（逾期）" if zh else " (late)") if i.late else "")
        return ""
    if i.kind == "trend" and i.years:
        start = f"期初{_num(i.baseline)}" if zh else f"start {_num(i.baseline)}"
        return start + "，" + "，".join(f"{y.year}年{_num(y.actual)}" for y in i.years) if zh else \
            start + ", " + ", ".join(f"{y.year}: {_num(y.actual)}" for y in i.years)
    if i.above_max:
        return "超过上限" if zh else "above the maximum"
    return ""


def town_table(plan: Plan, rows: list[dict], lang: str) -> tuple[list[str], list[list[str]]]:
    """Indicator × town from progress.by_town: the indicators some town has a figure for."""
    t = wording(plan, lang)
    towns = list(rows[0]["towns"]) if rows else []  # the towns the engine reports, in its order
    english = {tw.name: tw.name_en or tw.name for tw in plan.towns}
    labels = towns if lang == "zh" else [english.get(name, name) for name in towns]
    extra = has_unassigned(rows)
    header = [t["col_indicator"], t["col_district"], *labels] + ([t["col_unassigned"]] if extra else [])
    body = []
    for r in rows:
        values = [r["towns"].get(name) for name in towns]
        district_level = r["kind"] == "milestone" and not _per_town(plan, r["id"])
        if district_level or all(v is None for v in values):
            continue
        name = r["name"] if lang == "zh" else (r["name_en"] or r["name"])
        body.append([f"{name}（{r['unit']}）" if lang == "zh" else f"{name} ({r['unit']})", _num(r["district"]),
                     *[_num(v) for v in values]] + ([_num(r.get("unassigned"))] if extra else []))
    return header, body


def _per_town(plan: Plan, ident: str) -> bool:
    return any(i.id == ident and i.per_town for i in plan.indicators)


def _task_row(n: int, task: TaskLine, lang: str) -> list[str]:
    t = T[lang]
    status = t["task_status"].get(task.status, task.status) or "—"
    latest = task.latest or "—"
    if task.updated_on:
        latest = f"{latest}（{task.updated_on}）" if lang == "zh" else f"{latest} ({task.updated_on})"
    mark = t["overdue"] if task.overdue else t["late_done"] if task.late else ""
    return [str(n), task.title, task.lead or "—", status + mark, latest]


def _task_counts(progress: Progress, lang: str) -> str:
    from ipdemo.render.report import tasks_counts

    return tasks_counts(progress, lang) if lang == "zh" else " " + tasks_counts(progress, lang)


def problems(progress: Progress, data: Dataset, lang: str) -> list[tuple[str, str]]:
    """(lead-in, text) paragraphs of 存在的问题; never empty."""
    t = wording(progress.plan, lang)
    out: list[tuple[str, str]] = []
    behind = [i for i in progress.indicators if i.status in RISKY and i.kind != "milestone"]
    if behind:
        out.append((t["p_behind"], (" " if lang == "en" else "").join(_behind_text(i, lang) for i in behind)))
    missed = [i for i in progress.indicators if i.kind == "milestone" and (i.late or i.status == "behind")]
    if missed:
        texts = []
        for i in missed:
            due = _date(i.due, lang) if i.due else "—"
            if i.status == "behind":
                towns = t["missed_towns"].format(towns=("、" if lang == "zh" else ", ").join(i.towns_missing)) \
                    if i.towns_missing and i.towns_done else ""
                texts.append(t["missed"].format(name=name_of(i, lang), due=due, towns=towns))
            else:
                texts.append(t["late"].format(name=name_of(i, lang), due=due, done=_date(i.done_on, lang)))
        out.append((t["p_milestones"].format(n=_ordinal(len(out) + 1, lang)), (" " if lang == "en" else "").join(texts)))
    overdue = [x for x in progress.tasks or [] if x.overdue]
    if overdue:
        status = T[lang]["task_status"]
        texts = [t["task_overdue"].format(ref=x.ref, title=x.title, due=_date(x.due, lang),
                                          status=status.get(x.status, x.status)) for x in overdue]
        out.append((t["p_tasks"].format(n=_ordinal(len(out) + 1, lang)), ("" if lang == "zh" else " ").join(texts)))
    if data.invalid_count:
        parts = [t["invalid_part"].format(file=data.plan.ledger_path(name).name, count=len(lines))
                 for name, lines in data.invalid.items() if lines]
        out.append((t["p_data"].format(n=_ordinal(len(out) + 1, lang)),
                    t["invalid"].format(count=data.invalid_count, where=("，" if lang == "zh" else "; ").join(parts))))
    return out or [("", t["p_none"])]


def _ordinal(n: int, lang: str) -> str:
    return "一二三四五六七八九十"[n - 1] if lang == "zh" and n <= 10 else str(n)


def _behind_text(i: IndicatorProgress, lang: str) -> str:
    t = T[lang]
    status = STATUS[lang][i.status]
    if i.kind == "annual" and i.years:
        y = i.years[-1]
        worst = next((y for y in i.years if y.status == "behind"), y)
        return t["behind_annual"].format(name=name_of(i, lang), year=worst.year, actual=_num(worst.actual),
                                         target=_num(worst.target), unit=i.unit, status=STATUS[lang][worst.status])
    if i.actual is None or i.percent is None or i.expected is None:
        return t["behind_plain"].format(name=name_of(i, lang), status=status)
    return t["behind_item"].format(name=name_of(i, lang), actual=_num(i.actual), unit=i.unit, percent=_num(i.percent),
                                   status=status, expected=_num(i.expected))


def next_steps(progress: Progress, lang: str) -> list[str]:
    """下一步工作: each indicator behind or at risk with the weekly rate it now needs; never empty."""
    t = T[lang]
    end = progress.plan.plan.end
    weeks = max(0.0, (end - progress.window.end).days / 7)
    lines = []
    for i in progress.indicators:
        if i.status not in RISKY:
            continue
        if i.needed_per_week is not None and i.needed_per_week > 0:
            target = i.years[-1].target if i.kind == "annual" and i.years else i.target
            gap = max(0.0, (target or 0) - (i.actual or 0)) if isinstance(i.actual, (int, float)) else None
            left = (i.years[-1].end - progress.window.end).days / 7 if i.kind == "annual" and i.years else weeks
            lines.append(t["next_item"].format(name=name_of(i, lang), gap=_num(_round(gap)), unit=i.unit,
                                               weeks=_num(_round(left, 1)), rate=_num(i.needed_per_week)))
        elif i.kind in ("milestone", "cumulative", "annual", "range", "stock"):
            lines.append(t["next_item_done_due"].format(name=name_of(i, lang)))
    if not lines:
        return [t["next_none"], t["next_close"]]
    return [t["next_intro"], *lines, t["next_close"]]


def _round(x: float | None, digits: int = 2) -> float | int | None:
    if x is None:
        return None
    value = round(float(x), digits)
    return int(value) if value.is_integer() else value


# --- layout helpers (python-docx) -----------------------------------------------------------

def _setup(doc, lang: str) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(28)
    normal = doc.styles["Normal"]
    latin, east = FONTS[lang]["body"]
    normal.font.size = Pt(SIZES[lang]["body"])
    _set_fonts(normal.element.get_or_add_rPr(), latin, east)
    _set_lang(normal.element.get_or_add_rPr())
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    _exact(fmt, PITCH[lang])
    fmt.widow_control = False
    heading = doc.styles["Heading 1"]
    latin, east = FONTS[lang]["heading"]
    heading.font.size, heading.font.bold, heading.font.italic = Pt(SIZES[lang]["heading"]), lang == "en", False
    from docx.shared import RGBColor

    heading.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(heading.element.get_or_add_rPr(), latin, east)
    hfmt = heading.paragraph_format
    hfmt.space_before, hfmt.space_after = Pt(0), Pt(0)
    _exact(hfmt, PITCH[lang])
    hfmt.keep_with_next = True
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], lang, odd=True)
    _page_number(section.even_page_footer.paragraphs[0], lang, odd=False)


def _exact(fmt, points: float) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(points)


def _set_fonts(rpr, latin: str, east: str) -> None:
    """w:rFonts with ascii/hAnsi/cs = latin and eastAsia = east; theme fonts removed (they win)."""
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east)


def _set_lang(rpr) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _run(paragraph, text: str, lang: str, role: str = "body", size: float | None = None, bold: bool = False):
    from docx.shared import Pt

    run = paragraph.add_run(text)
    latin, east = FONTS[lang][role]
    run.font.size = Pt(size or SIZES[lang]["body" if role in ("body", "sub") else role])
    run.font.bold = bold or None
    _set_fonts(run._element.get_or_add_rPr(), latin, east)
    return run


def _para(doc, text: str, lang: str, role: str = "body", *, align: str = "justify", indent: bool = True,
          size: float | None = None, lead: str = "", right_chars: int = 0):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.alignment = {"justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                   "right": WD_ALIGN_PARAGRAPH.RIGHT, "left": WD_ALIGN_PARAGRAPH.LEFT}[align]
    body = size or SIZES[lang]["body"]
    if indent:
        p.paragraph_format.first_line_indent = Pt(2 * body)
    if right_chars:
        p.paragraph_format.right_indent = Pt(right_chars * body)
    if lead:
        _run(p, lead, lang, "sub" if lang == "zh" else "body", size=size, bold=lang == "en")
    if text or not lead:
        _run(p, text, lang, role, size=size)
    return p


def _title(doc, text: list[str], lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph(style="Title")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    _exact(fmt, max(PITCH[lang], SIZES[lang]["title"] * 1.5))
    for n, line in enumerate(text):
        run = _run(p, line, lang, "title", bold=lang == "en")
        if n < len(text) - 1:
            run.add_break()
    _plain_style(doc.styles["Title"], lang)


# Where a Chinese title may break (GB/T 9704: 回行时词意完整): after these words.
TITLE_BREAKS = ("关于", "建设", "示范", "创建", "工作", "区", "市", "的")
TITLE_CHARS = 20  # 二号 characters on a 156 mm line


def title_lines(title: str, lang: str) -> list[str]:
    """A long Chinese title split into lines at a word boundary near the middle (a pyramid, not
    a stray last word); English titles are left to wrap."""
    if lang != "zh" or len(title) <= TITLE_CHARS:
        return [title]
    best = None
    for word in TITLE_BREAKS:
        start = 0
        while (at := title.find(word, start)) >= 0:
            cut = at + len(word)
            if len(title) - TITLE_CHARS <= cut <= TITLE_CHARS:
                score = abs(cut - len(title) / 2)
                if best is None or score < best[0]:
                    best = (score, cut)
            start = at + 1
    if best is None:
        return [title]
    return [title[:best[1]], *title_lines(title[best[1]:], lang)]


def _plain_style(style, lang: str) -> None:
    """The built-in Title style without its theme colour, border and font (ours are on the runs)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style.font.color.rgb = RGBColor(0, 0, 0)
    style.font.size = Pt(SIZES[lang]["title"])
    latin, east = FONTS[lang]["title"]
    _set_fonts(style.element.get_or_add_rPr(), latin, east)
    ppr = style.element.get_or_add_pPr()
    for tag in ("w:pBdr",):
        found = ppr.find(qn(tag))
        if found is not None:
            ppr.remove(found)
    rpr = style.element.get_or_add_rPr()
    for tag in ("w:spacing", "w:kern"):
        found = rpr.find(qn(tag))
        if found is not None:
            rpr.remove(found)


def _heading(doc, text: str, lang: str) -> None:
    from docx.shared import Pt

    p = doc.add_paragraph(style="Heading 1")
    p.paragraph_format.first_line_indent = Pt(2 * SIZES[lang]["body"]) if lang == "zh" else None
    _run(p, text, lang, "heading", bold=lang == "en")


def _caption(doc, text: str, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    _run(p, text, lang, "heading", size=SIZES[lang]["caption"])


def _figure(doc, png: bytes, caption: str, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.line_spacing = 1.0  # an exact line height would crop the picture
    p.paragraph_format.keep_with_next = True
    p.add_run().add_picture(io.BytesIO(png), width=Mm(150))
    _para(doc, caption, lang, align="center", indent=False, size=SIZES[lang]["caption"])


def _table(doc, header: list[str], rows: list[list[str]], lang: str, *, widths: list[float],
           numeric: set[int] = frozenset(), size: float | None = None) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    size = size or SIZES[lang]["table"]
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for r, values in enumerate([header, *rows]):
        row = table.rows[r]
        if r == 0:  # repeat the header on every page the table spans
            trpr = row._tr.get_or_add_trPr()
            mark = OxmlElement("w:tblHeader")
            trpr.append(mark)
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.width = Mm(widths[c])
            p = cell.paragraphs[0]
            p.paragraph_format.first_line_indent = None
            p.paragraph_format.line_spacing_rule = None
            _exact(p.paragraph_format, size * 1.35)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER if r == 0 or c in numeric or c == 0 and len(str(value)) <= 3 \
                else WD_ALIGN_PARAGRAPH.LEFT
            if r and c in numeric:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _run(p, str(value), lang, "heading" if r == 0 else "body", size=size, bold=r == 0 and lang == "en")
    grid = table._tbl.tblGrid
    for c, col in enumerate(grid.findall(qn("w:gridCol"))):
        col.set(qn("w:w"), str(int(Mm(widths[c]).twips)))
    doc.add_paragraph().paragraph_format.line_spacing = Pt(6)  # a little air after the table


def _page_number(paragraph, lang: str, odd: bool) -> None:
    """— N — in 宋体 四号, odd pages right and even pages left, one character in (GB/T 9704)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    size = SIZES[lang]["page"]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    fmt = paragraph.paragraph_format
    fmt.right_indent, fmt.left_indent = (Pt(size), None) if odd else (None, Pt(size))
    _run(paragraph, "— ", lang, "page", size=size)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = _run(paragraph, "", lang, "page", size=size)
        if kind:
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._element.append(mark)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
        else:
            run.text = text
    _run(paragraph, " —", lang, "page", size=size)


def _properties(doc, plan: Plan, as_of: date, lang: str) -> None:
    props = doc.core_properties
    stamp = datetime.combine(as_of, time())
    props.title = report_title(plan, lang)
    props.subject = _plan_name(plan, lang)
    props.author = _office(plan, lang)
    props.last_modified_by = "ipdemo"
    props.created = props.modified = stamp
    props.last_printed = stamp
    props.revision = 1
    props.keywords = props.comments = props.category = ""


# --- charts (PNG, matplotlib without pyplot) ------------------------------------------------

CJK_PREFERRED = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Source Han Sans CN",
                 "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
                 "Noto Serif CJK SC", "AR PL UMing CN", "AR PL UKai CN"]
CJK_PROBE = "吴江区镇专利完成率"
COLOURS = {"achieved": "#1a7f37", "on_track": "#0969da", "at_risk": "#bf8700", "behind": "#cf222e", None: "#8c959f"}


@cache
def find_cjk_font() -> str | None:
    """A font family matplotlib can draw Chinese with: a preferred one, else any that covers it."""
    from matplotlib import font_manager

    fonts = font_manager.fontManager.ttflist
    names = {f.name for f in fonts}
    for name in CJK_PREFERRED:
        if name in names:
            return name
    for entry in sorted(fonts, key=lambda f: (f.name, f.fname)):
        if "last resort" in entry.name.lower():  # a box for every character: tofu by design
            continue
        if _covers(entry.fname, CJK_PROBE):
            return entry.name
    return None


def _covers(path: str, text: str) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        charmap = FT2Font(path).get_charmap()
    except Exception:  # a font file matplotlib cannot open is no candidate
        return False
    return all(ord(ch) in charmap for ch in text)


@dataclass
class Chart:
    png: bytes
    texts: list[str]  # every string drawn, for tests (no CJK without a CJK font)


def chart_pngs(plan: Plan, data: Dataset, progress: Progress, town_rows: list[dict], lang: str,
               font: str | None) -> dict[str, bytes]:
    return {key: chart.png for key, chart in charts(plan, data, progress, town_rows, lang, font).items()}


def charts(plan: Plan, data: Dataset, progress: Progress, town_rows: list[dict], lang: str,
           font: str | None) -> dict[str, Chart]:
    """Completion percentages, burn-ups of the main volume targets, towns' shares. With no CJK
    font, labels are English (names fall back to ids) so nothing is drawn as tofu."""
    import matplotlib

    label_lang = lang if font or lang == "en" else "en"
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    out: dict[str, Chart] = {}
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": family, "axes.unicode_minus": False,
                                "font.size": 9, "svg.hashsalt": "ipdemo"}):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from")
            for key, draw in (("percent", _percent_chart), ("burnup", _burnup_chart), ("towns", _towns_chart)):
                fig = draw(plan, data, progress, town_rows, label_lang, font is None)
                if fig is not None:
                    out[key] = Chart(_png(fig), _texts(fig))
    return out


def _label(item, lang: str, ascii_only: bool) -> str:
    if lang == "zh":
        return item.name if hasattr(item, "name") else item["name"]
    name_en = getattr(item, "name_en", None) if not isinstance(item, Mapping) else item.get("name_en")
    name = getattr(item, "name", None) if not isinstance(item, Mapping) else item.get("name")
    text = name_en or name or ""
    if ascii_only and not text.isascii():
        text = (getattr(item, "id", None) if not isinstance(item, Mapping) else item.get("id")) or "?"
    return text


def _figure_of(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return out.getvalue()


def _texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _percent_chart(plan, data, progress, rows, lang, ascii_only):
    items = [i for i in progress.indicators if i.percent is not None and i.kind != "milestone"]
    if not items:
        return None
    fig = _figure_of(7.2, 0.32 * len(items) + 1.0)
    ax = fig.add_subplot()
    names = [_label(i, lang, ascii_only) for i in items][::-1]
    values = [min(float(i.percent), 150.0) for i in items][::-1]
    ax.barh(names, values, color=[COLOURS.get(i.status, COLOURS[None]) for i in items][::-1])
    ax.axvline(100, color="#57606a", linewidth=0.8, linestyle="--")
    share = 100 * ((progress.window.end - plan.plan.start).days + 1) / ((plan.plan.end - plan.plan.start).days + 1)
    ax.axvline(min(share, 100), color="#8c959f", linewidth=0.8, linestyle=":")
    for y, (value, item) in enumerate(zip(values, items[::-1])):
        ax.text(value + 1, y, f"{cell_text(item.percent)}%", va="center", fontsize=7)
    ax.set_xlim(0, max(110, max(values) + 15))
    ax.set_xlabel("完成率（%），虚线为目标，点线为序时进度" if lang == "zh" else
                  "percent of target (dashed: target; dotted: time elapsed)")
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _burnup_chart(plan, data, progress, rows, lang, ascii_only):
    from matplotlib import dates

    from ipdemo.engine.summary import burn_up

    items = [i for i in progress.indicators if i.kind == "cumulative" and i.target][:4]
    if not items:
        return None
    fig = _figure_of(7.2, 4.6)
    end = progress.window.end
    for k, item in enumerate(items):
        ax = fig.add_subplot(2, 2, k + 1)
        days, values = burn_up(plan, data, item.id, end)
        ax.plot(days, values, color="#0969da", linewidth=1.6, label="实际" if lang == "zh" else "actual")
        ax.plot([plan.plan.start, plan.plan.end], [0, item.target], color="#8c959f", linestyle="--", linewidth=1,
                label="序时目标" if lang == "zh" else "pro-rata target")
        for phase in plan.phases[1:]:
            ax.axvline(phase.start, color="#d0d7de", linewidth=0.8)
        ax.set_title(f"{_label(item, lang, ascii_only)}（{item.unit}）" if lang == "zh" else
                     f"{_label(item, lang, ascii_only)}", fontsize=9)
        ax.set_xlim(plan.plan.start, plan.plan.end)
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(dates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(dates.DateFormatter("%Y-%m"))
        ax.tick_params(labelsize=7)
        if k == 0:
            ax.legend(loc="upper left", frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def _towns_chart(plan, data, progress, rows, lang, ascii_only):
    chosen = [r for r in rows if r["kind"] == "cumulative" and r["district"]][:4]
    if not chosen:
        return None
    names = list(chosen[0]["towns"])
    by_name = {t.name: t for t in plan.towns}
    labels = [_label(by_name[n], lang, ascii_only) if n in by_name else n for n in names]
    fig = _figure_of(7.2, 3.0)
    ax = fig.add_subplot()
    width = 0.8 / len(chosen)
    for k, row in enumerate(chosen):
        shares = [100 * (row["towns"].get(t) or 0) / row["district"] for t in names]
        ax.bar([x + k * width for x in range(len(names))], shares, width=width, label=_label(row, lang, ascii_only))
    ax.set_xticks([x + width * (len(chosen) - 1) / 2 for x in range(len(names))])
    ax.set_xticklabels(labels, rotation=25, fontsize=7, ha="right")
    ax.set_ylabel("占全区 %" if lang == "zh" else "% of district")
    ax.legend(frameon=False, fontsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig
