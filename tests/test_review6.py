"""Review of the multi-line scan (e2872d6) and the vouched report reads (3ec5083, 862067b):
inputs that broke a promise, each checked against what the whole read (or no cache) says.

find_records promises, for any ledger bytes, either exactly what the whole read says about the
wanted keys (the same records at the same places) or None. Each case here is bytes the whole
read accepts, where the scan answered something else.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.data import ledger
from ipdemo.data.ledger import find_records, read_table
from ipdemo.data.store import read_journal

from .conftest import VALID_ROWS, make_project
from .helpers import export, ledger_rows
from .test_append import row


def whole_records(path: Path) -> list[list[str]]:
    return [list(r.values()) for r in read_table(path).arrow.to_pylist()]


def answer(path: Path, key: list[str], wanted: set, verify: bool):
    found = find_records(path, key, wanted, None, "", verify=verify)
    return None if found is None else (found.rows, found.numbers)


# A stray quote (text inside a value, as an inch mark is typed) and a value opened by a quote
# later on the same line: two quotes, so every newline has an even number of quotes before it,
# yet the whole read (pyarrow, and the csv module alike) reads the next lines as that value's.
STRAY_THEN_OPEN = b'id,a,b\nK2,12.5"x,"c\nK3,d,e\nK4,f,g"x"\n'


@pytest.mark.parametrize("verify", [True, False])
def test_a_record_inside_another_records_value_is_not_found_by_the_scan(tmp_path, verify):
    path = tmp_path / "l.csv"
    path.write_bytes(STRAY_THEN_OPEN)
    records = whole_records(path)
    assert [r[0] for r in records] == ["K2"]  # one record: K3 and K4 are inside K2's value
    assert answer(path, ["id"], {("K3",)}, verify) in (None, ([], []))


@pytest.mark.parametrize("verify", [True, False])
def test_a_value_left_open_at_the_end_is_read_as_the_whole_read_reads_it(tmp_path, verify):
    path = tmp_path / "l.csv"
    path.write_bytes(b'id,a,b\nK2,ab"K3,"\n')
    assert whole_records(path) == [["K2", 'ab"K3', "\n"]]
    assert answer(path, ["id"], {("K2",)}, verify) in (None, ([["K2", 'ab"K3', "\n"]], [0]))


@pytest.mark.parametrize("stamped", [False, True], ids=["hand-edited", "stamped"])
def test_the_import_does_not_splice_a_record_that_is_inside_another_records_value(
    invoke, tmp_path, monkeypatch, stamped
):
    """A hand-edited ledger (a title with an inch mark, a status date opened by a quote): the
    whole read takes the next line as part of that value, so the incoming key is new there;
    the scan (verifying, or plain once an import that read it whole stamped it) must not take
    that line for the record and splice it."""
    from ipdemo.ingest import importer

    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    export(root / "week1.csv", [row(f"2024100000{i:02d}") for i in range(1, 21)])
    assert invoke(["import", "week1.csv"], cwd=root).exit_code == 0
    path = root / "data" / "patents.csv"
    lines = path.read_bytes().split(b"\n")
    a, b, c = 2, 3, 4  # three imported records (line 0 is the header)
    first = lines[a].split(b",")
    first[1] += b'12.5"'  # an inch mark in the title: a stray quote
    first[9] = b'"' + first[9]  # a quote opening the last value: it runs on to the line with the next quote
    lines[a] = b",".join(first)
    third = lines[c].split(b",")
    third[9] = b'x"y"'
    lines[c] = b",".join(third)
    path.write_bytes(b"\n".join(lines))
    inside = lines[b].split(b",")[0].decode()
    assert inside not in [r["application_no"] for r in ledger_rows(root)]  # inside a value to the whole read
    control = tmp_path / "control"
    shutil.copytree(root, control)
    body = inside.split(".")[0]
    for folder in (root, control):
        export(folder / "week2.csv", [row(body, granted="2024-06-01")])
    with monkeypatch.context() as whole:
        whole.setattr(importer, "FIND_BYTES_PER_KEY", 1 << 40)
        if stamped:  # read whole, nothing to change: the hand-edited bytes get the journal's stamp
            for folder in (root, control):
                export(folder / "again.csv", [row("202410000010")])
                assert invoke(["import", "again.csv"], cwd=folder).exit_code == 0
            assert read_journal(root / "data")[-1]["write"] == "none"
        expected = invoke(["import", "week2.csv"], cwd=control)
    got = invoke(["import", "week2.csv"], cwd=root)
    assert got.exit_code == expected.exit_code
    assert path.read_bytes() == (control / "data" / "patents.csv").read_bytes()


# A key in other than the leading columns (trademarks: application_no + nice_class) is found by
# counting newlines: a quoted value holding a newline — as ipdemo itself writes one — makes the
# lines no longer the records.
@pytest.mark.parametrize(
    ("data", "wanted"),
    [
        (b'id,a,b\nK1,x,"t\nK2,y,z"\nK3,y,w\n', {("y",)}),  # the record after the value, by its line count
        (b'id,a,b\nK1,x,"t\nK2,y,z"\nK3,q,w\n', {("q",)}),  # another key's line answered
        (b'id,a,b\nK1,x,"t\nK2,y,z"\n', {("y",)}),  # a line inside a value taken for a record
    ],
)
def test_a_key_not_leading_is_not_found_in_the_wrong_line_of_a_value_over_lines(tmp_path, data, wanted):
    path = tmp_path / "l.csv"
    path.write_bytes(data)
    records = whole_records(path)
    expected = [(r, i) for i, r in enumerate(records) if (r[1],) in wanted]
    got = answer(path, ["a"], wanted, verify=False)
    assert got is None or list(zip(*got)) == expected


def stamped_trademarks_and_control(invoke, tmp_path, monkeypatch, address: str) -> tuple[Path, Path]:
    """A trademark ledger ipdemo wrote (stamped) whose first record's applicant address is
    `address`, and a copy (the control) into which an update of the third record was imported
    with the whole read forced; the same update waits in the first project as w2.csv."""
    from ipdemo.ingest import importer

    base = VALID_ROWS["trademarks"]
    rows = [
        {**base, "application_no": "56781234", "applicant_address": address},
        {**base, "application_no": "56781235"},
        {**base, "application_no": "56781236"},
    ]
    root = make_project(tmp_path / "p", {"trademarks": rows})
    header = list(base)
    export(root / "w1.csv", [[base[h] if h != "application_no" else "56781237" for h in header]], header=header)
    assert invoke(["import", "w1.csv"], cwd=root).exit_code == 0  # read whole, written whole: stamped
    control = tmp_path / "control"
    shutil.copytree(root, control)
    update = {**base, "application_no": "56781236", "registered_on": "2022-01-07"}
    for folder in (root, control):
        export(folder / "w2.csv", [[update[h] for h in header]], header=header)
    with monkeypatch.context() as whole:
        whole.setattr(importer, "FIND_BYTES_PER_KEY", 1 << 40)
        assert invoke(["import", "w2.csv"], cwd=control).exit_code == 0
    return root, control


def test_a_trademark_over_two_lines_written_by_ipdemo_does_not_send_the_next_update_to_another_record(
    invoke, tmp_path, monkeypatch
):
    """A trademark ledger ipdemo wrote (stamped) with an applicant address over two lines that
    holds commas: the next import updates the record it names, as the whole read does."""
    address = VALID_ROWS["trademarks"]["applicant_address"] + "\n56781299,9,某,某,某,某,某,某,某"
    root, control = stamped_trademarks_and_control(invoke, tmp_path, monkeypatch, address)
    assert invoke(["import", "w2.csv"], cwd=root).exit_code == 0
    path = "data/trademarks.csv"
    assert (root / path).read_bytes() == (control / path).read_bytes()


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 22])
def test_the_stray_quote_case_holds_at_any_scan_block(tmp_path, monkeypatch, block):
    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    path = tmp_path / "l.csv"
    path.write_bytes(STRAY_THEN_OPEN)
    assert [r[0] for r in whole_records(path)] == ["K2"]
    for verify in (True, False):
        assert answer(path, ["id"], {("K3",), ("K4",)}, verify) in (None, ([], []))


# Ledgers of a few records built from pieces that make quotes, newlines and commas meet in every
# way (stray, doubled, opening, closing, at a line's end): whatever find_records answers is what
# the whole read says about the wanted keys.
PIECES = [b"K1", b"K2", b"x", b"", b",", b'"', b'""', b"\n", b"\r", b" ", b"y\nK2,", b"K3,", b'"\n', b'\n"', b'a"b']
PIECES += [b',"', b'",', b"\nK4,", b"\n\n"]


@st.composite
def ledgers(draw) -> bytes:
    body = b"id,a,b\n"
    for _ in range(draw(st.integers(0, 5))):
        body += draw(st.sampled_from([b"K1", b"K2", b"K3", b"K4", b'"K1"', b'K"1'])) + b","
        body += b"".join(draw(st.lists(st.sampled_from(PIECES), max_size=5)))
        body += b"\n" if draw(st.booleans()) else b""
    return body


def agrees_with_whole_read(path: Path, key: list[str], wanted: set, verify: bool) -> None:
    found = find_records(path, key, wanted, None, "", verify=verify)
    if found is None:
        return
    table = read_table(path)
    if not verify and (table.problems or table.header != ["id", "a", "b"]):
        return  # not a ledger the import writes or stamps: only a verifying scan meets it
    assert not table.problems and table.header == ["id", "a", "b"]
    records = whole_records(path)
    columns = [table.header.index(k) for k in key]
    keys = [tuple(r[i] for i in columns) for r in records]
    if verify:
        assert len(set(keys)) == len(keys)
    assert all(keys.count(k) == 1 for k in wanted if k in keys)
    data = path.read_bytes()
    expected = sorted((i, r) for i, (k, r) in enumerate(zip(keys, records)) if k in wanted)
    assert sorted(zip(found.numbers, found.rows)) == expected
    for (start, end), record in zip(found.spans, found.rows):
        assert list(csv.reader(io.StringIO(data[start:end].decode(), newline=""))) == [record]
        assert end == len(data) or data[end - 1 : end] == b"\n"
    if verify:
        assert found.sha256 == hashlib.sha256(data).hexdigest()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=ledgers(),
    wanted=st.sets(st.sampled_from(["K1", "K2", "K3", "K4", "x", "", "y"]), min_size=1, max_size=3),
    block=st.sampled_from([1, 5, 13, 1 << 22]),
)
def test_find_records_says_what_the_whole_read_says_or_nothing(tmp_path, monkeypatch, data, wanted, block):
    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    path = tmp_path / "l.csv"
    path.write_bytes(data)
    keys = {(k,) for k in wanted}
    for verify in (True, False):
        agrees_with_whole_read(path, ["id"], keys, verify)
    agrees_with_whole_read(path, ["a"], keys, False)


# --- the reports: with the cache, exactly what no cache says, after any sequence --------------


def _report(invoke, root, monkeypatch, cached: bool, *args: str) -> str:
    with monkeypatch.context() as context:
        if not cached:
            context.setenv("IPDEMO_NO_CACHE", "1")
        result = invoke(["report", "--format", "json", *args], cwd=root)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _weekly(invoke, root, name: str, rows: list[list[str]]) -> None:
    export(root / name, rows)
    assert invoke(["import", name], cwd=root).exit_code == 0


def inside(body: str, granted: str = "", town: str = "盛泽") -> list[str]:
    """An export row filed inside the plan's period (the reports count it)."""
    line = row(body, granted, town)
    line[3] = "2022-03-05"
    return line


def test_every_report_with_the_cache_is_the_report_without_it(invoke, tmp_path, monkeypatch):
    """A big ledger (read in pieces, its hash the journal's while its stamp is its import's)
    through appends, splices, a write of nothing, a backup restored with its mtime (cp -p), an
    import killed before its rename, a ledger saved without its last newline, a title over two
    lines, and a touch: after each, the cached report (cold or warm) is the uncached one."""
    import subprocess
    import sys

    from .test_append import CHILD
    from .test_vouched_read import stamped_in_pieces

    root = stamped_in_pieces(tmp_path, invoke, monkeypatch, [inside(f"2024100{i:05d}") for i in range(1, 301)])
    path = root / "data" / "patents.csv"
    backup = tmp_path / "backup.csv"
    two_lines = inside("202410000007", granted="2022-05-05")
    two_lines[1] = "一种装置\n（第二行）"
    steps = [
        lambda: None,
        lambda: _weekly(invoke, root, "w1.csv", [inside("202410001001"), inside("202410001002", town="平望")]),
        lambda: _weekly(invoke, root, "w2.csv", [inside("202410000003", granted="2022-06-01")]),
        lambda: _weekly(invoke, root, "w2.csv", [inside("202410000003", granted="2022-06-01")]),  # nothing
        # a splice that keeps the line's length, with an append: the old bytes no longer lead the file
        lambda: _weekly(
            invoke, root, "w10.csv", [inside("202410000003", granted="2023-06-01"), inside("202410001008")]
        ),
        lambda: shutil.copy2(path, backup),
        lambda: _weekly(invoke, root, "w3.csv", [inside("202410000004", granted="2022-06-02"), inside("202410001003")]),
        lambda: shutil.copy2(backup, path),  # cp -p: the backup's content and mtime
        lambda: _weekly(invoke, root, "w4.csv", [inside("202410001004", town="松陵")]),
        lambda: subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD.replace('if step != "none":', 'store.os.replace = lambda *a, **k: die()\nif step != "none":'),
                "none",
                "import",
                "w5.csv",
            ],
            cwd=root,
            timeout=120,
            env={**os.environ, "IPDEMO_CACHE_DIR": str(tmp_path / "cache")},
        ),
        lambda: _weekly(invoke, root, "w6.csv", [inside("202410000005", granted="2022-06-03")]),
        lambda: path.write_bytes(path.read_bytes().rstrip(b"\n")),
        lambda: _weekly(invoke, root, "w7.csv", [inside("202410001005")]),
        lambda: _weekly(invoke, root, "w8.csv", [two_lines]),
        lambda: _weekly(invoke, root, "w9.csv", [inside("202410001006"), inside("202410000006", granted="2022-06-04")]),
        lambda: os.utime(path),
    ]
    export(root / "w5.csv", [inside("202410000008", granted="2022-06-05"), inside("202410001007")])
    for i, step in enumerate(steps):
        step()
        for args in ((), ("--by", "town"), ("--by", "year")):
            expected = _report(invoke, root, monkeypatch, False, *args)
            assert _report(invoke, root, monkeypatch, True, *args) == expected, (i, args)  # cold or patched
            assert _report(invoke, root, monkeypatch, True, *args) == expected, (i, args)  # warm
