"""Security promises: safe YAML only, no formula injection in exports, escaped HTML, no personal
data in messages, --output never overwrites the data."""

import json
import re

from ipdemo.render.grid import neutralise

from .conftest import VALID_ROWS, make_project, snapshot, write_ledger


def test_neutralise_formula_cells():
    for text in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", '=HYPERLINK("http://x","y")'):
        assert neutralise(text).startswith("'")
    for text in ("-5", "+3.5", "普通文本", "2021-06-01", ""):
        assert neutralise(text) == text


def test_xlsx_export_keeps_formulas_as_text(invoke, tmp_path):
    root = make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})
    plan = root / "targets.yaml"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("name: 专利申请量", 'name: "=HYPERLINK(\\"http://evil\\",\\"x\\")"'),
        encoding="utf-8",
    )
    out = root / "r.xlsx"
    assert invoke(["report", "--format", "xlsx", "--output", str(out)], cwd=root).exit_code == 0
    from openpyxl import load_workbook

    sheet = load_workbook(out)["进度"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells)


def test_personal_fields_never_in_messages(invoke, tmp_path):
    trainee = {**VALID_ROWS["trainees"], "name": "张三\x07"}
    root = make_project(tmp_path / "p", {"trainees": [trainee]})
    result = invoke(["validate", "--format", "json", "--lang", "en"], cwd=root)
    error = json.loads(result.stdout)["errors"][0]
    assert error["field"] == "name" and error["line"] == 2 and "张三" not in result.stdout
    summary = invoke(["summary", "--week", "2022-W18"], cwd=root).stdout
    report = invoke(["report", "--format", "json"], cwd=root).stdout
    assert "张三" not in summary + report + result.stderr


def test_reports_never_print_trainee_names(invoke, tmp_path):
    root = make_project(tmp_path / "p", {"trainees": [VALID_ROWS["trainees"]]})
    for args in (
        ["report"],
        ["report", "--by", "town", "--format", "csv"],
        ["report", "--format", "html"],
        ["summary", "--week", "2022-W17", "--format", "html"],
    ):
        assert VALID_ROWS["trainees"]["name"] not in invoke(args, cwd=root).stdout


def test_output_never_overwrites_data(invoke, tmp_path):
    root = make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})
    before = snapshot(root)
    for target in (
        "data/patents.csv",
        "targets.yaml",
        "data/journal.jsonl",
        "./data/../data/events.csv",
        "data/.ipdemo.lock",
    ):
        for args in (["report", "--format", "csv"], ["summary"]):
            result = invoke([*args, "--output", target, "--lang", "en"], cwd=root)
            assert result.exit_code == 2 and "refusing to overwrite" in result.stderr
    assert snapshot(root) == before


HOSTILE = "<img src=x onerror=alert(1)>"


def test_markdown_summary_escapes_ledger_values(invoke, tmp_path):
    """Issue 14.10: nothing from a ledger or the journal reaches a markdown viewer as HTML or
    a link, and a `|` or a newline in a file name never breaks a table."""
    root = make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})
    write_ledger(
        root / "data" / "events.csv", [{**VALID_ROWS["events"], "title": HOSTILE + "[x](javascript:alert(1))\x07"}]
    )
    entry = {
        "time": "2022-05-04T08:00:00+00:00",
        "event": "import",
        "ledger": "events",
        "source": "a|b\n| c <script>.csv",
        "before_sha256": None,
        "after_sha256": None,
        "added": 1,
        "updated": 0,
    }
    (root / "data" / "journal.jsonl").write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")
    for lang in ("zh", "en"):
        text = invoke(["summary", "--week", "2022-W18", "--lang", lang], cwd=root).stdout
        assert not re.search(r"(?<!\\)(<img|<script|\]\(javascript)", text)
        assert "\\<img src=x onerror=alert(1)\\>" in text  # shown, as text
        imports = "附：本周导入" if lang == "zh" else "Appendix: imports this week"  # the ledger keeper's part
        table = text.split("## " + imports)[1].strip().splitlines()
        assert len(table) == 3 and all(line.startswith("|") for line in table)
        assert {len(re.findall(r"(?<!\\)\|", line)) for line in table} == {6}  # 5 columns on every line
    html = invoke(["summary", "--week", "2022-W18", "--format", "html"], cwd=root).stdout
    assert "<img" not in html and "&lt;img" in html


def test_markdown_escaping_keeps_text_readable():
    from ipdemo.render.grid import Grid, md_escape, to_markdown

    assert md_escape("一种真丝围巾（外观）_v2 *新* 50%") == "一种真丝围巾（外观）_v2 *新* 50%"
    assert md_escape("a|b\r\nc") == "a\\|b c"
    grid = Grid(["k", "n"], ["key", "n"], [["x|y", 1], ["<b>", 2]])
    lines = to_markdown(grid).splitlines()
    assert lines[2].startswith("| x\\|y") and "\\<b\\>" in lines[3]
