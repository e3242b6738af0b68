"""A UTF-8 ledger with one line in GBK (a row pasted from an old export) is refused naming that
line and how to fix it — not as "not a text file (binary)" (polish, task 6)."""

from __future__ import annotations

import csv
import io

from tests.conftest import VALID_ROWS, make_project


def ledger_with_one_gbk_line(tmp_path):
    project = make_project(tmp_path / "proj")
    fields = list(VALID_ROWS["patents"])
    rows = [
        {**VALID_ROWS["patents"], "application_no": f"2021101826{n:02d}.{d}", "title": f"一种光纤预制棒的制备方法{n}"}
        for n, d in ((10, "X"), (11, "X"), (12, "X"), (13, "X"))
    ]

    def line(row: dict) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow([row[f] for f in fields])
        return out.getvalue()

    data = (",".join(fields) + "\n").encode("utf-8")
    for n, row in enumerate(rows):
        data += line(row).encode("gbk" if n == 2 else "utf-8")  # the 4th line of the file
    (project / "data" / "patents.csv").write_bytes(data)
    return project


def test_the_line_that_is_not_utf8_is_named(invoke, tmp_path):
    project = ledger_with_one_gbk_line(tmp_path)
    result = invoke(["validate"], cwd=project)
    assert result.exit_code == 1
    shown = result.stdout + result.stderr
    assert "二进制" not in shown and "Traceback" not in shown
    assert "第 4 行不是 UTF-8" in shown, shown
    assert "data/patents.csv:4: " in result.stdout, result.stdout  # the problem sits on that line (it said :1:)
    assert "UTF-8" in shown and "保存" in shown  # how to fix
    english = invoke(["validate", "--lang", "en"], cwd=project)
    assert "patents.csv is not UTF-8 on line 4 (the other lines are; 1 in all)" in english.stdout + english.stderr


def test_a_whole_gbk_ledger_is_still_said_to_be_gbk(invoke, tmp_path):
    project = make_project(tmp_path / "proj")
    text = ",".join(VALID_ROWS["patents"]) + "\n" + ",".join(VALID_ROWS["patents"].values()) + "\n"
    (project / "data" / "patents.csv").write_bytes(text.encode("gbk"))
    result = invoke(["validate", "--lang", "en"], cwd=project)
    assert "is not UTF-8 (it looks like" in result.stdout and "line 2" not in result.stdout
