"""Security promises: safe YAML only, no formula injection in exports, escaped HTML, no personal
data in messages, --output never overwrites the data."""

import json

from ipdemo.render.grid import neutralise

from .conftest import VALID_ROWS, make_project, snapshot


def test_neutralise_formula_cells():
    for text in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", '=HYPERLINK("http://x","y")'):
        assert neutralise(text).startswith("'")
    for text in ("-5", "+3.5", "普通文本", "2021-06-01", ""):
        assert neutralise(text) == text


def test_xlsx_export_keeps_formulas_as_text(invoke, tmp_path):
    root = make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})
    plan = root / "targets.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("name: 专利申请量", 'name: "=HYPERLINK(\\"http://evil\\",\\"x\\")"'),
                    encoding="utf-8")
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
    for args in (["report"], ["report", "--by", "town", "--format", "csv"], ["report", "--format", "html"],
                 ["summary", "--week", "2022-W17", "--format", "html"]):
        assert VALID_ROWS["trainees"]["name"] not in invoke(args, cwd=root).stdout


def test_output_never_overwrites_data(invoke, tmp_path):
    root = make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})
    before = snapshot(root)
    for target in ("data/patents.csv", "targets.yaml", "data/journal.jsonl", "./data/../data/events.csv"):
        for args in (["report", "--format", "csv"], ["summary"]):
            result = invoke([*args, "--output", target, "--lang", "en"], cwd=root)
            assert result.exit_code == 2 and "refusing to overwrite" in result.stderr
    assert snapshot(root) == before
