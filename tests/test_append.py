"""An import writes what changed (issue 26): new rows are appended, changed rows spliced, and the
ledger is read whole only when its stamp does not prove it is what the last import wrote.

Every import here is the command the user types (`ipdemo import FILE`, no --ledger). A ledger
made by a test (make_project) was never written by ipdemo, so the first import reads it whole
and stamps it; the second is the one under test. Each result is compared with what reading and
writing the ledger whole gives (the `whole` project: its stamp broken on purpose).

Fault trials run the import in a child process that kills itself (SIGKILL) at one step of the
append; the next command must find a consistent ledger: the old one, or the old one plus every
new row once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ipdemo.data import store
from ipdemo.data.store import read_journal

from .conftest import VALID_ROWS, make_project
from .helpers import cn, export, ledger_rows


def row(body: str, granted: str = "", town: str = "盛泽") -> list[str]:
    return [cn(body), f"一种装置{body[-3:]}", "某公司", "2024-01-05", "发明", granted, town]


@pytest.fixture
def proj(tmp_path, invoke):
    """A project whose patents ledger ipdemo has written once (so it carries the journal's stamp)."""
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    export(root / "week1.csv", [row(f"2024100000{i:02d}") for i in range(1, 21)])
    assert invoke(["import", "week1.csv"], cwd=root).exit_code == 0
    return root


def whole_copy(proj: Path, tmp_path: Path) -> Path:
    """The same project, its ledger saved with CRLF line ends (as Excel saves a CSV): its stamp
    broken, and not as ipdemo writes it, so the next import reads it whole (and writes it whole,
    with LF: the bytes an append or a splice must equal)."""
    other = tmp_path / "whole"
    shutil.copytree(proj, other)
    ledger = other / "data" / "patents.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b"\n", b"\r\n"))
    return other


def last(proj: Path) -> dict:
    return read_journal(proj / "data")[-1]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_rows_only_are_appended_and_match_a_whole_rewrite(invoke, proj, tmp_path):
    ledger = proj / "data" / "patents.csv"
    old, inode = ledger.read_bytes(), ledger.stat().st_ino
    whole = whole_copy(proj, tmp_path)
    export(proj / "week2.csv", [row(f"2024100002{i:02d}") for i in range(1, 6)])
    shutil.copy(proj / "week2.csv", whole / "week2.csv")
    assert invoke(["import", "week2.csv"], cwd=proj).exit_code == 0
    assert invoke(["import", "week2.csv"], cwd=whole).exit_code == 0
    new = ledger.read_bytes()
    assert new.startswith(old) and ledger.stat().st_ino == inode  # appended, not replaced
    assert new == (whole / "data" / "patents.csv").read_bytes()  # the same bytes as a whole rewrite
    entry, control = last(proj), last(whole)
    assert entry["write"] == "append" and control["write"] == "replace"
    assert entry["appended"] == {
        "offset": len(old),
        "bytes": len(new) - len(old),
        "sha256": hashlib.sha256(new[len(old) :]).hexdigest(),
    }
    assert entry["before_sha256"] == hashlib.sha256(old).hexdigest() and entry["after_sha256"] == sha(ledger)
    assert entry["added"] == 5 and entry["after_stamp"] == [ledger.stat().st_size, ledger.stat().st_mtime_ns]
    # The CSV stays the ledger: nothing beside it but the journal and the lock.
    assert sorted(p.name for p in (proj / "data").iterdir() if p.name.startswith(".")) == [store.LOCK_NAME]


def test_changed_rows_are_spliced_and_match_a_whole_rewrite(invoke, proj, tmp_path):
    ledger = proj / "data" / "patents.csv"
    whole = whole_copy(proj, tmp_path)
    rows = [row("202410000003", granted="2024-06-01"), row("202410000017", granted="2024-06-02"), row("202410000301")]
    for root in (proj, whole):
        export(root / "week2.csv", rows)
        assert invoke(["import", "week2.csv", "--format", "json"], cwd=root).exit_code == 0
    assert ledger.read_bytes() == (whole / "data" / "patents.csv").read_bytes()
    entry = last(proj)
    assert (entry["write"], entry["added"], entry["updated"]) == ("splice", 1, 2)
    assert entry["after_sha256"] == sha(ledger)
    granted = {r["application_no"]: r["granted_on"] for r in ledger_rows(proj)}
    assert granted[cn("202410000003")] == "2024-06-01" and granted[cn("202410000017")] == "2024-06-02"
    assert len(granted) == 22


def test_a_stamped_ledger_is_not_read_whole(invoke, proj, monkeypatch):
    """The stamp proves the ledger unchanged: it is neither read whole nor hashed before the
    change (its hash is the journal's); only the new content is hashed, as it is written."""
    from ipdemo.data import ledger
    from ipdemo.ingest import importer

    real_stored, real_read, real_hash = importer._stored, ledger.read_capped, store.sha256_with_tail

    def stored(plan, name, path):
        assert name != "patents", "the ledger was read whole"
        return real_stored(plan, name, path)

    def read_capped(path, *args, **kwargs):
        assert Path(path).name != "patents.csv", "the ledger was read whole"
        return real_read(path, *args, **kwargs)

    def hashed(path, *args, **kwargs):
        assert Path(path).name != "patents.csv", "the ledger was hashed"
        return real_hash(path, *args, **kwargs)

    monkeypatch.setattr(importer, "_stored", stored)
    monkeypatch.setattr(ledger, "read_capped", read_capped)
    monkeypatch.setattr(store, "sha256_with_tail", hashed)
    export(proj / "week2.csv", [row("202410000201"), row("202410000002", granted="2024-06-01")])
    result = invoke(["import", "week2.csv", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["added"], json.loads(result.stdout)["updated"]) == (1, 1)
    assert last(proj)["write"] == "splice" and last(proj)["after_sha256"] == sha(proj / "data" / "patents.csv")


@pytest.mark.parametrize(
    "line_end, how",
    [
        (b"\n", "append"),  # a text editor: lines as ipdemo writes them, verified by a scan, appended to
        (b"\r\n", "replace"),  # Excel's CSV: CRLF, not as ipdemo writes it, read whole and written whole
    ],
)
def test_a_ledger_edited_by_hand_is_detected_and_kept(invoke, proj, line_end, how):
    """Saved by hand (rewritten, new mtime): the stamp no longer matches, the edit is read, the
    journal's `before` is the edited file, and the hand-added row stays. (Until issue 26 round 3
    every such ledger was read and written whole; one whose lines are as ipdemo writes them is
    now verified line by line instead, and only the new row is written.)"""
    ledger = proj / "data" / "patents.csv"
    text = ledger.read_text(encoding="utf-8-sig")
    added_by_hand = ",".join(
        [cn("202410000501"), "手工添加", "某公司", "", "吴江开发区", "invention", "2024-01-05", "", "", ""]
    )
    tmp = ledger.with_suffix(".xlsx-save")
    edited_text = text.replace("一种装置001", "一种手改装置") + added_by_hand + "\n"
    tmp.write_bytes(b"\xef\xbb\xbf" + edited_text.encode("utf-8").replace(b"\n", line_end))
    os.replace(tmp, ledger)
    edited = sha(ledger)
    export(proj / "week2.csv", [row("202410000201")])
    assert invoke(["import", "week2.csv"], cwd=proj).exit_code == 0
    entry = last(proj)
    assert entry["before_sha256"] == edited and entry["write"] == how
    assert entry["after_sha256"] == sha(ledger)
    titles = {r["application_no"]: r["title"] for r in ledger_rows(proj)}
    assert titles[cn("202410000001")] == "一种手改装置" and titles[cn("202410000501")] == "手工添加"
    assert cn("202410000201") in titles and len(titles) == 23


def test_a_hand_edit_that_repeats_a_key_is_found(invoke, proj):
    """Trusting the stamp would have missed it: the edited ledger is read whole and refused."""
    ledger = proj / "data" / "patents.csv"
    lines = ledger.read_bytes().splitlines(keepends=True)
    ledger.write_bytes(b"".join(lines) + lines[2])
    before = ledger.read_bytes()
    export(proj / "week2.csv", [row("202410000201")])
    result = invoke(["import", "week2.csv", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1 and "duplicate" in result.stderr.lower()
    assert ledger.read_bytes() == before


def test_a_same_size_edit_with_a_new_mtime_is_detected(invoke, proj):
    """An in-place edit of the same length (a date typed over) still moves the mtime."""
    ledger = proj / "data" / "patents.csv"
    data = ledger.read_bytes().replace(b"2024-01-05", b"2024-01-06", 1)
    with open(ledger, "r+b") as fh:
        fh.write(data)
    stamp = store.stamp_now(ledger)
    assert stamp is not None and stamp != last(proj)["after_stamp"]
    export(proj / "week2.csv", [row("202410000201")])
    assert invoke(["import", "week2.csv"], cwd=proj).exit_code == 0
    assert last(proj)["before_sha256"] == hashlib.sha256(data).hexdigest()


def test_reimporting_the_same_export_adds_nothing_and_writes_nothing(invoke, proj):
    ledger = proj / "data" / "patents.csv"
    before, stamp = ledger.read_bytes(), store.stamp_now(ledger)
    result = invoke(["import", "week1.csv", "--format", "json"], cwd=proj)
    data = json.loads(result.stdout)
    assert (data["added"], data["updated"], data["unchanged"], data["written"]) == (0, 0, 20, False)
    assert ledger.read_bytes() == before and store.stamp_now(ledger) == stamp
    assert last(proj)["write"] == "none" and last(proj)["after_stamp"] == stamp


def test_an_append_writes_a_few_bytes_of_a_big_ledger(tmp_path, invoke):
    """Bytes the import process writes (its /proc wchar: ledger, journal, output) for 5 new rows
    into a 20,000-row ledger: well under 5 % of the ledger."""
    rows = [{**VALID_ROWS["patents"], "application_no": cn(f"2023{i:08d}")} for i in range(20_000)]
    root = make_project(tmp_path / "big", {"patents": rows})
    export(root / "week1.csv", [row("202410000001")])
    assert invoke(["import", "week1.csv"], cwd=root).exit_code == 0
    export(root / "week2.csv", [row(f"2024100002{i:02d}") for i in range(1, 6)])
    written = child_wchar(root, ["import", "week2.csv"])
    size = (root / "data" / "patents.csv").stat().st_size
    assert last(root)["write"] == "append" and written < 0.05 * size, (written, size)


# --- fault trials ----------------------------------------------------------------------------

CHILD = """
import os, signal, sys
from ipdemo.data import store
step = sys.argv[1]
real_pwrite, real_unlink = store._pwrite_all, store.os.unlink

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def pwrite(fd, data, offset):
    if step == "before_append":
        die()
    if step == "torn":
        real_pwrite(fd, data[: len(data) // 2 + 1], offset)
        os.fsync(fd)
        die()
    real_pwrite(fd, data, offset)

def unlink(path, *args, **kwargs):
    if step == "after_append" and str(path).endswith(store.APPEND_SUFFIX):
        die()
    real_unlink(path, *args, **kwargs)

if step != "none":
    store._pwrite_all, store.os.unlink = pwrite, unlink
sys.argv = ["ipdemo", *sys.argv[2:]]
from ipdemo.cli import _run
try:
    _run()
except SystemExit as exc:
    os._exit(exc.code or 0)
os._exit(0)
"""

WCHAR = """
import os, sys
sys.argv = ["ipdemo", *sys.argv[1:]]
from ipdemo.cli import _run
try:
    _run()
except SystemExit:
    pass
sys.stdout.flush()
print(dict(l.split(": ") for l in open("/proc/self/io").read().splitlines())["wchar"], file=sys.stderr)
os._exit(0)
"""


def child_wchar(root: Path, args: list[str]) -> int:
    if not Path("/proc/self/io").exists():
        pytest.skip("needs /proc/self/io")
    done = subprocess.run([sys.executable, "-c", WCHAR, *args], cwd=root, capture_output=True, text=True, timeout=120)
    return int(done.stderr.strip().splitlines()[-1])


def killed_at(root: Path, step: str, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, step, *args], cwd=root, capture_output=True, timeout=120)


@pytest.mark.parametrize(
    ("step", "lands"), [("before_append", False), ("torn", False), ("after_append", True)], ids=str
)
def test_a_kill_at_each_step_of_an_append_leaves_a_consistent_ledger(invoke, proj, step, lands):
    ledger = proj / "data" / "patents.csv"
    old = ledger.read_bytes()
    news = [row(f"2024100002{i:02d}") for i in range(1, 8)]
    export(proj / "week2.csv", news)
    done = killed_at(proj, step, ["import", "week2.csv"])
    assert done.returncode == -signal.SIGKILL
    mark = store.append_mark(ledger)
    assert mark.exists()  # the rollback mark of the interrupted append
    if step == "torn":  # a reader meanwhile uses the old content, not a half line
        assert len(ledger.read_bytes()) > len(old) and store.read_committed(ledger) == old
        report = invoke(["validate", "--lang", "en"], cwd=proj)
        assert report.exit_code == 0, report.stdout + report.stderr
    entry = last(proj)
    assert entry["write"] == "append" and entry["appended"]["offset"] == len(old)
    # The next command that takes the lock restores a consistent ledger.
    result = invoke(["import", "week2.csv", "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert not mark.exists()
    keys = [r["application_no"] for r in ledger_rows(proj)]
    assert len(keys) == len(set(keys)) == 21 + len(news)  # every new row once
    assert json.loads(result.stdout)["added"] == (0 if lands else len(news))
    assert ledger.read_bytes().startswith(old)
    summary = invoke(["summary", "--as-of", date.today().isoformat(), "--lang", "en"], cwd=proj)
    assert summary.exit_code == 0
    landed = ledger.read_bytes()
    again = invoke(["import", "week2.csv", "--format", "json"], cwd=proj)  # idempotent
    assert json.loads(again.stdout)["added"] == 0 and ledger.read_bytes() == landed


def test_a_mark_beside_a_ledger_replaced_by_hand_never_cuts_it(invoke, proj):
    """After a crash, the user saved the ledger from Excel (a new file): the mark is not theirs."""
    ledger = proj / "data" / "patents.csv"
    export(proj / "week2.csv", [row("202410000201")])
    assert killed_at(proj, "torn", ["import", "week2.csv"]).returncode == -signal.SIGKILL
    text = ledger.read_bytes()
    tmp = ledger.with_suffix(".excel")
    tmp.write_bytes(text[: text.rfind(b"\n", 0, len(text) - 1) + 1])  # the torn line deleted by hand
    os.replace(tmp, ledger)
    saved = ledger.read_bytes()
    assert store.read_committed(ledger) == saved  # a reader reads what the user saved
    assert invoke(["import", "week2.csv"], cwd=proj).exit_code == 0
    assert ledger.read_bytes().startswith(saved) and not store.append_mark(ledger).exists()


def test_a_kill_before_a_splice_is_renamed_leaves_the_old_ledger(invoke, proj):
    ledger = proj / "data" / "patents.csv"
    old = ledger.read_bytes()
    export(proj / "week2.csv", [row("202410000004", granted="2024-06-01"), row("202410000201")])
    code = CHILD.replace('if step != "none":', 'store.os.replace = lambda *a, **k: die()\nif step != "none":')
    done = subprocess.run([sys.executable, "-c", code, "none", "import", "week2.csv"], cwd=proj, timeout=120)
    assert done.returncode == -signal.SIGKILL and ledger.read_bytes() == old
    assert last(proj)["write"] == "splice"
    result = invoke(["import", "week2.csv", "--format", "json"], cwd=proj)
    assert (json.loads(result.stdout)["added"], json.loads(result.stdout)["updated"]) == (1, 1)
    assert last(proj)["before_sha256"] == hashlib.sha256(old).hexdigest()


# --- finding records without holding the ledger ------------------------------------------------


def _title(i: int) -> str:
    if i % 5 == 0:
        return f'"第一行\n第二行{i}"'  # a value over two lines (Alt+Enter)
    return f"值{i}" if i % 3 else f'"有,逗号""{i}"'


@pytest.mark.parametrize("block", [7, 64, 1 << 22])
@pytest.mark.parametrize("last_newline", [True, False], ids=["newline", "no_newline"])
@pytest.mark.parametrize("verify", [False, True], ids=["stamped", "verifying"])
def test_find_records_finds_each_line_across_blocks(tmp_path, monkeypatch, block, last_newline, verify):
    from ipdemo.data import ledger

    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    rows = [[f"K{i}", _title(i), str(i)] for i in range(40)]
    text = "\ufeffkey,title,n\n" + "".join(",".join(r) + "\n" for r in rows)
    path = tmp_path / "l.csv"
    path.write_bytes(text.encode("utf-8")[: None if last_newline else -1])
    data = path.read_bytes()
    wanted = {("K0",), ("K5",), ("K6",), ("K39",), ("absent",)}
    found = ledger.find_records(path, ["key"], wanted, verify=verify)
    assert found is not None and found.ends_with_newline == last_newline and found.size == len(data)
    assert found.sha256 == (hashlib.sha256(data).hexdigest() if verify else "")
    assert [r[0] for r in found.rows] == ["K0", "K5", "K6", "K39"] and found.numbers == [0, 5, 6, 39]
    assert found.rows[2] == ["K6", '有,逗号"6', "6"]  # a quoted value parsed as csv reads it
    assert found.rows[1] == ["K5", "第一行\n第二行5", "5"]  # a record over two lines is one record
    for (start, end), r in zip(found.spans, found.rows):
        line = data[start:end].decode("utf-8")
        assert next(csv.reader(io.StringIO(line))) == r and (line.endswith("\n") or end == len(data))


@pytest.mark.parametrize(
    "body",
    [
        'K1,"two\nlines,1\nK2,b,2\n',  # a value over lines left open
        'K1,tw"o\nlines",1\nK2,b,2\n',  # a stray quote
        "K1,a,1\r\nK2,b,2\r\n",  # carriage returns
        "K1,a,1\nK2,b\n",  # a ragged line
        "K2,a,1\nK2,b,2\n",  # a key twice
    ],
    ids=["open_quote", "stray_quote", "crlf", "ragged", "twice"],
)
def test_find_records_gives_up_on_what_ipdemo_does_not_write(tmp_path, body):
    """None: the importer then reads the ledger whole (and says what is wrong, where it is)."""
    from ipdemo.data import ledger

    path = tmp_path / "l.csv"
    path.write_bytes(("key,title,n\n" + body).encode("utf-8"))
    assert ledger.find_records(path, ["key"], {("K2",)}) is None


def test_find_records_reads_a_line_with_text_after_a_closing_quote_as_csv_does(tmp_path):
    """Not as CSV writers quote, but every record one line: each line is parsed alone, as csv reads it."""
    from ipdemo.data import ledger

    path = tmp_path / "l.csv"
    path.write_bytes('key,title,n\nK1,"有,逗号"""1,1\nK2,b,2\n'.encode("utf-8"))
    found = ledger.find_records(path, ["key"], {("K1",), ("K2",)})
    assert found is not None and found.rows == [["K1", '有,逗号"1', "1"], ["K2", "b", "2"]]


def test_find_records_counts_a_blank_line_as_a_line(tmp_path):
    from ipdemo.data import ledger

    path = tmp_path / "l.csv"
    path.write_bytes(b"key,title,n\nK1,a,1\n\nK2,b,2\n")
    found = ledger.find_records(path, ["key"], {("K2",)})
    assert found is not None and found.rows == [["K2", "b", "2"]]
    assert path.read_bytes()[slice(*found.spans[0])] == b"K2,b,2\n"


@pytest.mark.parametrize("block", [7, 1 << 22])
def test_find_records_with_a_key_not_in_the_leading_column(tmp_path, monkeypatch, block):
    """Trademarks are keyed (number, class), the class further right: pyarrow streams the key
    columns, and the lines are found by counting newlines."""
    from ipdemo.data import ledger

    monkeypatch.setattr(ledger, "SCAN_BLOCK", block)
    lines = [f"N{i},商标{i},{i % 3 + 1}" for i in range(30)]
    path = tmp_path / "l.csv"
    path.write_bytes(("number,mark,nice_class\n" + "\n".join(lines)).encode("utf-8"))
    data = path.read_bytes()
    found = ledger.find_records(path, ["number", "nice_class"], {("N4", "2"), ("N29", "3"), ("N5", "1")})
    assert found is not None and [r[:3] for r in found.rows] == [["N4", "商标4", "2"], ["N29", "商标29", "3"]]
    assert [data[a:b] for a, b in found.spans] == [b"N4,\xe5\x95\x86\xe6\xa0\x874,2\n", "N29,商标29,3".encode()]


def test_a_line_count_gone_astray_gives_the_whole_read_not_another_record(tmp_path, monkeypatch):
    """A key further right is found by counting lines after pyarrow named its row. Were the
    count ever off by one (the two readers disagreeing on where a record ends), the located line
    holds another key: find_records then answers None (the whole read), never that record."""
    from ipdemo.data import ledger

    path = tmp_path / "l.csv"
    path.write_bytes(("number,mark,nice_class\n" + "".join(f"N{i},商标{i},{i % 3 + 1}\n" for i in range(30))).encode())
    wanted = {("N4", "2")}
    assert ledger.find_records(path, ["number", "nice_class"], wanted) is not None
    real = ledger._rows_holding
    monkeypatch.setattr(ledger, "_rows_holding", lambda *args: real(*args) + 1)  # the next line's record
    assert ledger.find_records(path, ["number", "nice_class"], wanted) is None
