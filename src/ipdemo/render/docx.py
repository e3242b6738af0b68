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
- every word comes from i18n (LABELS docx.*, in the plan's words for its areas and its whole);
  the language is compared here only for layout (bold, indents, where a Chinese title breaks);
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
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any

from ipdemo.engine.dataset import Dataset
from ipdemo.engine.progress import IndicatorProgress, Progress, by_town
from ipdemo.i18n import label, localized, message, numeral, sentences
from ipdemo.plan.kinds import kind_spec
from ipdemo.plan.model import Plan
from ipdemo.plan.text import escape_xml
from ipdemo.render.charts import Chart, png_charts
from ipdemo.render.grid import cell_text
from ipdemo.render.report import has_unassigned, name_of, status_text, target_cell, task_status_text

RISKY = ("at_risk", "behind")
LINE_PITCH = 28.95  # pt: 22 lines on the type area of an A4 page (GB/T 9704)

# Fonts: (latin, east-asian). Word substitutes a font the machine lacks; LibreOffice too.
FONTS: dict[str, dict[str, tuple[str, str]]] = {
    "zh": {
        "title": ("Times New Roman", "方正小标宋简体"),
        "heading": ("Times New Roman", "黑体"),
        "sub": ("Times New Roman", "楷体_GB2312"),
        "body": ("Times New Roman", "仿宋_GB2312"),
        "page": ("宋体", "宋体"),
    },
    "en": {
        "title": ("Arial", "黑体"),
        "heading": ("Arial", "黑体"),
        "sub": ("Times New Roman", "楷体_GB2312"),
        "body": ("Times New Roman", "仿宋_GB2312"),
        "page": ("Times New Roman", "宋体"),
    },
}
SIZES: dict[str, dict[str, float]] = {
    "zh": {"title": 22, "heading": 16, "body": 16, "table": 10.5, "caption": 12, "page": 14},
    "en": {"title": 18, "heading": 14, "body": 12, "table": 9, "caption": 10, "page": 11},
}
PITCH = {"zh": LINE_PITCH, "en": 18.0}


def words(plan: Plan, lang: str) -> dict[str, str]:
    """The plan's own words for its areas and its whole (区镇 / 全区 by default), as the params
    the docx.* labels use: {area}, {areas}, {whole}, {unassigned}."""
    w = plan.words(lang)
    return {
        "area": w.area,
        "areas": w.areas,
        "whole": w.whole,
        "unassigned": message("area_unassigned_column", lang, area=w.area),
    }


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
        out.append(
            TaskLine(
                str(get("id", "") or ""),
                str(get("title", "") or get("name", "") or ""),
                str(get("lead", "") or ""),
                str(get("status", "") or ""),
                str(get("latest", "") or ""),
                get("updated_on", None),
                bool(get("overdue", False)),
                bool(get("late", False)),
            )
        )
    return sorted(out, key=lambda t: not t.overdue)


def plan_tasks(progress: Progress, lang: str) -> list[dict]:
    """The engine's tasks (progress.tasks, ordered overdue first, then by status) as task_lines
    reads them: the plan's numbering before the title, the latest entry's words — or, for a task
    nobody reported on, what its linked indicators show."""
    from ipdemo.render.report import task_latest

    return [
        {
            "id": x.id,
            "title": f"{x.ref} {x.title}".strip(),
            "lead": x.lead,
            "status": x.status,
            "latest": task_latest(x, lang),
            "updated_on": x.updated_on,
            "overdue": x.overdue,
            "late": x.late,
        }
        for x in progress.tasks or []
    ]


# --- the document ---------------------------------------------------------------------------


def report_docx(
    plan: Plan,
    data: Dataset,
    progress: Progress,
    lang: str = "zh",
    tasks: Sequence[Any] | None = None,
    town_rows: list[dict] | None = None,
    charts: bool = True,
) -> bytes:
    """The 自查报告 as .docx bytes; the same inputs give the same bytes."""
    from docx import Document

    plain = words(plan, lang)

    def t(key: str, **params: object) -> str:
        return label(f"docx.{key}", lang, **plain, **params)

    doc = Document()
    _setup(doc, lang)
    as_of = progress.window.end
    rows = town_rows if town_rows is not None else by_town(plan, data, progress.window)
    font = find_cjk_font() if charts else None
    images = chart_pngs(plan, data, progress, rows, lang, font) if charts else {}
    figures = iter(range(1, 10))

    _title(doc, title_lines(report_title(plan, lang), lang), lang)
    subtitle = t("as_of", date=_date(as_of, lang))
    if progress.town is not None:  # --town: the figures are that town's
        subtitle = t("town_as_of", town=progress.town, as_of=subtitle)
    _para(doc, subtitle, lang, "sub", align="center", indent=False)
    _para(doc, "", lang)
    _para(doc, t("intro", plan=_plan_name(plan, lang), office=_office(plan, lang)), lang)

    _heading(doc, t("heading_basic"), lang)
    for text in _basic(plan, data, progress, lang):
        _para(doc, text, lang)

    _heading(doc, t("heading_targets"), lang)
    _para(doc, _summary_sentence(progress, lang), lang)
    _caption(doc, t("table1"), lang)
    columns = [t(key) for key in ("col_no", "col_indicator", "col_target", "col_actual", "col_percent", "col_status")]
    _table(
        doc,
        columns,
        [_indicator_row(plan, n, i, lang) for n, i in enumerate(progress.indicators, 1)],
        lang,
        widths=[13, 49, 30, 22, 18, 24],
        numeric={3, 4},
    )
    notes = [
        label("punct.labelled", lang, name=name_of(i, lang), text=note)
        for i in progress.indicators
        if (note := _note(i, lang))
    ]
    if notes:
        _para(
            doc,
            t("notes", notes=label("punct.semicolon", lang).join(notes)),
            lang,
            size=SIZES[lang]["caption"],
            indent=False,
        )
    for key in ("percent", "burnup"):
        if key in images:
            _figure(doc, images[key], t("figure", n=next(figures), caption=t(f"fig_{key}")), lang)

    _heading(doc, t("heading_areas"), lang)
    header, body = town_table(plan, rows, lang)
    if body:
        extra = t("towns_unassigned") if has_unassigned(rows) else ""
        _para(doc, t("towns_intro", extra=extra), lang)
        _caption(doc, t("table2"), lang)
        first = 30 if len(header) > 8 else 40
        rest = (156 - first) / (len(header) - 1)
        _table(
            doc,
            header,
            body,
            lang,
            widths=[first] + [rest] * (len(header) - 1),
            numeric=set(range(1, len(header))),
            size=SIZES[lang]["table"] - (1.5 if len(header) > 9 else 0),
        )
        if "towns" in images:
            _figure(doc, images["towns"], t("figure", n=next(figures), caption=t("fig_towns")), lang)
    else:
        _para(doc, t("towns_none"), lang)

    _heading(doc, t("heading_tasks"), lang)
    lines = task_lines(tasks if tasks is not None else plan_tasks(progress, lang))
    if lines:
        from ipdemo.render.report import tasks_counts

        intro = sentences([t("tasks_intro"), tasks_counts(progress, lang)], lang) if tasks is None else t("tasks_intro")
        _para(doc, intro, lang)
        columns = [t(key) for key in ("col_no", "col_task", "col_lead", "col_status", "col_latest")]
        _table(
            doc,
            columns,
            [_task_row(n, task, lang) for n, task in enumerate(lines, 1)],
            lang,
            widths=[10, 52, 26, 18, 50],
        )
    elif tasks is None and progress.tasks is None and progress.plan.tasks:  # --town: tasks are the whole's
        _para(doc, t("tasks_town"), lang)
    else:
        _para(doc, t("tasks_none"), lang)

    _heading(doc, t("heading_problems"), lang)
    for lead, text in problems(progress, data, lang):
        _para(doc, text, lang, lead=lead)

    _heading(doc, t("heading_next"), lang)
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


# A Chinese plan's name ends in 计划 (…创建工作计划): its report is …创建工作自查报告.
PLAN_WORD, WORK_WORD = "计划", "工作"


def report_title(plan: Plan, lang: str) -> str:
    """吴江区…创建工作计划 → 吴江区…创建工作自查报告; Self-inspection report: <the plan's English name>."""
    name = plan.plan.name
    stem = name[:-2] if name.endswith(PLAN_WORD) else name
    stem = stem[:-2] if stem.endswith(WORK_WORD) and not name.endswith(WORK_WORD + PLAN_WORD) else stem
    return label("docx.title", lang, stem=stem, plan=_plan_name(plan, lang))


def _plan_name(plan: Plan, lang: str) -> str:
    return localized(plan.plan.name, plan.plan.name_en, lang)


def _office(plan: Plan, lang: str) -> str:
    return label("docx.office", lang, region=plan.plan.region or "")


def _date(day: date, lang: str) -> str:
    return label("docx.date", lang, y=day.year, m=day.month, d=day.day)


def _num(value: Any) -> str:
    return cell_text(value)


# --- what the sections say ------------------------------------------------------------------


def _basic(plan: Plan, data: Dataset, progress: Progress, lang: str) -> list[str]:
    def t(key: str, **params: object) -> str:
        return label(f"docx.{key}", lang, **params)

    w = progress.window
    sep = label("punct.list", lang)
    phases = sep.join(
        t(
            "basic_plan_phase",
            name=localized(p.name, p.name_en, lang),
            start=_date(p.start, lang),
            end=_date(p.end, lang),
        )
        for p in plan.phases
    )
    out = [
        t(
            "basic_plan",
            start=_date(plan.plan.start, lang),
            end=_date(plan.plan.end, lang),
            phases=phases,
            count=len(plan.phases),
        )
    ]
    phase = t("basic_phase", id=w.phase.id, name=localized(w.phase.name, w.phase.name_en, lang)) if w.phase else ""
    out.append(t("basic_window", start=_date(w.start, lang), end=_date(w.end, lang), phase=phase))
    sources = []
    for name, spec in plan.ledgers.items():
        if name in data.tables:
            sources.append(
                t("source", name=localized(spec.name, spec.name_en or name, lang), rows=_num(data.rows_by(name, w.end)))
            )
    out.append(t("basic_sources", sources=sep.join(sources)) if sources else t("no_source"))
    return out


def _summary_sentence(progress: Progress, lang: str) -> str:
    counts = {s: sum(i.status == s for i in progress.indicators) for s in ("achieved", "on_track", "at_risk", "behind")}
    other = len(progress.indicators) - sum(counts.values())
    return label(
        "docx.summary",
        lang,
        total=len(progress.indicators),
        end=_date(progress.window.end, lang),
        other=label("docx.summary_other", lang, count=other) if other else "",
        **counts,
    )


def _indicator_row(plan: Plan, n: int, i: IndicatorProgress, lang: str) -> list[str]:
    if i.spec.done_on_date and (i.target or 0) <= 1:
        actual_text = label("report.done" if i.actual else "report.not_done", lang)
    else:
        actual_text = _num(i.actual)
    return [
        str(n),
        name_of(i, lang),
        target_cell(i, lang, plan),
        actual_text,
        _num(i.percent),
        status_text(i.status, lang),
    ]


def _note(i: IndicatorProgress, lang: str) -> str:
    """Per-year figures, milestone dates: what the table's columns cannot say."""
    comma = label("punct.comma", lang)
    spec = i.spec
    if spec.yearly and i.years:
        return comma.join(
            label("docx.annual_note", lang, year=y.year, actual=_num(y.actual), target=_num(y.target)) for y in i.years
        )
    if spec.done_on_date:
        if i.towns_missing:
            return label("report.towns_missing", lang, towns=label("punct.list", lang).join(i.towns_missing))
        if i.done_on:
            return label("docx.done_on", lang, date=i.done_on) + (label("report.late", lang) if i.late else "")
        return ""
    if spec.directional and i.years:
        return comma.join(
            [
                label("docx.trend_start", lang, value=_num(i.baseline)),
                *[label("docx.trend_year", lang, year=y.year, actual=_num(y.actual)) for y in i.years],
            ]
        )
    if i.above_max:
        return label("docx.above_max", lang)
    return ""


def town_table(plan: Plan, rows: list[dict], lang: str) -> tuple[list[str], list[list[str]]]:
    """Indicator × town from progress.by_town: the indicators some town has a figure for."""
    plain = words(plan, lang)
    towns = list(rows[0]["towns"]) if rows else []  # the towns the engine reports, in its order
    english = {tw.name: tw.name_en for tw in plan.towns}
    extra = has_unassigned(rows)
    header = [
        label("docx.col_indicator", lang),
        label("docx.col_district", lang, **plain),
        *[localized(name, english.get(name), lang) for name in towns],
    ] + ([plain["unassigned"]] if extra else [])
    body = []
    for r in rows:
        values = [r["towns"].get(name) for name in towns]
        district_level = kind_spec(r["kind"]).done_on_date and not _per_town(plan, r["id"])
        if district_level or all(v is None for v in values):
            continue
        name = localized(r["name"], r["name_en"], lang)
        body.append(
            [
                label("docx.indicator_unit", lang, name=name, unit=r["unit"]),
                _num(r["district"]),
                *[_num(v) for v in values],
            ]
            + ([_num(r.get("unassigned"))] if extra else [])
        )
    return header, body


def _per_town(plan: Plan, ident: str) -> bool:
    return any(i.id == ident and i.per_town for i in plan.indicators)


def _task_row(n: int, task: TaskLine, lang: str) -> list[str]:
    status = task_status_text(task.status, lang) or "—"
    latest = task.latest or "—"
    if task.updated_on:
        latest += label("punct.paren", lang, text=task.updated_on)
    mark = label("task.overdue", lang) if task.overdue else label("task.late", lang) if task.late else ""
    return [str(n), task.title, task.lead or "—", status + mark, latest]


def problems(progress: Progress, data: Dataset, lang: str) -> list[tuple[str, str]]:
    """(lead-in, text) paragraphs of 存在的问题; never empty."""

    def t(key: str, **params: object) -> str:
        return label(f"docx.{key}", lang, **params)

    out: list[tuple[str, str]] = []
    behind = [i for i in progress.indicators if i.status in RISKY and not i.spec.done_on_date]
    if behind:
        out.append((t("p_behind"), sentences((_behind_text(i, lang) for i in behind), lang)))
    missed = [i for i in progress.indicators if i.spec.done_on_date and (i.late or i.status == "behind")]
    if missed:
        texts = []
        for i in missed:
            due = _date(i.due, lang) if i.due else "—"
            if i.status == "behind":
                towns = (
                    t("missed_towns", towns=label("punct.list", lang).join(i.towns_missing))
                    if i.towns_missing and i.towns_done
                    else ""
                )
                texts.append(t("missed", name=name_of(i, lang), due=due, towns=towns))
            else:
                done = _date(i.done_on, lang) if i.done_on else "—"
                texts.append(t("late", name=name_of(i, lang), due=due, done=done))
        out.append((t("p_milestones", n=numeral(len(out) + 1, lang)), sentences(texts, lang)))
    overdue = [x for x in progress.tasks or [] if x.overdue]
    if overdue:
        texts = [
            t("task_overdue", ref=x.ref, title=x.title, due=_date(x.due, lang), status=task_status_text(x.status, lang))
            for x in overdue
        ]
        out.append((t("p_tasks", n=numeral(len(out) + 1, lang)), sentences(texts, lang)))
    if data.invalid_count:
        parts = [
            t("invalid_part", file=data.plan.ledger_path(name).name, count=len(lines))
            for name, lines in data.invalid.items()
            if lines
        ]
        out.append(
            (
                t("p_data", n=numeral(len(out) + 1, lang)),
                t("invalid", count=data.invalid_count, where=t("invalid_sep").join(parts)),
            )
        )
    return out or [("", t("p_none"))]


def _behind_text(i: IndicatorProgress, lang: str) -> str:
    def t(key: str, **params: object) -> str:
        return label(f"docx.{key}", lang, **params)

    status = status_text(i.status, lang)
    if i.spec.yearly and i.years:
        y = i.years[-1]
        worst = next((y for y in i.years if y.status == "behind"), y)
        return t(
            "behind_annual",
            name=name_of(i, lang),
            year=worst.year,
            actual=_num(worst.actual),
            target=_num(worst.target),
            unit=i.unit,
            status=status_text(worst.status, lang),
        )
    if i.actual is None or i.percent is None or i.expected is None:
        return t("behind_plain", name=name_of(i, lang), status=status)
    return t(
        "behind_item",
        name=name_of(i, lang),
        actual=_num(i.actual),
        unit=i.unit,
        percent=_num(i.percent),
        status=status,
        expected=_num(i.expected),
    )


def next_steps(progress: Progress, lang: str) -> list[str]:
    """下一步工作: each indicator behind or at risk with the weekly rate it now needs; never empty."""

    def t(key: str, **params: object) -> str:
        return label(f"docx.{key}", lang, **params)

    end = progress.plan.plan.end
    weeks = max(0.0, (end - progress.window.end).days / 7)
    lines = []
    for i in progress.indicators:
        if i.status not in RISKY:
            continue
        if i.needed_per_week is not None and i.needed_per_week > 0:
            yearly = i.spec.yearly and bool(i.years)
            target = i.years[-1].target if yearly else i.target
            gap = max(0.0, (target or 0) - (i.actual or 0)) if isinstance(i.actual, (int, float)) else None
            left = (i.years[-1].end - progress.window.end).days / 7 if yearly else weeks
            lines.append(
                t(
                    "next_item",
                    name=name_of(i, lang),
                    gap=_num(_round(gap)),
                    unit=i.unit,
                    weeks=_num(_round(left, 1)),
                    rate=_num(i.needed_per_week),
                )
            )
        elif not i.spec.directional:
            lines.append(t("next_item_done_due", name=name_of(i, lang)))
    if not lines:
        return [t("next_none"), t("next_close")]
    return [t("next_intro"), *lines, t("next_close")]


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

    run = paragraph.add_run(escape_xml(text))  # every text goes through here: \uFFFE shown, never a failure
    latin, east = FONTS[lang][role]
    run.font.size = Pt(size or SIZES[lang]["body" if role in ("body", "sub") else role])
    run.font.bold = bold or None
    _set_fonts(run._element.get_or_add_rPr(), latin, east)
    return run


def _para(
    doc,
    text: str,
    lang: str,
    role: str = "body",
    *,
    align: str = "justify",
    indent: bool = True,
    size: float | None = None,
    lead: str = "",
    right_chars: int = 0,
):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.alignment = {
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
    }[align]
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
    return [title[: best[1]], *title_lines(title[best[1] :], lang)]


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


def _table(
    doc,
    header: list[str],
    rows: list[list[str]],
    lang: str,
    *,
    widths: list[float],
    numeric: AbstractSet[int] = frozenset(),
    size: float | None = None,
) -> None:
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
            p.alignment = (
                WD_ALIGN_PARAGRAPH.CENTER
                if r == 0 or c in numeric or c == 0 and len(str(value)) <= 3
                else WD_ALIGN_PARAGRAPH.LEFT
            )
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


# --- charts (PNG, drawn by render/charts.py; the CJK font is found here) --------------------

CJK_PREFERRED = [
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "AR PL UKai CN",
]
CJK_PROBE = "吴江区镇专利完成率"


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


def chart_pngs(
    plan: Plan, data: Dataset, progress: Progress, town_rows: list[dict], lang: str, font: str | None
) -> dict[str, bytes]:
    return {key: chart.png for key, chart in charts(plan, data, progress, town_rows, lang, font).items()}


def charts(
    plan: Plan, data: Dataset, progress: Progress, town_rows: list[dict], lang: str, font: str | None
) -> dict[str, Chart]:
    """The report's charts as PNG (render/charts.py draws them), in the CJK font found here."""
    return png_charts(plan, data, progress, town_rows, lang, font)
