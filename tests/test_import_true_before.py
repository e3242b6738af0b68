"""The journal's before_sha256 is the hash of the bytes the ledger held, not the one its stamp
(size, mtime) vouched for. A tool that keeps a file's size and mtime (touch -d, cp -p, rsync -t,
an editor restoring the time) can change it unseen by the stamp; the report's cache patch follows
the journal's chain of hashes (engine/patch.py), so a stamp-vouched `before` would let it patch
over an edit it never checked: a wrong figure from then on (found by the review of round 4)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from ipdemo.data import store
from tests.helpers import export
from tests.test_cold4_patch import cold, grants, pending, run, shipped

FIXTURES = Path(__file__).parent / "fixtures" / "exports"


def edit_keeping_size_and_mtime(ledger, old: bytes, new: bytes) -> bytes:
    """Replace the first `old` after the header with `new` (same length), mtime kept; the bytes before."""
    st = os.stat(ledger)
    data = ledger.read_bytes()
    at = data.index(old, 5000)
    ledger.write_bytes(data[:at] + new + data[at + len(new) :])
    os.utime(ledger, ns=(st.st_atime_ns, st.st_mtime_ns))
    return data


def last_entry(root) -> dict:
    return json.loads((root / "data" / "journal.jsonl").read_text("utf-8").splitlines()[-1])


def test_an_edit_that_kept_size_and_mtime_does_not_let_the_report_patch_over_it(invoke, tmp_path, cached, monkeypatch):
    root = shipped(tmp_path)
    run(invoke, root, "report", "--format", "json")  # the cache entry
    export(root / "w1.csv", grants(pending(root, 5)))
    assert invoke(["import", "w1.csv"], cwd=root).exit_code == 0
    ledger = root / "data" / "patents.csv"
    edit_keeping_size_and_mtime(ledger, b",2022-05-", b",2022-02-3")  # 2022-02-3x: an impossible date
    export(root / "w2.csv", grants(pending(root, 5, step=11)))
    assert invoke(["import", "w2.csv"], cwd=root).exit_code == 0
    assert last_entry(root)["write"] == "splice"
    for args in (("validate", "--format", "json"), ("report", "--format", "json")):
        assert run(invoke, root, *args) == cold(invoke, root, monkeypatch, *args)


def test_the_journal_names_the_bytes_the_ledger_held_before_a_splice(invoke, tmp_path, cached):
    root = shipped(tmp_path)
    export(root / "w1.csv", grants(pending(root, 5)))
    assert invoke(["import", "w1.csv"], cwd=root).exit_code == 0  # stamps the ledger
    ledger = root / "data" / "patents.csv"
    edit_keeping_size_and_mtime(ledger, "吴江".encode(), "苏州".encode())
    held = hashlib.sha256(ledger.read_bytes()).hexdigest()
    export(root / "w2.csv", grants(pending(root, 5, step=11)))
    assert invoke(["import", "w2.csv"], cwd=root).exit_code == 0
    entry = last_entry(root)
    assert entry["write"] == "splice" and entry["before_sha256"] == held
    assert entry["after_sha256"] == hashlib.sha256(ledger.read_bytes()).hexdigest()


def hash_and_find_order(monkeypatch) -> list[str]:
    """The order in which an import starts hashing the ledger and looks its records up."""
    from ipdemo.data import store
    from ipdemo.ingest import importer

    events: list[str] = []
    real_init, real_find = store.PrefixHash.__init__, importer.find_records

    def init(self, path, size):
        events.append(f"hash {size}")
        real_init(self, path, size)

    def find(*args, **kwargs):
        events.append("find")
        return real_find(*args, **kwargs)

    monkeypatch.setattr(store.PrefixHash, "__init__", init)
    monkeypatch.setattr(importer, "find_records", find)
    return events


def test_a_stamped_ledger_is_hashed_from_the_moment_the_lock_is_taken(invoke, tmp_path, cached, monkeypatch):
    """The weekly import: its ledger's hash runs on the other core while the records are found
    and checked (one hash, started before the look-up), and is still the bytes the file held."""
    from tests.test_cold4_patch import fresh

    root = shipped(tmp_path)
    export(root / "w1.csv", grants(pending(root, 5)))
    assert invoke(["import", "w1.csv"], cwd=root).exit_code == 0  # stamps the ledger
    ledger = root / "data" / "patents.csv"
    for week, rows in (("w2.csv", grants(pending(root, 5, step=11))), ("w3.csv", fresh(3))):
        held = ledger.read_bytes()
        export(root / week, rows)
        events = hash_and_find_order(monkeypatch)
        assert invoke(["import", week], cwd=root).exit_code == 0
        monkeypatch.undo()
        assert events == [f"hash {len(held)}", "find"], week
        entry = last_entry(root)
        assert entry["before_sha256"] == hashlib.sha256(held).hexdigest()
        assert entry["after_sha256"] == hashlib.sha256(ledger.read_bytes()).hexdigest()
    assert [last_entry(root)["write"], ledger.read_bytes().startswith(held)] == ["append", True]


def test_a_ledger_its_stamp_does_not_vouch_for_is_hashed_after_its_scan(invoke, tmp_path, cached, monkeypatch):
    """A hand-edited ledger is verified by a scan that hashes it on the way: no second hash runs
    beside that scan; the append or splice's hash starts once the records are found."""
    root = shipped(tmp_path)
    export(root / "w1.csv", grants(pending(root, 5)))
    assert invoke(["import", "w1.csv"], cwd=root).exit_code == 0
    ledger = root / "data" / "patents.csv"
    data = ledger.read_bytes()
    at = data.index("吴江".encode(), 5000)
    ledger.write_bytes(data[:at] + "苏州市吴江".encode() + data[at + len("吴江".encode()) :])  # longer: not stamped
    held = ledger.read_bytes()
    export(root / "w2.csv", grants(pending(root, 5, step=11)))
    events = hash_and_find_order(monkeypatch)
    assert invoke(["import", "w2.csv"], cwd=root).exit_code == 0
    assert events == ["find", f"hash {len(held)}"]
    assert last_entry(root)["before_sha256"] == hashlib.sha256(held).hexdigest()


def test_a_stamped_ledger_read_whole_after_all_names_the_bytes_it_held(invoke, tmp_path, cached, monkeypatch):
    """A stamped ledger whose look-up gives way to the whole read (here find_records answers
    None, as for a row of empty values or a key stored twice) is written whole: the journal's
    `before_sha256` is the hash started as the lock was taken, the bytes the write replaced, not
    the stamp's word (found by the review of round 9)."""
    from ipdemo.ingest import importer

    root = shipped(tmp_path)
    export(root / "w1.csv", grants(pending(root, 5)))
    assert invoke(["import", "w1.csv"], cwd=root).exit_code == 0
    ledger = root / "data" / "patents.csv"
    edit_keeping_size_and_mtime(ledger, "吴江".encode(), "苏州".encode())
    held = ledger.read_bytes()
    export(root / "w2.csv", grants(pending(root, 5, step=11)))
    events = hash_and_find_order(monkeypatch)
    monkeypatch.setattr(importer, "find_records", lambda *a, **k: events.append("find") or None)
    assert invoke(["import", "w2.csv"], cwd=root).exit_code == 0
    assert events == [f"hash {len(held)}", "find"]
    entry = last_entry(root)
    assert entry["write"] == "replace" and entry["before_sha256"] == hashlib.sha256(held).hexdigest()
    assert entry["after_sha256"] == hashlib.sha256(ledger.read_bytes()).hexdigest()


def ledger_below_the_data_folder(invoke, tmp_path) -> tuple:
    """The shipped project with its patents ledger in data/sub (`file: sub/patents.csv`), stamped
    by a first import; its pending rows."""
    root = shipped(tmp_path)
    (root / "data" / "sub").mkdir()
    (root / "data" / "patents.csv").rename(root / "data" / "sub" / "patents.csv")
    targets = root / "targets.yaml"
    text = targets.read_text("utf-8")
    targets.write_text(text.replace("  patents:\n", "  patents:\n    file: sub/patents.csv\n", 1), "utf-8")
    ledger = root / "data" / "sub" / "patents.csv"
    rows = [r for r in csv_rows(ledger) if not r["granted_on"] and r["filed_on"] < "2023-01-01"]
    export(root / "w1.csv", grants(rows[::7][:5]))
    assert invoke(["import", "w1.csv"], cwd=root).exit_code == 0  # stamps it
    return root, ledger, rows


def test_a_ledger_in_a_folder_below_the_data_folder_is_fingerprinted_and_hashed_from_the_lock(
    invoke, tmp_path, cached, monkeypatch
):
    """The lock fingerprints every ledger of the plan wherever it lies, not only the data
    folder's own files: a ledger in data/sub is hashed from the lock like the others."""
    root, ledger, rows = ledger_below_the_data_folder(invoke, tmp_path)
    held = ledger.read_bytes()
    export(root / "w2.csv", grants(rows[::11][5:10]))
    events = hash_and_find_order(monkeypatch)
    assert invoke(["import", "w2.csv"], cwd=root).exit_code == 0
    assert events == [f"hash {len(held)}", "find"]
    entry = last_entry(root)
    assert entry["write"] == "splice" and entry["before_sha256"] == hashlib.sha256(held).hexdigest()


def test_a_hand_edit_of_a_ledger_below_the_data_folder_during_an_import_is_refused(invoke, tmp_path, monkeypatch):
    """An edit that keeps the size and mtime, made while the import holds the lock (here as its
    records are looked up), is refused at the write for a ledger in data/sub as for one in data/:
    the import says the data changed and writes nothing (found by the review of round 9: before,
    such a ledger had no fingerprint and the splice went ahead over bytes the journal never named)."""
    from ipdemo.ingest import importer

    root, ledger, rows = ledger_below_the_data_folder(invoke, tmp_path)
    export(root / "w2.csv", grants(rows[::11][5:10]))
    real_find = importer.find_records
    edited: list[bytes] = []

    def find_then_edit(*args, **kwargs):
        found = real_find(*args, **kwargs)
        edit_keeping_size_and_mtime(ledger, "吴江".encode(), "苏州".encode())
        edited.append(ledger.read_bytes())
        return found

    monkeypatch.setattr(importer, "find_records", find_then_edit)
    result = invoke(["import", "w2.csv"], cwd=root)
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result.stderr
    assert "sub/patents.csv" in result.stderr
    assert edited and ledger.read_bytes() == edited[0]  # the edit stands: nothing written over it
    assert all(e.get("after_sha256") != hashlib.sha256(ledger.read_bytes()).hexdigest() for e in journal(root))


def journal(root) -> list[dict]:
    return [json.loads(line) for line in (root / "data" / "journal.jsonl").read_text("utf-8").splitlines()]


def csv_rows(path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_an_import_leaves_alone_what_lies_beside_a_ledger_outside_its_data_folder(invoke, tmp_path):
    """A ledger outside the data folder may be another project's, serialised by that project's
    lock: a rollback copy (or an append mark) beside it may belong to a write under way there.
    An import here fingerprints such a ledger but never "recovers" it (found by the review of
    round 9: restoring another project's rollback copy would lose its write)."""
    root = shipped(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (root / "data" / "patents.csv").rename(shared / "patents.csv")
    targets = root / "targets.yaml"
    text = targets.read_text("utf-8")
    targets.write_text(text.replace("  patents:\n", f"  patents:\n    file: {shared / 'patents.csv'}\n", 1), "utf-8")
    ledger = shared / "patents.csv"
    held = ledger.read_bytes()
    other = store.backup_path(ledger)
    other.write_bytes(held[: len(held) // 2])  # another project's in-place write, under way
    shutil.copy(FIXTURES / "商标局_注册公告_一标多类.csv", root / "marks.csv")
    assert invoke(["import", "marks.csv"], cwd=root).exit_code == 0  # trademarks only
    assert ledger.read_bytes() == held and other.exists()
