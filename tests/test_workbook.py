"""`ipdemo report --format xlsx`: a workbook that prints and forwards as it is (issue 24 items 3, 7).

Read back with openpyxl: figures are numbers in their unit's number format (counts #,##0, 亿元
two decimals, rates 0.0%), the status in its own column, a range target in words with no rate,
dates as date cells shown 2023年12月31日, the id last and hidden, borders, header fill,
autofilter, panes frozen under the header, landscape A4 one page wide with the title rows
repeated. Printed by LibreOffice (tests/office.py): every page landscape A4, the progress sheet
not split across pages by its columns, no English id or ISO date in the Chinese pages.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ipdemo.cli import app

from .office import needs_libreoffice, pages, pdf_of, png_pages

AS_OF = "2023-12-31"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MACHINE_ID = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # patent_applications, t3_5_1


def report(shipped: Path, out: Path, *extra: str) -> Path:
    args = ["report", "--targets", str(shipped / "targets.yaml"), "--as-of", AS_OF, "--format", "xlsx"]
    result = CliRunner().invoke(app, [*args, "--output", str(out), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def book_path(shipped, tmp_path_factory) -> Path:
    return report(shipped, tmp_path_factory.mktemp("wb") / "进度.xlsx")


@pytest.fixture(scope="module")
def book(book_path):
    return load_workbook(book_path)


def rows_by_id(sheet) -> dict[str, dict]:
    """Each data row as {header: cell}, keyed by the (last) id column."""
    header = [c.value for c in sheet[2]]
    return {row[-1].value: dict(zip(header, row)) for row in sheet.iter_rows(min_row=3) if row[-1].value}


def test_chinese_labels_first_and_the_id_last_and_hidden(book):
    sheet = book["进度"]
    header = [c.value for c in sheet[2]]
    assert header[:7] == ["指标", "单位", "目标", "实际", "完成率", "序时目标", "状态"]
    assert header[-1] == "编号" and sheet.column_dimensions["J"].hidden
    assert sheet["A3"].value == "专利申请量"


def test_figures_are_numbers_in_their_units_format(book):
    rows = rows_by_id(book["进度"])
    patents = rows["patent_applications"]
    assert (patents["单位"].value, patents["目标"].value, patents["实际"].value) == ("件", 30000, 33400)
    assert patents["目标"].number_format == patents["实际"].number_format == "#,##0"
    rate = patents["完成率"]
    assert rate.value == pytest.approx(33400 / 30000, abs=1e-3) and rate.number_format == "0.0%"
    loans = rows["pledge_loans"]
    assert loans["单位"].value == "亿元" and isinstance(loans["实际"].value, float)
    assert loans["实际"].number_format == loans["目标"].number_format == "#,##0.00"
    assert rows["invention_density"]["实际"].number_format == "#,##0.00"
    assert rows["plaza_promotions"]["单位"].value == "次/年"


def test_status_in_its_own_column_and_words_where_a_number_cannot_say_it(book):
    rows = rows_by_id(book["进度"])
    group = rows["leading_group"]  # a milestone: no figure, the status says it
    assert group["实际"].value is None and group["完成率"].value is None and group["状态"].value == "已完成"
    assert group["目标"].value == "2021年12月31日前" and group["说明"].value == "2021年6月25日完成"
    reports = rows["industry_reports"]  # a range: in words, no rate against it
    assert reports["目标"].value == "2至4" and reports["完成率"].value is None and reports["序时目标"].value is None
    assert "区间" in reports["说明"].value
    assert all(isinstance(r["实际"].value, (int, float, type(None))) for r in rows.values())
    assert rows["software_copyrights"]["状态"].fill.fgColor.rgb.endswith("FFC7CE")  # 滞后 in red


def test_task_dates_are_date_cells_shown_in_chinese(book):
    sheet = book["重点任务"]
    header = [c.value for c in sheet[2]]
    assert header[0] == "条目" and header[-1] == "编号"
    due = sheet.cell(row=3, column=header.index("完成时限") + 1)
    assert isinstance(due.value, datetime) and due.number_format == 'yyyy"年"m"月"d"日"'
    texts = [c.value for row in sheet.iter_rows(min_row=3) for c in row[:-1] if isinstance(c.value, str)]
    assert not [t for t in texts if ISO_DATE.search(t)]


def test_about_sheet_says_the_window_in_chinese(book):
    values = [c.value for row in book["说明"].iter_rows() for c in row]
    assert "2021年6月1日至2023年12月31日" in values and "2023年12月31日" in values
    assert not [v for v in values if isinstance(v, str) and ISO_DATE.search(v)]


def test_print_setup_on_every_sheet(book):
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize in (9, "9"), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (1, "1")
        assert sheet.page_setup.fitToHeight in (0, "0")
        assert sheet.print_title_rows == "$1:$2"
        assert sheet.freeze_panes == "B3"
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A2:")
    header = book["进度"]["A2"]
    assert header.font.b and header.fill.fgColor.rgb.endswith("DDEBF7") and header.border.bottom.style == "thin"
    assert book["进度"]["C3"].border.left.style == "thin"


def test_breakdown_by_month_names_periods_in_words(shipped, tmp_path):
    sheet = load_workbook(report(shipped, tmp_path / "按月.xlsx", "--by", "month"))["按月"]
    header = [c.value for c in sheet[2]]
    assert header[:4] == ["指标", "单位", "2021年6月", "2021年7月"] and header[-1] == "编号"
    rows = rows_by_id(sheet)
    assert rows["patent_applications"]["2021年6月"].number_format == "#,##0"
    assert rows["pledge_loans"]["2021年6月"].number_format == "#,##0.00"


def test_english_keeps_english_labels_and_iso_dates(shipped, tmp_path):
    book = load_workbook(report(shipped, tmp_path / "r.xlsx", "--lang", "en"))
    assert [c.value for c in book["progress"][2]][:3] == ["indicator", "unit", "target"]
    assert "2021-06-01 – 2023-12-31" in [c.value for row in book["about"].iter_rows() for c in row]
    due = book["tasks"]["D3"]
    assert isinstance(due.value, datetime) and due.number_format == "yyyy-mm-dd"


@needs_libreoffice
def test_printed_by_libreoffice_landscape_a4_one_page_wide(book_path, tmp_path):
    pdf = pdf_of(book_path, tmp_path)
    printed = pages(pdf)
    assert printed and all(p.landscape and abs(p.width_mm - 297) < 2 and abs(p.height_mm - 210) < 2 for p in printed)
    progress = [p for p in printed if "重点任务推进情况" not in p.text and "阅读说明" not in p.text]
    # One page wide: every page of the progress sheet holds the first column and the last printed one.
    assert 1 <= len(progress) <= 2
    assert all("专利申请量" in p.text or "指标" in p.text for p in progress)
    assert all("说明" in p.text and "状态" in p.text for p in progress)
    assert "33,400" in progress[0].text and "111.3%" in progress[0].text
    text = "".join(p.text for p in printed)
    assert not ISO_DATE.search(text), ISO_DATE.search(text)
    assert not MACHINE_ID.search(text), MACHINE_ID.search(text)
    assert "2023年12月31日" in text
    assert len(png_pages(pdf, tmp_path)) == len(printed)  # for a person to look at


def test_a_baseline_workbook_says_its_dates_in_words(shipped, tmp_path):
    book = load_workbook(report(shipped, tmp_path / "基期.xlsx", "--as-of", "2021-01-01"))
    title = book["进度"]["A1"].value
    assert "2021年6月1日" in title and "2021年1月1日" in title and not ISO_DATE.search(title)
