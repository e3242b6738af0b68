"""The self-inspection report (自查报告) as a Word document, laid out as GB/T 9704 asks.

What it says (worded by render/docx_text.py): the title 发文机关 + 关于 + 事由 + 的自查报告; the
主送机关; 基本情况 (plan, period, window, data sources); 主要目标完成情况 (the engine's indicator
table); 各区镇完成情况 (the engine's by-town breakdown); 重点任务推进情况 (the plan's tasks as
tasks.py reads them on the as-of date — or a list given by the caller —, overdue first; a
sentence when the plan has none); 存在的问题; 下一步工作; 署名 and 成文日期; charts as PNG images.
One small function per section (SECTIONS), each given the Report being written.

Invariants:
- every number in it is the engine's (progress.IndicatorProgress, progress.by_town), in
  docx_text's one number format per unit; no section is ever empty (a sentence stands in where
  there is nothing to list);
- every word comes from i18n (LABELS docx.*, in the plan's words: targets.yaml `plan:` area and
  whole words, short_name, office, recipients, subject, acceptance); the language is compared here
  only for layout (bold, indents, where a Chinese title breaks) and for whether charts need a CJK font;
- layout: A4, margins 37/35/28/26 mm (top/bottom/left/right), title 方正小标宋简体 22 pt centred
  and broken at words, headings 黑体 16 pt, body 仿宋_GB2312 16 pt set 0.25 pt closer so 28
  characters fill the 156 mm line, lines exactly 28.95 pt (22 lines a page), 主送机关 flush left,
  署名 and date per 7.3.5.1 (sealed) or 7.3.5.2, page numbers "— N —" from a PAGE field in the
  footer (odd pages right, even pages left); every run names its East-Asian font (w:eastAsia) so
  Word on Chinese Windows uses it; a date is a run of its own that no line break splits.
  `lang="en"`: Times New Roman and Arial at 12/14/18 pt;
- deterministic: the same inputs give the same bytes (core properties dated on the as-of day,
  zip members stamped with it, no random ids, charts drawn without timestamps);
- Chinese charts are drawn only with a CJK font matplotlib can use (Noto Sans CJK, else
  WenQuanYi, else any font covering CJK — from the font files themselves when matplotlib's cache
  predates them); with none, RenderError: nothing is written, never English or tofu labels.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any

from ipdemo.engine.dataset import Dataset
from ipdemo.engine.progress import Progress, by_town
from ipdemo.errors import RenderError
from ipdemo.i18n import label, localized, message
from ipdemo.plan.kinds import kind_spec
from ipdemo.plan.model import Plan
from ipdemo.plan.text import escape_xml
from ipdemo.render import docx_text as wording
from ipdemo.render.charts import Chart, png_charts
from ipdemo.render.report import has_unassigned, task_status_text

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
# GB/T 9704 5.2.3: 28 characters a line on the 156 mm type area. 28 三号 (16 pt) characters are
# 448 pt, the line 442.2 pt: each character is set 0.25 pt closer (w:spacing -5 twentieths), as
# Word's 28-character document grid does, so every renderer lays exactly 28 a line.
CHAR_SPACING = {"zh": -0.25, "en": 0.0}


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
    return [
        {
            "id": x.id,
            "title": f"{x.ref} {x.title}".strip(),
            "lead": x.lead,
            "status": x.status,
            "latest": wording.task_latest(x, lang),
            "updated_on": x.updated_on,
            "overdue": x.overdue,
            "late": x.late,
        }
        for x in progress.tasks or []
    ]


# --- the document ---------------------------------------------------------------------------


@dataclass
class Report:
    """One 自查报告 being written: the document, the facts, and the plan's words."""

    doc: Any
    plan: Plan
    data: Dataset
    progress: Progress
    lang: str
    rows: list[dict]  # the by-town breakdown
    images: dict[str, bytes]
    tasks: Sequence[Any] | None = None  # a caller's task list (else the engine's)
    figure: int = 0

    def t(self, key: str, **params: object) -> str:
        return label(f"docx.{key}", self.lang, **words(self.plan, self.lang), **params)

    def next_figure(self) -> int:
        self.figure += 1
        return self.figure

    @property
    def invalid(self) -> dict[str, int]:
        """Invalid rows by ledger name (in the plan's words)."""
        return {
            localized(spec.name, spec.name_en or name, self.lang): len(self.data.invalid.get(name) or [])
            for name, spec in self.plan.ledgers.items()
        }


def report_docx(
    plan: Plan,
    data: Dataset,
    progress: Progress,
    lang: str = "zh",
    tasks: Sequence[Any] | None = None,
    town_rows: list[dict] | None = None,
    charts: bool = True,
) -> bytes:
    """The 自查报告 as .docx bytes; the same inputs give the same bytes. Raises RenderError when
    charts are asked for in Chinese and no font can draw Chinese (never English or tofu labels)."""
    from docx import Document

    rows = town_rows if town_rows is not None else by_town(plan, data, progress.window)
    images = chart_pngs(plan, data, progress, rows, lang, chart_font(lang)) if charts else {}
    report = Report(Document(), plan, data, progress, lang, rows, images, tasks)
    _setup(report.doc, lang)
    for section in SECTIONS:
        section(report)
    _properties(report.doc, plan, progress.window.end, lang)
    out = io.BytesIO()
    report.doc.save(out)
    from ipdemo.render.reproducible import restamp

    return restamp(out.getvalue(), progress.window.end)


def chart_font(lang: str) -> str | None:
    """The CJK font the charts are drawn in; English charts need none. Chinese charts without
    one would be English or tofu: RenderError instead."""
    font = find_cjk_font()
    if font is None and lang != "en":
        raise RenderError("docx_no_cjk_font")
    return font


def _head(r: Report) -> None:
    """Title (发文机关关于事由的自查报告), the figures' date, 主送机关, the opening paragraph."""
    lang = r.lang
    _title(r.doc, title_lines(report_title(r.plan, lang), lang), lang)
    subtitle = r.t("as_of", date=wording.day(r.progress.window.end, lang))
    if r.progress.town is not None:  # --town: the figures are that town's
        subtitle = r.t("town_as_of", town=r.progress.town, as_of=subtitle)
    _para(r.doc, subtitle, lang, "sub", align="center", indent=False)
    _para(r.doc, "", lang)
    recipients = r.plan.document(lang).recipients
    if recipients:  # GB/T 9704 7.3.2: flush left, a full-width colon after the last
        _para(r.doc, r.t("recipients", names=label("punct.list", lang).join(recipients)), lang, indent=False)
    names = wording.plan_names(r.plan, lang)
    _para(r.doc, r.t("intro", plan=names.full, called=names.called, ref=names.ref, office=_office(r.plan, lang)), lang)


def _section_basic(r: Report) -> None:
    _heading(r.doc, r.t("heading_basic"), r.lang)
    rows = {name: r.data.rows_by(name, r.progress.window.end) for name in r.plan.ledgers if name in r.data.tables}
    for line in wording.basic(r.plan, r.progress, rows, r.lang):
        _para(r.doc, line, r.lang)


def _section_targets(r: Report) -> None:
    lang = r.lang
    _heading(r.doc, r.t("heading_targets"), lang)
    _para(r.doc, wording.summary(r.plan, r.progress, lang), lang)
    _caption(r.doc, r.t("table1"), lang)
    columns = [r.t(key) for key in ("col_no", "col_indicator", "col_target", "col_actual", "col_percent", "col_status")]
    body = [wording.indicator_row(r.plan, n, i, lang) for n, i in enumerate(r.progress.indicators, 1)]
    _table(r.doc, columns, body, lang, widths=[12, 46, 36, 26, 16, 20], numeric={3, 4})
    notes = [found for i in r.progress.indicators if (found := wording.note(r.plan, i, lang))]
    if notes:
        _note(r.doc, r.t("notes", notes=label("punct.semicolon", lang).join(notes)), lang)
    for key in ("percent", "burnup"):
        if key in r.images:
            _figure(r.doc, r.images[key], r.t("figure", n=r.next_figure(), caption=r.t(f"fig_{key}")), lang)


def _section_areas(r: Report) -> None:
    lang = r.lang
    _heading(r.doc, r.t("heading_areas"), lang)
    header, body = town_table(r.plan, r.rows, lang)
    if not body:
        _para(r.doc, r.t("towns_none"), lang)
        return
    extra = r.t("towns_unassigned") if has_unassigned(r.rows) else ""
    _para(r.doc, r.t("towns_intro", ref=wording.plan_names(r.plan, lang).ref, extra=extra), lang)
    _caption(r.doc, r.t("table2"), lang)
    first = 30 if len(header) > 8 else 40
    rest = (156 - first) / (len(header) - 1)
    size = SIZES[lang]["table"] - (1.5 if len(header) > 9 else 0)
    _table(r.doc, header, body, lang, widths=[first] + [rest] * (len(header) - 1),
           numeric=set(range(1, len(header))), size=size)  # fmt: skip
    if "towns" in r.images:
        _figure(r.doc, r.images["towns"], r.t("figure", n=r.next_figure(), caption=r.t("fig_towns")), lang)


def _section_tasks(r: Report) -> None:
    lang = r.lang
    _heading(r.doc, r.t("heading_tasks"), lang)
    lines = task_lines(r.tasks if r.tasks is not None else plan_tasks(r.progress, lang))
    if lines:
        ref = wording.plan_names(r.plan, lang).ref
        intro = r.t("tasks_intro", ref=ref) if r.tasks is not None else wording.task_counts(r.progress, lang)
        _para(r.doc, intro, lang)
        columns = [r.t(key) for key in ("col_no", "col_task", "col_lead", "col_status", "col_latest")]
        body = [_task_row(n, task, lang) for n, task in enumerate(lines, 1)]
        _table(r.doc, columns, body, lang, widths=[10, 52, 26, 18, 50])
    elif r.tasks is None and r.progress.tasks is None and r.plan.tasks:  # --town: tasks are the whole's
        _para(r.doc, r.t("tasks_town"), lang)
    else:
        _para(r.doc, r.t("tasks_none", ref=wording.plan_names(r.plan, lang).ref), lang)


def _section_problems(r: Report) -> None:
    _heading(r.doc, r.t("heading_problems"), r.lang)
    for lead, line in wording.problems(r.progress, r.invalid, r.lang):
        _para(r.doc, line, r.lang, lead=lead)


def _section_next(r: Report) -> None:
    _heading(r.doc, r.t("heading_next"), r.lang)
    for n, step in enumerate(wording.next_steps(r.progress, r.invalid, r.lang), 1):
        _para(r.doc, step.text, r.lang, lead=r.t("step_lead", n=n, lead=step.lead), lead_role="body")


def _signature(r: Report) -> None:
    """署名 and 成文日期 (GB/T 9704 7.3.5): sealed (7.3.5.1), the date four characters in from the
    right and the office centred over it; else (7.3.5.2) the office two characters in and the
    date's first character two to the right of the office's."""
    lang, office = r.lang, _office(r.plan, r.lang)
    office = office[:1].upper() + office[1:]
    dated = wording.day(r.progress.window.end, lang)
    place = signature_indents(office, dated, r.plan.document(lang).sealed)
    for _ in range(2 if r.plan.document(lang).sealed else 1):  # room for the seal / one blank line
        _para(r.doc, "", lang)
    _para(r.doc, office, lang, align="right", indent=False, right_chars=place.office)
    _para(r.doc, dated, lang, align="right", indent=False, right_chars=place.date)


@dataclass(frozen=True)
class Indents:
    office: float  # right indents, in body characters
    date: float


def text_width(value: str) -> float:
    """Width in body characters: a Latin letter or digit is half a Chinese character."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in value if ch != wording.JOIN)


def signature_indents(office: str, dated: str, sealed: bool) -> Indents:
    o, d = text_width(office), text_width(dated)
    if sealed:  # 7.3.5.1: date 右空四字; office centred over the date
        return Indents(office=max(0.0, 4 + (d - o) / 2), date=4)
    if d <= o:  # 7.3.5.2: the office 右空二字, the date's first character two right of the office's
        return Indents(office=2, date=o - d)
    return Indents(office=4 + d - o, date=2)  # a longer date 右空二字, the office moved left to match


SECTIONS = (
    _head,
    _section_basic,
    _section_targets,
    _section_areas,
    _section_tasks,
    _section_problems,
    _section_next,
    _signature,
)


def report_title(plan: Plan, lang: str) -> str:
    """吴江区知识产权局关于知识产权强省建设区域示范创建工作的自查报告 (发文机关 + 事由 + 文种)."""
    return wording.title(plan, lang)


def _office(plan: Plan, lang: str) -> str:
    return plan.document(lang).office


def town_table(plan: Plan, rows: list[dict], lang: str) -> tuple[list[str], list[list[str]]]:
    """Indicator × town from progress.by_town: the indicators some town has a figure for, each
    in its unit's number format ("—" where a town has no figure)."""
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
        cells = [r["district"], *values] + ([r.get("unassigned")] if extra else [])
        body.append(
            [label("docx.indicator_unit", lang, name=name, unit=r["unit"])]
            + [wording.town_cell(plan, v, r["unit"]) for v in cells]
        )
    return header, body


def _per_town(plan: Plan, ident: str) -> bool:
    return any(i.id == ident and i.per_town for i in plan.indicators)


def _task_row(n: int, task: TaskLine, lang: str) -> list[str]:
    status = task_status_text(task.status, lang) or "—"
    latest = task.latest or "—"
    if task.updated_on:
        latest += label("punct.paren", lang, text=wording.day(task.updated_on, lang))
    mark = label("task.overdue", lang) if task.overdue else label("task.late", lang) if task.late else ""
    return [str(n), task.title, task.lead or "—", status + mark, latest]


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
    _char_spacing(normal.element.get_or_add_rPr(), CHAR_SPACING[lang])
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
    _char_spacing(heading.element.get_or_add_rPr(), CHAR_SPACING[lang])
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


RPR_AFTER_SPACING = tuple(
    f"w:{tag}"
    for tag in (
        "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign",
        "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath",
    )
)  # fmt: skip


def _char_spacing(rpr, points: float) -> None:
    """w:spacing: every character set `points` closer (negative) or wider."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    if not points:
        return
    spacing = rpr.find(qn("w:spacing"))
    if spacing is None:  # in its place in the schema's sequence: Word refuses a misplaced one
        spacing = OxmlElement("w:spacing")
        rpr.insert_element_before(spacing, *RPR_AFTER_SPACING)
    spacing.set(qn("w:val"), str(round(points * 20)))


def _set_lang(rpr, east_asian: str = "zh-CN") -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), east_asian)


def _run(paragraph, text: str, lang: str, role: str = "body", size: float | None = None, bold: bool = False):
    from docx.shared import Pt

    run = paragraph.add_run(escape_xml(text))  # every text goes through here: \uFFFE shown, never a failure
    latin, east = FONTS[lang][role]
    run.font.size = Pt(size or SIZES[lang]["body" if role in ("body", "sub") else role])
    run.font.bold = bold or None
    _set_fonts(run._element.get_or_add_rPr(), latin, east)
    return run


# A run of characters joined by WORD JOINERs (a date: docx_text.day) and the text around it.
JOINED = re.compile(f"((?:[^{wording.JOIN}]{wording.JOIN})+[^{wording.JOIN}])")


def _runs(paragraph, text: str, lang: str, role: str = "body", size: float | None = None, bold: bool = False) -> None:
    """`text` as runs; a date (characters joined by WORD JOINERs) in a run of its own marked as
    Latin-script text (w:lang en-US): LibreOffice's Chinese line breaking ignores the joiners,
    its Latin line breaking keeps them, so a date never breaks across lines."""
    for n, piece in enumerate(JOINED.split(text)):
        if not piece:
            continue
        run = _run(paragraph, piece, lang, role, size=size, bold=bold)
        if n % 2:
            _set_lang(run._element.get_or_add_rPr(), east_asian="en-US")


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
    lead_role: str = "",
    right_chars: float = 0,
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
        p.paragraph_format.right_indent = Pt(right_chars * (body + CHAR_SPACING[lang]))
    if lead:
        role_of_lead = lead_role or ("sub" if lang == "zh" else "body")
        _run(p, lead, lang, role_of_lead, size=size, bold=lang == "en")
    if text or not lead:
        _runs(p, text, lang, role, size=size)
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
TITLE_BREAKS = ("关于", "》", "的", "建设", "创建", "工作", "规划", "计划", "方案")
TITLE_CHARS = 20  # 二号 characters on a 156 mm line
NO_LINE_START = "》）」』”’，。、；：？！"  # closing marks never begin a line (避头)


def title_lines(title: str, lang: str) -> list[str]:
    """A long Chinese title split into as few lines as fit, each break after a word (TITLE_BREAKS)
    and as near an even split as the words allow (a pyramid, not a stray last word); English
    titles are left to wrap. Widths in characters: a digit is half a Chinese character."""
    total = text_width(title)
    if lang != "zh" or total <= TITLE_CHARS:
        return [title]
    widths = {at: text_width(title[:at]) for at in range(len(title) + 1)}
    ends = {at + len(word) for word in TITLE_BREAKS for at in _finds(title, word)}
    cuts = sorted(c for c in ends if c < len(title) and title[c] not in NO_LINE_START)
    fewest = math.ceil(total / TITLE_CHARS)
    for count in (fewest, fewest + 1):
        found = _even_cuts(total, [(c, widths[c]) for c in cuts], count)
        if found:
            return [title[a:b] for a, b in zip([0, *found], [*found, len(title)])]
    return [title]


def _finds(text: str, word: str) -> list[int]:
    return [at for at in range(len(text)) if text.startswith(word, at)]


def _even_cuts(total: float, cuts: list[tuple[int, float]], count: int) -> list[int] | None:
    """`count - 1` cuts (position, width before it), each line at most TITLE_CHARS wide, each
    cut nearest its even share."""
    out, start = [], 0.0
    for k in range(1, count):
        room = TITLE_CHARS * (count - k)
        options = [(c, w) for c, w in cuts if 0 < w - start <= TITLE_CHARS and total - w <= room]
        if not options:
            return None
        cut, start = min(options, key=lambda option: abs(option[1] - total * k / count))
        out.append(cut)
    return out if total - start <= TITLE_CHARS else None


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


def _note(doc, text: str, lang: str) -> None:
    """注：… under a table, in the caption size with its own line height."""
    p = _para(doc, text, lang, size=SIZES[lang]["caption"], indent=False)
    _exact(p.paragraph_format, SIZES[lang]["caption"] * 1.5)


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
            _runs(p, str(value), lang, "heading" if r == 0 else "body", size=size, bold=r == 0 and lang == "en")
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
    props.subject = localized(plan.plan.name, plan.plan.name_en, lang)
    props.author = _office(plan, lang)
    props.last_modified_by = _office(plan, lang)
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
    """A font family matplotlib can draw Chinese with: a preferred one, else any that covers it;
    when matplotlib's font cache predates the machine's CJK fonts, the font files themselves,
    registered with matplotlib (so a stale cache never means English or tofu labels)."""
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
    return _register_font_file()


# Font files by name, preferred first (Noto Sans CJK, Source Han Sans, WenQuanYi, Noto Serif CJK).
CJK_FILE_HINTS = ("notosanscjk", "sourcehansans", "wqy", "notoserifcjk", "uming", "ukai")


def _register_font_file() -> str | None:
    """A CJK font file on the machine that matplotlib's cache does not list: added to matplotlib's
    font list, its family name returned; None when there is none."""
    from matplotlib import font_manager

    def preference(path: str) -> tuple[int, bool, str]:
        lowered = path.lower().replace("-", "").replace("_", "")
        rank = next((n for n, hint in enumerate(CJK_FILE_HINTS) if hint in lowered), len(CJK_FILE_HINTS))
        return rank, "regular" not in lowered, path  # the regular weight before bold or light

    for path in sorted(system_font_files(), key=preference):
        if "lastresort" in path.lower() or not _covers(path, CJK_PROBE):
            continue
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path).get_name()
    return None


def system_font_files() -> list[str]:
    """Every font file in the machine's font folders (matplotlib's search, not its cache)."""
    from matplotlib import font_manager

    return list(font_manager.findSystemFonts())


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
