"""A corpus of malformed inputs for import, validate and targets.yaml, generated here.

For every one: exit 1 or 2, a message naming the file (and the line where there is one), no
traceback, and the ledgers byte-identical afterwards. Inputs that are merely unusual (`;` or tab
delimiters, quoted newlines, extra columns, formula-looking text) must import correctly instead:
they are in ACCEPTED below.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from .conftest import VALID_ROWS, make_project, snapshot

HEADER = ["申请号", "发明名称", "申请人", "申请日", "专利类型", "授权公告日", "所属区镇"]
GOOD = ["202410182616.9", "一种装置", "某公司", "2024-01-05", "发明", "", "平望"]


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def row(**changes: str) -> list[str]:
    values = dict(zip(HEADER, GOOD))
    values.update(changes)
    return [values[h] for h in HEADER]


def xlsx_bytes(build) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    build(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _image_sheet(book):
    from openpyxl.drawing.image import Image as XLImage
    from PIL import Image

    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row(**{"申请日": "2021-02-30"}))
    picture = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(picture, format="PNG")
    sheet.add_image(XLImage(picture), "J2")


def _merged(book):
    sheet = book.active
    sheet.append(["吴江区专利台账"])
    sheet.merge_cells("A1:G1")
    sheet.append(HEADER)
    sheet.append(row(**{"专利类型": "发明创造"}))


def _two_sheets(book):
    book.active.append(["说明：第二页是数据"])
    data = book.create_sheet("数据")
    data.append(HEADER)
    data.append(row())


LOAN_HEADER = ["合同编号", "企业名称", "统一社会信用代码", "所属区镇", "贷款银行", "金额", "放款日期"]
NEXT_YEAR = (date.today() + timedelta(days=366)).isoformat()


def loan(**changes: str) -> list[str]:
    values = dict(zip(LOAN_HEADER, ["L1", "某公司", "91320509MA1MK3YW4P", "平望", "某行", "500", "2022-01-01"]))
    values.update(changes)
    return [values[h] for h in LOAN_HEADER]


# name: (file name, bytes, extra CLI args, expected exit, text that must appear in stderr)
BAD_IMPORTS = {
    "empty file": ("a.csv", b"", [], 1, "is empty"),
    "header only": ("a.csv", csv_bytes([HEADER]), [], 0, None),  # nothing to do is not an error
    "blank lines only": ("a.csv", b"\n\n\r\n\n", [], 1, "is empty"),
    "binary garbage with NUL": ("a.csv", bytes(range(256)) * 40, [], 1, "not a text CSV"),
    "binary garbage no NUL": ("a.csv", bytes(range(128, 256)) * 300, [], 1, "a.csv"),
    "truncated UTF-8": (
        "a.csv",
        csv_bytes([HEADER, row(**{"发明名称": "一种装置"})])[:-8] + "装".encode()[:2],
        [],
        1,
        "a.csv",
    ),
    "GBK mislabelled as UTF-8": (
        "a.csv",
        csv_bytes([HEADER, row()], encoding="gbk"),
        ["--encoding", "utf-8"],
        1,
        "cannot read a.csv as utf-8",
    ),
    "unknown encoding name": ("a.csv", csv_bytes([HEADER, row()]), ["--encoding", "klingon"], 1, "klingon"),
    "UTF-16 without BOM": ("a.csv", "申请号,发明名称\n1,2\n".encode("utf-16-le"), [], 1, "not a text CSV"),
    "NUL byte in a row": ("a.csv", csv_bytes([HEADER, row()]) + b"2024,\x00x\n", [], 1, "not a text CSV"),
    "missing key column": (
        "a.csv",
        csv_bytes([HEADER[1:], row()[1:]]),
        ["--ledger", "patents"],
        1,
        "lacks the key column application_no",
    ),
    "no ledger matches": ("a.csv", csv_bytes([["甲", "乙"], ["1", "2"]]), [], 1, "Pass --ledger"),
    "duplicate key header": (
        "a.csv",
        csv_bytes([HEADER + ["申请号"], row() + ["202410182617.0"]]),
        [],
        1,
        "both give 申请号 and differ",
    ),
    "alias and canonical both": (
        "a.csv",
        csv_bytes([HEADER + ["application_no"], row() + ["x"]]),
        [],
        1,
        "both give 申请号 and differ",
    ),
    "ragged row": ("a.csv", csv_bytes([HEADER, row(), row() + ["extra", "cells"]]), [], 1, "a.csv:3:"),
    "50 MB single line": ("a.csv", b"x," * (25 * 1024 * 1024), [], 1, "a.csv"),
    "a 70 MB field": ("a.csv", csv_bytes([HEADER]) + b'"' + b"y" * (70 * 1024 * 1024) + b'"\n', [], 1, "line"),
    "impossible date": ("a.csv", csv_bytes([HEADER, row(**{"申请日": "2021-02-30"})]), [], 1, "a.csv:2: filed_on"),
    "far-future date": ("a.csv", csv_bytes([HEADER, row(**{"申请日": "2999-01-01"})]), [], 1, "outside the sane range"),
    "ancient date": ("a.csv", csv_bytes([HEADER, row(**{"申请日": "1900-01-01"})]), [], 1, "outside the sane range"),
    "day-first date": ("a.csv", csv_bytes([HEADER, row(**{"申请日": "05/01/2024"})]), [], 1, "ambiguous"),
    "swapped columns": (
        "a.csv",
        csv_bytes([HEADER, row(**{"申请号": "2024-01-05", "申请日": "202410182616.9"})]),
        [],
        1,
        "a.csv:2: application_no",
    ),
    "bad check digit": ("a.csv", csv_bytes([HEADER, row(**{"申请号": "202410182616.8"})]), [], 1, "check character"),
    "type digit disagrees": ("a.csv", csv_bytes([HEADER, row(**{"专利类型": "外观设计"})]), [], 1, "type digit"),
    "unknown enum label": (
        "a.csv",
        csv_bytes([HEADER, row(**{"专利类型": "发明创造"})]),
        [],
        1,
        "not an allowed value",
    ),
    "unknown town": ("a.csv", csv_bytes([HEADER, row(**{"所属区镇": "盛泽街道"})]), [], 1, "closest known"),
    "granted before filed": ("a.csv", csv_bytes([HEADER, row(**{"授权公告日": "2023-01-01"})]), [], 1, "earlier than"),
    "duplicate keys in file": ("a.csv", csv_bytes([HEADER, row(), row()]), [], 1, "duplicate key"),
    "missing required value": ("a.csv", csv_bytes([HEADER, row(**{"发明名称": ""})]), [], 1, "required field is empty"),
    "control characters": (
        "a.csv",
        csv_bytes([HEADER, row(**{"发明名称": "bad\x07bell"})]),
        [],
        1,
        "control characters",
    ),
    "negative amount": (
        "loans.csv",
        csv_bytes(
            [
                ["合同编号", "企业名称", "统一社会信用代码", "所属区镇", "贷款银行", "金额", "放款日期"],
                ["L1", "某公司", "91320509MA1MK3YW4P", "平望", "某行", "-500", "2022-01-01"],
            ]
        ),
        [],
        1,
        "must not be negative",
    ),
    "amount not a number": (
        "loans.csv",
        csv_bytes(
            [
                ["合同编号", "企业名称", "统一社会信用代码", "所属区镇", "贷款银行", "金额", "放款日期"],
                ["L1", "某公司", "91320509MA1MK3YW4P", "平望", "某行", "五百万", "2022-01-01"],
            ]
        ),
        [],
        1,
        "is not a number",
    ),
    "bad credit code": (
        "loans.csv",
        csv_bytes(
            [
                ["合同编号", "企业名称", "统一社会信用代码", "所属区镇", "贷款银行", "金额", "放款日期"],
                ["L1", "某公司", "9132050IOSVZ", "平望", "某行", "500", "2022-01-01"],
            ]
        ),
        [],
        1,
        "credit code",
    ),
    "corrupt xlsx": ("a.xlsx", b"PK\x03\x04" + b"\x00" * 200, [], 1, "cannot open the Excel file a.xlsx"),
    "csv named xlsx": ("a.xlsx", csv_bytes([HEADER, row()]), [], 1, "a.xlsx"),
    "zip that is not a workbook": (
        "a.xlsx",
        (lambda: (lambda b: (zipfile.ZipFile(b, "w").writestr("x.txt", "hi"), b.getvalue())[1])(io.BytesIO()))(),
        [],
        1,
        "a.xlsx",
    ),
    "xlsx unknown sheet": ("a.xlsx", xlsx_bytes(_two_sheets), ["--sheet", "第三页"], 1, "has no sheet '第三页'"),
    "xlsx merged title, bad enum": ("a.xlsx", xlsx_bytes(_merged), [], 1, "a.xlsx:3: type"),
    "xlsx with an image, bad date": ("a.xlsx", xlsx_bytes(_image_sheet), [], 1, "a.xlsx:2: filed_on"),
    # Nonsense that used to pass (issue 14.7): amounts beyond any unit, future event dates, huge text.
    "amount of 1 and 320 zeros": (
        "loans.csv",
        csv_bytes([LOAN_HEADER, loan(**{"金额": "1" + "0" * 320})]),
        [],
        1,
        "is beyond any plausible value",
    ),
    "amount over 1e12 万元": (
        "loans.csv",
        csv_bytes([LOAN_HEADER, loan(**{"金额": "2000000000000"})]),
        [],
        1,
        "is beyond any plausible value",
    ),
    "amount 1e320": ("loans.csv", csv_bytes([LOAN_HEADER, loan(**{"金额": "1e320"})]), [], 1, "is not a number"),
    "amount inf": ("loans.csv", csv_bytes([LOAN_HEADER, loan(**{"金额": "inf"})]), [], 1, "is not a number"),
    "amount NaN": ("loans.csv", csv_bytes([LOAN_HEADER, loan(**{"金额": "NaN"})]), [], 1, "is not a number"),
    "filing date next year": (
        "a.csv",
        csv_bytes([HEADER, row(**{"申请日": NEXT_YEAR})]),
        [],
        1,
        f"a.csv:2: filed_on: error: date {NEXT_YEAR} is after today",
    ),
    "loan issued next year": (
        "loans.csv",
        csv_bytes([LOAN_HEADER, loan(**{"放款日期": NEXT_YEAR})]),
        [],
        1,
        "is after today",
    ),
    "a 100,000-character title": (
        "a.csv",
        csv_bytes([HEADER, row(**{"发明名称": "题" * 100_000})]),
        [],
        1,
        "text is 100,000 characters long, over this field's limit of 200",
    ),
    "a 2,001-character applicant": (
        "a.csv",
        csv_bytes([HEADER, row(**{"申请人": "x" * 2001})]),
        [],
        1,
        "a.csv:2: applicant: error: text is 2,001 characters long",
    ),
    "sheet option on csv": ("a.csv", csv_bytes([HEADER, row()]), ["--sheet", "x"], 2, "has no sheets"),
    "unknown ledger option": ("a.csv", csv_bytes([HEADER, row()]), ["--ledger", "patent"], 2, "does not exist"),
}

# Accepted as they should be: a future date in a field that may lie ahead, text at the limit.
ACCEPTED_TOO = {
    "trademark expiring in ten years": (
        "t.csv",
        csv_bytes(
            [
                ["申请号", "商标名称", "申请人", "所属区镇", "国际分类", "申请日期", "注册日期", "专用权截止日期"],
                [
                    "56781299",
                    "恒通",
                    "吴江恒通光电科技有限公司",
                    "平望",
                    "9",
                    "2021-07-01",
                    "2022-01-07",
                    (date.today() + timedelta(days=3650)).isoformat(),
                ],
            ]
        ),
    ),
    "a 200-character title": ("a.csv", csv_bytes([HEADER, row(**{"发明名称": "题" * 200})])),
    "amount of exactly 1e12": ("loans.csv", csv_bytes([LOAN_HEADER, loan(**{"金额": "1000000000000"})])),
}

ACCEPTED = {
    "semicolon delimiter": ("a.csv", csv_bytes([HEADER, row()], delimiter=";")),
    "tab delimiter": ("a.tsv", csv_bytes([HEADER, row()], delimiter="\t")),
    "quoted newline in a title": ("a.csv", csv_bytes([HEADER, row(**{"发明名称": "第一行\n第二行"})])),
    "extra columns": ("a.csv", csv_bytes([HEADER + ["备注"], row() + ["无"]])),
    "formula-looking text": ("a.csv", csv_bytes([HEADER, row(**{"发明名称": '=HYPERLINK("http://x","y")'})])),
    "xlsx with two sheets, data on the second": ("a.xlsx", xlsx_bytes(_two_sheets)),
    **ACCEPTED_TOO,
}


@pytest.fixture
def proj(tmp_path):
    return make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "IPDEMO_LOCK_TIMEOUT": "10"}
    return subprocess.run(
        [sys.executable, "-m", "ipdemo", *args, "--lang", "en"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize("case", list(BAD_IMPORTS), ids=list(BAD_IMPORTS))
def test_bad_import(proj, case):
    name, data, extra, code, expected = BAD_IMPORTS[case]
    (proj / name).write_bytes(data)
    before = snapshot(proj / "data")
    result = run_cli(["import", name, *extra], proj)
    assert result.returncode == code, (case, result.stdout, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout
    if expected:
        assert expected in result.stderr, (case, result.stderr[-2000:])
    if code == 1:  # a data problem names the file; a command-line problem names the option
        assert name in result.stderr
    after = snapshot(proj / "data")
    if code == 0:  # a successful import is journaled, even when it changes nothing
        after.pop("journal.jsonl")
    assert after == before


@pytest.mark.parametrize("case", list(ACCEPTED), ids=list(ACCEPTED))
def test_unusual_but_fine_import(proj, case):
    name, data = ACCEPTED[case]
    (proj / name).write_bytes(data)
    result = run_cli(["import", name, "--format", "json"], proj)
    assert result.returncode == 0, (case, result.stderr[-2000:])
    assert '"added": 1' in result.stdout


LEDGER_CASES = {
    "GBK ledger": (",".join(VALID_ROWS["patents"]) + "\n" + ",".join(VALID_ROWS["patents"].values()) + "\n").encode(
        "gbk"
    ),
    "binary ledger": bytes(range(256)) * 10,
    "truncated UTF-8 ledger": (",".join(VALID_ROWS["patents"]) + "\n一种").encode()[:-1],
    "empty ledger file": b"",
    "NUL in ledger": (
        ",".join(VALID_ROWS["patents"]) + "\n" + ",".join(VALID_ROWS["patents"].values()) + "\x00\n"
    ).encode(),
    "ragged ledger": (
        ",".join(VALID_ROWS["patents"]) + "\n" + ",".join(VALID_ROWS["patents"].values()) + ",extra\n"
    ).encode(),
    "duplicate header in ledger": (
        ",".join(VALID_ROWS["patents"]) + ",title\n" + ",".join(VALID_ROWS["patents"].values()) + ",x\n"
    ).encode(),
    "missing key column in ledger": ("title,town\n题,平望镇\n").encode(),
    # Python's \d matches full-width digits; the checks must not take them for ASCII ones.
    "full-width digit in a stored number": (
        ",".join(VALID_ROWS["patents"]) + "\n" + ",".join(VALID_ROWS["patents"].values()).replace("2", "２", 1) + "\n"
    ).encode(),
}


@pytest.mark.parametrize("case", list(LEDGER_CASES), ids=list(LEDGER_CASES))
def test_bad_ledger_validate(proj, case):
    path = proj / "data" / "patents.csv"
    path.write_bytes(LEDGER_CASES[case])
    before = snapshot(proj / "data")
    result = run_cli(["validate"], proj)
    assert result.returncode == 1, (case, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert "data/patents.csv:" in result.stdout
    report = run_cli(["report", "--format", "json"], proj)  # a broken ledger never crashes a report
    assert report.returncode == 0 and "Traceback" not in report.stderr
    assert snapshot(proj / "data") == before


SHIPPED = (Path(__file__).resolve().parent.parent / "targets.yaml").read_text(encoding="utf-8")
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)
PLAN_CASES = {
    "syntax error": (SHIPPED.replace("  start: 2021-06-01\n", "  start: [2021-06-01\n"), "YAML syntax error"),
    "tab indentation": (SHIPPED.replace("  id: wujiang", "\tid: wujiang"), "YAML syntax error"),
    "unknown key": (SHIPPED.replace("    target: 30000\n", "    taregt: 30000\n"), "unknown key"),
    "python object tag": (
        SHIPPED.replace("  region: 吴江区\n", "  region: !!python/object/apply:os.system ['id']\n"),
        "not allowed",
    ),
    "billion laughs": (BOMB, "billion-laughs"),
    "overlapping phases": (
        SHIPPED.replace("start: 2022-01-01, end: 2023-09-30", "start: 2021-12-01, end: 2023-09-30"),
        "must start the day after",
    ),
    "unknown ledger": (SHIPPED.replace("ledger: trademarks,", "ledger: trademark,"), "does not exist"),
    "empty file": ("", "must be a mapping"),
    "a list at the top": ("- 1\n- 2\n", "must be a mapping"),
    "wrong type": (SHIPPED.replace("    target: 30000\n", "    target: lots\n"), "valid number"),
    "negative target": (SHIPPED.replace("    target: 30000\n", "    target: -5\n"), "greater than or equal to 0"),
    "missing section": (SHIPPED.split("\nphases:")[0] + "\n", "towns"),  # phases are optional
    "duplicate key": (
        SHIPPED.replace("  outputs:\n    name: 工作成果", "  patents:\n    name: 工作成果"),
        "duplicate key",
    ),
    "binary file": (None, "not UTF-8"),
}


@pytest.mark.parametrize("case", list(PLAN_CASES), ids=list(PLAN_CASES))
def test_bad_targets(proj, case):
    text, expected = PLAN_CASES[case]
    if text is None:
        (proj / "targets.yaml").write_bytes(bytes(range(256)))
    else:
        (proj / "targets.yaml").write_text(text, encoding="utf-8")
    before = snapshot(proj / "data")
    for args in (["validate"], ["report"], ["import", "x.csv"]):
        (proj / "x.csv").write_bytes(csv_bytes([HEADER, row()]))
        result = run_cli(args, proj)
        assert result.returncode == 1, (case, args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        shown = result.stdout + result.stderr
        assert expected in shown, (case, args, shown[-1500:])
        assert "targets.yaml" in shown
    assert snapshot(proj / "data") == before


def test_corpus_is_large_enough():
    assert len(BAD_IMPORTS) + len(LEDGER_CASES) + len(PLAN_CASES) >= 40


def test_impossible_time_part_is_rejected(proj):
    """Issue 14.7: `2022-01-01 25:61` is no time; the value must be rejected, not cut to its date."""
    (proj / "a.csv").write_bytes(csv_bytes([HEADER, row(**{"申请日": "2022-01-01 25:61"})]))
    before = snapshot(proj / "data")
    result = run_cli(["import", "a.csv"], proj)
    assert result.returncode == 1 and "a.csv:2: filed_on" in result.stderr
    assert snapshot(proj / "data") == before


def strict_json(text: str):
    """json.loads that refuses Infinity and NaN, as every strict JSON parser does."""

    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


NONSENSE_LEDGERS = {  # ledger → (changes to its valid row, field that must be named)
    "pledge_loans": ({"amount": "1" + "0" * 320}, "amount"),
    "insurance_policies": ({"coverage": "1e320"}, "coverage"),
    "events": ({"participants": "9" * 400}, "participants"),
    "patents": ({"filed_on": NEXT_YEAR, "granted_on": ""}, "filed_on"),
    "software_copyrights": ({"title": "软" * 5000}, "title"),
}


@pytest.mark.parametrize("ledger", list(NONSENSE_LEDGERS))
def test_nonsense_in_a_ledger_is_invalid_and_json_stays_json(tmp_path, ledger):
    """Issue 14.7: values written into a ledger by hand are judged like imported ones, and no
    figure a report prints is Infinity or NaN."""
    changes, field = NONSENSE_LEDGERS[ledger]
    root = make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})
    from .conftest import write_ledger

    write_ledger(root / "data" / f"{ledger}.csv", [{**VALID_ROWS[ledger], **changes}])
    result = run_cli(["validate", "--format", "json"], root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    problems = strict_json(result.stdout)["errors"]
    assert [(p["file"], p["line"], p["field"]) for p in problems] == [(f"data/{ledger}.csv", 2, field)]
    for args in (["report", "--format", "json"], ["report", "--format", "json", "--by", "year"]):
        report = run_cli(args, root)
        assert report.returncode == 0, report.stderr
        strict_json(report.stdout)
    assert run_cli(["report", "--strict"], root).returncode == 1


def test_json_never_carries_infinity_or_nan():
    import numpy as np

    from ipdemo.render.grid import to_json

    payload = {"a": float("inf"), "b": [float("nan"), -float("inf"), 1.5], "c": np.float64("inf"), "d": np.int64(2)}
    assert strict_json(to_json(payload)) == {"a": None, "b": [None, None, 1.5], "c": None, "d": 2}


@pytest.mark.parametrize("broken", ["missing", "unreadable", "data_dir is a file"])
def test_a_missing_ledger_is_never_a_silent_zero(proj, broken):
    """Issue 14.9: a report over a missing ledger names it: a warning, or exit 1 with --strict."""
    ledger = proj / "data" / "patents.csv"
    named = "data/patents.csv"
    if broken == "missing":
        ledger.unlink()
    elif broken == "unreadable":
        ledger.write_bytes(bytes(range(256)) * 4)
    else:
        plan = proj / "targets.yaml"
        plan.write_text(
            plan.read_text(encoding="utf-8").replace("data_dir: data", "data_dir: targets.yaml"), encoding="utf-8"
        )
        named = "the data folder targets.yaml is not a folder"
    strict = run_cli(["report", "--strict"], proj)
    assert strict.returncode == 1 and named in strict.stderr and "(--strict)" in strict.stderr
    assert "Traceback" not in strict.stderr and strict.stdout == ""
    loose = run_cli(["report", "--format", "json"], proj)
    assert loose.returncode == 0 and named in loose.stderr and "the report counts it as empty" in loose.stderr
    strict_json(loose.stdout)
