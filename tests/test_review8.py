"""Review of the record lookup for a key outside the leading columns (5779ea8: `_judged`,
`_records_as_csv_writes_them`, `_rows_holding(..., over_lines)`, `_locate_records`).

find_records promises, for any ledger bytes, either exactly what the whole read says about the
wanted keys (the same records, the same values, each span the record's exact bytes, each number
its ordinal among the records the whole read keeps) or None. The strategies here aim at the new
code: keys in the second and third columns, values over lines at block boundaries, rows of empty
values in every form, blank lines, carriage returns, a BOM, a header over two lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ipdemo.data import ledger, records
from ipdemo.data.ledger import find_records, read_table
from ipdemo.errors import LedgerError

from .conftest import VALID_ROWS, make_project
from .helpers import export, ledger_rows

KEYS = [["a"], ["b"], ["a", "b"], ["id"], ["id", "a"]]


def agrees(path: Path, key: list[str], wanted: set, verify: bool = False) -> None:
    """find_records says what the whole read says about `wanted`, or nothing. Not verifying (an
    import of a stamped ledger), a file the whole read rejects never reaches it."""
    found = find_records(path, key, wanted, None, "", verify=verify)
    if found is None:
        return
    try:
        table = read_table(path)
    except LedgerError:
        assert not verify
        return
    if table.problems or table.header != ["id", "a", "b"]:
        assert not verify
        return
    kept = [list(r.values()) for r in table.arrow.to_pylist()]
    at = [table.header.index(k) for k in key]
    keys = [tuple(r[i] for i in at) for r in kept]
    assert all(keys.count(k) == 1 for k in wanted if k in keys)
    if verify:
        assert len(set(keys)) == len(keys)
        assert found.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    expected = sorted((i, r) for i, (k, r) in enumerate(zip(keys, kept)) if k in wanted)
    assert sorted(zip(found.numbers, found.rows)) == expected
    data = path.read_bytes()
    assert found.ends_with_newline == (not data or data.endswith(b"\n"))
    for (start, end), record in zip(found.spans, found.rows):
        assert data[start - 1 : start] == b"\n"  # a record starts after a newline
        assert list(csv.reader(io.StringIO(data[start:end].decode(), newline=""))) == [record]
        assert end == len(data) or data[end - 1 : end] == b"\n"


# Fields as CSV writes them (quoted when they hold a quote, a comma or a newline); now and then
# one the lookup must refuse or judge (a carriage return, a newline before a comma), and raw
# pieces that are not CSV (a stray quote, a lone carriage return, a value left open).
FIELDS = [b"x", b"y", b"q", b"", b'""', b'"x"', b'"q\nr"', b'"\n"', b'"\n\n"', b'"a""b"', b'""""', b'" "']
FIELDS += [b'"x\ny"'] + [b"v%d" % i for i in range(6)] + [b'"m%d\nn"' % i for i in range(6)]
FIELDS += [b'"w%d,\n\n"' % i for i in range(3)]
HOSTILE = [b'"\r\n"', b'"t\n,u"', b'"\n,"', b'"\r"']
RAW = [b'"', b"\r", b"\n", b",", b"\n\n", b'a"b', b'"\n', b"\r\n"]
EMPTY_ROWS = [b",,", b'"","",""', b',"",', b'"",,', b',,""', b'""', b""]
HEADERS = [b"id,a,b", b'id,"a",b', b"\xef\xbb\xbfid,a,b", b'id,a,"b\n"', b'id,a,"b\n', b'"id\n",a,b']


def field(draw) -> bytes:
    return draw(st.sampled_from(HOSTILE if draw(st.integers(0, 30)) == 0 else FIELDS))


@st.composite
def ledgers(draw) -> bytes:
    """Mostly records as CSV writes them, now and then a piece that is not."""
    rare = draw(st.integers(0, 3)) == 0
    body = draw(st.sampled_from(HEADERS)) if rare else b"id,a,b"
    body += b"\n"
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 40))
        if kind == 0:
            body += draw(st.sampled_from(EMPTY_ROWS))
        elif kind == 1:
            body += b"".join(draw(st.lists(st.sampled_from(FIELDS + RAW), max_size=5)))
        else:
            first = draw(st.sampled_from([b"K1", b"K2", b"K3", b'"K4"', b'"K\n5"']))
            body += b",".join([first, field(draw), field(draw)])
        body += draw(st.sampled_from([b"\n"] * 30 + [b"", b"\r\n", b"\n\n"]))
    return body


VALUES = ["x", "y", "q", "", "q\nr", "\n", "x\ny", 'a"b', "t\n,u"]
VALUES += [f"v{i}" for i in range(6)] + [f"m{i}\nn" for i in range(6)] + [f"w{i},\n\n" for i in range(3)]


def keys_in(data: bytes, key: list[str]) -> list[tuple[str, ...]]:
    """The keys the csv module reads in `data` (some wanted keys are ones the ledger holds)."""
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1:]
    except (csv.Error, UnicodeDecodeError):
        return []
    at = [{"id": 0, "a": 1, "b": 2}[k] for k in key]
    return [tuple(r[i] for i in at) for r in rows if len(r) == 3]


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=ledgers(),
    key=st.sampled_from(KEYS),
    values=st.lists(st.tuples(st.sampled_from(VALUES), st.sampled_from(VALUES)), max_size=2),
    picks=st.lists(st.integers(0, 10), max_size=3),
    block=st.sampled_from([*range(1, 17), 1 << 22]),
)
# a header over two lines: the whole read's header is its first line, as the lookup's
@example(data=b'id,a,"b\n"\nK1,q,w\n",q,y\nK3,",z",w\n', key=["a"], values=[("q", "q")], picks=[], block=3)
def test_find_records_is_what_the_whole_read_says_or_nothing(tmp_path, monkeypatch, data, key, values, picks, block):
    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    path = tmp_path / "l.csv"
    path.write_bytes(data)
    held = keys_in(data, key)
    wanted = {v[: len(key)] for v in values} | {held[i % len(held)] for i in picks if held}
    if wanted:
        agrees(path, key, wanted)
        if key[0] == "id":
            agrees(path, key, wanted, verify=True)


# --- end to end: `ipdemo import FILE` into a stamped trademarks ledger with values over lines ---

ADDRESSES = [
    "江苏省苏州市\n吴江区88号",  # Alt+Enter in Excel
    "一号楼,\n\n二号楼",  # a comma, then a blank line inside the value
    '"恒通"大厦\n,三层',  # quotes, and a newline before a comma
    "长安路\n",  # a value ending in a newline
]


def _trademark(number: str, address: str = "", **changes: str) -> dict[str, str]:
    base = VALID_ROWS["trademarks"]
    return {**base, "application_no": number, "applicant_address": address or base["applicant_address"], **changes}


@pytest.mark.parametrize("block", [1, 6, 17, 64, 1 << 22])
def test_an_import_into_a_stamped_trademark_ledger_with_values_over_lines_writes_what_the_whole_read_writes(
    invoke, tmp_path, monkeypatch, block
):
    from ipdemo.ingest import importer

    over_lines = [ADDRESSES[0], ADDRESSES[1], ADDRESSES[3]]  # (a newline before a comma: read whole)
    rows = [_trademark(f"5678{1200 + i}", over_lines[i // 2 % 3] if i % 2 else "") for i in range(12)]
    root = make_project(tmp_path / "p", {"trademarks": rows})
    header = list(VALID_ROWS["trademarks"])
    export(root / "w1.csv", [[_trademark("56789999")[h] for h in header]], header=header)
    assert invoke(["import", "w1.csv"], cwd=root).exit_code == 0  # read whole, written whole: stamped
    control = tmp_path / "control"
    shutil.copytree(root, control)
    updates = [
        _trademark("56781201", ADDRESSES[1], registered_on="2022-01-07"),  # after a value over lines
        _trademark("56781204", registered_on="2022-02-07"),
        _trademark("56781211", ADDRESSES[3], registered_on="2022-03-07"),  # the last but one
        _trademark("56781299", ADDRESSES[2]),  # new
    ]
    for folder in (root, control):
        export(folder / "w2.csv", [[u[h] for h in header] for u in updates], header=header)
    with monkeypatch.context() as whole:
        whole.setattr(importer, "FIND_BYTES_PER_KEY", 1 << 40)
        expected = invoke(["import", "w2.csv"], cwd=control)
    assert expected.exit_code == 0, expected.stderr
    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    answers = []
    real = ledger.find_records
    monkeypatch.setattr(ledger, "find_records", lambda *a, **k: answers.append(real(*a, **k)) or answers[-1])
    monkeypatch.setattr(importer, "find_records", ledger.find_records, raising=False)
    got = invoke(["import", "w2.csv"], cwd=root)
    assert got.exit_code == 0, got.stderr
    assert answers and answers[-1] is not None  # the lookup, not the whole read, answered
    path = "data/trademarks.csv"
    assert (root / path).read_bytes() == (control / path).read_bytes()
    assert got.stdout == expected.stdout
    written = {r["applicant_address"] for r in ledger_rows(root, "trademarks")}
    assert set(ADDRESSES) <= written  # the values over lines, kept as written


# --- _judged's rules, against the whole read -------------------------------------------------


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=ledgers())
def test_records_judged_as_csv_writes_them_are_the_records_the_whole_read_keeps(tmp_path, data):
    """A block `_judged` lets pass (no blank line, no row of empty values, no stray quote, no
    carriage return) holds exactly the records the whole read keeps, each ending at a newline
    outside quoted values, and says whether a value holds a newline."""
    head, _, body = data.partition(b"\n")
    if not body.endswith(b"\n"):
        body += b"\n"
    try:
        over_lines = ledger._judged(body)
    except ledger._NotLines:
        return  # a refusal: the whole read answers
    path = tmp_path / "l.csv"
    path.write_bytes(b"id,a,b\n" + body)
    table = read_table(path)
    ends = records.ends(np.frombuffer(body, dtype=np.uint8))
    assert ends is not None
    starts = [0, *(ends[:-1] + 1).tolist()]
    spans = [body[s : e + 1].decode() for s, e in zip(starts, ends.tolist())]
    parsed = [next(csv.reader([s.removesuffix("\n")]), []) for s in spans]
    if table.problems:
        return  # a ragged row: the whole read says where (and the lookup checks each record's fields)
    assert [list(r.values()) for r in table.arrow.to_pylist()] == parsed
    assert over_lines == any("\n" in s.removesuffix("\n") for s in spans)


# Hand edits the whole read accepts (or words), made to a trademarks ledger with values over lines,
# which an import that changes nothing then stamps: the next import looks its records up.
TM = "56781299,恒通,吴江恒通光电科技有限公司,某地,平望镇,9,2021-07-01,,,"
EDITS = {
    "a row of commas": lambda lines: lines[:4] + [b",,,,,,,,,"] + lines[4:],
    "a row of quoted empties": lambda lines: lines[:4] + [b'"","","","","","","","","",""'] + lines[4:],
    "a row of mixed empties": lambda lines: lines[:4] + [b',"",,,,,,,,'] + lines[4:],
    "a blank line": lambda lines: lines[:4] + [b""] + lines[4:],
    "a carriage return ending a line": lambda lines: lines[:4] + [lines[4] + b"\r"] + lines[5:],
    "an empty key": lambda lines: lines[:4] + [TM.replace("56781299", "").encode()] + lines[4:],
    "a stray quote": lambda lines: lines[:4] + [lines[4].replace(b"\xe6\x81\x92", b'\xe6\x81\x92"')] + lines[5:],
    "an added record over lines": lambda lines: lines[:4] + [TM.replace("某地", '"某\n\n地"').encode()] + lines[4:],
}


def record_bytes(data: bytes) -> list[bytes]:
    """The header and each record of a ledger ipdemo wrote, without their newlines."""
    ends = records.ends(np.frombuffer(data, dtype=np.uint8))
    assert ends is not None and ends[-1] == len(data) - 1
    starts = [0, *(ends[:-1] + 1).tolist()]
    return [data[s:e] for s, e in zip(starts, ends.tolist())]


@pytest.mark.parametrize("edit", list(EDITS))
@pytest.mark.parametrize("block", [5, 1 << 22])
def test_an_import_after_a_hand_edit_writes_what_the_whole_read_writes(invoke, tmp_path, monkeypatch, edit, block):
    from ipdemo.ingest import importer

    over_lines = [ADDRESSES[0], ADDRESSES[1], ADDRESSES[3]]
    rows = [_trademark(f"5678{1200 + i}", over_lines[i // 2 % 3] if i % 2 else "") for i in range(8)]
    root = make_project(tmp_path / "p", {"trademarks": rows})
    path = root / "data" / "trademarks.csv"
    path.write_bytes(b"".join(r + b"\n" for r in EDITS[edit](record_bytes(path.read_bytes()))))
    header = list(VALID_ROWS["trademarks"])
    control = tmp_path / "control"
    shutil.copytree(root, control)
    same = [_trademark("56781202")[h] for h in header]  # stored as it is: a write of nothing stamps the edit
    updates = [_trademark(f"5678{1200 + i}", registered_on="2022-01-07") for i in (3, 5, 7)]
    for folder in (root, control):
        export(folder / "w1.csv", [same], header=header)
        export(folder / "w2.csv", [[u[h] for h in header] for u in updates], header=header)
    with monkeypatch.context() as whole:
        whole.setattr(importer, "FIND_BYTES_PER_KEY", 1 << 40)
        for folder in (root, control):
            invoke(["import", "w1.csv"], cwd=folder)
        expected = invoke(["import", "w2.csv"], cwd=control)
    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    got = invoke(["import", "w2.csv"], cwd=root)
    assert (got.exit_code, got.stdout) == (expected.exit_code, expected.stdout)
    assert path.read_bytes() == (control / "data" / "trademarks.csv").read_bytes()
