"""The key index (issue 26): a weekly import finds the records it updates without reading the
ledger, and the index never makes it lose or duplicate a record.

Every import is the command the user types (`ipdemo import FILE`). The tests' cache folder
(conftest: IPDEMO_CACHE_DIR) holds the index. Each result is compared with what the scan of the
whole file (no index) or a whole rewrite gives.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.data import key_index, ledger, store
from ipdemo.data.cache_home import cache_dir
from ipdemo.data.store import read_journal

from .conftest import VALID_ROWS, make_project
from .helpers import cn, export, ledger_rows
from .test_append import row  # an export row of test_append's weekly imports


@pytest.fixture
def proj(tmp_path, invoke):
    """A project whose patents ledger ipdemo has written once (40 rows): stamped, and indexed."""
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    export(root / "week1.csv", [row(f"2024100000{i:02d}") for i in range(1, 41)])
    assert invoke(["import", "week1.csv"], cwd=root).exit_code == 0
    return root


def index_files(proj: Path) -> list[Path]:
    prefix = hashlib.sha256(str((proj / "data" / "patents.csv").resolve()).encode()).hexdigest()[:16]
    folder = cache_dir()
    assert folder is not None
    return [folder / f"{prefix}-keys.{ext}" for ext in ("json", "fp", "len")]


def loaded(proj: Path) -> key_index.KeyIndex | None:
    path = proj / "data" / "patents.csv"
    entry = read_journal(proj / "data")[-1]
    header = path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    return key_index.load(cache_dir(), path, entry["after_sha256"], path.stat().st_size, header, 1)


def rebuilt(proj: Path) -> key_index.KeyIndex | None:
    data = (proj / "data" / "patents.csv").read_bytes()
    header = data[3:].split(b"\n", 1)[0].decode().split(",")
    return key_index.build(data, data.find(b"\n") + 1, header, 1)


def no_scan(monkeypatch) -> None:
    def scan(self):
        raise AssertionError("the ledger was scanned")

    monkeypatch.setattr(ledger._Prefixes, "scan", scan)


def test_the_first_write_indexes_the_ledger_and_the_index_describes_it(proj):
    index, fresh = loaded(proj), rebuilt(proj)
    assert index is not None and fresh is not None
    assert np.array_equal(index.fp, fresh.fp) and np.array_equal(index.lengths, fresh.lengths)
    assert len(index.fp) == 41  # the test's row and 40 imported


def test_a_weekly_import_finds_its_records_by_the_index_not_by_a_scan(invoke, proj, tmp_path, monkeypatch):
    control = tmp_path / "control"
    shutil.copytree(proj, control)
    updates = [row("202410000003", granted="2024-06-01"), row("202410000040", granted="2024-06-02")]
    new = [row("202410000301"), row("202410000302")]
    for root in (proj, control):
        export(root / "week2.csv", updates + new)
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    assert invoke(["import", "week2.csv"], cwd=control).exit_code == 0  # no index: the scan
    monkeypatch.delenv("IPDEMO_NO_CACHE")
    no_scan(monkeypatch)
    result = invoke(["import", "week2.csv", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["added"], out["updated"]) == (2, 2)
    assert (proj / "data" / "patents.csv").read_bytes() == (control / "data" / "patents.csv").read_bytes()
    index, fresh = loaded(proj), rebuilt(proj)  # the index follows the splice: lengths and new rows
    assert index is not None and fresh is not None
    assert np.array_equal(index.fp, fresh.fp) and np.array_equal(index.lengths, fresh.lengths)


def test_an_index_follows_many_imports_of_every_kind(invoke, proj, monkeypatch):
    weeks = [
        [row("202410000501"), row("202410000502")],  # appended
        [row("202410000501", granted="2024-07-01")],  # spliced (the last line but one)
        [row("202410000502", granted="2024-07-02"), row("202410000503")],  # the last line, and a new one
        [row("202410000001", granted="2024-07-03")],  # the first record
        [row("202410000001", granted="2024-07-03")],  # nothing changes
    ]
    for i, rows in enumerate(weeks):
        export(proj / f"w{i}.csv", rows)
        assert invoke(["import", f"w{i}.csv"], cwd=proj).exit_code == 0
        no_scan(monkeypatch)  # from the second on, every lookup is the index's
        index, fresh = loaded(proj), rebuilt(proj)
        assert index is not None and fresh is not None, i
        assert np.array_equal(index.fp, fresh.fp) and np.array_equal(index.lengths, fresh.lengths), i
    granted = {r["application_no"]: r["granted_on"] for r in ledger_rows(proj)}
    assert granted[cn("202410000502")] == "2024-07-02" and granted[cn("202410000001")] == "2024-07-03"
    assert len(granted) == 44


def test_an_index_changed_by_anything_but_ipdemo_is_not_used(invoke, proj):
    """A key missing from a damaged index would pass as new and be stored twice: the index's own
    hash refuses it, the scan finds the record, and it is updated, once."""
    _, fp_path, _ = index_files(proj)
    fp = np.fromfile(fp_path, dtype="<u8")
    fp[3] ^= np.uint64(1)  # the fourth record's key no longer found by its fingerprint
    fp.tofile(fp_path)
    assert loaded(proj) is None
    export(proj / "week2.csv", [row("202410000003", granted="2024-06-01")])
    result = invoke(["import", "week2.csv", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["added"], json.loads(result.stdout)["updated"]) == (0, 1)
    numbers = [r["application_no"] for r in ledger_rows(proj)]
    assert len(numbers) == len(set(numbers)) == 41
    assert loaded(proj) is not None  # the scan built it again


def test_an_index_of_an_earlier_format_is_not_used_and_is_built_again(invoke, proj):
    """An index written by an earlier ipdemo (format 2 numbered the rows after a row of empty
    values one too high) is not trusted: the next import scans, and leaves an index of today's."""
    meta_path, _, _ = index_files(proj)
    meta = json.loads(meta_path.read_text("utf-8"))
    assert meta["format"] == key_index.FORMAT == 3
    meta_path.write_text(json.dumps(meta | {"format": 2}), "utf-8")
    assert loaded(proj) is None
    export(proj / "week2.csv", [row("202410000003", granted="2024-06-01")])
    result = invoke(["import", "week2.csv", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["added"], json.loads(result.stdout)["updated"]) == (0, 1)
    assert json.loads(meta_path.read_text("utf-8"))["format"] == 3 and loaded(proj) is not None


def test_an_index_of_another_content_is_not_used_after_a_hand_edit(invoke, proj):
    """Saved by hand (a row added by an editor): the stamp and the hash differ; the edit is
    verified by a scan (not looked up in the old content's index) and kept, and the index is
    rebuilt for the new content."""
    path = proj / "data" / "patents.csv"
    last_line = path.read_text(encoding="utf-8").splitlines()[-1]
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(cn("202410000901") + last_line[last_line.index(",") :] + "\n")
    export(proj / "week2.csv", [row("202410000901", granted="2024-06-01"), row("202410000902")])
    result = invoke(["import", "week2.csv", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["added"], json.loads(result.stdout)["updated"]) == (1, 1)
    numbers = [r["application_no"] for r in ledger_rows(proj)]
    assert len(numbers) == len(set(numbers)) == 43
    index, fresh = loaded(proj), rebuilt(proj)
    assert index is not None and fresh is not None and np.array_equal(index.fp, fresh.fp)


def test_an_update_cut_short_leaves_no_index_that_vouches_for_it(invoke, proj, monkeypatch):
    """The JSON goes first and comes back last: a crash between leaves none, and the next import
    scans (and finds every record)."""
    real_write = key_index._write_changes

    def crash(*args):
        real_write(*args)
        raise OSError(errno.EIO, "power cut")

    monkeypatch.setattr(key_index, "_write_changes", crash)
    export(proj / "week2.csv", [row("202410000003", granted="2024-06-01")])
    assert invoke(["import", "week2.csv"], cwd=proj).exit_code == 0  # an index is never an error
    assert not index_files(proj)[0].exists()
    monkeypatch.undo()
    export(proj / "week3.csv", [row("202410000003", granted="2024-06-05"), row("202410000404")])
    assert invoke(["import", "week3.csv"], cwd=proj).exit_code == 0
    numbers = [r["application_no"] for r in ledger_rows(proj)]
    assert len(numbers) == len(set(numbers)) == 42


def test_without_a_cache_folder_nothing_is_kept_and_imports_still_work(invoke, tmp_path, monkeypatch):
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    for i in range(3):
        export(
            root / f"w{i}.csv",
            [row(f"20241000{i}0{j:02d}") for j in range(5)] + [row("202410009999", f"2024-0{i + 2}-01")],
        )
        assert invoke(["import", f"w{i}.csv"], cwd=root).exit_code == 0
    assert len(ledger_rows(root)) == 17
    assert sorted(p.name for p in (root / "data").iterdir() if p.name.startswith(".")) == [store.LOCK_NAME]


def test_a_quoted_key_is_not_indexed_and_still_found(tmp_path):
    data = '\ufeffkey,name\n"K,1",a\nK2,"b, c"\n'.encode("utf-8")
    assert key_index.build(data, data.find(b"\n") + 1, ["key", "name"], 1) is None
    good = '\ufeffkey,name\nK1,a\nK2,"b, c"\n'.encode("utf-8")
    built = key_index.build(good, good.find(b"\n") + 1, ["key", "name"], 1)
    assert built is not None and built.lengths.tolist() == [5, 10]


def test_a_record_over_two_lines_is_one_entry_and_a_stray_quote_leaves_no_index():
    data = '\ufeffkey,name\nK1,"a\nb"\nK2,c\n'.encode("utf-8")
    built = key_index.build(data, data.find(b"\n") + 1, ["key", "name"], 1)
    assert built is not None and built.lengths.tolist() == [9, 5]  # K1's record holds two lines
    assert built.fp.tolist() == key_index.key_fingerprints([b"K1", b"K2"]).tolist()
    for stray in ('K1,a"b\nK2,c\n', 'K1,"a\nK2,c\n', 'K1,"a"b\nc"\nK2,c\n'):  # in a value, left open, after one
        data = ("\ufeffkey,name\n" + stray).encode("utf-8")
        assert key_index.build(data, data.find(b"\n") + 1, ["key", "name"], 1) is None, stray


def test_fingerprints_of_keys_and_of_lines_agree():
    keys = [b"202410000001.7", b"K", b"a-much-longer-key-of-forty-bytes-or-more!!", b"N4,2"]
    lines = b"".join(k + b",x\n" for k in keys[:3])
    arr = np.frombuffer(lines, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    starts = np.concatenate([[0], ends[:-1] + 1])
    assert key_index.line_keys(arr, starts, ends, 1, 2).tolist() == key_index.key_fingerprints(keys[:3]).tolist()
    assert len(set(key_index.key_fingerprints(keys).tolist())) == 4
    composite = np.frombuffer(b"N4,2,x\n", dtype=np.uint8)
    assert key_index.line_keys(composite, np.array([0]), np.array([6]), 2, 3).tolist() == [
        key_index.key_fingerprints([b"N4,2"])[0]
    ]


values = st.text(st.sampled_from('ab,"中 \n'), max_size=6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 30), values), min_size=1, max_size=60, unique_by=lambda t: t[0]
    ),
    st.sets(st.integers(0, 450), min_size=1, max_size=30),
    st.booleans(),
    st.sampled_from([64, 200, 1 << 22]),
)
def test_the_index_finds_what_the_scan_finds(tmp_path, monkeypatch, records, wanted_numbers, last_newline, block):
    """Differential: over generated ledgers (keys of 2 to 33 bytes, across 8-byte words; quoted
    values with commas and quotes; a last line with or without its newline; scan blocks of a few
    lines to one), the index finds the same records at the same places. Each wanted key is
    fingerprinted in one batch, the lines block by block: a fingerprint that depended on the
    batch (the longest key in it) would miss records here."""
    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    path = tmp_path / "l.csv"

    def key(n: int, pad: int) -> str:
        return f"K{n}" + "x" * pad

    pads = {n: pad for n, pad, _ in records}
    lines = [
        key(n, pad) + "," + ('"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v)
        for n, pad, v in records
    ]
    body = "\n".join(lines) + ("\n" if last_newline else "")
    path.write_bytes(b"\xef\xbb\xbfkey,value\n" + body.encode("utf-8"))
    wanted = {(key(n, pads.get(n, 3)),) for n in wanted_numbers}
    scanned = ledger.find_records(path, ["key"], wanted)
    assert scanned is not None and scanned.index is not None
    folder = tmp_path / "cache"
    key_index.save(folder, path, scanned.index, "s", path.stat().st_size)
    indexed = ledger.find_records(path, ["key"], wanted, folder, "s")
    assert indexed is not None and indexed.index is not None and indexed.index.stored == len(records)
    assert sorted(zip(indexed.numbers, indexed.spans, map(tuple, indexed.rows))) == sorted(
        zip(scanned.numbers, scanned.spans, map(tuple, scanned.rows))
    )
    assert len(indexed.rows) == len({(key(n, pads[n]),) for n in wanted_numbers if n in pads})
    assert indexed.ends_with_newline == scanned.ends_with_newline == last_newline


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.text(st.sampled_from('a,"\n中 '), max_size=8), values), min_size=1, max_size=40),
    st.sets(st.integers(0, 45), max_size=10),
    st.sampled_from([16, 100, 1 << 22]),
    st.booleans(),
)
def test_the_verifying_scan_reads_records_as_the_csv_module_does(tmp_path, monkeypatch, values_, wanted, block, verify):
    """Differential: ledgers as csv.writer writes them (values with commas, quotes and newlines,
    so records over several lines), scanned in blocks that cut records anywhere: the records
    found, their numbers and their bytes are the csv module's, and the verifying scan's hash is
    the file's."""
    import csv
    import io

    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [["key", "a", "b"]] + [[f"K{i}", a, b] for i, (a, b) in enumerate(values_)]
    )
    path = tmp_path / "l.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))
    expected = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    keys = {(f"K{n}",) for n in wanted} or {("K0",)}
    found = ledger.find_records(path, ["key"], keys, verify=verify)
    assert found is not None and found.index is not None and len(found.index.lengths) == len(expected)
    assert found.numbers == [i for i, r in enumerate(expected) if (r[0],) in keys]
    assert found.rows == [expected[i] for i in found.numbers]
    data = path.read_bytes()
    assert [next(csv.reader(io.StringIO(data[a:b].decode("utf-8")))) for a, b in found.spans] == found.rows
    starts = found.index.starts(np.arange(len(expected)))
    assert int(starts[-1]) + int(found.index.lengths[-1]) == len(data)
    assert found.sha256 == (hashlib.sha256(data).hexdigest() if verify else "")


def test_a_key_has_one_fingerprint_whatever_is_fingerprinted_beside_it():
    keys = [b"K1", b"CG001", b"20241000000011", b"a-key-of-twenty-three-b", b"x" * 40]
    alone = [int(key_index.key_fingerprints([k])[0]) for k in keys]
    assert key_index.key_fingerprints(keys).tolist() == alone
    assert key_index.key_fingerprints(list(reversed(keys))).tolist() == list(reversed(alone))


def test_a_verifying_scan_finds_a_key_twice_across_blocks_of_other_lengths(tmp_path, monkeypatch):
    """The repeated key sits in blocks whose longest keys differ in length (found by review: the
    duplicate check compared fingerprints that depended on the block)."""
    monkeypatch.setattr(ledger, "SCAN_BLOCK", 64)
    path = tmp_path / "l.csv"
    lines = ["K1,a", "a-much-longer-key-of-33-bytes-xxx,b", "K2," + "c" * 60, "K3,d", "K4,e", "K1,f"]
    path.write_bytes(b"\xef\xbb\xbfkey,value\n" + "\n".join(lines).encode() + b"\n")
    assert ledger.find_records(path, ["key"], {("K2",)}, verify=True) is None


def test_a_staged_copy_is_the_same_with_and_without_the_kernel_copy(tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    path.write_bytes(b"".join(f"line {i}\n".encode() for i in range(200_000)))
    pieces: list[store.Piece] = [(0, 1000), b"new\n", (1007, 500_000), b"more\n", (500_010, path.stat().st_size)]
    expected = b"".join(p if isinstance(p, bytes) else path.read_bytes()[p[0] : p[1]] for p in pieces)
    staged = store.stage(path, pieces)
    assert staged.tmp is not None and Path(staged.tmp).read_bytes() == expected
    assert staged.sha256 == hashlib.sha256(expected).hexdigest() and staged.size == len(expected)
    store.discard(staged)

    def refuse(*args):
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    staged = store.stage(path, pieces)
    assert staged.tmp is not None and Path(staged.tmp).read_bytes() == expected
    assert staged.sha256 == hashlib.sha256(expected).hexdigest()
    store.discard(staged)


def test_a_staged_copy_is_right_where_there_is_neither_pread_nor_copy_file_range(tmp_path, monkeypatch):
    """As on Windows: the copy seeks and reads, and the hash must not share its file offset
    (found by review: a shared handle gave a wrong copy under the right hash)."""
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    monkeypatch.delattr(os, "pread", raising=False)
    monkeypatch.setattr(store, "COPY_BLOCK", 4096)
    path = tmp_path / "f.csv"
    data = b"".join(f"line {i:09d}\n".encode() for i in range(100_000))
    path.write_bytes(data)
    pieces: list[store.Piece] = []
    at = 0
    for k in range(1, 60):
        pieces += [(at, k * 20_000), b"changed line\n"]
        at = k * 20_000 + 16
    pieces.append((at, len(data)))
    expected = b"".join(p if isinstance(p, bytes) else data[p[0] : p[1]] for p in pieces)
    for _ in range(5):
        staged = store.stage(path, pieces)
        assert staged.tmp is not None and Path(staged.tmp).read_bytes() == expected
        assert staged.sha256 == hashlib.sha256(expected).hexdigest()
        store.discard(staged)


def test_a_splice_into_a_ledger_whose_key_is_not_its_first_column(invoke, tmp_path):
    """Found by review: the splice asked for the records' row numbers, which the two-pass finder
    did not give, and failed after staging a full copy, left in the data folder."""
    from .conftest import write_ledger

    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    fields = list(VALID_ROWS["patents"])
    write_ledger(root / "data" / "patents.csv", [VALID_ROWS["patents"]], fields[1:] + fields[:1])
    export(root / "week1.csv", [row(f"2024100000{i:02d}") for i in range(1, 6)])
    assert invoke(["import", "week1.csv"], cwd=root).exit_code == 0
    export(root / "week2.csv", [row("202410000003", granted="2024-06-01"), row("202410000009")])
    result = invoke(["import", "week2.csv"], cwd=root)
    assert result.exit_code == 0, result.stderr
    assert read_journal(root / "data")[-1]["write"] == "splice"
    assert sorted(p.name for p in (root / "data").iterdir() if p.name.startswith(".")) == [store.LOCK_NAME]
    granted = {r["application_no"]: r["granted_on"] for r in ledger_rows(root)}
    assert granted[cn("202410000003")] == "2024-06-01" and len(granted) == 7


def test_a_line_over_the_cap_is_not_verified_by_the_scan(tmp_path):
    from ipdemo.data.capped import MAX_LINE_BYTES

    path = tmp_path / "l.csv"
    path.write_bytes(b"key,value\nK1," + b"x" * (MAX_LINE_BYTES + 10) + b"\nK2,y\n")
    assert ledger.find_records(path, ["key"], {("K2",)}, verify=True) is None


def test_many_wanted_keys_are_all_found(tmp_path):
    keys = [f"K{i:07d}".encode() for i in range(200_000)]
    fp = key_index.key_fingerprints(keys)
    index = key_index.KeyIndex(fp, np.full(len(keys), 10, dtype=np.uint32), 10, ["key", "v"], 1)
    wanted = np.unique(key_index.key_fingerprints(keys[::2]))
    assert index.rows_with(wanted).tolist() == list(range(0, 200_000, 2))


# --- a ledger whose stamp is not the journal's: verified by a scan, read whole only if it must be


def unstamped(proj: Path) -> Path:
    """The ledger copied over itself (as `cp`, a git checkout or a sync tool leave it): the same
    bytes, a new mtime: its stamp no longer vouches for it."""
    path = proj / "data" / "patents.csv"
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    return path


def test_a_copied_ledger_is_verified_by_a_scan_not_read_whole(invoke, proj, tmp_path, monkeypatch):
    from ipdemo.ingest import importer

    control = tmp_path / "control"
    shutil.copytree(proj, control)
    crlf = control / "data" / "patents.csv"
    crlf.write_bytes(crlf.read_bytes().replace(b"\n", b"\r\n"))  # read and written whole
    path = unstamped(proj)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = [row("202410000003", granted="2024-06-01"), row("202410000601")]
    for root in (proj, control):
        export(root / "week2.csv", rows)
    assert invoke(["import", "week2.csv"], cwd=control).exit_code == 0

    real_stored = importer._stored

    def stored(plan, name, path):
        assert name != "patents", "the ledger was read whole"
        return real_stored(plan, name, path)

    monkeypatch.setattr(importer, "_stored", stored)
    result = invoke(["import", "week2.csv", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    entry = read_journal(proj / "data")[-1]
    assert (entry["write"], entry["before_sha256"]) == ("splice", before)
    assert path.read_bytes() == crlf.read_bytes()
    index, fresh = loaded(proj), rebuilt(proj)
    assert index is not None and fresh is not None and np.array_equal(index.fp, fresh.fp)


@pytest.mark.parametrize(
    "damage, said",
    [
        (lambda lines: lines + [lines[3]], "duplicate keys"),  # a key twice
        (
            lambda lines: lines + [lines[3].replace("一种装置".encode(), "一种装置".encode("gbk"), 1)],
            "patents.csv is not",
        ),
        (lambda lines: lines + [b"202410000701.1,only,three\n"], "wrong number of fields"),
    ],
)
def test_what_the_scan_cannot_vouch_for_is_read_whole_and_refused(invoke, proj, damage, said):
    """The scan proves only what it can; a key twice, bytes that are not UTF-8 or a line with
    the wrong number of fields go to the whole read, which refuses them with its message, and
    nothing is written."""
    path = proj / "data" / "patents.csv"
    path.write_bytes(b"".join(damage(path.read_bytes().splitlines(keepends=True))))
    before = path.read_bytes()
    export(proj / "week2.csv", [row("202410000003", granted="2024-06-01")])
    result = invoke(["import", "week2.csv", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert said in result.stderr and "patents.csv" in result.stderr and path.read_bytes() == before


def test_a_value_over_two_lines_typed_by_hand_is_scanned_spliced_and_kept(invoke, proj, tmp_path, monkeypatch):
    """A title typed with Alt+Enter is a quoted value over two lines: the verifying scan takes it
    as one record (the ledger is not read whole), the import splices, and what it writes is what
    the whole read and write gives; the index built on the way serves the next import."""
    from ipdemo.ingest import importer

    path = proj / "data" / "patents.csv"
    text = path.read_bytes().decode("utf-8")
    path.write_bytes(text.replace("一种装置001", '"一种装置\n（续）"', 1).encode("utf-8"))
    control = tmp_path / "control"
    shutil.copytree(proj, control)
    weeks = [[row("202410000002", granted="2024-06-01"), row("202410000003", granted="2024-06-02")]]
    typed = row("202410000901")
    typed[1] = "一种方法\n（第二行）"  # an export's cell with a newline in it: appended over two lines
    weeks.append([row("202410000002", granted="2024-06-03"), typed])
    for root in (proj, control):
        for i, rows in enumerate(weeks):
            export(root / f"week{i}.csv", rows)
    with monkeypatch.context() as whole:  # the control reads and writes the ledger whole
        whole.setattr(importer, "FIND_BYTES_PER_KEY", 1 << 40)
        for i in range(len(weeks)):
            assert invoke(["import", f"week{i}.csv"], cwd=control).exit_code == 0
    real_stored = importer._stored

    def stored(plan, name, path):
        assert name != "patents", "the ledger was read whole"
        return real_stored(plan, name, path)

    monkeypatch.setattr(importer, "_stored", stored)
    assert invoke(["import", "week0.csv"], cwd=proj).exit_code == 0  # hand-edited: the verifying scan
    assert read_journal(proj / "data")[-1]["write"] == "splice"
    no_scan(monkeypatch)
    assert invoke(["import", "week1.csv"], cwd=proj).exit_code == 0  # by the index
    assert path.read_bytes() == (control / "data" / "patents.csv").read_bytes()
    titles = {r["application_no"]: (r["title"], r["granted_on"]) for r in ledger_rows(proj)}
    assert titles[cn("202410000001")] == ("一种装置\n（续）", "") and len(titles) == 42
    assert titles[cn("202410000002")] == ("一种装置002", "2024-06-03")
    assert titles[cn("202410000901")] == ("一种方法\n（第二行）", "")
    index, fresh = loaded(proj), rebuilt(proj)
    assert index is not None and fresh is not None
    assert np.array_equal(index.fp, fresh.fp) and np.array_equal(index.lengths, fresh.lengths)


@pytest.mark.parametrize(
    "week", [[row("202410000801")], [row("202410000040", granted="2024-06-01"), row("202410000802")]]
)
def test_a_ledger_without_its_last_newline_is_indexed_right_after_an_import(invoke, proj, week):
    """Saved by an editor that drops the last newline: the import adds it before its rows (or
    rewrites that very line), and the index's last length follows."""
    path = proj / "data" / "patents.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    export(proj / "week2.csv", week)
    assert invoke(["import", "week2.csv"], cwd=proj).exit_code == 0
    assert path.read_bytes().endswith(b"\n") and b"\n\n" not in path.read_bytes()
    index, fresh = loaded(proj), rebuilt(proj)
    assert index is not None and fresh is not None
    assert np.array_equal(index.fp, fresh.fp) and np.array_equal(index.lengths, fresh.lengths)
    export(proj / "week3.csv", [row("202410000040", granted="2024-06-03")])
    assert invoke(["import", "week3.csv"], cwd=proj).exit_code == 0
    assert {r["application_no"]: r["granted_on"] for r in ledger_rows(proj)}[cn("202410000040")] == "2024-06-03"


def test_the_hash_started_early_is_the_old_bytes_and_the_tail_or_refuses(tmp_path):
    from ipdemo.errors import WriteError

    path = tmp_path / "l.csv"
    data = b"".join(f"line {i}\n".encode() for i in range(300_000))
    path.write_bytes(data)
    assert store.PrefixHash(path, 5000).with_tail(b"new\n") == hashlib.sha256(data[:5000] + b"new\n").hexdigest()
    with pytest.raises(WriteError):  # the file is shorter than it was found: never a hash of other bytes
        store.PrefixHash(path, len(data) + 10).with_tail(b"")
    cancelled = store.PrefixHash(path, len(data))
    cancelled.cancel()
    with pytest.raises(WriteError):
        cancelled.with_tail(b"")


def test_a_file_that_got_shorter_is_data_changed_and_a_read_error_is_a_failed_write(tmp_path, monkeypatch):
    """Both hashes of an import's ledger (the one started early, and the one of a file and a
    tail) tell a file cut short meanwhile (data_changed) from a disk's read error (write_failed,
    with its reason), which is no sign of another writer."""
    import io

    from ipdemo.errors import WriteError

    path = tmp_path / "l.csv"
    path.write_bytes(b"line\n" * 1000)
    for hashed in (lambda n: store.PrefixHash(path, n).with_tail(b""), lambda n: store.sha256_with_tail(path, n, b"")):
        with pytest.raises(WriteError) as shorter:
            hashed(6000)
        assert shorter.value.code == "data_changed"

    class FailingRead(io.FileIO):
        def readinto(self, buffer):
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(store, "open", lambda *a, **k: FailingRead(a[0], "rb"), raising=False)
    with pytest.raises(WriteError) as failed:
        store.PrefixHash(path, 5000).with_tail(b"")
    assert failed.value.code == "write_failed" and "Input/output error" in str(failed.value.params)
    with pytest.raises(OSError) as raw:  # said by the caller as it says any failed read
        store.sha256_with_tail(path, 5000, b"")
    assert not isinstance(raw.value, store.ShorterThanRead)


def test_a_big_export_into_a_small_ledger_is_read_and_written_whole(invoke, tmp_path):
    """The first workbook into an empty ledger: looking up 50 keys one by one and serialising each
    row alone costs more than reading a few hundred bytes and writing the file whole."""
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    export(root / "first.csv", [row(f"2024100000{i:02d}") for i in range(1, 51)])
    assert invoke(["import", "first.csv"], cwd=root).exit_code == 0
    assert read_journal(root / "data")[-1]["write"] == "replace"
    export(root / "week2.csv", [row("202410000003", granted="2024-06-01")])
    assert invoke(["import", "week2.csv"], cwd=root).exit_code == 0
    assert read_journal(root / "data")[-1]["write"] == "splice"  # one key into 51 rows: looked up
    assert len(ledger_rows(root)) == 51
