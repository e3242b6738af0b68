"""The XLSX workbook (openpyxl): a sheet per view and a sheet of facts about the report."""

from __future__ import annotations

import io

from ipdemo.plan.text import escape_xml
from ipdemo.render.grid import Grid, cell_text, neutralise


def xlsx_bytes(sheets: list[tuple[str, Grid]], meta: list[tuple[str, str]], meta_sheet: str) -> bytes:
    """A workbook a sheet per view, then `meta` (plan, window) on a sheet named `meta_sheet`;
    numbers stay numbers; formula-like text is neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for name, grid in sheets:
        sheet = book.create_sheet(sheet_name(name))
        if grid.title:
            sheet.append([neutralise(escape_xml(grid.title))])
            sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([escape_xml(h) for h in grid.header])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        for row in grid.rows:
            sheet.append([_xlsx_value(v) for v in row])
        for index, label in enumerate(grid.header, start=1):
            width = max([text_width(label)] + [text_width(cell_text(r[index - 1])) for r in grid.rows])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, width + 2)
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
        for row in sheet.iter_rows(min_row=header_row + 1):
            for cell in row:
                cell.alignment = Alignment(vertical="top")
    info = book.create_sheet(sheet_name(meta_sheet))
    for key, value in meta:
        info.append([escape_xml(key), neutralise(escape_xml(value))])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value):
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    # A character XML cannot hold (a hand-edited ledger validate flagged) shown as \uFFFE, never a failure.
    return neutralise(escape_xml(str(value)))


def text_width(text: str) -> int:
    from wcwidth import wcswidth

    w = wcswidth(text)
    return w if w >= 0 else len(text)


def sheet_name(name: str) -> str:
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31] or "sheet"
