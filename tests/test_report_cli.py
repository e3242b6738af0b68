"""`ipdemo report` end to end: formats, golden files, options, exit codes."""

import json
import os
from pathlib import Path

import pytest

from .conftest import make_project, snapshot
from .test_progress import ROWS

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


@pytest.mark.parametrize("args", [["--as-of", "2021-13-01"], ["--as-of", "2021-05-01"], ["--phase", "9"], ["--phase", "0"],
                                  ["--format", "pdf"], ["--by", "week"], ["--bogus"]])
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
    assert "1 invalid rows were left out of the figures (patents.csv: 7)" in result.stderr
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
    assert book.sheetnames == ["进度", "按区镇", "说明"]
    sheet = book["进度"]
    header = [c.value for c in sheet[2]]
    row = [c.value for c in sheet[3]]
    assert row[header.index("实际")] == 3 and isinstance(row[header.index("完成率%")], (int, float))


def test_xlsx_and_csv_neutralise_formulas(invoke, small):
    path = small / "data" / "outputs.csv"
    text = path.read_text(encoding="utf-8-sig")
    (small / "targets.yaml").write_text((small / "targets.yaml").read_text(encoding="utf-8").replace(
        "name: 成立示范工作领导小组", "name: \"=HYPERLINK('http://x','y')\""), encoding="utf-8")
    path.write_text(text, encoding="utf-8-sig")
    csv_out = invoke(["report", "--format", "csv"], cwd=small).stdout
    assert "'=HYPERLINK" in csv_out and "\n=HYPERLINK" not in csv_out and ",=HYPERLINK" not in csv_out


def test_html_is_self_contained_and_escaped(invoke, small):
    (small / "targets.yaml").write_text((small / "targets.yaml").read_text(encoding="utf-8").replace(
        "name: 专利申请量", "name: \"<script>alert(1)</script>\""), encoding="utf-8")
    html = invoke(["report", "--format", "html"], cwd=small).stdout
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'charset="utf-8"' in html and "<svg" in html
    assert_self_contained(html)


def assert_self_contained(html: str) -> None:
    """Nothing is fetched: no external src/href, stylesheet links, imports or url() loads."""
    import re

    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and not re.search(r"url\(\s*['\"]?https?:", html)
    assert "<script" not in html


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
    table = [line for line in lines if line.startswith(("┃", "│"))]
    assert len(table) == 23 and len({wcswidth(line) for line in table}) == 1
