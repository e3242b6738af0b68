"""`ipdemo report` end to end: formats, golden files, options, exit codes."""

import json
import os
from pathlib import Path

import pytest

from .conftest import make_project, snapshot
from .helpers import ROWS, assert_self_contained

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def small(tmp_path):
    return make_project(tmp_path / "p", ROWS)


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it (then review the diff)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt, ext", [("markdown", "md"), ("csv", "csv"), ("json", "json")])
def test_golden_phase2(invoke, small, fmt, ext):
    result = invoke(["report", "--phase", "2", "--format", fmt], cwd=small)
    assert result.exit_code == 0, result.stderr
    golden(f"report_phase2.{ext}", result.stdout)


def test_golden_by_town_markdown_english(invoke, small):
    result = invoke(["report", "--by", "town", "--format", "markdown", "--lang", "en"], cwd=small)
    assert result.exit_code == 0
    golden("report_by_town_en.md", result.stdout)


def test_json_shape_matches_spec(invoke, small):
    data = json.loads(invoke(["report", "--phase", "2", "--format", "json"], cwd=small).stdout)
    assert set(data) >= {"plan", "as_of", "window", "phase", "town", "indicators"}
    assert data["window"] == {"start": "2021-06-01", "end": "2023-09-30"} and data["phase"]["id"] == 2
    loans = next(i for i in data["indicators"] if i["id"] == "pledge_loans")
    assert {"id", "name", "kind", "unit", "target", "actual", "percent", "expected", "status"} <= set(loans)
    assert loans["unit"] == "亿元" and isinstance(loans["actual"], (int, float))


@pytest.mark.parametrize("by, key", [("town", "towns"), ("phase", "phases"), ("year", "series"), ("month", "series")])
def test_breakdowns_in_json(invoke, small, by, key):
    data = json.loads(invoke(["report", "--by", by, "--format", "json"], cwd=small).stdout)
    assert data["by"] == by and key in data["breakdown"][0]


def test_by_month_series_sums_to_total(invoke, small):
    data = json.loads(invoke(["report", "--by", "month", "--format", "json"], cwd=small).stdout)
    apps = next(r for r in data["breakdown"] if r["id"] == "patent_applications")
    assert len(apps["series"]) == 31 and sum(s["increment"] for s in apps["series"]) == 3


def test_town_alias_accepted(invoke, small):
    result = invoke(["report", "--town", "七都", "--format", "json"], cwd=small)
    assert result.exit_code == 0 and json.loads(result.stdout)["town"] == "七都镇"


def test_unknown_town_is_exit_2_with_suggestions(invoke, small):
    result = invoke(["report", "--town", "七都街道", "--lang", "en"], cwd=small)
    assert result.exit_code == 2
    assert "unknown town '七都街道'; closest known: 七都镇" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "2021-13-01"],
        ["--phase", "3", "--as-of", "2023-09-01"],
        ["--phase", "9"],
        ["--phase", "0"],
        ["--format", "pdf"],
        ["--by", "week"],
        ["--bogus"],
    ],
)
def test_bad_options_exit_2(invoke, small, args):
    result = invoke(["report", *args], cwd=small)
    assert result.exit_code == 2, result.stdout
    assert "Traceback" not in result.stderr


def test_table_on_non_tty_has_no_colour_codes(invoke, small):
    result = invoke(["report", "--phase", "2"], cwd=small)
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout and "专利申请量" in result.stdout and "正常推进" not in result.stderr


def test_invalid_rows_warn_or_fail_with_strict(invoke, small):
    path = small / "data" / "patents.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").replace("七都镇", "某某镇"), encoding="utf-8-sig")
    result = invoke(["report", "--lang", "en"], cwd=small)
    assert result.exit_code == 0
    assert "invalid rows left out of the figures: 1 (patents.csv: 7)" in result.stderr
    strict = invoke(["report", "--strict", "--lang", "en"], cwd=small)
    assert strict.exit_code == 1 and "ipdemo validate" in strict.stderr


def test_output_file_is_written_and_ledgers_refused(invoke, small):
    out = small / "report.md"
    result = invoke(["report", "--format", "markdown", "--output", str(out)], cwd=small)
    assert result.exit_code == 0 and result.stdout == "" and out.read_text(encoding="utf-8").startswith("# ")
    before = snapshot(small / "data")
    for target in ("data/patents.csv", "targets.yaml"):
        refused = invoke(["report", "--format", "csv", "--output", target, "--lang", "en"], cwd=small)
        assert refused.exit_code == 2 and "refusing to overwrite" in refused.stderr
    assert snapshot(small / "data") == before


def test_xlsx_needs_output_and_keeps_numbers(invoke, small):
    assert invoke(["report", "--format", "xlsx"], cwd=small).exit_code == 2
    out = small / "report.xlsx"
    result = invoke(["report", "--format", "xlsx", "--output", str(out), "--by", "town"], cwd=small)
    assert result.exit_code == 0
    from openpyxl import load_workbook

    book = load_workbook(out)
    assert book.sheetnames == ["进度", "按区镇", "重点任务", "说明"]
    sheet = book["进度"]
    header = [c.value for c in sheet[2]]
    row = [c.value for c in sheet[3]]
    assert row[header.index("实际")] == 3 and isinstance(row[header.index("完成率")], (int, float))


def test_xlsx_and_csv_neutralise_formulas(invoke, small):
    path = small / "data" / "outputs.csv"
    text = path.read_text(encoding="utf-8-sig")
    (small / "targets.yaml").write_text(
        (small / "targets.yaml")
        .read_text(encoding="utf-8")
        .replace("name: 成立示范工作领导小组", "name: \"=HYPERLINK('http://x','y')\""),
        encoding="utf-8",
    )
    path.write_text(text, encoding="utf-8-sig")
    csv_out = invoke(["report", "--format", "csv"], cwd=small).stdout
    assert "'=HYPERLINK" in csv_out and "\n=HYPERLINK" not in csv_out and ",=HYPERLINK" not in csv_out


def test_html_is_self_contained_and_escaped(invoke, small):
    (small / "targets.yaml").write_text(
        (small / "targets.yaml")
        .read_text(encoding="utf-8")
        .replace("name: 专利申请量", 'name: "<script>alert(1)</script>"'),
        encoding="utf-8",
    )
    html = invoke(["report", "--format", "html"], cwd=small).stdout
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'charset="utf-8"' in html and "<svg" in html
    assert_self_contained(html)


@pytest.mark.parametrize("phase", [1, 2, 3])
def test_shipped_data_each_phase(invoke, shipped, phase):
    result = invoke(["report", "--phase", str(phase), "--format", "json"], cwd=shipped)
    assert result.exit_code == 0 and result.stderr == ""
    data = json.loads(result.stdout)
    assert len(data["indicators"]) == 22 and data["phase"]["id"] == phase
    by_id = {i["id"]: i for i in data["indicators"]}
    assert by_id["patent_applications"]["phase_increment"] > 0
    if phase == 3:
        # The shipped story: some met, some behind, a milestone missed, one done late.
        assert by_id["patent_applications"]["status"] == "achieved"
        assert by_id["software_copyrights"]["status"] == "behind"
        assert by_id["self_inspection"]["status"] == "behind"
        assert by_id["town_ip_staff"]["late"] is True


def test_shipped_table_lines_up(invoke, shipped):
    from wcwidth import wcswidth

    lines = invoke(["report", "--phase", "2"], cwd=shipped).stdout.splitlines()
    tasks = next(n for n, line in enumerate(lines) if "重点任务推进情况" in line)  # the second table: tasks
    table = [line for line in lines[:tasks] if line.startswith(("┃", "│"))]
    assert len(table) == 23 and len({wcswidth(line) for line in table}) == 1
    table = [line for line in lines[tasks:] if line.startswith(("┃", "│"))]
    assert len(table) == 40 and len({wcswidth(line) for line in table}) == 1


# --- any plan: tests/fixtures/other_plan through the command line ----------------------------

OTHER = Path(__file__).parent / "fixtures" / "other_plan"


@pytest.fixture
def other(tmp_path):
    import shutil

    shutil.copytree(OTHER, tmp_path / "other")
    return tmp_path / "other"


@pytest.mark.parametrize("args, option", [(["--phase", "1"], "--phase"), (["--by", "phase"], "--by phase")])
def test_no_phases_gives_a_clear_usage_error(invoke, other, args, option):
    result = invoke(["report", *args, "--lang", "en"], cwd=other)
    assert result.exit_code == 2 and f"this plan has no phases, so {option} cannot be used" in result.stderr
    assert "Traceback" not in result.stderr
    assert invoke(["report", "--format", "json"], cwd=other).exit_code == 0  # without them it reports


def test_baseline_before_the_plan_start(invoke, other):
    result = invoke(["report", "--as-of", "2023-12-31", "--format", "json"], cwd=other)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["before_start"] is True and data["as_of"] == "2023-12-31"
    assert data["baseline"]["levels"] == {"trademark_stock": 1, "hv_invention_density": 0.5, "high_tech_enterprises": 3}
    by_id = {i["id"]: i for i in data["indicators"]}
    assert by_id["ip_applications"]["actual"] == 0 and by_id["trademark_stock"]["actual"] == 1
    assert all(i["status"] is None for i in data["indicators"])
    text = invoke(["report", "--as-of", "2023-12-31", "--format", "markdown"], cwd=other).stdout
    assert "基期：计划开始（2024年1月1日）前，截至 2023年12月31日" in text


def test_baseline_of_the_wujiang_plan_and_baseline_in_every_report(invoke, small):
    data = json.loads(invoke(["report", "--as-of", "2021-05-31", "--format", "json"], cwd=small).stdout)
    density = next(i for i in data["indicators"] if i["id"] == "invention_density")
    assert data["before_start"] and density["actual"] == density["baseline"] == 0  # granted 2021-12-31 and later
    assert next(i for i in data["indicators"] if i["id"] == "patent_applications")["actual"] == 0
    later = json.loads(invoke(["report", "--format", "json"], cwd=small).stdout)
    assert later["baseline"] == {"on": "2021-05-31", "levels": {"invention_density": 0}}


def test_plan_words_in_every_renderer(invoke, other, tmp_path):
    args = ["report", "--as-of", "2026-06-30", "--by", "town"]
    markdown = invoke([*args, "--format", "markdown"], cwd=other).stdout
    assert "## 按县（市、区）" in markdown and "| 全市 " in markdown.replace("|   全市 ", "| 全市 ")
    assert "区镇" not in markdown and "全区" not in markdown and "金门县" not in markdown  # nominal, no records
    english = invoke([*args, "--format", "markdown", "--lang", "en"], cwd=other).stdout
    assert "## by county" in english and " city " in english and "| district" not in english
    table = invoke(args, cwd=other).stdout
    assert "全市" in table and "按县（市、区）" in table
    payload = json.loads(invoke([*args, "--format", "json"], cwd=other).stdout)
    assert payload["words"] == {
        "area": "县（市、区）",
        "whole": "全市",
        "area_en": "county",
        "areas_en": "counties",
        "whole_en": "city",
    }
    html = invoke([*args, "--format", "html"], cwd=other).stdout
    assert "按县（市、区）" in html and "各县（市、区）对比" in html and "占全市" in html and "区镇" not in html
    town = invoke(["report", "--as-of", "2026-06-30", "--town", "东城", "--format", "markdown"], cwd=other).stdout
    assert "占全市%" in town
    out = tmp_path / "r.xlsx"
    assert invoke([*args, "--format", "xlsx", "--output", str(out)], cwd=other).exit_code == 0
    from openpyxl import load_workbook

    book = load_workbook(out)
    assert book.sheetnames == ["进度", "按县（市、区）", "说明"]
    assert [c.value for c in book["按县（市、区）"][2]][2:-1] == ["全市", "东城区", "西城区", "南山县"]
    milestones = invoke(["report", "--as-of", "2026-06-30", "--format", "markdown"], cwd=other).stdout
    assert "（2 个县（市、区））" in milestones


def test_more_than_is_shown_in_the_target_column(invoke, other):
    text = invoke(["report", "--as-of", "2026-10-31", "--format", "markdown", "--lang", "en"], cwd=other).stdout
    line = next(row for row in text.splitlines() if row.startswith("| hv_invention_density"))
    assert "\\> 2 件/万人" in line and "| 100 " in line.replace("|       100 ", "| 100 ") and "achieved" not in line
    rows = invoke(["report", "--as-of", "2026-10-31", "--format", "csv"], cwd=other).stdout
    assert "hv_invention_density,每万人口高价值发明专利拥有量,stock,件/万人,more_than,2," in rows


def test_milestone_before_the_plan_has_a_hint(invoke, other):
    text = invoke(["report", "--as-of", "2026-06-30", "--format", "markdown", "--lang", "en"], cwd=other).stdout
    line = next(row for row in text.splitlines() if row.startswith("| leading_group"))
    assert "done 2023-11-20, before the plan started" in line and "not done" not in line


def run_module(args, cwd):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-W", "default", "-m", "ipdemo", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_a_plan_of_stocks_gets_burn_ups_and_no_empty_towns_chart(other):
    import re

    import yaml

    path = other / "targets.yaml"
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    plan["indicators"] = [i for i in plan["indicators"] if i["id"] == "hv_invention_density"]
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    result = run_module(["report", "--as-of", "2026-06-30", "--format", "html"], other)
    assert result.returncode == 0, result.stderr
    assert re.findall(r'<figure id="([^"]+)">', result.stdout) == ["burnup-hv_invention_density"]
    assert result.stderr == ""  # no "No artists with labels found to put in legend"


def test_stock_burn_ups_in_a_full_plan(invoke, other):
    import re

    html = invoke(["report", "--as-of", "2026-06-30", "--format", "html"], cwd=other).stdout
    ids = re.findall(r'<figure id="([^"]+)">', html)
    assert {"burnup-trademark_stock", "burnup-high_tech_enterprises", "burnup-copyright_registrations", "towns"} <= set(
        ids
    )


def test_future_expiry_dates_are_valid_end_to_end(other):
    """`future: true` on expires_on: the 2033/2034 expiry dates raise nothing, in validate and report."""
    check = run_module(["validate", "--lang", "en"], other)
    assert check.returncode == 0 and "after today" not in check.stdout + check.stderr
    report = run_module(["report", "--format", "json"], other)
    assert report.returncode == 0 and report.stderr == ""
    path = other / "targets.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("future: true, ", ""), encoding="utf-8")
    flagged = run_module(["validate", "--lang", "en", "--format", "json"], other)
    dates = [
        p
        for p in json.loads(flagged.stdout)["errors"] + json.loads(flagged.stdout)["warnings"]
        if p["code"] == "date_in_future"
    ]
    assert len(dates) == 3 and {p["field"] for p in dates} == {"expires_on"}


def test_counts_are_whole_on_the_shipped_data(invoke, shipped):
    data = json.loads(invoke(["report", "--phase", "2", "--format", "json"], cwd=shipped).stdout)
    apps = next(i for i in data["indicators"] if i["id"] == "patent_applications")
    assert apps["expected"] == 27076 and apps["needed_per_week"] == 54  # 27,076.27 and 53.18 before
    for item in data["indicators"]:
        if item["unit"] in ("件", "家", "个", "项", "次", "名", "单"):
            assert all(float(item[k]).is_integer() for k in ("expected", "needed_per_week") if item[k] is not None), (
                item
            )
