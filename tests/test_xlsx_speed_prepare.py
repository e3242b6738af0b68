"""Two shortcuts of preparing an export (issue 26 item 4) that change no result: a file whose
every row names its town looks up no address, register or code, and is noted as the full
placement notes it; the other-office test is one RE2 expression over the column, matching what
the lookahead pattern matched."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pandas as pd

from ipdemo.ingest import publications
from ipdemo.ingest.importer import apply, load_register, merge
from ipdemo.ingest.incoming import HOW, LOCATED, REASON, constant_column, header_score, prepare
from ipdemo.ingest.provenance import export_date
from ipdemo.ingest.sources import read_source
from ipdemo.plan.model import load_plan

from .conftest import ROOT

PLAN = load_plan(ROOT / "targets.yaml")
HEADER = "申请号,发明名称,申请人,所属区镇,专利类型,申请日,地址"
ROWS = [
    "202310182616.5,一种装置,吴江某某科技有限公司,盛泽镇,发明,2023-05-06,江苏省苏州市吴江区盛泽镇某路1号",
    "202320000001.6,一种结构,苏州某某有限公司,平望,实用新型,2023-05-07,",
    "202330000002.7,一种外观,某某公司,七都镇,外观设计,2023-05-08,上海市某路",
]
UNPLACED = "202330000003.8,一种方法,无名公司,,发明,2023-05-09,"


def prepared(tmp_path, rows: list[str]):
    path = tmp_path / f"export{len(rows)}.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    source = read_source(path, header_score(PLAN, "patents"))
    return prepare(PLAN, "patents", source, {}, None, load_register(PLAN))


def notes(p) -> list[list[str]]:
    return p.frame[["town", LOCATED, REASON, HOW]].values.tolist()


def test_rows_that_name_their_town_are_noted_as_the_full_placement_notes_them(tmp_path):
    quick = prepared(tmp_path, ROWS)  # every row names its town: the shortcut
    full = prepared(tmp_path, [*ROWS, UNPLACED])  # one row without: addresses, register, codes
    assert notes(quick) == notes(full)[: len(ROWS)]
    assert [n[1:] for n in notes(quick)] == [["inside", "", "town"]] * len(ROWS)
    assert quick.placed.tolist() == full.placed.tolist()[: len(ROWS)]
    assert str(quick.placed.dtype) == str(full.placed.dtype) == "str"
    assert quick.learn is None
    assert notes(full)[-1][1] != "inside"  # the full path did run for the row without a town


def test_other_office_numbers_as_the_lookahead_pattern_found_them():
    before = re.compile(r"^(?:PCT/|(?!CN|ZL)[A-Z]{2}[A-Z]{0,2}[0-9/])")
    letters = "ABCDLNOPWXYZ"
    numbers = [a + b + tail for a, b in itertools.product(letters, repeat=2) for tail in ("1", "/", "X1", "XYZ1", "")]
    numbers += ["PCT/CN2019/082039", "WOCN19082039", "202310182616.5", "CN202310182616.5", "ZL2023", "", "N/A"]
    numbers += ["NULL", "TWI123", "BRPI0909960", "US2019/1", "EP1", "CNA1", "ZLX1", "ZA1", "CA1", "ZM1", "CO1"]
    values = pd.Series(numbers, dtype="str")
    assert publications.other_office_mask(values).tolist() == [before.match(n) is not None for n in numbers]


def test_apply_names_changes_and_new_keys_as_the_journal_writes_them():
    """importer.apply takes only the matched rows out of Arrow; keys of several fields read
    application_no/class, for a change and for a new record alike."""
    spec = PLAN.ledgers["trademarks"]
    order = list(spec.fields)
    stored = pd.DataFrame({f: [""] * 2 for f in order}, dtype="str")
    stored["application_no"], stored["nice_class"], stored["mark"] = ["1001", "1002"], ["9", "35"], ["甲", "乙"]
    incoming = stored.iloc[[1]].reset_index(drop=True).copy()
    incoming["mark"] = "丙"
    extra = incoming.copy()
    extra["application_no"], extra["nice_class"] = "1003", "42"
    incoming = pd.concat([incoming, extra], ignore_index=True).astype("str")
    merged, where = merge(stored, incoming, spec)
    table, changes, new_keys, unchanged = apply(stored, merged, where, spec, order)
    assert [(c.key, c.field, c.old, c.new) for c in changes] == [("1002/35", "mark", "乙", "丙")]
    assert new_keys == ["1003/42"] and unchanged == 0
    assert table["mark"].tolist() == ["甲", "丙", "丙"] and str(table["mark"].dtype) == "str"


def test_the_latest_real_date_in_the_file_dates_an_export():
    filed = pd.Series(["2023-05-06", "2021-02-30", "", "2023.7.18", "2023-05-06"], dtype="str")
    granted = pd.Series(["2024-01-02", "", "2999-01-01", "", "2023-12-31"], dtype="str")
    found = export_date("export.xlsx", [], [filed, granted], today=date(2024, 6, 1))
    assert (found.day, found.how) == (date(2024, 1, 2), "latest_in_file")
    assert export_date("export.xlsx", [], [], today=date(2024, 6, 1)).how == "today"
    assert (
        export_date("export.xlsx", [], [pd.Series(["2021-02-30"], dtype="str")], today=date(2024, 6, 1)).how == "today"
    )


def test_a_constant_column_is_the_column_a_list_made():
    for length in (0, 1, 5):
        for text in ("", "吴江某某科技有限公司"):
            made = constant_column(text, length)
            listed = pd.Series([text] * length, dtype="str")
            assert made.equals(listed) and made.dtype == listed.dtype and made.index.equals(listed.index)
