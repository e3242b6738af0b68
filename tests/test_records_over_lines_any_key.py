"""A ledger whose key is not in its leading columns (trademarks: application number and Nice
class) and holds a value over several lines (an address typed with Alt+Enter) is searched by
counting records, not read whole at every import (data/ledger.py `_locate_records`); and a row of
empty values, which the whole read leaves out, sends any ledger to the whole read."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from ipdemo.data import ledger
from ipdemo.data.ledger import find_records

from .conftest import VALID_ROWS
from .test_review6 import stamped_trademarks_and_control

OVER_LINES = b'id,a,b\nK1,x,"line one\nline two"\nK2,y,z\nK3,"q\nr",w\nK4,w,v'
# A value's second line that starts with a comma ("..., 二号楼" typed after Alt+Enter) is text, not
# a record with an empty first field.
COMMA_LINE = b'id,a,b\nK1,x,"line one\n, line two"\nK2,y,z\nK3,"q\n,r",w\nK4,w,v'


@pytest.mark.parametrize("data", [OVER_LINES, COMMA_LINE], ids=["over lines", "a line starting with a comma"])
@pytest.mark.parametrize("block", [1, 3, 7, 1 << 22])
@pytest.mark.parametrize("wanted", [{("y",)}, {("w",)}, {("x",), ("w",)}])
def test_a_key_not_leading_is_found_in_records_over_lines(tmp_path, monkeypatch, data, block, wanted):
    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    path = tmp_path / "l.csv"
    path.write_bytes(data)
    records = list(csv.reader(io.StringIO(data.decode(), newline="")))[1:]
    found = find_records(path, ["a"], wanted, None, "")
    assert found is not None  # before: None, and every import read the ledger whole
    expected = [(i, r) for i, r in enumerate(records) if (r[1],) in wanted]
    assert list(zip(found.numbers, found.rows)) == expected
    for (start, end), record in zip(found.spans, found.rows):
        assert list(csv.reader(io.StringIO(data[start:end].decode(), newline=""))) == [record]


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 22])
def test_a_key_over_lines_is_found(tmp_path, monkeypatch, block):
    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    path = tmp_path / "l.csv"
    path.write_bytes(OVER_LINES)
    found = find_records(path, ["a"], {("q\nr",)}, None, "")
    assert found is not None and found.numbers == [2] and found.rows == [["K3", "q\nr", "w"]]


@pytest.mark.parametrize(
    "data",
    [
        b"id,a,b\nK1,x,y\n,,\nK2,q,w\n",
        b'id,a,b\nK1,x,y\n"","",""\nK2,q,w\n',
        b'id,a,b\nK1,x,"t\nu"\n,,\nK2,q,w\n',
        b'id,a,b\n,,\nK1,x,"t\n,u"\nK2,q,w\n',
    ],
    ids=["commas", "quoted empties", "after a value over lines", "first, before a value with a comma line"],
)
@pytest.mark.parametrize("key", [["id"], ["a"]])
def test_a_row_of_empty_values_sends_the_ledger_to_the_whole_read(tmp_path, data, key):
    """The whole read leaves such a row out and numbers the rows after it without it: a count
    that took it for a record would give the rows after it the wrong numbers."""
    path = tmp_path / "l.csv"
    path.write_bytes(data)
    wanted = {("K2",)} if key == ["id"] else {("q",)}
    assert find_records(path, key, wanted, None, "") is None


@pytest.mark.parametrize("second_line", ["二号楼", ", 二号楼"])
def test_a_stamped_trademark_ledger_with_an_address_over_two_lines_is_updated_without_a_whole_read(
    invoke, tmp_path, monkeypatch, second_line
):
    from ipdemo.ingest import importer

    address = VALID_ROWS["trademarks"]["applicant_address"] + "\n" + second_line
    root, control = stamped_trademarks_and_control(invoke, tmp_path, monkeypatch, address)
    answers = []
    real = ledger.find_records
    monkeypatch.setattr(ledger, "find_records", lambda *a, **k: answers.append(real(*a, **k)) or answers[-1])
    monkeypatch.setattr(importer, "find_records", ledger.find_records, raising=False)
    assert invoke(["import", "w2.csv"], cwd=root).exit_code == 0
    assert answers and answers[-1] is not None  # found by counting records, not read whole
    path = "data/trademarks.csv"
    assert (root / path).read_bytes() == (control / path).read_bytes()
    assert "二号楼" in (root / path).read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("data", "wanted"), [(OVER_LINES, "w"), (b"id,a,b\nK1,x,y\nK2,y,z", "y")], ids=["over lines", "one a line"]
)
def test_a_row_the_count_never_reaches_gives_the_whole_read(tmp_path, monkeypatch, data, wanted):
    """Should the rows pyarrow finds ever outnumber the records counted (here one past the last
    record, which lacks its newline: the count stops there), the lookup answers nothing: a wanted
    record missed would be added a second time by the import."""
    path = tmp_path / "l.csv"
    path.write_bytes(data)
    real = ledger._rows_holding
    monkeypatch.setattr(ledger, "_rows_holding", lambda *a: np.append(real(*a), data.count(b"K")))
    assert find_records(path, ["a"], {(wanted,)}, None, "") is None
