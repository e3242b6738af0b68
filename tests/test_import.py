"""`ipdemo import`: real exports in, nothing lost, nothing duplicated, all or nothing, safe writes."""

import csv
import datetime as dt
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ipdemo.checks.field_checks import cnipa_check_char
from ipdemo.data.store import read_journal

from .conftest import VALID_ROWS, make_project, snapshot
from .helpers import HEADER_ZH, cn, export, ledger_rows


@pytest.fixture
def proj(tmp_path):
    return make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})


def test_gbk_export_with_title_row_and_messy_values(invoke, proj):
    src = export(
        proj / "专利导出.csv",
        [
            ["CN２０２４１０１８２６１６９", " 一种新装置 ", "苏州某某有限公司", "2024/1/5", "发明", "", "盛泽"],
            ["2017106018623", "一种装置", "某公司", "2017年3月1日", "发明专利", "20190601", "汾湖高新区(黎里镇)"],
        ],
        encoding="gbk",
        title="吴江区专利申请统计表（2024年1月）",
    )
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == (
        "专利导出.csv → Patents: added 2, updated 0, unchanged 0, rejected 0\n"
        "  ledger chosen by the headers: it reads 申请号, 发明名称, 申请人, 申请日, 专利类型, "
        "授权公告日, 所属区镇 (amounts, counts, dates: 申请日, 授权公告日)\n"
        "  exported on 2024-01-31 (from a title line)\n"
    )  # （2024年1月）: its last day
    rows = ledger_rows(proj)
    expected = {
        "application_no": "202410182616.9",
        "title": "一种新装置",
        "applicant": "苏州某某有限公司",
        "town": "吴江高新区（盛泽镇）",
        "type": "invention",
        "filed_on": "2024-01-05",
        "granted_on": "",
    }
    assert {k: rows[1][k] for k in expected} == expected
    assert {k for k, v in rows[1].items() if v} <= set(expected)  # the new optional columns stay empty
    assert rows[2]["granted_on"] == "2019-06-01" and rows[2]["town"] == "汾湖高新区（黎里镇）"
    assert invoke(["validate"], cwd=proj).exit_code == 0


def test_importing_twice_adds_and_changes_nothing(invoke, proj):
    src = export(proj / "in.csv", [[cn("202410000001"), "一种装置", "某公司", "2024-01-05", "发明", "", "盛泽"]])
    assert invoke(["import", str(src)], cwd=proj).exit_code == 0
    before = (proj / "data" / "patents.csv").read_bytes()
    second = invoke(["import", str(src), "--format", "json"], cwd=proj)
    data = json.loads(second.stdout)
    assert (data["added"], data["updated"], data["unchanged"], data["rejected"]) == (0, 0, 1, 0)
    assert (proj / "data" / "patents.csv").read_bytes() == before


def test_later_grant_updates_and_old_value_is_journaled(invoke, proj):
    key = VALID_ROWS["patents"]["application_no"]
    src = export(proj / "grants.csv", [[key, "2023-03-01"]], header=["申请号", "授权公告日"])
    result = invoke(["import", str(src), "--ledger", "patents", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert (data["added"], data["updated"]) == (0, 1)
    row = ledger_rows(proj)[0]
    assert row["granted_on"] == "2023-03-01" and row["title"] == VALID_ROWS["patents"]["title"]  # not blanked
    entry = read_journal(proj / "data")[-1]
    assert entry["changes"] == [{"key": key, "field": "granted_on", "old": "2022-08-01", "new": "2023-03-01"}]
    assert entry["source"] == "grants.csv" and len(entry["source_sha256"]) == 64


def test_empty_incoming_value_never_blanks(invoke, proj):
    key = VALID_ROWS["patents"]["application_no"]
    src = export(proj / "in.csv", [[key, "", "", "", "", "", ""]])
    result = invoke(["import", str(src), "--format", "json"], cwd=proj)
    assert json.loads(result.stdout)["unchanged"] == 1
    assert ledger_rows(proj)[0] == VALID_ROWS["patents"]


def test_all_or_nothing_lists_every_bad_row(invoke, proj):
    before = snapshot(proj / "data")
    src = export(
        proj / "in.csv",
        [
            [cn("202410000001"), "好的", "某公司", "2024-01-05", "发明", "", "盛泽"],
            [
                cn("202410000002")[:-1] + "0"
                if not cn("202410000002").endswith("0")
                else cn("202410000002")[:-1] + "1",
                "坏的校验位",
                "某公司",
                "2024-01-05",
                "发明",
                "",
                "盛泽",
            ],
            [cn("202410000003"), "", "某公司", "01/06/2024", "发明", "", "某某镇"],
        ],
    )
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    assert "3 rows" not in result.stderr and "in.csv: 2 invalid rows; nothing was written" in result.stderr
    assert "in.csv:3: application_no: error:" in result.stderr
    for field in ("title", "filed_on", "town"):
        assert f"in.csv:4: {field}: error:" in result.stderr
    assert snapshot(proj / "data") == before and "Traceback" not in result.stderr


def test_skip_invalid_writes_good_rows_and_a_reject_file(invoke, proj):
    src = export(
        proj / "in.csv",
        [
            [cn("202410000001"), "好的", "某公司", "2024-01-05", "发明", "", "盛泽"],
            [cn("202410000003"), "", "某公司", "2024-01-05", "发明", "", "盛泽"],
        ],
    )
    result = invoke(["import", str(src), "--skip-invalid", "--format", "json", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["added"], data["rejected"]) == (1, 1)
    assert [r["application_no"] for r in ledger_rows(proj)] == [
        VALID_ROWS["patents"]["application_no"],
        cn("202410000001"),
    ]
    with open(proj / "in.rejected.csv", encoding="utf-8-sig") as fh:
        rejected = list(csv.DictReader(fh))
    assert len(rejected) == 1 and rejected[0]["原行号"] == "3" and "required field is empty" in rejected[0]["原因"]
    assert "必填" not in rejected[0]["原因"]  # in the command's language (--lang en), one language only
    assert rejected[0]["申请号"] == cn("202410000003")


def test_dry_run_shows_changes_and_writes_nothing(invoke, proj):
    before = snapshot(proj / "data")
    key = VALID_ROWS["patents"]["application_no"]
    src = export(proj / "in.csv", [[key, "2023-03-01"], [cn("202410000001"), ""]], header=["申请号", "授权公告日"])
    result = invoke(["import", str(src), "--dry-run", "--ledger", "patents"], cwd=proj)
    # The new row lacks required fields, so the dry run reports it and exits 1 — and still writes nothing.
    assert result.exit_code == 1 and snapshot(proj / "data") == before
    ok = export(proj / "ok.csv", [[key, "2023-03-01"]], header=["申请号", "授权公告日"])
    result = invoke(["import", str(ok), "--dry-run", "--ledger", "patents", "--lang", "en"], cwd=proj)
    assert result.exit_code == 0
    assert f"~ {key} granted_on: '2022-08-01' → '2023-03-01'" in result.stdout and "dry run" in result.stdout
    assert snapshot(proj / "data") == before


def test_duplicate_keys_in_the_file_name_both_rows(invoke, proj):
    row = [cn("202410000001"), "一种装置", "某公司", "2024-01-05", "发明", "", "盛泽"]
    src = export(proj / "in.csv", [row, row])
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    assert "in.csv:2: application_no: error: duplicate key" in result.stderr and "also on line 3" in result.stderr


def test_xlsx_with_merged_title_date_cells_and_numbers_as_text(invoke, proj):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "说明"
    sheet["A1"] = "这一页不是数据"
    data = book.create_sheet("质押贷款")
    data.append(["2024年吴江区知识产权质押贷款台账"])
    data.merge_cells("A1:G1")
    data.append(["合同编号", "企业名称", "统一社会信用代码", "所属区镇", "贷款银行", "金额（元）", "放款日期"])
    data.append(["HT-1", "某公司", "91320509MA1MK3YW4P", "七都", "某银行", 5000000, dt.datetime(2023, 5, 6)])
    data.append(["HT-2", "某公司", "913205096829757874", "震泽", "某银行", "1,200,000", "2023/7/8"])
    path = proj / "loans.xlsx"
    book.save(path)
    missing = invoke(["import", str(path), "--sheet", "不存在", "--lang", "en"], cwd=proj)
    assert missing.exit_code == 1 and "has no sheet '不存在'; it has: 说明、质押贷款" in missing.stderr
    result = invoke(["import", str(path), "--sheet", "质押贷款", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["ledger"] == "pledge_loans"
    rows = ledger_rows(proj, "pledge_loans")
    assert [(r["contract_no"], r["amount"], r["issued_on"], r["town"]) for r in rows] == [
        ("HT-1", "500", "2023-05-06", "七都镇"),
        ("HT-2", "120", "2023-07-08", "震泽镇"),
    ]


def test_utf8_bom_and_semicolon_and_tab_delimiters(invoke, proj):
    for name, delimiter, encoding in (("a.csv", ";", "utf-8-sig"), ("b.tsv", "\t", "utf-8"), ("c.txt", "\t", "utf-16")):
        body = [cn(f"20241000{hash(name) % 9000 + 1000:04d}"), "一种装置", "某公司", "2024-01-05", "发明", "", "盛泽"]
        with open(proj / name, "w", encoding=encoding, newline="") as fh:
            csv.writer(fh, delimiter=delimiter).writerows([HEADER_ZH, body])
        result = invoke(["import", str(proj / name), "--ledger", "patents", "--format", "json"], cwd=proj)
        assert result.exit_code == 0, (name, result.stdout)
        assert json.loads(result.stdout)["added"] == 1


def test_ledger_guess_unknown_and_ambiguous(invoke, proj):
    src = export(proj / "x.csv", [["1", "2"]], header=["甲", "乙"])
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert result.exit_code == 1 and "Pass --ledger" in result.stderr
    both = export(proj / "y.csv", [["2024", "x"]], header=["编号", "名称"])
    result = invoke(["import", str(both), "--lang", "en"], cwd=proj)
    assert result.exit_code == 2 and "could belong to several ledgers" in result.stderr


def test_missing_key_column_with_ledger_given(invoke, proj):
    src = export(proj / "x.csv", [["t"]], header=["发明名称"])
    result = invoke(["import", str(src), "--ledger", "patents", "--lang", "en"], cwd=proj)
    assert (
        result.exit_code == 1 and "lacks the key column application_no" in result.stderr and "申请号" in result.stderr
    )


def test_missing_file_is_exit_2(invoke, proj):
    assert invoke(["import", "nope.csv"], cwd=proj).exit_code == 2


def test_unmapped_columns_warn(invoke, proj):
    """Only the unused columns that look like another ledger's data are named (issue 21.10)."""
    src = export(
        proj / "in.csv",
        [[cn("202410000001"), "一种装置", "某公司", "2024-01-05", "发明", "", "盛泽", "备注", "500"]],
        header=HEADER_ZH + ["备注", "贷款金额"],
    )
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert (
        result.exit_code == 0 and "columns not imported: 贷款金额" in result.stderr and "pledge_loans" in result.stderr
    )
    assert "备注" not in result.stderr


def test_new_ledger_file_is_created(invoke, tmp_path):
    root = make_project(tmp_path / "p")
    (root / "data" / "events.csv").unlink()
    src = export(
        root / "ev.csv",
        [["HD-9", "广场宣传", "4·26", "平望", "2022-04-26", "200"]],
        header=["活动编号", "活动类型", "活动名称", "所属区镇", "举办日期", "参与人数"],
    )
    assert invoke(["import", str(src)], cwd=root).exit_code == 0
    assert ledger_rows(root, "events")[0]["kind"] == "plaza_promotion"
    assert (root / "data" / "events.csv").read_bytes().startswith(b"\xef\xbb\xbf")


# --- safety under faults ---------------------------------------------------------------------


def big_project(tmp_path: Path, stored: int, incoming_new: int, incoming_updates: int) -> tuple[Path, Path]:
    root = make_project(tmp_path / "big")
    bodies = pd.Series([f"2021{1}{i:07d}" for i in range(stored + incoming_new)], dtype="str")
    numbers = bodies + "." + pd.Series(cnipa_check_char(bodies, 12), dtype="str")
    frame = pd.DataFrame(
        {
            "application_no": numbers[:stored],
            "title": "一种装置",
            "applicant": "某公司",
            "town": "平望镇",
            "type": "invention",
            "filed_on": "2021-07-01",
            "granted_on": "",
        }
    )
    frame.to_csv(root / "data" / "patents.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    src = pd.DataFrame(
        {
            "申请号": pd.concat([numbers[:incoming_updates], numbers[stored:]]),
            "发明名称": "一种装置",
            "申请人": "某公司",
            "申请日": "2021/7/1",
            "专利类型": "发明",
            "授权公告日": "2022/8/1",
            "所属区镇": "平望",
        }
    )
    path = tmp_path / "big_export.csv"
    src.to_csv(path, index=False, encoding="gbk")
    return root, path


def run_import(root: Path, src: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ipdemo", "import", str(src), "--ledger", "patents", *extra],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_sigkill_leaves_old_or_new_ledger(tmp_path):
    root, src = big_project(tmp_path, stored=60_000, incoming_new=30_000, incoming_updates=30_000)
    ledger = root / "data" / "patents.csv"
    old = ledger.read_bytes()
    # The reference result, from an uninterrupted run on a copy.
    ref_root = tmp_path / "ref"
    subprocess.run(["cp", "-r", str(root), str(ref_root)], check=True)
    assert run_import(ref_root, src).wait() == 0
    new = (ref_root / "data" / "patents.csv").read_bytes()
    assert new != old
    outcomes = set()
    for delay in (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.9, 2.3):  # ten trials across the import
        ledger.write_bytes(old)
        proc = run_import(root, src)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = ledger.read_bytes()
        assert now in (old, new), f"torn ledger after SIGKILL at {delay}s"
        outcomes.add("new" if now == new else "old")
    assert "old" in outcomes  # the kill really landed mid-import at least once


def test_concurrent_imports_all_land(tmp_path):
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    sources = []
    for n in range(4):
        rows = [[cn(f"2024{1}{n}{i:06d}"), "一种装置", "某公司", "2024-01-05", "发明", "", "盛泽"] for i in range(3000)]
        sources.append(export(tmp_path / f"part{n}.csv", rows))
    procs = [run_import(root, s) for s in sources]
    assert [p.wait() for p in procs] == [0, 0, 0, 0], [p.stderr.read().decode() for p in procs]
    keys = [r["application_no"] for r in ledger_rows(root)]
    assert len(keys) == 12001 and len(set(keys)) == 12001  # every row exactly once
    assert len([e for e in read_journal(root / "data") if e["event"] == "import"]) == 4


def test_rejected_rows_are_explained_in_chinese_by_default(invoke, proj):
    src = export(proj / "in.csv", [[cn("202410000003"), "", "某公司", "2024-01-05", "发明", "", "盛泽"]])
    result = invoke(["import", str(src), "--skip-invalid"], cwd=proj)
    assert result.exit_code == 1
    with open(proj / "in.rejected.csv", encoding="utf-8-sig") as fh:
        reason = next(csv.DictReader(fh))["原因"]
    assert "必填字段为空" in reason and "required" not in reason


def test_the_chinese_summary_names_the_ledger_and_the_date_in_chinese(invoke, proj):
    """What the clerk reads after an import carries no English id and no ISO date: the ledger by
    its Chinese name, the export date as 2023年11月30日 (the standard for Chinese text)."""
    rows = [[cn("202310000001"), "一种装置", "某公司", "2023-09-01", "发明", "", "盛泽"]]
    export(proj / "专利导出_20231130.csv", rows)
    result = invoke(["import", "专利导出_20231130.csv"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    head = result.stdout.splitlines()[0]
    assert head.startswith("专利导出_20231130.csv → 专利台账：新增 1") and "patents" not in head
    assert "导出日期 2023年11月30日（" in result.stdout and "2023-11-30" not in result.stdout
