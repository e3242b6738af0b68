"""The XLSX writer (openpyxl): typed sheets that print and forward as they are.

A `Sheet` is a title, typed `Column`s (key, header, number format, width) and rows of typed
values (numbers, dates, text). `workbook_bytes` writes them: a bold title row, a filled and
bordered header row, thin borders on every cell, number formats per column (or per row, for
columns whose rows are in different units), an autofilter over the header, panes frozen under
it, landscape A4 fitted to one page wide with the title and header repeated on every printed
page, page numbers in the footer. Hidden columns (the machine ids) stay in the file for
filters and scripts but are not printed.

Why openpyxl (not XlsxWriter): it is already a dependency (import reads workbooks with it, the
archive's 40,000-row 台账 stream through its write-only mode, tests read workbooks back with
it), and it writes everything a print-ready sheet needs (number formats, borders, fills,
autofilter, freeze panes, print titles, fit-to-width page setup). One library for both
directions; nothing XlsxWriter would add is needed here.

Invariants: numbers stay numbers and dates stay dates; text is never a formula (neutralised);
a character XML cannot hold is shown, never a failure. No word here: headers, titles and
number formats holding words (the Chinese date) come in from the caller (i18n labels).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ipdemo.i18n import label
from ipdemo.plan.text import escape_xml
from ipdemo.render.grid import cell_text, neutralise

COUNT = "#,##0"  # whole records: 33,400
AMOUNT = "#,##0.00"  # amounts and densities: 8.87 (亿元, 件/万人)
RATE = "0.0%"  # a share stored as a fraction: 0.884 → 88.4%
ROW = "row"  # a Column's number_format meaning: each row's own (Sheet.row_formats)
DATE = "date"  # a Column's number_format meaning: the language's date format (xlsx.date_format)
HEADER_FILL = "DDEBF7"
TITLE_ROWS = 2  # the title row and the header row, repeated on every printed page
MAX_WIDTH = 60
LINE_HEIGHT = 15  # points a line of 11-point text takes, CJK included
STATUS_FILLS = {"achieved": "C6EFCE", "at_risk": "FFEB9C", "behind": "FFC7CE"}  # Excel's good / neutral / bad


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    number_format: str | None = None  # COUNT, AMOUNT, RATE, ROW, DATE; None: as the value is
    width: float | None = None  # characters; None: fitted to the content
    hidden: bool = False
    wrap: bool = False  # long text wraps inside the column's width
    coloured: bool = False  # filled by the row's status (Sheet.fills)


@dataclass
class Sheet:
    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    row_formats: list[str] = field(default_factory=list)  # per row, for the ROW columns
    fills: list[str | None] = field(default_factory=list)  # per row, a status: the coloured cells' fill


def workbook_bytes(sheets: list[Sheet], lang: str) -> bytes:
    """The workbook of `sheets`, each print-ready (see the module docstring)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        write_sheet(book.create_sheet(sheet_name(sheet.name)), sheet, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_sheet(ws, sheet: Sheet, lang: str) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.append([neutralise(escape_xml(sheet.title))])
    ws["A1"].font = Font(bold=True, size=14)
    ws.row_dimensions[1].height = 24
    ws.append([escape_xml(c.header) for c in sheet.columns])
    widths = [column.width or fitted_width(column, sheet.rows, n) for n, column in enumerate(sheet.columns)]
    for n, row in enumerate(sheet.rows):
        ws.append([_value(v) for v in row])
        _style_row(ws, sheet, n, lang)
        ws.row_dimensions[ws.max_row].height = row_height(sheet.columns, widths, row)
    _style_header(ws, sheet)
    for index, (column, width) in enumerate(zip(sheet.columns, widths), start=1):
        dimension = ws.column_dimensions[get_column_letter(index)]
        dimension.width = width
        dimension.hidden = column.hidden
    last = get_column_letter(len(sheet.columns))
    ws.auto_filter.ref = f"A{TITLE_ROWS}:{last}{TITLE_ROWS + max(1, len(sheet.rows))}"
    ws.freeze_panes = f"B{TITLE_ROWS + 1}"
    page_setup(ws, lang)


def page_setup(ws, lang: str) -> None:
    """Landscape A4, one page wide (as many pages tall as it takes), the title and header rows
    on every page, page N of M in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"1:{TITLE_ROWS}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = label("xlsx.page_footer", lang)


def _style_header(ws, sheet: Sheet) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for cell in ws[TITLE_ROWS]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = thin_border()
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _style_row(ws, sheet: Sheet, n: int, lang: str) -> None:
    from openpyxl.styles import Alignment, PatternFill

    border = thin_border()
    status = sheet.fills[n] if n < len(sheet.fills) else None
    for column, cell in zip(sheet.columns, ws[ws.max_row]):
        cell.border = border
        centred = "center" if column.key == "status" else None
        cell.alignment = Alignment(horizontal=centred, vertical="top", wrap_text=column.wrap)
        number_format = _format_of(column, sheet, n, lang)
        if number_format and isinstance(cell.value, (int, float, date)):
            cell.number_format = number_format
        if column.coloured and status in STATUS_FILLS:
            cell.fill = PatternFill("solid", fgColor=STATUS_FILLS[status])


def _format_of(column: Column, sheet: Sheet, n: int, lang: str) -> str | None:
    if column.number_format == ROW:
        return sheet.row_formats[n] if n < len(sheet.row_formats) else None
    if column.number_format == DATE:
        return date_format(lang)
    return column.number_format


def date_format(lang: str) -> str:
    """yyyy"年"m"月"d"日" (zh), yyyy-mm-dd (en)."""
    return label("xlsx.date_format", lang)


def thin_border():
    from openpyxl.styles import Border, Side

    side = Side(style="thin", color="808080")
    return Border(left=side, right=side, top=side, bottom=side)


def row_height(columns: list[Column], widths: list[float], row: list[Any]) -> float:
    """Points a row needs to show its wrapped text whole (spreadsheet programs do not grow a
    row for wrapped text on opening a file)."""
    lines = 1
    for column, width, value in zip(columns, widths, row):
        if column.wrap and value is not None:
            per_line = max(1, int(width) - 1)
            lines = max(lines, sum(-(-text_width(part) // per_line) or 1 for part in _shown(value).split("\n")))
    return LINE_HEIGHT * lines + 2


def fitted_width(column: Column, rows: list[list[Any]], index: int) -> float:
    """Characters the column needs (CJK counts double), at most MAX_WIDTH (40 for wrapped text)."""
    widest = max([text_width(column.header)] + [text_width(_shown(r[index])) for r in rows])
    return min(40 if column.wrap else MAX_WIDTH, max(6, widest + 2))


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return "0" * 15  # as wide as 2023年12月31日 shown
    if isinstance(value, float):
        return f"{value:,.2f}"
    return cell_text(value) if value is not None else ""


def _value(value):
    if value is None:
        return None
    if isinstance(value, (int, float, date)) and not isinstance(value, bool):
        return value
    # A character XML cannot hold (a hand-edited ledger validate flagged) shown as \uFFFE, never a failure.
    return neutralise(escape_xml(str(value)))


# --- a plain grid as a sheet (tables that have no typed columns of their own) ------------------


def about_sheet(name: str, title: str, facts: list[tuple[str, str]], lang: str) -> Sheet:
    """The facts of the report (plan, window) as a two-column sheet."""
    columns = [
        Column("item", label("xlsx.item", lang), width=16),
        Column("value", label("xlsx.value", lang), width=80, wrap=True),
    ]
    return Sheet(name, title, columns, [[k, v] for k, v in facts])


def text_width(text: str) -> int:
    from wcwidth import wcswidth

    w = wcswidth(text)
    return w if w >= 0 else len(text)


def sheet_name(name: str) -> str:
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31] or "sheet"
