"""`ipdemo archive OUT.zip`: ledgers as xlsx 台账, the 自查报告, evidence files, manifest.csv.

Reproducible (two runs, same bytes), atomic, contents as promised, manifest hashes right,
missing evidence warned and listed; `evidence_problems` for validate. Hostile evidence paths:
tests/test_hostile_archive.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ipdemo.checks.evidence import Rules, classify, evidence_problems, evidence_refs
from ipdemo.engine.dataset import load_dataset
from ipdemo.plan.model import load_plan

from .conftest import VALID_ROWS, make_project

AS_OF = "2023-09-30"


def outputs_row(output_id: str, kind: str, evidence: str, level: str = "district") -> dict[str, str]:
    return {
        **VALID_ROWS["outputs"],
        "output_id": output_id,
        "kind": kind,
        "evidence": evidence,
        "level": level,
        "title": f"成果{output_id}",
    }


@pytest.fixture
def archived(tmp_path) -> Path:
    """A small project whose outputs point to a file, a document number, a missing file, a path
    outside the project, and a formula-like title."""
    rows = {k: [v] for k, v in VALID_ROWS.items()}
    rows["outputs"] = [
        outputs_row("CG001", "leading_group", "吴政办〔2021〕67号"),
        outputs_row("CG013", "industry_report", "佐证材料/评审意见.pdf"),
        outputs_row("CG016", "industry_report", "佐证材料/缺失.pdf"),
        outputs_row("CG017", "high_value_center", "../外面.pdf"),
        outputs_row("CG018", "high_value_center", "佐证材料/中心 认定.docx；佐证材料/评审意见.pdf", level="province"),
    ]
    rows["pledge_loans"] = [{**VALID_ROWS["pledge_loans"], "enterprise": '=HYPERLINK("x")'}]
    root = make_project(tmp_path / "proj", rows)
    (root / "佐证材料").mkdir()
    (root / "佐证材料" / "评审意见.pdf").write_bytes(b"%PDF-1.4 review\n")
    (root / "佐证材料" / "中心 认定.docx").write_bytes(b"PK fake docx")
    (tmp_path / "外面.pdf").write_bytes(b"outside")
    return root


def run(invoke, root: Path, out: Path, *extra: str):
    return invoke(["archive", str(out), "--as-of", AS_OF, "--targets", str(root / "targets.yaml"), *extra], cwd=root)


def manifest(zf: zipfile.ZipFile) -> list[dict[str, str]]:
    text = zf.read("manifest.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_two_runs_give_the_same_bytes(invoke, archived, tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert run(invoke, archived, first).exit_code == 0
    time.sleep(1.1)  # any clock in a timestamp would now differ
    assert run(invoke, archived, second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_contents_and_layout(invoke, archived, tmp_path):
    out = tmp_path / "归档.zip"
    result = run(invoke, archived, out)
    assert result.exit_code == 0, result.stderr
    plan = load_plan(archived / "targets.yaml")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        expected_ledgers = {f"台账/{spec.name}.xlsx" for spec in plan.ledgers.values()}
        assert expected_ledgers <= set(names)
        assert {
            "manifest.csv",
            "自查报告.docx",
            "佐证材料/主导领域产业分析报告/佐证材料/评审意见.pdf",
            "佐证材料/省级高价值专利培育中心/佐证材料/中心 认定.docx",
            "佐证材料/省级高价值专利培育中心/佐证材料/评审意见.pdf",
        } <= set(names)
        assert not any("缺失" in n or "外面" in n for n in names)
        for info in zf.infolist():
            assert info.date_time == (2023, 9, 30, 0, 0, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644
        assert zf.read("佐证材料/主导领域产业分析报告/佐证材料/评审意见.pdf") == b"%PDF-1.4 review\n"
        import docx

        document = docx.Document(io.BytesIO(zf.read("自查报告.docx")))
        assert document.paragraphs[0].text.replace("\n", "").endswith("自查报告")
    assert "已写入" in result.stderr and "台账 12 个" in result.stderr and "缺失 1 条，拒绝 1 条" in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temp file left


def test_manifest_hashes_and_records(invoke, archived, tmp_path):
    out = tmp_path / "a.zip"
    assert run(invoke, archived, out).exit_code == 0
    with zipfile.ZipFile(out) as zf:
        rows = manifest(zf)
        assert list(rows[0]) == ["file", "sha256", "ledger", "key", "indicator", "evidence", "status", "reason"]
        for row in rows:
            if row["file"]:
                assert hashlib.sha256(zf.read(row["file"])).hexdigest() == row["sha256"], row["file"]
        listed = {r["file"] for r in rows if r["file"]}
        assert listed == set(zf.namelist()) - {"manifest.csv"}
    by_value = {(r["key"], r["evidence"]): r for r in rows if r["ledger"] == "outputs" and r["evidence"]}
    assert by_value[("CG001", "吴政办〔2021〕67号")]["status"] == "reference"
    assert by_value[("CG001", "吴政办〔2021〕67号")]["file"] == ""
    assert by_value[("CG001", "吴政办〔2021〕67号")]["indicator"] == "leading_group"
    assert by_value[("CG013", "佐证材料/评审意见.pdf")]["status"] == "file"
    assert by_value[("CG016", "佐证材料/缺失.pdf")]["status"] == "missing"
    assert (by_value[("CG017", "../外面.pdf")]["status"], by_value[("CG017", "../外面.pdf")]["reason"]) == (
        "refused",
        "outside",
    )
    assert by_value[("CG018", "佐证材料/中心 认定.docx")]["indicator"] == "provincial_hv_centers"
    assert by_value[("CG018", "佐证材料/评审意见.pdf")]["status"] == "file"  # one value of two: both kept


def test_missing_evidence_is_warned(invoke, archived, tmp_path):
    result = run(invoke, archived, tmp_path / "a.zip")
    assert result.exit_code == 0
    assert "data/outputs.csv:4: 佐证材料 '佐证材料/缺失.pdf' 不存在（记录 CG016）" in result.stderr
    assert "'../外面.pdf' 是绝对路径或含“..”" in result.stderr
    assert "Traceback" not in result.stderr


def test_ledger_workbooks(invoke, archived, tmp_path):
    out = tmp_path / "a.zip"
    assert run(invoke, archived, out).exit_code == 0
    with zipfile.ZipFile(out) as zf:
        book = load_workbook(io.BytesIO(zf.read("台账/知识产权质押贷款.xlsx")))
        patents = load_workbook(io.BytesIO(zf.read("台账/专利.xlsx")))
        trainees = load_workbook(io.BytesIO(zf.read("台账/培训人员.xlsx")))
    sheet = book.active
    assert sheet.title == "知识产权质押贷款" and len(book.sheetnames) == 1
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["合同编号", "企业名称", "统一社会信用代码", "所属区镇"]
    assert sheet.freeze_panes == "A2"
    row = {h: c.value for h, c in zip(header, sheet[2])}
    assert row["金额（万元）"] == 500 and isinstance(
        row["金额（万元）"], int
    )  # numbers as numbers, the unit in the header
    assert row["放款日期"] == datetime(2021, 8, 1)  # dates as dates
    assert row["企业名称"] == '=HYPERLINK("x")' and sheet["B2"].data_type == "s"  # text, never a formula
    assert row["统一社会信用代码"] == "913205096829757874"  # an identifier stays text
    width = sheet.column_dimensions["B"].width
    assert width >= len('=HYPERLINK("x")') and sheet.column_dimensions["C"].width >= 18
    p = patents.active
    cells = {c.value: v.value for c, v in zip(p[1], p[2])}
    assert cells["申请号"] == "202110182616.5" and cells["专利类型"] == "发明"  # enum as its Chinese label
    assert p.column_dimensions["B"].width >= 2 * len("一种光纤预制棒的制备方法")  # CJK counts double
    assert "姓名" not in [c.value for c in trainees.active[1]]  # personal fields left out by default
    assert book.properties.created == datetime(2023, 9, 30)


def test_personal_fields_on_request(invoke, archived, tmp_path):
    out = tmp_path / "a.zip"
    assert run(invoke, archived, out, "--personal").exit_code == 0
    with zipfile.ZipFile(out) as zf:
        trainees = load_workbook(io.BytesIO(zf.read("台账/培训人员.xlsx")))
    assert "姓名" in [c.value for c in trainees.active[1]]


def test_replaces_an_existing_archive(invoke, archived, tmp_path):
    out = tmp_path / "a.zip"
    out.write_bytes(b"old")
    assert run(invoke, archived, out).exit_code == 0
    assert zipfile.is_zipfile(out)


def test_refuses_a_ledger_and_unwritable_places(invoke, archived, tmp_path):
    ledger = archived / "data" / "outputs.csv"
    before = ledger.read_bytes()
    result = run(invoke, archived, ledger)
    assert result.exit_code == 2 and ledger.read_bytes() == before
    result = run(invoke, archived, tmp_path / "no" / "such" / "folder" / "a.zip")
    assert result.exit_code == 1 and "Traceback" not in result.stderr and "a.zip" in result.stderr


def test_missing_evidence_for_validate(archived):
    plan = load_plan(archived / "targets.yaml")
    problems = evidence_problems(plan, list(load_dataset(plan).tables))
    assert [(p.code, p.line, p.field, p.severity) for p in problems] == [
        ("evidence_missing", 4, "evidence", "warning"),
        ("evidence_outside", 5, "evidence", "warning"),
    ]
    assert problems[0].file.endswith("outputs.csv")
    assert "佐证材料/缺失.pdf" in problems[0].message("zh") and "CG016" in problems[0].message("en")
    # only the ledgers asked for are looked at
    assert evidence_problems(plan, ["patents"]) == []


def test_the_register_is_not_evidence(archived):
    """organisations.evidence names the import a firm was placed from, not a document."""
    plan = load_plan(archived / "targets.yaml")
    assert {r.ledger for r in evidence_refs(plan)} == {"outputs", "task_progress"}


@pytest.mark.parametrize(
    "value, status, reason",
    [
        ("吴政办〔2021〕67号", "reference", ""),
        ("营业执照", "reference", ""),
        ("苏知发〔2022〕", "reference", ""),
        ("佐证材料/评审意见.pdf", "file", ""),
        ("佐证材料\\评审意见.pdf", "file", ""),
        ("佐证材料/x.pdf", "missing", ""),
        ("评审意见.pdf", "refused", "not_in_folder"),
        ("docs\\x.pdf", "refused", "not_in_folder"),
        ("/etc/passwd", "refused", "outside"),
        ("C:\\材料\\x.pdf", "refused", "outside"),
        ("../../x.pdf", "refused", "outside"),
    ],
)
def test_classify(archived, value, status, reason):
    verdict = classify(Rules.of(load_plan(archived / "targets.yaml")), value)
    assert (verdict.status, verdict.reason) == (status, reason)


def test_shipped_data_archives(invoke, shipped, tmp_path):
    """The shipped project: every ledger, the report, and its document numbers listed."""
    out = tmp_path / "shipped.zip"
    result = invoke(
        ["archive", str(out), "--as-of", "2023-12-31", "--targets", str(shipped / "targets.yaml")], cwd=tmp_path
    )
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        rows = manifest(zf)
        patents = load_workbook(io.BytesIO(zf.read("台账/专利.xlsx")), read_only=True)
        count = sum(1 for _ in patents.active.iter_rows(values_only=True)) - 1
    assert count == sum(1 for _ in open(shipped / "data" / "patents.csv", encoding="utf-8-sig")) - 1
    assert sum(r["status"] == "reference" for r in rows) == 18 + 11  # every output's and task entry's 文号 / 材料


def test_a_control_character_in_an_invalid_row_is_shown_not_a_crash(invoke, tmp_path):
    """An invalid row keeps its place in the archive's workbook; a character an XLSX cannot hold
    is shown as \\x07 instead of failing the whole archive."""
    rows = {"patents": [{**VALID_ROWS["patents"], "title": "一种\x07装置"}]}
    root = make_project(tmp_path / "p", rows)
    out = tmp_path / "a.zip"
    result = invoke(["archive", str(out), "--as-of", "2023-09-30"], cwd=root)
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        sheet = load_workbook(io.BytesIO(zf.read("台账/专利.xlsx"))).active
    header = [c.value for c in sheet[1]]
    row = {h: c.value for h, c in zip(header, sheet[2])}
    assert row["发明名称"] == "一种\\x07装置"
