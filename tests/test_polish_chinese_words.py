"""Chinese output names ledgers and fields in Chinese and dates as 2024年1月1日 (polish, task 5).

The project brief: "Chinese text carries no English ids, tool names or ISO dates". Each case runs
a command as a user types it (default language: Chinese) and checks every line of its output
that holds Chinese: no ledger id, no field id, no YYYY-MM-DD date. What is legitimately Latin is
taken out first: file names and paths, and the how-to-fix hints of options (--ledger …,
--set FIELD=…), whose values are what the user types.
"""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest

from ipdemo.plan.model import load_plan
from tests.conftest import ROOT, VALID_ROWS, make_project
from tests.test_ledger_choice import pledge_ledger

PLAN = load_plan(ROOT / "targets.yaml")
IDS = sorted({*PLAN.ledgers, *(f for spec in PLAN.ledgers.values() for f in spec.fields)}, key=len, reverse=True)
ID_WORD = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, IDS)) + r")(?![A-Za-z0-9_])")
ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
HAN = re.compile(r"[\u4e00-\u9fff]")
ALLOWED = [
    re.compile(r"\S*[/\\]\S*"),  # a path
    re.compile(r"[^\s：:，,（）()]+\.(?:csv|xlsx|xls|txt|md|html|yaml|zip|docx|json|toml|jsonl)\b"),  # a file name
    re.compile(r"--ledger\b[^。\n]*"),  # --ledger and the ids it takes
    re.compile(r"--set \S+"),  # --set FIELD=…
    re.compile(r"YYYY-MM-DD"),  # the format a date is to be written in
]
TASK_ROW = re.compile(r"^│ [一二三四五六七八九十]+[（、]")
EXPORTS = ROOT / "tests" / "fixtures" / "exports"


def foreign_words(output: str) -> list[str]:
    """Ids and ISO dates in the lines that hold Chinese, with what may be Latin taken out."""
    found = []
    for line in output.splitlines():
        if not HAN.search(line):
            continue
        text = line
        for allowed in ALLOWED:
            text = allowed.sub(" ", text)
        found += [f"{word!r} in {line!r}" for word in ID_WORD.findall(text) + ISO_DATE.findall(text)]
    return found


def test_a_grant_before_the_filing_is_worded_in_chinese(invoke, tmp_path):
    row = {**VALID_ROWS["patents"], "filed_on": "2024-01-01", "granted_on": "2023-12-31"}
    project = make_project(tmp_path / "proj", {"patents": [row]})
    result = invoke(["validate"], cwd=project)
    assert result.exit_code == 1
    line = next(line for line in result.stdout.splitlines() if "早于" in line)
    assert "授权公告日 2023年12月31日 早于 申请日 2024年1月1日" in line, line
    assert foreign_words(result.stdout + result.stderr) == []
    english = invoke(["validate", "--lang", "en"], cwd=project)
    assert "granted_on 2023-12-31 is earlier than filed_on 2024-01-01" in english.stdout  # English keeps the ids


def test_the_other_ledgers_of_an_import_are_named_in_chinese(invoke, project):
    result = invoke(["import", str(pledge_ledger(project)), "--dry-run"], cwd=project)
    assert result.exit_code == 0, result.stderr
    assert "其他可能的台账读取得更少：企业名录" in result.stdout
    assert foreign_words(result.stdout + result.stderr) == []


def test_the_closest_ledger_refusal_names_ledgers_in_chinese(invoke, project):
    src = shutil.copy(EXPORTS / "trial_工作成果_无成果编号.xlsx", project)
    result = invoke(["import", str(src), "--dry-run"], cwd=project)
    assert result.exit_code == 2
    assert "最接近的台账 企业名录" in result.stderr and "台账 工作成果" in result.stderr
    assert foreign_words(result.stdout + result.stderr) == []


def test_an_export_date_of_today_is_a_chinese_date(invoke, project):
    src = shutil.copy(EXPORTS / "trial_吴江区企业名录.csv", project)
    result = invoke(["import", str(src), "--dry-run"], cwd=project)
    today = date.today()
    assert f"已按今天（{today.year}年{today.month}月{today.day}日）记录" in result.stderr
    assert foreign_words(result.stdout + result.stderr) == []


@pytest.mark.parametrize("name", sorted(p.name for p in EXPORTS.iterdir()))
def test_importing_each_fixture_export_speaks_chinese(invoke, project, name):
    src = shutil.copy(EXPORTS / name, project)
    result = invoke(["import", str(src), "--dry-run"], cwd=project)
    assert foreign_words(result.stdout + result.stderr) == []


@pytest.mark.parametrize(
    "args",
    [["validate"], ["report"], ["summary"], ["summary", "--format", "text"]],
)
def test_the_shipped_data_speaks_chinese(invoke, shipped, args):
    """The report's table of tasks included (its 截止/最近报送 dates and 据指标 notes were ISO)."""
    result = invoke(args, cwd=shipped)
    assert result.exit_code == 0, result.stderr
    assert foreign_words(result.stdout + result.stderr) == []


def test_the_task_table_dates_read_as_chinese_dates(invoke, shipped):
    result = invoke(["report"], cwd=shipped)
    rows = [line for line in result.stdout.splitlines() if TASK_ROW.search(line)]
    assert rows and any("2023年4月26日" in line for line in rows)  # 最近报送 of 三（三）三是
    assert any("已完成（2022年9月28日）" in line for line in rows)  # a linked indicator's done date


def test_a_milestone_done_reads_as_a_chinese_date(invoke, shipped):
    result = invoke(["report"], cwd=shipped)
    assert "2022年9月28日 完成" in result.stdout


def test_the_check_of_the_test_itself_finds_ids_and_dates():
    found = foreign_words("data/patents.csv:2: granted_on: 错误: 早于 2024-01-01；用 --ledger patents")
    assert len(found) == 2 and "granted_on" in found[0] and "2024-01-01" in found[1]
    assert foreign_words("granted_on 2024-01-01 is earlier") == []  # an English line


def test_a_field_is_named_by_its_own_ledgers_label(invoke, tmp_path):
    """`title` is 发明名称 in the patents ledger and 软件名称 in the software copyrights ledger."""
    rows = {
        "patents": [{**VALID_ROWS["patents"], "title": ""}],
        "software_copyrights": [{**VALID_ROWS["software_copyrights"], "title": ""}],
    }
    project = make_project(tmp_path / "proj", rows)
    result = invoke(["validate"], cwd=project)
    assert "data/patents.csv:2: 发明名称: 错误" in result.stdout, result.stdout
    assert "data/software_copyrights.csv:2: 软件名称: 错误" in result.stdout, result.stdout
    english = invoke(["validate", "--lang", "en"], cwd=project)
    assert "data/software_copyrights.csv:2: title: error" in english.stdout


def test_an_unknown_set_field_names_the_ledger_in_chinese(invoke, project):
    src = shutil.copy(EXPORTS / "organisations_register.csv", project)
    result = invoke(["import", str(src), "--set", "foo=1", "--dry-run"], cwd=project)
    assert result.exit_code == 2
    assert "不属于台账 企业名录" in result.stderr
    assert foreign_words(result.stderr.split("（可用")[0]) == []  # the fields it lists are what --set takes


def test_the_plans_date_range_reads_as_chinese_dates(invoke, tmp_path):
    """The sane range of dates came from the plan as ISO dates: 1985-04-01 .. 2099-12-31."""
    project = make_project(tmp_path / "proj", {"patents": [{**VALID_ROWS["patents"], "filed_on": "1899-01-07"}]})
    result = invoke(["validate"], cwd=project)
    assert result.exit_code == 1
    line = next(line for line in result.stdout.splitlines() if "合理范围" in line)
    assert "1985年4月1日至2099年12月31日" in line, line
    english = invoke(["validate", "--lang", "en"], cwd=project)
    assert "1985-04-01 .. 2099-12-31" in english.stdout
