"""The cells of a read sheet become text columns by Arrow, not a str call per cell (issue 26 item 4):
the same text `cell_text` gives each cell, whatever mix of values a column holds, and a workbook
with a title row, a group row over the header, numbers stored as numbers and date cells still
reads to the same records."""

from __future__ import annotations

import datetime as dt

import pytest

from ipdemo.ingest.readers import cell_text
from ipdemo.ingest.sources import read_source, text_column

COLUMNS = {
    "texts": ("202310182616.5", "一种装置（外观）", " padded ", ""),
    "texts and empty cells": ("a", None, "b", None),
    "dates": (dt.date(2023, 5, 6), dt.date(1900, 1, 1), dt.date(9999, 12, 31), dt.date(999, 2, 3)),
    "dates and blanks": (dt.date(2024, 2, 29), "", dt.date(2021, 6, 1), ""),
    "dates and words": (dt.date(2024, 2, 29), "待定", "2023.7.18", "  "),
    "datetimes": (dt.datetime(2023, 5, 6), dt.datetime(2023, 5, 6, 10, 30), dt.datetime(2023, 5, 6, 0, 0, 1), ""),
    "dates and datetimes": (dt.date(2023, 5, 6), dt.datetime(2023, 5, 6, 10, 30), dt.datetime(2023, 5, 7), ""),
    "numbers": (202310182616.0, 1.5, 1e15, -3.0),
    "everything": (None, True, 7, 0.1, dt.time(10, 30), dt.timedelta(days=1), dt.date(2023, 1, 2), "x"),
    "empty": (),
}


@pytest.mark.parametrize("name", COLUMNS)
def test_a_column_reads_as_cell_text_shows_each_cell(name):
    column = COLUMNS[name]
    out = text_column(column)
    assert out.tolist() == [cell_text(v) for v in column]
    assert str(out.dtype) == "str" and out.index.tolist() == list(range(len(column)))


def test_a_list_column_reads_as_a_tuple_does():
    column = COLUMNS["dates and words"]
    assert text_column(list(column)).tolist() == text_column(column).tolist()


def test_titled_workbook_with_group_row_numbers_and_date_cells(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["吴江区2023年专利申请清单"])
    sheet.append(["专利信息", None, "申请人", None, None, "日期", None])
    sheet.append(["申请号", "发明名称", "名称", "所属区镇", "专利类型", "申请日", "授权公告日"])
    sheet.append([202310182616, "一种装置", "某公司", "盛泽镇", "发明", dt.date(2023, 5, 6), None])
    sheet.append(["202320000001.2", "一种结构", "某公司", "平望镇", "实用新型", dt.datetime(2023, 5, 6), "2023.7.18"])
    sheet.append([None] * 7)
    sheet.append(["合计", None, None, None, None, None, None])
    sheet.merge_cells("A2:B2")
    sheet.merge_cells("C2:E2")
    sheet.merge_cells("F2:G2")
    path = tmp_path / "清单.xlsx"
    book.save(path)
    known = {"申请号", "发明名称", "申请人名称", "所属区镇", "专利类型", "申请日", "授权公告日"}

    source = read_source(path, lambda cells: sum(1 for c in cells if c.strip() in known))
    assert source.title_lines == ["吴江区2023年专利申请清单"] and source.header_row == 2
    assert source.header == ["申请号", "发明名称", "申请人名称", "所属区镇", "专利类型", "申请日", "授权公告日"]
    assert source.frame.values.tolist() == [
        ["202310182616", "一种装置", "某公司", "盛泽镇", "发明", "2023-05-06", ""],
        ["202320000001.2", "一种结构", "某公司", "平望镇", "实用新型", "2023-05-06", "2023.7.18"],
    ]
    assert source.rows.tolist() == [4, 5] and [s.kind for s in source.skipped] == ["total"]
