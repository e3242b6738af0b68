"""Defects found by trying issue 21 (round 3) as a new user would (trial 21).

Each test imports a file shaped as a clerk receives it, with the plain command (no --ledger), and
checks what a clerk would check: the counts said, the ledger written, the files beside the source.

- A Patentics export repeats 申请日; where the copies differ on the B (grant) row of an A/B pair,
  that row is rejected: counted as one invalid row (not "0 行无效"), and with --skip-invalid it is in
  the reject file only — its values (the grant) never reach the ledger through the fold.

Fixtures: tests/fixtures/exports/trial_*.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from .conftest import FIXTURES, make_project, snapshot

EXPORTS = FIXTURES / "exports"
PATENTICS_DIFFER = "trial_Patentics_重复列_B行申请日不一致.csv"
FOLDED_APP, OTHER_APP = "202210900001.6", "202210900002.0"


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p")


def ledger(project: Path, name: str) -> list[dict[str, str]]:
    with open(project / "data" / f"{name}.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_differing_copy_on_a_folded_grant_row_is_counted_as_an_invalid_row(invoke, proj: Path):
    shutil.copy(EXPORTS / PATENTICS_DIFFER, proj / PATENTICS_DIFFER)
    before = snapshot(proj / "data")
    result = invoke(["import", PATENTICS_DIFFER], cwd=proj)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "中有 1 行无效" in result.stderr
    assert f"{PATENTICS_DIFFER}:3: " in result.stderr
    assert snapshot(proj / "data") == before


def test_skip_invalid_keeps_a_rejected_grant_row_out_of_the_folded_record(invoke, proj: Path):
    shutil.copy(EXPORTS / PATENTICS_DIFFER, proj / PATENTICS_DIFFER)
    result = invoke(["import", PATENTICS_DIFFER, "--skip-invalid", "--format", "json"], cwd=proj)
    assert result.exit_code == 1, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["rejected"] == 1 and out["added"] == 2
    rows = {r["application_no"]: r for r in ledger(proj, "patents")}
    assert set(rows) == {FOLDED_APP, OTHER_APP}
    # The grant is only on the rejected row: it is in the reject file, not in the ledger.
    assert rows[FOLDED_APP]["granted_on"] == "" and rows[FOLDED_APP]["filed_on"] == "2022-03-01"
    with open(proj / "trial_Patentics_重复列_B行申请日不一致.rejected.csv", encoding="utf-8-sig") as fh:
        rejected = list(csv.DictReader(fh))
    assert [r["原行号"] for r in rejected] == ["3"]


INCOPAT_AMBIGUOUS = "trial_incoPat_B行公告日日月不明_20231201.csv"


def test_ambiguous_grant_date_names_the_b_row_and_rejects_only_it(invoke, proj: Path):
    """The B row's 公开（公告）日 reads 01/02/2023 (day-first?): the error names that row (3), not
    the A row its application folds into, and --skip-invalid keeps the A row's application."""
    shutil.copy(EXPORTS / INCOPAT_AMBIGUOUS, proj / INCOPAT_AMBIGUOUS)
    before = snapshot(proj / "data")
    result = invoke(["import", INCOPAT_AMBIGUOUS], cwd=proj)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert f"{INCOPAT_AMBIGUOUS}:3: 授权公告日: " in result.stderr and ":2: " not in result.stderr
    assert "中有 1 行无效" in result.stderr and snapshot(proj / "data") == before
    result = invoke(["import", INCOPAT_AMBIGUOUS, "--skip-invalid", "--format", "json"], cwd=proj)
    out = json.loads(result.stdout)
    assert result.exit_code == 1 and (out["added"], out["rejected"]) == (1, 1)
    [row] = ledger(proj, "patents")
    assert (row["application_no"], row["granted_on"], row["legal_status"]) == ("202210910001.4", "", "pending")
    with open(proj / INCOPAT_AMBIGUOUS.replace(".csv", ".rejected.csv"), encoding="utf-8-sig") as fh:
        rejected = list(csv.DictReader(fh))
    assert [(r["原行号"], r["公开（公告）号"]) for r in rejected] == [("3", "CN115000009B")]


def test_differing_copies_are_told_apart_by_column_and_named_in_chinese(invoke, proj: Path):
    """Both copies are headed 申请日: the message says which columns (4 and 11), and the Chinese
    text names the field by its label, not its English id."""
    shutil.copy(EXPORTS / PATENTICS_DIFFER, proj / PATENTICS_DIFFER)
    result = invoke(["import", PATENTICS_DIFFER], cwd=proj)
    [line] = [x for x in result.stderr.splitlines() if x.startswith(f"{PATENTICS_DIFFER}:3: 申请日: ")]
    text = line.split("错误: ", 1)[1]
    assert "第 4 列" in text and "第 11 列" in text and "申请日" in text
    assert "filed_on" not in text
    result = invoke(["import", PATENTICS_DIFFER, "--lang", "en"], cwd=proj)
    assert "columns 4 ('申请日') and 11 ('申请日')" in result.stderr


SIGN_IN_ONE_DAY = "trial_培训签到表_单日培训时间.xlsx"


@pytest.mark.parametrize(
    ("text", "periods_only", "expected"),
    [
        ("培训时间：2023年10月12日", True, None),  # one day: not the month 2023年10月
        ("吴江区专利授权统计表 2023年10月15日", True, None),
        ("2023.10.15 导出 2023年第四季度", True, "2023-12-31"),  # the day passed over, the quarter found
        ("统计表（2023年10月）", True, "2023-10-31"),
        ("培训时间：2023年9月12日—14日", True, "2023-09-14"),
        ("培训时间：2023年10月12日", False, "2023-10-12"),
    ],
)
def test_a_single_day_in_a_title_is_never_read_as_its_month(text, periods_only, expected):
    from ipdemo.ingest.provenance import date_in_text

    found = date_in_text(text, periods_only=periods_only)
    assert (found.isoformat() if found else None) == expected


def test_sign_in_sheet_of_one_day_is_dated_by_its_course_day(invoke, proj: Path):
    """培训时间：2023年10月12日 is one day, not 2023年10月: the sheet is dated 2023-10-12 (the
    course day it gives every row), neither the month's end nor today."""
    shutil.copy(EXPORTS / SIGN_IN_ONE_DAY, proj / SIGN_IN_ONE_DAY)
    result = invoke(["import", SIGN_IN_ONE_DAY, "--set", "role=engineer", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out["ledger"], out["added"], out["exported_on"]) == ("trainees", 2, "2023-10-12")
    assert {r["trained_on"] for r in ledger(proj, "trainees")} == {"2023-10-12"}


UTF16_TITLED = "trial_授权清单_UTF16_制表符_无分隔的标题行.txt"


def test_tab_separated_text_with_a_bare_title_line_is_read(invoke, proj: Path):
    """A UTF-16 tab export whose title line has no tab (a system wrote it, not Excel) used to be
    split on commas, so no header was found ('缺少主键列'); the delimiter comes from the lines
    that have one. The note lines under the data are skipped and said."""
    shutil.copy(EXPORTS / UTF16_TITLED, proj / UTF16_TITLED)
    result = invoke(["import", UTF16_TITLED, "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out["ledger"], out["added"], out["rejected"]) == ("patents", 1, 0)
    assert [s["row"] for s in out["skipped_rows"]] == [4, 5]
    [row] = ledger(proj, "patents")
    assert (row["town"], row["granted_on"], row["type"]) == ("震泽镇", "2023-10-10", "utility_model")


INCOPAT_COUNTY = "trial_incoPat_无地址_中国申请人区县_20231201.csv"


def test_incopat_county_column_places_a_row_without_address(invoke, proj: Path):
    """incoPat names the applicant's city and county (中国申请人地市 / 中国申请人区县) even where
    申请人地址 is empty: 吴江区 is inside (no town named: 未划分区镇), 相城区 outside; a row with
    neither is held as before."""
    shutil.copy(EXPORTS / INCOPAT_COUNTY, proj / INCOPAT_COUNTY)
    result = invoke(["import", INCOPAT_COUNTY, "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out["added"], out["outside"], out["held"], out["unassigned"]) == (1, 1, 1, 1)
    [row] = ledger(proj, "patents")
    assert (row["application_no"], row["town"]) == ("202310880001.9", "")


REGISTER = "trial_吴江区企业名录.csv"
COPYRIGHT_LISTED = "trial_版权中心_登记公告_顿号分隔的著作权人.xlsx"


def test_owners_listed_with_a_dunhao_get_the_first_owners_town_as_a_suggestion(invoke, proj: Path):
    """版权中心 lists two owners as 'A、B'. '、' is no party separator (it occurs inside names), so
    the row is held — but pre-filled with the first owner's town from the register, marked as a
    suggestion, as the row of A alone is placed."""
    for name in (REGISTER, COPYRIGHT_LISTED):
        shutil.copy(EXPORTS / name, proj / name)
    assert invoke(["import", REGISTER, "--exported-on", "2023-09-01"], cwd=proj).exit_code == 0
    result = invoke(["import", COPYRIGHT_LISTED, "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out["added"], out["held"], out["suggested"]) == (1, 1, 1)
    with open(proj / COPYRIGHT_LISTED.replace(".xlsx", ".unplaced.csv"), encoding="utf-8-sig") as fh:
        [held] = list(csv.DictReader(fh))
    assert (held["登记号"], held["所属区镇"], held["建议区镇"]) == ("2023SR1100001", "", "吴江高新区（盛泽镇）")
    assert "苏州恒力纺织科技有限公司" in held["建议依据"]


EVENTS_NO_ID = "trial_宣传活动统计_无活动编号.xlsx"


def test_campaign_sheet_without_event_numbers_is_chosen_and_counted_once(invoke, proj: Path):
    """A town's 宣传活动 sheet has 活动名称 / 活动类型 / 举办地 / 举办日期 / 参与人数（人） and no
    活动编号: it goes to events without --ledger (recognised by name, date and town), and the same
    sheet again adds nothing."""
    shutil.copy(EXPORTS / EVENTS_NO_ID, proj / EVENTS_NO_ID)
    result = invoke(["import", EVENTS_NO_ID, "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out["ledger"], out["added"]) == ("events", 1)
    [row] = ledger(proj, "events")
    assert (row["kind"], row["town"], row["held_on"], row["participants"]) == (
        "plaza_promotion",
        "吴江高新区（盛泽镇）",
        "2023-04-26",
        "300",
    )
    again = json.loads(invoke(["import", EVENTS_NO_ID, "--format", "json"], cwd=proj).stdout)
    assert (again["added"], again["updated"]) == (0, 0) and len(ledger(proj, "events")) == 1


OUTPUTS_NO_ID = "trial_工作成果_无成果编号.xlsx"


def test_a_sheet_whose_dates_only_a_ledger_without_its_key_reads_is_not_put_in_the_register(invoke, proj: Path):
    """An outputs sheet without 成果编号 (名称, 成果类型, 区镇, 日期): the enterprise register is
    the only ledger that finds its records (名称), and it would drop the 日期 column that outputs,
    events… read. It went there with exit 0 (a report title stored as a firm); it stops (exit 2)
    naming the ledgers and --ledger, and nothing is written."""
    shutil.copy(EXPORTS / OUTPUTS_NO_ID, proj / OUTPUTS_NO_ID)
    before = snapshot(proj / "data")
    result = invoke(["import", OUTPUTS_NO_ID], cwd=proj)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "organisations" in result.stderr and "--ledger" in result.stderr and "日期" in result.stderr
    assert snapshot(proj / "data") == before and "Traceback" not in result.stderr
