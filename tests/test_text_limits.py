"""Issue 22.3 and 22.9: characters XML cannot hold, and a length limit per kind of text.

- U+FFFE / U+FFFF in any free-text field: refused at import, flagged by validate with file, line,
  field and position — before, both said "0 个错误" and archive / report -f xlsx / -f docx died
  with an lxml ValueError. If one still reaches them (a hand-edited ledger), they show `\\uFFFF`.
- `max_length` per field in targets.yaml, defaults per type (title 200, name 500, address 500,
  remark 2,000): a 1,800-character patent title was accepted under the one 2,000 limit.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ipdemo.checks import field_checks, screen
from ipdemo.checks.field_types import FIELD_TYPES, FieldContext
from ipdemo.errors import PlanError
from ipdemo.plan.model import TEXT_TYPES, load_plan

from .conftest import ROOT, VALID_ROWS, make_project, snapshot, write_ledger
from .helpers import HEADER_ZH, export

SHIPPED = (ROOT / "targets.yaml").read_text(encoding="utf-8")
TASK_HEADER = ["任务编号", "报送日期", "进展状态", "工作进展", "佐证材料"]


def row(**changes: str) -> list[str]:
    values = {
        "申请号": "202410182616.9",
        "发明名称": "一种装置",
        "申请人": "吴江某某科技有限公司",
        "申请日": "2024-01-05",
        "专利类型": "发明",
        "授权公告日": "",
        "所属区镇": "平望镇",
        **changes,
    }
    return [values[h] for h in HEADER_ZH]


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})


# --- characters XML cannot hold ------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\ufffe", "\uffff"])
def test_import_refuses_a_noncharacter_in_a_title(proj, invoke, char):
    src = export(proj / "专利.csv", [row(**{"发明名称": f"一种{char}装置"})])
    before = snapshot(proj / "data")
    result = invoke(["import", str(src)], cwd=proj)
    assert result.exit_code == 1
    assert f"专利.csv:2: 发明名称: 错误: 第 3 个字符是不可见的 U+{ord(char):04X}" in result.stderr, result.stderr
    assert "请在源文件或台账中删去它" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(proj / "data") == before


def test_import_refuses_one_in_a_task_progress_remark(proj, invoke):
    src = proj / "进展.csv"
    src.write_text(",".join(TASK_HEADER) + "\nt3_1_1,2023-09-01,推进中,已完成\uffff调研,文件\n", encoding="utf-8")
    result = invoke(["import", str(src)], cwd=proj)
    assert result.exit_code == 1 and "工作进展" in result.stderr and "U+FFFF" in result.stderr, result.stderr


def test_validate_flags_one_in_a_hand_edited_ledger(proj, invoke):
    write_ledger(
        proj / "data" / "organisations.csv",
        [{**VALID_ROWS["organisations"], "address": "江苏省苏州市吴江区\ufffe长安路88号"}],
    )
    result = invoke(["validate", "--format", "json"], cwd=proj)
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert [(e["file"], e["line"], e["field"], e["code"]) for e in errors] == [
        ("data/organisations.csv", 2, "address", "text_xml_char")
    ]
    assert "第 10 个字符是不可见的 U+FFFE" in errors[0]["message"]
    english = invoke(["validate", "--lang", "en"], cwd=proj)
    assert "data/organisations.csv:2: address: error: character 10 is an invisible U+FFFE" in english.stdout


def test_the_screen_never_clears_one():
    """The byte screen sends such values to the worded check (it cleared them before)."""
    values = ["一种装置", "一种\ufffe装置", "（全角）\uffff", "ｆｕｌｌ", "a\uffefb"]
    plan = load_plan(ROOT / "targets.yaml")
    field = FieldContext(plan, plan.ledgers["patents"].fields["title"])
    cleared = screen.screen_text(screen.Column(np.array(values, dtype=object)), field).clean
    assert list(cleared) == [True, False, False, True, True]


def test_archive_of_a_hand_edited_ledger_shows_the_character_escaped(proj, invoke):
    """validate flags it; the archive (every ledger as stored) shows \\uFFFE instead of failing."""
    write_ledger(proj / "data" / "patents.csv", [{**VALID_ROWS["patents"], "title": "一种\ufffe装置\x07"}])
    result = invoke(["archive", str(proj / "a.zip"), "--as-of", "2023-12-31"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    from openpyxl import load_workbook

    with zipfile.ZipFile(proj / "a.zip") as zf:
        name = next(n for n in zf.namelist() if n.startswith("台账/") and "专利" in n)
        sheet = load_workbook(io.BytesIO(zf.read(name))).active
    assert sheet.cell(row=2, column=2).value == "一种\\uFFFE装置\\x07"


@pytest.fixture
def blind_check(monkeypatch):
    """A ledger row that carries the character and counts (as an older ipdemo accepted it): the
    check and the screen made blind to it, so it reaches every renderer."""
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")

    def nothing(values):
        return field_checks.Finding(np.zeros(len(values), dtype=bool), "text_xml_char")

    monkeypatch.setattr(field_checks, "_xml_chars", nothing)
    monkeypatch.setattr(screen, "_noncharacters", lambda col: np.zeros(col.n, dtype=bool))


def _progress_project(proj: Path) -> Path:
    write_ledger(
        proj / "data" / "task_progress.csv",
        [
            {
                **VALID_ROWS["task_progress"],
                "task": "t3_1_1",
                "reported_on": "2023-09-01",
                "status": "in_progress",
                "done": "已完成\uffff调研",
            }
        ],
    )
    return proj


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_a_report_escapes_one_that_reaches_it(proj, invoke, blind_check, fmt):
    root = _progress_project(proj)
    out = root / f"r.{fmt}"
    result = invoke(["report", "--format", fmt, "--output", str(out), "--as-of", "2023-12-31"], cwd=root)
    assert result.exit_code == 0, result.stderr
    if fmt == "xlsx":
        from openpyxl import load_workbook

        texts = [str(c.value) for ws in load_workbook(out) for r in ws.iter_rows() for c in r if c.value]
    else:
        import docx

        doc = docx.Document(str(out))
        texts = [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any("已完成\\uFFFF调研" in t for t in texts), texts[-20:]


def test_the_archive_escapes_one_that_reaches_its_report(proj, invoke, blind_check):
    root = _progress_project(proj)
    result = invoke(["archive", str(root / "a.zip"), "--as-of", "2023-12-31"], cwd=root)
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(root / "a.zip") as zf:
        assert zf.testzip() is None and any(n.endswith(".docx") for n in zf.namelist())


# --- max_length per field ------------------------------------------------------------------------


def test_an_1800_character_patent_title_is_refused_at_import(proj, invoke):
    src = export(proj / "专利.csv", [row(**{"发明名称": "题" * 1800})])
    before = snapshot(proj / "data")
    result = invoke(["import", str(src)], cwd=proj)
    assert result.exit_code == 1
    assert "专利.csv:2: 发明名称: 错误: 文本长 1,800 个字符，超过该字段的上限 200" in result.stderr, result.stderr
    assert "max_length" in result.stderr and snapshot(proj / "data") == before


def test_validate_refuses_it_in_a_hand_edited_ledger(proj, invoke):
    write_ledger(proj / "data" / "patents.csv", [{**VALID_ROWS["patents"], "title": "题" * 1800}])
    result = invoke(["validate", "--format", "json"], cwd=proj)
    errors = json.loads(result.stdout)["errors"]
    assert result.exit_code == 1
    assert [(e["line"], e["field"], e["code"]) for e in errors] == [(2, "title", "text_too_long")]


# (ledger, field, type, its default limit): a title, a name, an address and a remark each have their own.
KINDS = [
    ("patents", "title", "title", 200),
    ("patents", "applicant", "name", 500),
    ("patents", "applicant_address", "address", 500),
    ("task_progress", "done", "remark", 2000),
    ("trainees", "phone", "text", 50),
]


@pytest.mark.parametrize("ledger, field, kind, limit", KINDS)
def test_each_kind_of_text_has_its_own_limit(proj, invoke, ledger, field, kind, limit):
    plan = load_plan(ROOT / "targets.yaml")
    assert plan.ledgers[ledger].fields[field].type == kind
    for length, code in ((limit, 0), (limit + 1, 1)):
        write_ledger(proj / "data" / f"{ledger}.csv", [{**VALID_ROWS[ledger], field: "字" * length}])
        result = invoke(["validate", "--format", "json"], cwd=proj)
        assert result.exit_code == code, (length, result.stdout[-500:])
        if code:
            [error] = json.loads(result.stdout)["errors"]
            assert (error["field"], error["code"]) == (field, "text_too_long")
            assert f"{limit:,}" in error["message"]


PATENT_TITLE = "        label: 发明名称\n"  # in the patents' title field, written as a block


def with_patent_title(key: str) -> str:
    """The shipped plan with one more key (`max_length: …`) in the patents' title field."""
    assert SHIPPED.count(PATENT_TITLE) == 1
    return SHIPPED.replace(PATENT_TITLE, PATENT_TITLE + f"        {key}\n")


def test_a_field_max_length_in_targets_yaml_wins(proj, invoke):
    """Raised for one field: the 1,800-character title passes; lowered: 51 characters do not."""
    for limit, length, code in ((3000, 1800, 0), (50, 51, 1), (50, 50, 0)):
        (proj / "targets.yaml").write_text(with_patent_title(f"max_length: {limit}"), encoding="utf-8")
        write_ledger(proj / "data" / "patents.csv", [{**VALID_ROWS["patents"], "title": "题" * length}])
        result = invoke(["validate"], cwd=proj)
        assert result.exit_code == code, (limit, length, result.stdout[-300:])


@pytest.mark.parametrize(
    "edit, code",
    [
        ("max_length: 0", "plan_bound"),
        ("max_length: -5", "plan_bound"),
        ("max_length: true", "plan_wrong_type"),
        ("max_length: 1000001", "plan_bound"),
        ("max_length: 12.5", "plan_wrong_type"),
    ],
)
def test_a_nonsense_max_length_is_a_plan_error(tmp_path, edit, code):
    path = tmp_path / "targets.yaml"
    path.write_text(with_patent_title(edit), encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert [(p.code, p.params["where"]) for p in info.value.problems] == [
        (code, "ledgers.patents.fields.title.max_length")
    ]


def test_max_length_on_a_date_is_a_plan_error(tmp_path):
    line = "      filed_on: {type: date, required: true,"
    assert line in SHIPPED
    path = tmp_path / "targets.yaml"
    path.write_text(SHIPPED.replace(line, line + " max_length: 10,", 1), encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert [p.code for p in info.value.problems] == ["plan_max_length_type"]


def test_the_text_types_are_the_ones_with_a_limit():
    assert set(TEXT_TYPES) == {name for name, ftype in FIELD_TYPES.items() if ftype.max_length}
