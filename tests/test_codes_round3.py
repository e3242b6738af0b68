"""Identifiers, codes and enums of real exports (issue 21, round 3).

- 一标多类: a 商标局 list with several Nice classes in one cell (`9;35;42`, `9、10`, `第9、35类`,
  `9类,35类` …) gives one record per class, keyed (number, class); problems name the source row;
  a second import of the same file changes nothing.
- incoPat's numbers of other offices (WOCN19082039, BRPI0909960, EP…, JP…, US…, KR…, PCT/CN…)
  are counted as other offices, not rejected as malformed CNIPA numbers.
- CNIPA numbers with type digit 8 or 9 (PCT national-phase entries), old 8-digit ones too
  (03819495.3), are accepted with their type, and their publications fold; the byte screen and
  the worded check agree on them.
- Patentics' 发明公布 / 发明授权 are inventions, with no type-digit warning; a type mismatch is
  worded with the Chinese label.
- A legal status the plan does not list is kept as written with a warning; the listed new ones
  (未缴年费, 无效, PCT 有效期内) map.
- `--skip-invalid`: held rows are the valid rows that wait for a town, never the rejected ones.

The export files are in tests/fixtures/exports/ (shaped as the systems write them).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipdemo.checks import field_checks
from ipdemo.checks import screen as screening
from ipdemo.checks.field_types import FieldContext
from ipdemo.checks.validate import check_every_row, check_frame
from ipdemo.i18n import message
from ipdemo.plan.model import FieldSpec, load_plan

from .conftest import FIXTURES, ROOT, make_project
from .helpers import ledger

EXPORTS = FIXTURES / "exports"
TRADEMARKS = "商标局_注册公告_一标多类.csv"
INCOPAT = "incoPat_检索结果_CN与WO_BR_EP混合.csv"
PATENTICS = "Patentics_发明公布_发明授权_法律状态.csv"
PLAN = load_plan(ROOT / "targets.yaml")
WEIGHTS = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "p")
    for name in (TRADEMARKS, INCOPAT, PATENTICS):
        shutil.copy(EXPORTS / name, project / name)
    return project


def run(invoke, project: Path, *args: str, code: int = 0) -> dict:
    result = invoke(["import", *args, "--format", "json"], cwd=project)
    assert result.exit_code == code, result.stdout + result.stderr
    return json.loads(result.stdout)


def rewrite(path: Path, change) -> Path:
    """The fixture with its rows changed by `change(rows)` (header first), as Excel would save it."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    rows = change(rows)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    return path


def check_char(digits: str) -> str:
    """The check character worked out here, independently of codes.py: Σ dᵢwᵢ mod 11, 10 → X."""
    return "0123456789X"[sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 11]


# --- 一标多类 --------------------------------------------------------------------------------

# The fixture's rows: number → the classes its cell names (rows 12 and 13 list one number twice).
CLASSES = {
    "56781234": ["9", "35", "42"],
    "56781235": ["9", "10"],
    "56781236": ["9", "35"],
    "56781237": ["9", "35"],
    "56781238": ["9", "35", "42"],
    "56781239": ["9", "16"],
    "56781240": ["25", "35"],
    "56781241": ["30"],
    "56781242": ["43"],
    "56781243": ["3", "5"],
    "60012345": ["35"],
    "56781244": ["9", "35"],
}


def test_multi_class_cells_give_one_record_per_class(invoke, proj):
    out = run(invoke, proj, TRADEMARKS)  # no --ledger: the file says what it is
    assert out["ledger"] == "trademarks"
    rows = ledger(proj, "trademarks")
    keys = [(r["application_no"], r["nice_class"]) for r in rows]
    assert sorted(keys) == sorted((n, c) for n, cs in CLASSES.items() for c in cs)
    assert (out["added"], out["rejected"], out["errors"]) == (23, 0, [])
    by_key = {(r["application_no"], r["nice_class"]): r for r in rows}
    # Every record of a multi-class row carries the row's own values.
    assert {by_key[("56781234", c)]["mark"] for c in ("9", "35", "42")} == {"丝路云"}
    assert by_key[("56781234", "42")]["registered_on"] == "2022-04-14"
    assert by_key[("56781234", "42")]["expires_on"] == "2032-04-13"


def test_importing_the_multi_class_file_again_changes_nothing(invoke, proj):
    run(invoke, proj, TRADEMARKS)
    before = (proj / "data" / "trademarks.csv").read_bytes()
    again = run(invoke, proj, TRADEMARKS)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 23)
    assert (proj / "data" / "trademarks.csv").read_bytes() == before


def test_a_held_multi_class_row_is_held_once_with_its_classes(invoke, proj):
    """A 一标多类 row with no address waits in .unplaced.csv as one row, and the journal keeps its
    three (number, class) keys: its records share the row's number, which the suggestion step
    once looked up in a unique index (a pandas traceback, nothing imported)."""
    src = proj / "tm_held.csv"
    src.write_text(
        "申请/注册号,国际分类,申请日期,商标名称,申请人名称（中文）,申请人地址（中文）,商标状态\n"
        "56781234,9;35;42,2021年06月03日,丝路云,苏州丝路云科技有限公司,,已注册\n"
        "56781299,9,2021年06月03日,丝路二,苏州丝路二科技有限公司,,已注册\n",
        encoding="utf-8",
    )
    out = run(invoke, proj, str(src))
    assert (out["added"], out["held"]) == (0, 2)
    with open(proj / "tm_held.unplaced.csv", encoding="utf-8-sig", newline="") as fh:
        held = list(csv.DictReader(fh))
    assert [row["申请/注册号"] for row in held] == ["56781234", "56781299"]
    entry = json.loads((proj / "data" / "journal.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    keys = [key for keys in entry["held_keys"].values() for key in keys]
    assert len(keys) == 4 and sum("56781234" in str(key) for key in keys) == 3


def test_a_bad_class_in_a_multi_class_cell_names_its_source_row(invoke, proj):
    def bad(rows):
        rows[3][2] = "9;46;42"  # row 4 of the file (the header is row 1): 46 is no Nice class
        rows[5][2] = ""  # row 6: no class at all
        return rows

    rewrite(proj / TRADEMARKS, bad)
    result = invoke(["import", TRADEMARKS, "--format", "json"], cwd=proj)
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    lines = sorted((e["line"], e["field"]) for e in out["errors"])
    assert lines == [(4, "nice_class"), (6, "nice_class")]
    assert "'46'" in next(e["message"] for e in out["errors"] if e["line"] == 4)
    assert ledger(proj, "trademarks") == []  # all or nothing

    skipped = run(invoke, proj, TRADEMARKS, "--skip-invalid", code=1)
    # Row 4's classes 9 and 42 go with its 46: a row is kept or rejected whole.
    assert skipped["rejected"] == 2
    assert skipped["added"] == 23 - 2 - 3
    assert not {("56781236", "9"), ("56781236", "42")} & {
        (r["application_no"], r["nice_class"]) for r in ledger(proj, "trademarks")
    }
    with open(proj / "商标局_注册公告_一标多类.rejected.csv", encoding="utf-8-sig", newline="") as fh:
        rejected = list(csv.DictReader(fh))
    assert [r["原行号"] for r in rejected] == ["4", "6"]
    assert rejected[0]["国际分类"] == "9;46;42"  # as the file wrote it


def test_a_malformed_multi_class_cell_is_rejected_as_written(invoke, proj):
    rewrite(proj / TRADEMARKS, lambda rows: [*rows[:2], [*rows[2][:2], "9;abc", *rows[2][3:]], *rows[3:]])
    out = run(invoke, proj, TRADEMARKS, code=1)
    [error] = out["errors"]
    assert (error["line"], error["field"]) == (3, "nice_class")
    assert "'9;abc'" in error["message"]


CELL_SEPARATORS = [";", "；", "、", ",", "，", " ", "; ", " ;", "、 ", "  "]


@st.composite
def multi_class_cells(draw) -> tuple[str, list[str]]:
    """A cell naming two or more classes as 商标局 lists write them, and the classes it names."""
    classes = draw(st.lists(st.integers(1, 45), min_size=2, max_size=8))
    style = draw(st.sampled_from(["plain", "zero", "each", "around"]))
    parts = [f"{c:02d}" if style == "zero" else f"第{c}类" if style == "each" else str(c) for c in classes]
    cell = parts[0]
    for part in parts[1:]:
        cell += draw(st.sampled_from(CELL_SEPARATORS)) + part
    if style == "around":
        cell = f"第{cell}类"
    return cell, [str(c) for c in dict.fromkeys(classes)]


def split(cell: str) -> list[str]:
    """The import's path: normalised as its type normalises it, then split."""
    values = field_checks.normalise_nice_class(
        pd.Series([cell], dtype="str"), FieldContext(PLAN, FieldSpec(type="nice_class"))
    )
    lists = field_checks.nice_class_lists(values.values)
    return [values.values.iloc[0]] if lists is None else list(lists.iloc[0])


@settings(max_examples=300, deadline=None)
@given(multi_class_cells())
def test_every_multi_class_spelling_splits_into_its_classes(case):
    cell, classes = case
    assert split(cell) == classes


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789;；、,， 第类.-abX\u3000")), max_size=14))
def test_the_splitter_never_invents_a_class(cell):
    """Whatever the cell: either it is left whole (for the check to judge as written), or every
    part is a normalised class written in it, each once, in order."""
    parts = split(cell)
    normalised = field_checks.nice_class(field_checks.nfkc(pd.Series([cell], dtype="str"))).iloc[0]
    if parts == [normalised]:
        return
    assert len(parts) >= 1 and len(set(parts)) == len(parts)
    written = [str(int(n)) for n in re.findall(r"[0-9]+", cell)]
    assert [p for p in written if p in parts] and all(p in written for p in parts)
    assert all(
        re.fullmatch(r"[0-9]{1,2}", p) and str(int(p)) == p for p in parts
    )  # 09 → 9; 0 and 46 are left to the check
    assert parts == list(dict.fromkeys(written))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 45))
def test_one_class_is_one_record(c):
    for cell in (str(c), f"{c:02d}", f"第{c}类", f"{c}类", f" {c} "):
        assert split(cell) == [str(c)]


# --- other offices -------------------------------------------------------------------------


def test_incopat_numbers_of_other_offices_are_counted_not_rejected(invoke, proj):
    out = run(invoke, proj, INCOPAT)
    assert out["ledger"] == "patents"
    assert (out["rejected"], out["errors"]) == (0, [])
    # WOCN19082039, WOUS22070560, BRPI0909960, EP…, JP…, US…, KR…, PCT/CN…
    assert out["other_office"] == 8
    assert {r["application_no"] for r in ledger(proj, "patents")} == {
        "202110182616.5",
        "03819495.3",
        "02900456.X",
        "201980012345.X",
        "202320654321.8",
    }
    text = invoke(["import", INCOPAT, "--dry-run"], cwd=proj)
    assert "其他专利局（WO/US/PCT 等）8 行未导入" in text.stdout


@pytest.mark.parametrize(
    "number",
    [
        "WOCN19082039",
        "WOUS22070560",
        "BRPI0909960",
        "BRMU8901234",
        "EP19806789",
        "JP2019513456",
        "US16123456",
        "US16/123,456",
        "KR1020197012345",
        "PCT/CN2022/123456",
        "woep2019071234",
        "ＷＯＣＮ１９０８２０３９",
    ],
)
def test_other_offices_as_databases_write_them(number):
    from ipdemo.ingest.publications import other_office_mask

    normalised = field_checks.normalise_cnipa(
        pd.Series([number], dtype="str"), FieldContext(PLAN, FieldSpec(type="text"))
    )
    assert other_office_mask(normalised.values).tolist() == [True]


@pytest.mark.parametrize(
    "number",
    ["202110182616.5", "CN202110182616.5", "03819495.3", "NULL", "N/A", "无", "2.02321E+11", "ZL2021101826165", ""],
)
def test_cnipa_numbers_and_junk_are_no_other_office(number):
    from ipdemo.ingest.publications import other_office_mask

    normalised = field_checks.normalise_cnipa(
        pd.Series([number], dtype="str"), FieldContext(PLAN, FieldSpec(type="text"))
    )
    assert other_office_mask(normalised.values).tolist() == [False]


# --- type digits 8 and 9 -------------------------------------------------------------------


def test_pct_entries_are_accepted_with_their_type_and_their_publications_fold(invoke, proj):
    out = run(invoke, proj, INCOPAT)
    assert out["folded_publications"] == 3
    rows = {r["application_no"]: r for r in ledger(proj, "patents")}
    old_pct = rows["03819495.3"]  # 2003, type digit 8: a PCT invention; A then C publication
    assert (old_pct["type"], old_pct["filed_on"], old_pct["granted_on"]) == ("invention", "2003-08-15", "2008-08-20")
    assert old_pct["legal_status"] == "lapsed"  # 未缴年费
    assert (rows["02900456.X"]["type"], rows["02900456.X"]["granted_on"]) == ("utility_model", "2004-03-17")
    new_pct = rows["201980012345.X"]  # type digit 8 in the 12-digit form
    assert (new_pct["type"], new_pct["granted_on"]) == ("invention", "2022-11-01")


@pytest.mark.parametrize("body", ["03819495", "02900456", "98812345", "201980012345", "202090012345"])
def test_check_characters_of_pct_entries(body):
    """The arithmetic as CNIPA publishes it, worked out here by hand, against both checks."""
    number = f"{body}.{check_char(body)}"
    assert field_checks.cnipa_check_char(pd.Series([body]), len(body)).tolist() == [check_char(body)]
    field = FieldContext(PLAN, FieldSpec(type="cnipa_application_no"))
    assert not any(f.mask.any() for f in field_checks.check_cnipa(pd.Series([number], dtype="str"), field))
    assert screening.screen_cnipa(screening.Column(pa.array([number])), field).clean.tolist() == [True]


def test_the_published_example_03819495_3():
    # 0·2 + 3·3 + 8·4 + 1·5 + 9·6 + 4·7 + 9·8 + 5·9 = 245 = 22·11 + 3
    assert check_char("03819495") == "3"
    assert field_checks.cnipa_type_digit(pd.Series(["03819495.3"])).tolist() == ["8"]


def _numbers(width: int) -> st.SearchStrategy[str]:
    """Numbers of one form with every type digit (8 and 9 included, and a few that are none),
    the check character right or wrong."""
    head = 2 if width == 8 else 4
    return st.tuples(
        st.text("0123456789", min_size=head, max_size=head),
        st.sampled_from("1234567890" + "89" * 4),
        st.text("0123456789", min_size=width - head - 1, max_size=width - head - 1),
        st.sampled_from(["right", "wrong", "X"]),
    ).map(lambda t: _number(t[0] + t[1] + t[2], t[3]))


def _number(body: str, how: str) -> str:
    right = check_char(body)
    if how == "right":
        return f"{body}.{right}"
    if how == "X":
        return f"{body}.X"
    return f"{body}.{'0123456789X'[('0123456789X'.index(right) + 1) % 11]}"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_numbers(8), _numbers(12)), min_size=1, max_size=30))
def test_screen_and_worded_check_agree_on_type_digits_8_and_9(numbers):
    """screen.py's byte kernel clears exactly the numbers the worded check finds nothing in, and
    gives the type digit the worded check reads."""
    values = pd.Series(numbers, dtype="str")
    field = FieldContext(PLAN, FieldSpec(type="cnipa_application_no"))
    problems = np.zeros(len(values), dtype=bool)
    for finding in field_checks.check_cnipa(values, field):
        problems |= finding.mask
    screened = screening.screen_cnipa(screening.Column(pa.array(numbers)), field)
    assert screened.clean.tolist() == (~problems).tolist()
    digits = field_checks.cnipa_type_digit(values)
    assert screened.type_digits is not None
    for i in np.flatnonzero(screened.clean):
        assert chr(screened.type_digits[i]) == digits.iloc[i]
        assert digits.iloc[i] in "12389"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(_numbers(8), _numbers(12)),
            st.sampled_from(["invention", "utility_model", "design", "发明公布", ""]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_patents_with_pct_numbers_screened_equal_full_checks(rows):
    """The whole patents ledger: check_frame (screen, then words) finds what check_every_row finds."""
    frame = pd.DataFrame({name: [""] * len(rows) for name in PLAN.ledgers["patents"].fields}, dtype="str")
    frame["application_no"] = [n for n, _ in rows]
    frame["type"] = [t for _, t in rows]
    frame["title"], frame["applicant"], frame["filed_on"] = "一种装置", "吴江某某公司", "2021-06-01"
    lines = np.arange(2, len(rows) + 2)
    screened = check_frame(PLAN, "patents", frame, lines, "patents.csv")
    full = check_every_row(PLAN, "patents", frame, lines, "patents.csv")

    def outcome(found):
        problems, invalid = found
        return sorted(
            (p.line, p.field, p.code, p.severity, sorted(map(str, p.params.items()))) for p in problems
        ), invalid.tolist()

    assert outcome(screened) == outcome(full)


# --- Patentics: 发明公布 / 发明授权, legal statuses ------------------------------------------


def test_patentics_types_and_legal_statuses(invoke, proj):
    out = run(invoke, proj, PATENTICS)
    assert (out["rejected"], out["errors"]) == (0, [])
    assert not [w for w in out["warnings"] if w["field"] == "type"]  # no type-digit warning
    rows = {r["application_no"]: r for r in ledger(proj, "patents")}
    assert len(rows) == 6 and out["folded_publications"] == 1
    assert {r["type"] for n, r in rows.items() if n[4] in "18"} == {"invention"}
    granted = rows["202210456789.6"]  # 发明公布 then 发明授权: one invention, granted
    assert (granted["type"], granted["granted_on"], granted["legal_status"]) == ("invention", "2023-08-15", "lapsed")
    assert rows["201910222222.0"]["granted_on"] == "2021-12-03"  # 发明授权 alone
    assert rows["202110333333.6"]["legal_status"] == "ended"  # 无效 beside 有效: not in force
    assert rows["202180067890.6"]["legal_status"] == "pending"  # 未进入国家阶段-PCT有效期内
    assert rows["202310111111.9"]["legal_status"] == "其他"  # unknown: kept as written …
    [warning] = [w for w in out["warnings"] if w["field"] == "legal_status"]  # … and said
    assert warning["line"] == 5 and "'其他'" in warning["message"]


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("未缴年费", "lapsed"),
        ("无效", "ended"),
        ("未进入国家阶段-PCT有效期内", "pending"),
        ("部分无效", "valid"),
        ("全部无效", "invalidated"),
        ("公开;实质审查;未缴年费", "lapsed"),
        ("发明公布", None),
    ],
)
def test_legal_status_spellings(written, status):
    from ipdemo.ingest.normalize import normalise_field

    spec = PLAN.ledgers["patents"].fields["legal_status"]
    values, _ = normalise_field(PLAN, spec, pd.Series([written], dtype="str"))
    assert values.tolist() == [status or written]


@pytest.mark.parametrize("status", ["其他", "未进入国家阶段-PCT有效期内", "未缴年费", "无效", "某种新状态"])
def test_a_legal_status_never_rejects_a_patent(invoke, proj, status):
    rewrite(proj / PATENTICS, lambda rows: [rows[0]] + [[*r[:9], status, *r[10:]] for r in rows[1:]])
    out = run(invoke, proj, PATENTICS)
    assert (out["added"], out["rejected"]) == (6, 0)


def test_an_unknown_status_in_the_ledger_is_a_warning_for_validate(invoke, proj):
    run(invoke, proj, PATENTICS)
    result = invoke(["validate", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["valid"] and not report["errors"]
    assert [w["code"] for w in report["warnings"] if w["field"] == "legal_status"] == ["unknown_value"]


def test_informative_is_the_fields_property_not_the_enums():
    """An enum that is not informative still refuses a value outside its list."""
    kind = PLAN.ledgers["patents"].fields["type"]
    found = field_checks.check_enum(pd.Series(["发明公布X"], dtype="str"), FieldContext(PLAN, kind))
    assert [(f.code, f.severity, f.mask.tolist()) for f in found] == [("bad_enum", "error", [True])]
    status = PLAN.ledgers["patents"].fields["legal_status"]
    found = field_checks.check_enum(pd.Series(["其他"], dtype="str"), FieldContext(PLAN, status))
    assert [(f.code, f.severity, f.mask.tolist()) for f in found] == [("unknown_value", "warning", [True])]


def test_a_type_mismatch_is_worded_in_chinese():
    frame = pd.DataFrame({name: [""] for name in PLAN.ledgers["patents"].fields}, dtype="str")
    frame["application_no"], frame["type"] = "03819495.3", "design"
    frame["title"], frame["applicant"], frame["filed_on"] = "一种装置", "吴江某某公司", "2003-08-15"
    problems, invalid = check_every_row(PLAN, "patents", frame, np.array([2]), "patents.csv")
    [mismatch] = [p for p in problems if p.code == "cnipa_type_mismatch"]
    zh, en = mismatch.message("zh"), mismatch.message("en")
    assert "表示发明" in zh and "外观设计" in zh
    assert not re.search(r"[A-Za-z_]{4,}", zh.replace(mismatch.params["value"], ""))
    assert "(invention)" in en and "'design'" in en
    assert invalid.tolist() == [True]


def test_an_unknown_type_is_the_enum_checks_to_word():
    """A stated type that no number can imply (a label the plan lacks) is one bad_enum, not also
    a type-digit mismatch."""
    frame = pd.DataFrame({name: [""] for name in PLAN.ledgers["patents"].fields}, dtype="str")
    frame["application_no"], frame["type"] = "202110182616.5", "发明公布X"
    frame["title"], frame["applicant"], frame["filed_on"] = "一种装置", "吴江某某公司", "2021-02-03"
    problems, _ = check_frame(PLAN, "patents", frame, np.array([2]), "patents.csv")
    assert [p.code for p in problems if p.field == "type"] == ["bad_enum"]


def test_unknown_value_message_carries_no_english_id():
    text = message("unknown_value", "zh", value="其他")
    assert not re.search(r"[A-Za-z]{4,}", text.replace("targets.yaml", ""))


# --- held rows with --skip-invalid -----------------------------------------------------------


def test_held_counts_only_valid_rows_that_wait(invoke, proj):
    """A 版权中心 announcement: no addresses, owners the register does not know (held), a third of
    the rows with a bad registration number (rejected): held + rejected = rows, never more."""
    header = ["登记号", "分类号", "软件全称", "软件简称", "版本号", "著作权人", "首次发表日期", "登记日期"]
    rows = []
    for i in range(30):
        number = f"2023SR{1100000 + i:07d}" if i % 3 else f"2023SR{i:03d}"  # every third: too short
        rows.append(
            [
                number,
                "30200-0000",
                f"智能织机管理系统{i}",
                "",
                "V1.0",
                f"苏州未登记科技有限公司{i}",
                "未发表",
                "2023-06-01",
            ]
        )
    path = proj / "软件登记公告.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows([header, *rows])
    out = run(invoke, proj, path.name, "--skip-invalid", code=1)
    assert (out["rejected"], out["held"], out["added"]) == (10, 20, 0)
    with open(proj / "软件登记公告.unplaced.csv", encoding="utf-8-sig", newline="") as fh:
        held = [r["原行号"] for r in csv.DictReader(fh)]
    with open(proj / "软件登记公告.rejected.csv", encoding="utf-8-sig", newline="") as fh:
        rejected = [r["原行号"] for r in csv.DictReader(fh)]
    assert len(held) == 20 and len(rejected) == 10 and not set(held) & set(rejected)
