"""The journal's before_sha256 is the hash of the bytes the ledger held, not the one its stamp
(size, mtime) vouched for. A tool that keeps a file's size and mtime (touch -d, cp -p, rsync -t,
an editor restoring the time) can change it unseen by the stamp; the report's cache patch follows
the journal's chain of hashes (engine/patch.py), so a stamp-vouched `before` would let it patch
over an edit it never checked: a wrong figure from then on (found by the review of round 4)."""

from __future__ import annotations

import hashlib
import json
import os

from tests.helpers import export
from tests.test_cold4_patch import cold, grants, pending, run, shipped


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
