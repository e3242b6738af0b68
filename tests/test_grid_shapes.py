"""The grid of a received file as a clerk gets it (issue 21, items 2, 4 and 6).

- Note, source and signature lines above or below the data (数据来源：…, 统计时间：…, 注：…, 制表：…,
  in any column, merged across the row or not) are skipped and said, never read as records: not
  rejected, not held in `.unplaced.csv`. A record whose text merely starts with 注 stays a record.
- A header over two rows (序号 and 备注 merged down, 贷款信息 spanning 金额 and 日期 below it) is
  read as one header in xlsx, BIFF xls, an HTML page saved as .xls and a CSV Excel saved from such a
  sheet; a rejected row's file shows the row's values.
- Export dates from names and titles: a period (`1-10月`, `2023Q4`, `第四季度`, `上半年`,
  `2023.10.01-2023.10.31`, `2023年10月`) means its last day; a title's date beats the file name;
  a date guessed as today is a warning naming `--exported-on`.

Every file is built here (openpyxl with merged cells, xlwt for a real BIFF .xls) or is a small
text fixture under tests/fixtures/exports/.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from calendar import monthrange
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipdemo.checks.field_checks import uscc_check_char
from ipdemo.ingest.incoming import header_score
from ipdemo.ingest.provenance import date_in_text, export_date
from ipdemo.ingest.sources import read_source
from ipdemo.plan.model import load_plan

from .conftest import FIXTURES, ROOT, make_project
from .helpers import cn, ledger, write_csv, write_xlsx

EXPORTS = FIXTURES / "exports"
SHENGZE = "吴江高新区（盛泽镇）"
ADDRESS = "江苏省苏州市吴江区盛泽镇西二环路1188号"


def uscc(body17: str) -> str:
    return body17 + uscc_check_char(pd.Series([body17]))[0]


FIRM_A, FIRM_B, FIRM_C = uscc("91320509MA1MK3YW4"), uscc("91320509MA1NNNNN1"), uscc("91320509MA1PPPPP2")


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p")


@pytest.fixture(scope="module")
def score():
    """How header-like a row is, for every ledger of the shipped plan (what `ipdemo import` uses)."""
    return header_score(load_plan(ROOT / "targets.yaml"), None)


def run(invoke, project: Path, *args: str, code: int = 0) -> dict:
    result = invoke(["import", *args, "--format", "json"], cwd=project)
    assert result.exit_code == code, result.stdout + result.stderr
    return json.loads(result.stdout)


def set_aside_files(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if p.name.endswith((".rejected.csv", ".unplaced.csv")))


# --- 2. note, source and signature lines ----------------------------------------------------

PATENT_HEADER = ["序号", "申请号", "申请日", "发明名称", "申请（专利权）人", "申请人地址"]
PATENT_ROWS = [
    ["1", cn("202310000101"), "2023.07.18", "一种喷气织机的储纬装置", "吴江甲纺织有限公司", ADDRESS],
    ["2", cn("202320000102"), "2023.08.02", "一种织物定型机", "吴江甲纺织有限公司", ADDRESS],
    ["3", cn("202330000103"), "2023.09.11", "围巾（真丝）", "吴江甲纺织有限公司", ADDRESS],
]
NOTES_BELOW = [
    ["数据来源：国家知识产权局专利检索及分析系统"],
    ["统计时间：2023年10月31日"],
    ["注：按第一申请人地址统计，不含港澳台。"],
    ["制表：吴江区市场监督管理局知识产权科"],
]


def test_note_lines_under_the_data_are_skipped_and_said(invoke, proj):
    """Today: 必填字段为空 on the note lines, exit 1, nothing imported."""
    src = write_csv(proj / "盛泽镇专利申请清单.csv", [PATENT_HEADER, *PATENT_ROWS, *NOTES_BELOW])
    result = invoke(["import", str(src)], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(ledger(proj, "patents")) == 3
    assert "跳过表格中的非数据行 4 行：注释/来源说明 5、6、7；签字/表尾 8" in result.stdout
    assert set_aside_files(proj) == []


def test_note_lines_with_skip_invalid_are_in_no_set_aside_file(invoke, proj):
    """Today: with --skip-invalid the note line lands in .rejected.csv and .unplaced.csv."""
    src = write_csv(proj / "专利清单.csv", [PATENT_HEADER, *PATENT_ROWS, *NOTES_BELOW])
    out = run(invoke, proj, str(src), "--skip-invalid")
    assert (out["added"], out["rejected"], out["held"]) == (3, 0, 0)
    assert [(s["row"], s["kind"]) for s in out["skipped_rows"]] == [
        (5, "note"),
        (6, "note"),
        (7, "note"),
        (8, "footer"),
    ]
    assert out["skipped_rows"][0]["text"] == "数据来源：国家知识产权局专利检索及分析系统"
    assert set_aside_files(proj) == []


def test_notes_in_any_column_merged_or_not_above_and_below_the_data(invoke, proj):
    width = len(PATENT_HEADER)
    pad = [""] * (width - 1)
    src = write_xlsx(
        proj / "专利清单.xlsx",
        [
            ["吴江区盛泽镇专利申请清单"],  # 1 title
            ["数据来源：国家知识产权局", *pad],  # 2 a note above the header
            PATENT_HEADER,  # 3
            ["注：申请日为申请人提交申请之日", *pad],  # 4 a note between header and data
            *PATENT_ROWS,  # 5..7
            ["", "", "", "备注：第3行为外观设计", "", ""],  # 8 in the fourth column, merged D:F
            ["", "", "", "", "", "填报人：王五"],  # 9 in the last column
            ["", "统计时间：2023年10月31日", *pad[1:]],  # 10 merged B:F
        ],
        merged=("A1:F1", "A2:F2", "A4:F4", "D8:F8", "B10:F10"),
    )
    out = run(invoke, proj, str(src))
    assert out["added"] == 3 and out["held"] == 0
    assert [(s["row"], s["kind"]) for s in out["skipped_rows"]] == [
        (2, "note"),
        (4, "note"),
        (8, "note"),
        (9, "footer"),
        (10, "note"),
    ]
    assert set_aside_files(proj) == []


def test_a_record_whose_text_starts_with_a_note_word_stays_a_record(invoke, proj):
    """注意力 is a trademark, 注一品 too: their rows carry a number, a class and a date."""
    src = write_xlsx(
        proj / "商标查询结果.xlsx",
        [
            ["商标名称", "申请/注册号", "国际分类", "申请日期", "申请人名称（中文）", "申请人地址（中文）"],
            ["注意力", "56781234", "9", "2021年06月03日", "吴江甲纺织有限公司", ADDRESS],
            ["注一品", "56781235", "35", "2021年06月04日", "吴江甲纺织有限公司", ADDRESS],
            ["说明书", "56781236", "16", "2021年06月05日", "吴江甲纺织有限公司", ADDRESS],
            ["备注：商标状态以商标局公告为准"],
        ],
        merged=("A5:F5",),
    )
    out = run(invoke, proj, str(src))
    assert out["added"] == 3
    assert [r["mark"] for r in ledger(proj, "trademarks")] == ["注意力", "注一品", "说明书"]
    assert [(s["row"], s["kind"]) for s in out["skipped_rows"]] == [(5, "note")]


def test_a_unit_stated_in_a_note_under_the_data_is_the_amounts_unit(invoke, proj):
    """注：金额单位：元 under the data: the amounts are yuan, stored as the ledger's 万元."""
    src = write_csv(
        proj / "放款明细.csv",
        [
            ["借款合同编号", "借款人名称", "统一社会信用代码", "放款机构", "放款金额", "放款日"],
            ["JSYH-2023-1012-01", "吴江甲纺织有限公司", FIRM_A, "江苏银行吴江支行", "5000000", "2023-10-12"],
            ["JSYH-2023-1101-02", "吴江乙光电有限公司", FIRM_B, "江苏银行吴江支行", "3000000", "2023-11-01"],
            ["注：金额单位：元"],
        ],
    )
    out = run(invoke, proj, str(src))
    assert out["added"] == 2 and [(s["row"], s["kind"]) for s in out["skipped_rows"]] == [(4, "note")]
    assert [r["amount"] for r in ledger(proj, "pledge_loans")] == ["500", "300"]


@pytest.mark.parametrize(
    "line, kind",
    [
        (["数据来源：国家知识产权局", "", "", ""], "note"),
        (["数据来源于国家知识产权局专利检索系统"], "note"),
        (["资料来源：吴江区市场监督管理局"], "note"),
        (["统计时间：2023年10月31日"], "note"),
        (["统计口径：第一申请人地址在吴江区"], "note"),
        (["截至2023年10月31日"], "note"),
        (["注：金额单位为万元"], "note"),
        (["注1：不含港澳台"], "note"),
        (["注 ：不含个人申请"], "note"),
        (["说明：本表由系统导出"], "note"),
        (["金额单位：万元"], "note"),
        (["备注：以上为初步数据"], "note"),
        (["", "", "备注：以上为初步数据", ""], "note"),
        (["制表：王五", "", "审核：赵六", "联系电话：0512-63000000"], "footer"),
        (["填报人：", "王五", "审核人：", "赵六"], "footer"),
        (["填报单位：吴江区市场监督管理局（盖章）"], "footer"),
        (["联系电话：0512-63000000"], "footer"),
        (["注意力", "56781234", "9", "2021-06-03"], None),
        (["注一品", "56781235", "35", "2021-06-04"], None),
        (["统计学习软件", "2023SR1234567", "吴江甲纺织有限公司", "2023-05-06"], None),
        (["截至2023年的数据", "56781236", "9", "2021-06-05"], None),
    ],
)
def test_what_a_line_below_the_header_is(tmp_path, score, line, kind):
    path = write_csv(tmp_path / "a.csv", [["商标名称", "申请/注册号", "国际分类", "申请日期"], line])
    source = read_source(path, score)
    assert [s.kind for s in source.skipped] == ([kind] if kind else [])
    assert len(source.frame) == (0 if kind else 1)


# --- 4. headers over two rows -----------------------------------------------------------------

BANK_TITLE = "江苏银行吴江支行知识产权质押贷款放款明细（2023年第四季度）"
BANK_TOP = ["序号", "借款人名称", "统一社会信用代码", "借款合同编号", "放款机构", "贷款信息", "", "", "备注"]
BANK_SUB = ["", "", "", "", "", "放款金额", "放款日", "到期日", ""]
BANK_ROWS = [
    [1, "吴江甲纺织有限公司", FIRM_A, "JSYH-2023-1012-01", "江苏银行吴江支行", 500, "2023-10-12", "2024-10-11", "首贷"],
    [2, "吴江乙光电有限公司", FIRM_B, "JSYH-2023-1101-02", "江苏银行吴江支行", 300, "2023-11-01", "2024-10-31", ""],
    [
        3,
        "吴江丙电缆有限公司",
        FIRM_C,
        "JSYH-2023-1205-03",
        "江苏银行吴江支行",
        1000,
        "2023-12-05",
        "2024-12-04",
        "续贷",
    ],
]
BANK_TAIL = [
    ["合计", "", "", "", "", 1800, "", "", ""],
    ["注：本表按放款日期统计。", "", "", "", "", "", "", "", ""],
    ["制表：王五", "", "", "审核：赵六", "", "", "联系电话：0512-63000000", "", ""],
]
BANK_SHEET = [[BANK_TITLE], ["单位：万元"], BANK_TOP, BANK_SUB, *BANK_ROWS, *BANK_TAIL]
BANK_MERGES = ("A1:I1", "A2:I2", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:H3", "I3:I4", "A9:I9")


def assert_bank_loans_imported(out: dict, project: Path) -> None:
    assert out["ledger"] == "pledge_loans"
    assert (out["added"], out["rejected"], out["held"]) == (3, 0, 0)
    rows = ledger(project, "pledge_loans")
    assert [(r["contract_no"], r["amount"], r["issued_on"], r["due_on"]) for r in rows] == [
        ("JSYH-2023-1012-01", "500", "2023-10-12", "2024-10-11"),
        ("JSYH-2023-1101-02", "300", "2023-11-01", "2024-10-31"),
        ("JSYH-2023-1205-03", "1000", "2023-12-05", "2024-12-04"),
    ]
    assert [s["kind"] for s in out["skipped_rows"]] == ["total", "note", "footer"]
    assert set_aside_files(project) == []


def test_bank_sheet_with_a_merged_two_row_header_xlsx(invoke, proj):
    """Today: 本行有 8 个字段，表头有 7 个 (or amount/date columns missing), 0 loans."""
    src = write_xlsx(proj / "江苏银行放款明细.xlsx", BANK_SHEET, BANK_MERGES)
    assert_bank_loans_imported(run(invoke, proj, str(src)), proj)


def test_bank_sheet_with_a_merged_two_row_header_real_xls(invoke, proj):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("放款明细")
    sheet.write_merge(0, 0, 0, 8, BANK_TITLE)
    sheet.write_merge(1, 1, 0, 8, "单位：万元")
    for column, text in enumerate(BANK_TOP):
        if column in (5, 6, 7):
            continue
        sheet.write_merge(2, 3, column, column, text)
    sheet.write_merge(2, 2, 5, 7, "贷款信息")
    for column in (5, 6, 7):
        sheet.write(3, column, BANK_SUB[column])
    for r, row in enumerate([*BANK_ROWS, *BANK_TAIL], start=4):
        for column, value in enumerate(row):
            if value != "":
                sheet.write(r, column, value)
    src = proj / "放款明细.xls"
    book.save(str(src))
    assert src.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # BIFF in an OLE2 file, not text
    assert_bank_loans_imported(run(invoke, proj, str(src)), proj)


def test_bank_page_saved_as_xls_with_rowspan_and_colspan(invoke, proj):
    src = proj / "放款明细导出.xls"
    shutil.copy(EXPORTS / "bank_loans_two_row_header_gbk.html.xls", src)
    page = src.read_bytes().decode("gbk")
    assert 'rowspan="2"' in page and 'colspan="3"' in page
    out = run(invoke, proj, str(src))
    assert_bank_loans_imported(out, proj)


def test_bank_sheet_saved_as_csv_keeps_the_two_row_shape(invoke, proj):
    src = write_csv(proj / "放款明细.csv", [[str(c) for c in row] for row in BANK_SHEET], encoding="gbk")
    assert_bank_loans_imported(run(invoke, proj, str(src)), proj)


def test_a_group_label_names_its_columns_when_the_sub_header_alone_is_ambiguous(tmp_path, score):
    """申请人 over 名称 / 地址: 名称 alone would be the title's alias; together they are 申请人名称, 申请人地址."""
    path = write_xlsx(
        tmp_path / "专利.xlsx",
        [
            ["申请号", "发明名称", "申请日", "申请人", "", "专利类型"],
            ["", "", "", "名称", "地址", ""],
            [cn("202310000101"), "一种储纬装置", "2023-07-18", "吴江甲纺织有限公司", ADDRESS, "发明"],
        ],
        merged=("A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:F2"),
    )
    source = read_source(path, score)
    assert source.header == ["申请号", "发明名称", "申请日", "申请人名称", "申请人地址", "专利类型"]
    assert source.header_row == 1 and source.rows.tolist() == [3] and source.title_lines == []


def test_a_first_record_with_blank_cells_is_not_taken_for_a_header_row(tmp_path, score):
    path = write_csv(
        tmp_path / "a.csv",
        [
            ["吴江区专利清单"],
            ["申请号", "发明名称", "申请人", "申请日", "所属区镇", "备注"],
            [cn("202310000101"), "一种储纬装置", "", "2023-07-18", "", ""],
            [cn("202310000102"), "一种织机", "吴江甲纺织有限公司", "2023-07-19", "盛泽镇", "专利"],
        ],
    )
    source = read_source(path, score)
    assert source.header == ["申请号", "发明名称", "申请人", "申请日", "所属区镇", "备注"]
    assert source.rows.tolist() == [3, 4] and source.title_lines == ["吴江区专利清单"]


def test_rejected_rows_file_shows_the_values_of_a_row_longer_than_the_header(invoke, proj):
    """Today the .rejected.csv row of a ragged line is blank apart from its row number."""
    src = write_csv(
        proj / "专利清单.csv",
        [
            PATENT_HEADER,
            PATENT_ROWS[0],
            ["2", cn("202320000102"), "2023.08.02", "一种织物定型机", "吴江甲纺织有限公司", ADDRESS, "多出的一格"],
            PATENT_ROWS[2],
        ],
    )
    out = run(invoke, proj, str(src), "--skip-invalid", code=1)
    assert (out["added"], out["rejected"]) == (2, 1)
    with open(proj / "专利清单.rejected.csv", encoding="utf-8-sig", newline="") as fh:
        rejected = list(csv.DictReader(fh))
    assert len(rejected) == 1
    row = rejected[0]
    assert row["原行号"] == "3" and row["申请号"] == cn("202320000102") and row["发明名称"] == "一种织物定型机"
    assert row["列7"] == "多出的一格" and "7" in row["原因"]


# --- 6. export dates from names and titles ----------------------------------------------------


@pytest.mark.parametrize(
    "text, day",
    [
        ("专利清单_2023年1-10月.csv", date(2023, 10, 31)),
        ("专利清单_2023年1月-10月", date(2023, 10, 31)),
        ("专利清单（2023年1～2月）", date(2023, 2, 28)),
        ("2024年1至2月", date(2024, 2, 29)),
        ("质押融资台账_2023Q4.xlsx", date(2023, 12, 31)),
        ("台账2023-Q3", date(2023, 9, 30)),
        ("台账_2023q1", date(2023, 3, 31)),
        ("吴江区知识产权质押融资台账（2023年第四季度）", date(2023, 12, 31)),
        ("统计表（2023年第三季度）", date(2023, 9, 30)),
        ("2023年二季度", date(2023, 6, 30)),
        ("2023年第1季度", date(2023, 3, 31)),
        ("2023年前三季度", date(2023, 9, 30)),
        ("2023年度吴江区质押贷款统计表（第四季度）", date(2023, 12, 31)),
        ("2023年上半年", date(2023, 6, 30)),
        ("2023年下半年专利授权", date(2023, 12, 31)),
        ("2023.10.01-2023.10.31", date(2023, 10, 31)),
        ("20231001-20231031", date(2023, 10, 31)),
        ("2023年10月1日至2023年10月31日", date(2023, 10, 31)),
        ("培训时间：2023年9月12日—14日", date(2023, 9, 14)),
        ("2023年9月28日—10月8日", date(2023, 10, 8)),
        ("2023年10月", date(2023, 10, 31)),
        ("专利_2023-02", date(2023, 2, 28)),
        ("2023年度", date(2023, 12, 31)),
        ("2023年末", date(2023, 12, 31)),
        ("吴江区2021-2023年知识产权强省建设工作计划", None),  # the plan's years, not the data's period
        ("2023年专利清单", None),
        ("专利导出_20231015.xlsx", date(2023, 10, 15)),
        ("导出日期：2023年9月1日", date(2023, 9, 1)),
        ("incoPat导出_2023-06-30", date(2023, 6, 30)),
        ("吴江区专利统计表", None),
        ("申请号202310000001", None),
        ("x_20231345", None),
        ("2023年第五季度", None),
        ("2023年13月", None),
    ],
)
def test_dates_and_periods_in_names_and_titles(text, day):
    assert date_in_text(text) == day


@given(
    year=st.integers(2000, 2099),
    first=st.integers(1, 12),
    data=st.data(),
    dash=st.sampled_from(["-", "—", "～", "至", "到"]),
    with_month=st.booleans(),
)
def test_a_month_range_ends_on_the_last_day_of_its_last_month(year, first, data, dash, with_month):
    last = data.draw(st.integers(first, 12))
    text = f"专利清单_{year}年{first}{'月' if with_month else ''}{dash}{last}月.csv"
    assert date_in_text(text) == date(year, last, monthrange(year, last)[1])


@given(
    start=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    length=st.integers(0, 400),
    style=st.sampled_from(["{:%Y.%m.%d}", "{:%Y%m%d}", "{:%Y-%m-%d}", "{d.year}年{d.month}月{d.day}日"]),
    dash=st.sampled_from(["-", "—", "～", "至", " - "]),
)
def test_a_day_range_ends_on_its_last_day(start, length, style, dash):
    end = start + dt.timedelta(days=length)
    if end.year > 2099:
        return

    def spell(d: date) -> str:
        return style.format(d, d=d)

    assert date_in_text(f"{spell(start)}{dash}{spell(end)}") == end


@given(
    year=st.integers(2000, 2099),
    quarter=st.integers(1, 4),
    style=st.sampled_from(["{y}Q{q}", "{y}年第{c}季度", "{y}年{c}季度", "{y}-Q{q}", "{y}年第{q}季度"]),
)
def test_a_quarter_ends_on_its_last_day(year, quarter, style):
    text = style.format(y=year, q=quarter, c="一二三四"[quarter - 1])
    month = quarter * 3
    assert date_in_text(text) == date(year, month, monthrange(year, month)[1])


def S(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def test_a_title_date_beats_the_file_name_and_a_period_not_over_is_today():
    dated = [S("2023-01-01")]
    found = export_date("专利导出_20231015.xlsx", ["吴江区专利清单（截至2023年9月30日）"], dated)
    assert (found.day, found.how) == (date(2023, 9, 30), "title")
    found = export_date("台账.xlsx", ["吴江区知识产权质押融资台账", "（2023年第四季度）"], dated)
    assert (found.day, found.how) == (date(2023, 12, 31), "title")
    found = export_date("台账.xlsx", ["单位：万元"], dated)
    assert found.how == "latest_in_file"
    # A lone day in a title without an export word (a search query) does not date the export.
    found = export_date("专利导出_20231115.xlsx", ["检索式：申请日>=20230101 AND 申请日<=20231031"], dated)
    assert (found.day, found.how) == (date(2023, 11, 15), "file_name")
    # A period that has not ended by today was exported by today, not at its end.
    found = export_date("专利_2026年12月.csv", [], dated, today=date(2026, 12, 7))
    assert (found.day, found.how) == (date(2026, 12, 7), "file_name")


def test_month_range_in_the_file_name_is_the_export_date(invoke, proj):
    """Today 专利清单_2023年1-10月.csv is read as 2023-01-10."""
    src = write_csv(proj / "专利清单_2023年1-10月.csv", [PATENT_HEADER, *PATENT_ROWS])
    out = run(invoke, proj, str(src))
    assert (out["exported_on"], out["exported_on_from"]) == ("2023-10-31", "file_name")


def test_a_quarterly_ledger_is_dated_by_its_title(invoke, proj):
    """Today a ledger titled 2023年第四季度 gets today's date, silently."""
    src = write_xlsx(proj / "江苏银行放款明细.xlsx", BANK_SHEET, BANK_MERGES)
    result = invoke(["import", str(src)], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "导出日期 2023年12月31日（取自标题行）" in result.stdout  # a date in Chinese text, as officials write it
    assert "--exported-on" not in result.stderr
    out = run(invoke, proj, str(src), "--dry-run")
    assert (out["exported_on"], out["exported_on_from"]) == ("2023-12-31", "title")


@pytest.mark.parametrize("lang, words", [("zh", "导出日期"), ("en", "export date")])
def test_an_export_date_guessed_as_today_is_a_warning_naming_the_option(invoke, proj, lang, words):
    src = write_csv(
        proj / "盛泽镇企业名录.csv", [["企业名称", "统一社会信用代码", "地址"], ["吴江甲纺织有限公司", FIRM_A, ADDRESS]]
    )
    result = invoke(["import", str(src), "--ledger", "organisations", "--lang", lang], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "--exported-on" in result.stderr and words in result.stderr.lower()
    assert src.name in result.stderr
    dated = invoke(
        ["import", str(src), "--ledger", "organisations", "--exported-on", "2023-10-15", "--lang", lang], cwd=proj
    )
    assert "--exported-on" not in dated.stderr
