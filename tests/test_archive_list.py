"""The archive's 清单 (清单.xlsx) and the marks in its 台账 (issue 24 item 6).

Beside manifest.csv (kept as it is, for machines): 文件清单 lists every file in the zip in
Chinese (文件, 类别, 条数, 说明); 指标佐证 gives each indicator's figure on the as-of date, the
records that count and the evidence of those records, or 无佐证; each 台账 marks the rows that
count (是否计入, 计入指标) by the indicators' definitions; amounts carry their unit in the header;
autofilter, header fill, number formats. Printed by LibreOffice: landscape, no ids or ISO dates.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ipdemo.deliver.archive import ledger_book
from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import compute, make_window
from ipdemo.plan.model import load_plan

from .conftest import VALID_ROWS, make_project
from .office import needs_libreoffice, pages, pdf_of, png_pages

AS_OF = "2023-09-30"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MACHINE_ID = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
REVIEW = "佐证材料/主导领域产业分析报告/佐证材料/评审意见.pdf"


def patent_no(serial: str) -> str:
    """A CN application number with its check digit (202110182616 → 202110182616.5)."""
    check = sum(int(d) * w for d, w in zip(serial, [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])) % 11
    return f"{serial}.{'X' if check == 10 else check}"


def patent(serial: str, filed_on: str, granted_on: str = "", kind: str = "invention") -> dict[str, str]:
    return {**VALID_ROWS["patents"], "application_no": patent_no(serial), "filed_on": filed_on,
            "granted_on": granted_on, "type": kind}  # fmt: skip


def output(output_id: str, kind: str, evidence: str, achieved_on: str) -> dict[str, str]:
    return {**VALID_ROWS["outputs"], "output_id": output_id, "kind": kind, "evidence": evidence,
            "achieved_on": achieved_on, "title": f"成果{output_id}"}  # fmt: skip


@pytest.fixture
def project(tmp_path) -> Path:
    """Patents in the period, before it and after the as-of date; outputs whose evidence is a
    document number, a file, and a file of a record dated after the as-of date."""
    rows = {k: [v] for k, v in VALID_ROWS.items()}
    rows["patents"] = [
        patent("202110182616", "2021-06-10", "2022-08-01"),  # counts: filed and granted in the period
        patent("202020345678", "2020-03-01", kind="utility_model"),  # before the plan: no indicator
        patent("202320456789", "2023-10-15"),  # after the as-of date
        patent("202110999999", "2021-07-01", kind="bogus"),  # invalid: left out of the figures
    ]
    rows["outputs"] = [
        output("CG001", "leading_group", "吴政办〔2021〕67号", "2021-06-25"),
        output("CG013", "industry_report", "佐证材料/评审意见.pdf", "2022-03-01"),
        output("CG020", "industry_report", "佐证材料/晚到.pdf", "2023-11-01"),
    ]
    root = make_project(tmp_path / "proj", rows)
    (root / "佐证材料").mkdir()
    (root / "佐证材料" / "评审意见.pdf").write_bytes(b"%PDF-1.4 review\n")
    (root / "佐证材料" / "晚到.pdf").write_bytes(b"%PDF-1.4 late\n")
    return root


def archive(invoke, root: Path, out: Path, *extra: str) -> Path:
    result = invoke(["archive", str(out), "--as-of", AS_OF, *extra], cwd=root)
    assert result.exit_code == 0, result.stderr
    return out


def workbook(out: Path, member: str):
    with zipfile.ZipFile(out) as zf:
        return load_workbook(io.BytesIO(zf.read(member)))


def by_first_column(sheet) -> dict[str, dict]:
    header = [c.value for c in sheet[2]]
    return {row[0].value: dict(zip(header, row)) for row in sheet.iter_rows(min_row=3)}


def test_the_list_names_every_file_in_chinese(invoke, project, tmp_path):
    out = archive(invoke, project, tmp_path / "归档.zip")
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = zf.read("manifest.csv").decode("utf-8-sig")
    assert "清单.xlsx" in names and manifest.startswith("file,sha256,ledger,key,indicator,evidence,status,reason")
    sheet = workbook(out, "清单.xlsx")["文件清单"]
    assert [c.value for c in sheet[2]] == ["文件", "类别", "条数", "说明"]
    rows = by_first_column(sheet)
    assert set(rows) == names
    kinds = {name: row["类别"].value for name, row in rows.items()}
    assert kinds["自查报告.docx"] == "自查报告" and kinds["台账/专利.xlsx"] == "台账" and kinds[REVIEW] == "佐证材料"
    assert kinds["manifest.csv"] == "机器清单" and kinds["清单.xlsx"] == "清单"
    patents = rows["台账/专利.xlsx"]
    # the 台账 as it stood on the as-of date: the patent filed after it is not there (3, not 4)
    assert patents["条数"].value == 3 and patents["条数"].number_format == "#,##0"
    assert "专利申请量1条" in patents["说明"].value and "计入的共1条" in patents["说明"].value
    assert "主导领域产业分析报告" in rows[REVIEW]["说明"].value
    texts = [row[k].value or "" for row in rows.values() for k in ("类别", "说明")]
    assert not [t for t in texts if re.search(r"[A-Za-z]", t)]  # no English words, ids or statuses


def test_each_indicator_with_its_figure_and_evidence_or_none(invoke, project, tmp_path):
    out = archive(invoke, project, tmp_path / "归档.zip")
    sheet = workbook(out, "清单.xlsx")["指标佐证"]
    header = [c.value for c in sheet[2]]
    assert header[:8] == ["指标", "单位", "目标", "数值", "状态", "计入记录（条）", "有佐证的记录（条）", "佐证材料"]
    rows = {row[-1].value: dict(zip(header, row)) for row in sheet.iter_rows(min_row=3)}
    assert sheet.column_dimensions["I"].hidden  # the ids, for scripts
    applications = rows["patent_applications"]
    assert applications["数值"].value == 1 and applications["计入记录（条）"].value == 1  # not the 4 rows
    assert applications["佐证材料"].value == "无佐证" and applications["有佐证的记录（条）"].value == 0
    assert applications["佐证材料"].fill.fgColor.rgb.endswith("FFC7CE")  # the gaps stand out
    assert rows["leading_group"]["佐证材料"].value == "吴政办〔2021〕67号"
    reports = rows["industry_reports"]
    assert reports["佐证材料"].value == REVIEW  # the late record's file does not count yet
    assert reports["计入记录（条）"].value == 1 and reports["目标"].value == "2至4"
    loans = rows["pledge_loans"]
    assert loans["单位"].value == "亿元" and loans["数值"].number_format == "#,##0.00"
    assert sheet.auto_filter.ref.startswith("A2:") and sheet.print_title_rows == "$1:$2"
    assert sheet.page_setup.orientation == "landscape"


def test_ledger_rows_that_count_are_marked(invoke, project, tmp_path):
    out = archive(invoke, project, tmp_path / "归档.zip")
    sheet = workbook(out, "台账/专利.xlsx").active
    header = [c.value for c in sheet[1]]
    assert header[-2:] == ["是否计入", "计入指标"]
    rows = {row[0].value: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)}
    counted = rows[patent_no("202110182616")]
    assert counted["是否计入"].value == "是" and "专利申请量" in counted["计入指标"].value
    assert "专利授权量" in counted["计入指标"].value
    assert rows[patent_no("202020345678")]["是否计入"].value == "否"  # filed before the plan
    assert patent_no("202320456789") not in rows  # filed after the as-of date: not yet in the 台账
    assert rows[patent_no("202110999999")]["是否计入"].value == "否"  # invalid: the figures leave it out
    assert counted["申请日"].value == datetime(2021, 6, 10) and counted["申请日"].number_format == 'yyyy"年"m"月"d"日"'
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=1, column=len(header)).column_letter}4"
    assert sheet["A1"].fill.fgColor.rgb.endswith("DDEBF7") and sheet["A1"].font.b
    loans = workbook(out, "台账/知识产权质押贷款.xlsx").active
    loan_header = [c.value for c in loans[1]]
    amount = loans.cell(row=2, column=loan_header.index("金额（万元）") + 1)
    assert amount.value == 500 and amount.number_format == "#,##0.00"
    register = workbook(out, "台账/企业名录.xlsx").active  # no indicator counts it: no marks
    assert "是否计入" not in [c.value for c in register[1]]


def test_english_list(invoke, project, tmp_path):
    out = archive(invoke, project, tmp_path / "a.zip", "--lang", "en")
    book = workbook(out, "list.xlsx")
    assert book.sheetnames == ["files", "indicator evidence"]
    kinds = {row["kind"].value for row in by_first_column(book["files"]).values()}
    assert {"report", "ledger", "evidence", "manifest", "list"} <= kinds


def test_counted_rows_agree_with_the_report_on_the_shipped_data(shipped):
    """40,400 patents: the rows marked as counting in 专利申请量 are the report's figure, at the
    end and at an early as-of date."""
    plan = load_plan(shipped / "targets.yaml")
    data = load_dataset(plan)
    for as_of in (date(2023, 12, 31), date(2022, 3, 31)):
        book = ledger_book(plan, "patents", as_of)
        figures = {i.id: i.actual for i in compute(plan, data, make_window(plan, None, as_of)).indicators}
        for ind in ("patent_applications", "patent_grants"):
            marked = sum(1 for mark in book.counted.values() if ind in mark)
            assert marked == figures[ind], (as_of, ind)
        assert book.rows == data.rows_by("patents", as_of)  # the 台账 as it stood then (40,400 in all)
        assert sum(1 for m in book.counted.values() if m) < book.rows


@needs_libreoffice
def test_the_list_prints_landscape_without_ids_or_iso_dates(invoke, project, tmp_path):
    out = archive(invoke, project, tmp_path / "归档.zip")
    with zipfile.ZipFile(out) as zf:
        (tmp_path / "清单.xlsx").write_bytes(zf.read("清单.xlsx"))
    pdf = pdf_of(tmp_path / "清单.xlsx", tmp_path)
    printed = pages(pdf)
    assert printed and all(p.landscape and abs(p.width_mm - 297) < 2 for p in printed)
    text = "".join(p.text for p in printed)
    assert "无佐证" in text and "2023年9月30日" in text
    assert not ISO_DATE.search(text) and not MACHINE_ID.search(text), text
    assert len(png_pages(pdf, tmp_path)) == len(printed)
