"""The archive's 清单 (清单.xlsx): what is in the zip and what each indicator rests on, in Chinese.

Beside manifest.csv (for machines: English fields, hashes, one row per evidence value), the
清单 is for the officials who receive the archive:
- 文件清单: every file in the zip — 文件, 类别 (自查报告 / 台账 / 佐证材料 / 清单), 条数 (a
  ledger's rows, the records citing an evidence file), 说明 (how many rows count, which
  indicators a file supports);
- 指标佐证: each indicator's target and figure on the as-of date, its status, how many records
  count, how many of them carry evidence, and that evidence (the files in the zip, the document
  numbers) — or 无佐证, coloured, so the indicators without any stand out.
"Records that count" are the rows archive.counting marks (the 是否计入 column of each 台账).

Pure: the built archive in, the workbook's bytes out (reproducible: stamped with the as-of date).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ipdemo.checks.evidence import FILE, REFERENCE
from ipdemo.i18n import label, localized
from ipdemo.plan.model import Indicator, Plan
from ipdemo.render.report_book import day_text, number_format, target_value, unit_text
from ipdemo.render.reproducible import restamp
from ipdemo.render.workbook import COUNT, ROW, Column, Sheet, workbook_bytes

if TYPE_CHECKING:
    from ipdemo.deliver.archive import Archive
    from ipdemo.engine.progress import IndicatorProgress, Progress

LISTED = 20  # evidence items named in one cell; the rest counted
KINDS = {"report": "archive.kind_report", "ledger": "archive.kind_ledger", "file": "archive.kind_evidence"}


def list_workbook(plan: Plan, arc: Archive, progress: Progress | None, lang: str) -> bytes:
    sheets = [files_sheet(plan, arc, lang), indicators_sheet(plan, arc, progress, lang)]
    return restamp(workbook_bytes(sheets, lang), arc.when)


# --- 文件清单 ------------------------------------------------------------------------------------


def files_sheet(plan: Plan, arc: Archive, lang: str) -> Sheet:
    """Every file in the zip: the report, this list, the 台账, the evidence files, manifest.csv."""
    rows = [_report_row(arc, lang)] if any(r["status"] == "report" for r in arc.manifest) else []
    rows.append(
        [label("archive.list_file", lang), label("archive.kind_list", lang), None, label("archive.list_note", lang)]
    )
    rows += sorted(_ledger_row(plan, member, name, arc, lang) for name, (member, _) in arc.books.items())
    rows += sorted(_evidence_rows(plan, arc, lang), key=lambda r: r[0])
    manifest = label("archive.manifest_note", lang)
    rows.append(["manifest.csv", label("archive.kind_manifest", lang), len(arc.manifest), manifest])
    columns = [
        Column("file", label("archive.file", lang), wrap=True, width=50),
        Column("kind", label("archive.kind", lang)),
        Column("rows", label("archive.rows", lang), COUNT),
        Column("note", label("archive.note", lang), wrap=True, width=50),
    ]
    title = label("archive.list_title", lang, date=day_text(arc.when, lang))
    return Sheet(label("archive.files_sheet", lang), title, columns, rows)


def _report_row(arc: Archive, lang: str) -> list[Any]:
    note = label("archive.report_note", lang, date=day_text(arc.when, lang))
    return [label("archive.report_file", lang), label(KINDS["report"], lang), None, note]


def _ledger_row(plan: Plan, member: str, name: str, arc: Archive, lang: str) -> list[Any]:
    """A 台账: its rows; how many count, in all and in each indicator."""
    book = arc.books[name][1]
    if not book.counts_anywhere:
        return [member, label(KINDS["ledger"], lang), book.rows, label("archive.ledger_not_counted", lang)]
    per: dict[str, int] = {}
    for mark in book.counted.values():
        for ind in mark:
            per[ind] = per.get(ind, 0) + 1
    each = label("punct.list", lang).join(
        label("archive.counted_each", lang, name=_name_of(plan, i, lang), count=f"{n:,}") for i, n in per.items()
    )
    counted = sum(1 for mark in book.counted.values() if mark)
    note = label("archive.ledger_note", lang, date=day_text(arc.when, lang), each=each, counted=f"{counted:,}")
    return [member, label(KINDS["ledger"], lang), book.rows, note]


def _evidence_rows(plan: Plan, arc: Archive, lang: str) -> list[list[Any]]:
    """One row per evidence file in the zip: the records citing it, the indicators they support."""
    cited: dict[str, list[str]] = {}
    for ref, member in arc.evidence:
        if ref.status == FILE and member:
            cited.setdefault(member, []).extend(ref.indicators)
    counts = {m: sum(1 for ref, member in arc.evidence if member == m) for m in cited}
    return [
        [member, label(KINDS["file"], lang), counts[member], _supports(plan, ids, lang)]
        for member, ids in cited.items()
    ]


def _supports(plan: Plan, ids: list[str], lang: str) -> str | None:
    names = list(dict.fromkeys(_name_of(plan, i, lang) for i in ids))
    return label("archive.supports", lang, items=label("punct.list", lang).join(names)) if names else None


def _name_of(plan: Plan, some_id: str, lang: str) -> str:
    """An indicator's name, or a task's item (三（五）一是)."""
    ind = next((i for i in plan.indicators if i.id == some_id), None)
    if ind is not None:
        return localized(ind.name, ind.name_en, lang)
    task = next((t for t in plan.tasks if t.id == some_id), None)
    return localized(task.ref or task.id, task.id, lang) if task is not None else some_id


# --- 指标佐证 ------------------------------------------------------------------------------------


def indicators_sheet(plan: Plan, arc: Archive, progress: Progress | None, lang: str) -> Sheet:
    figures = {i.id: i for i in progress.indicators} if progress is not None else {}
    keys = ["name", "unit", "target", "actual", "status", "counted", "with_evidence", "evidence", "id"]
    columns = [
        Column(key, label(f"archive.ind_{key}", lang), _format(key), width=_width(key),
               wrap=key in ("name", "evidence"), hidden=key == "id", coloured=key == "evidence")
        for key in keys
    ]  # fmt: skip
    rows, formats, fills = [], [], []
    for ind in plan.indicators:
        values = _indicator_values(plan, arc, ind, figures.get(ind.id), lang)
        rows.append([values[k] for k in keys])
        formats.append(number_format(plan, ind.id))
        fills.append(None if values["with_evidence"] else "behind")
    title = label("archive.indicators_title", lang, date=day_text(arc.when, lang))
    return Sheet(label("archive.indicators_sheet", lang), title, columns, rows, formats, fills)


def _format(key: str) -> str | None:
    return {"target": ROW, "actual": ROW, "counted": COUNT, "with_evidence": COUNT}.get(key)


def _width(key: str) -> float | None:
    return {"name": 28, "evidence": 60}.get(key)


def _indicator_values(
    plan: Plan, arc: Archive, ind: Indicator, figure: IndicatorProgress | None, lang: str
) -> dict[str, Any]:
    counted, with_evidence, items = _evidence_of(arc, ind.id)
    shown = items[:LISTED] + ([label("archive.and_more", lang, count=len(items))] if len(items) > LISTED else [])
    single = ind.spec.done_on_date and (figure is None or (figure.target or 0) <= 1)
    return {
        "name": localized(ind.name, ind.name_en, lang),
        "unit": unit_text(figure, plan, lang) if figure is not None else ind.unit,
        "target": target_value(figure, lang) if figure is not None else None,
        "actual": None if figure is None or single else figure.actual,
        "status": label(f"status.{figure.status}", lang) if figure is not None and figure.status else None,
        "counted": counted,
        "with_evidence": with_evidence,
        "evidence": "\n".join(shown) if shown else label("archive.no_evidence", lang),
        "id": ind.id,
    }


def _evidence_of(arc: Archive, indicator: str) -> tuple[int, int, list[str]]:
    """(records that count in the indicator, how many of them carry evidence, that evidence: the
    files in the zip and the document numbers, each once, in ledger order)."""
    counted = sum(
        1 for _, book in arc.books.values() for mark in book.counted.values() if indicator in mark
    )  # fmt: skip
    items: dict[str, None] = {}
    records: set[tuple[str, int | None]] = set()
    for ref, member in arc.evidence:
        book = arc.books.get(ref.ledger)
        if book is None or indicator not in book[1].counted.get(ref.line or 0, ()):
            continue
        if ref.status == FILE and member:
            items[member] = None
        elif ref.status == REFERENCE:
            items[ref.value] = None
        else:
            continue
        records.add((ref.ledger, ref.line))
    return counted, len(records), list(items)
