"""A cold report of a big ledger hashes it only when nothing vouches for its bytes (issue 26).

The cache entry names the content it covers by its sha256. A ledger whose size and mtime are the
stamp its last import gave it (with no append mark or rollback copy beside it) is what that
import wrote: its hash is the journal's, the trust the import already places in the stamp
(store.vouched_sha256, docs/reliability.md). At 4M rows that hash was ~0.5 s of CPU on the
reading thread. Without a cache nothing needs the hash at all. Anything else is hashed as it is
read. Every run is the command the user types.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from ipdemo.data import ledger, store
from ipdemo.engine import cache, dataset
from ipdemo.plan.model import load_plan

from .conftest import VALID_ROWS, make_project
from .helpers import export
from .test_append import row  # an export row of the weekly imports


def stamped_in_pieces(tmp_path, invoke, monkeypatch, rows: list[list[str]]) -> Path:
    """A project whose patents ledger its import of `rows` (export rows) wrote and stamped; every
    ledger read in pieces from then on, the cache in tmp_path."""
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    export(root / "week1.csv", rows)
    assert invoke(["import", "week1.csv"], cwd=root).exit_code == 0
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(ledger, "STREAM_PIECE", 4096)
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(tmp_path / "cache"))
    return root


@pytest.fixture
def proj(tmp_path, invoke, monkeypatch):
    """A project whose patents ledger (301 rows) its import wrote and stamped, read in pieces."""
    return stamped_in_pieces(tmp_path, invoke, monkeypatch, [row(f"2024100{i:05d}") for i in range(1, 301)])


@pytest.fixture
def hashed(monkeypatch) -> list[bool]:
    """Whether each piecewise read of the patents ledger hashed what it read."""
    seen: list[bool] = []
    real = ledger.read_header

    def spy(fh, digest):
        if Path(fh.name).name == "patents.csv":
            seen.append(digest is not None)
        return real(fh, digest)

    monkeypatch.setattr(ledger, "read_header", spy)
    return seen


def report(invoke, root) -> dict:
    result = invoke(["report", "--format", "json"], cwd=root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def without_cache(invoke, root, monkeypatch) -> dict:
    with monkeypatch.context() as context:
        context.setenv("IPDEMO_NO_CACHE", "1")
        return report(invoke, root)


def covered_sha256(root) -> str:
    plan = load_plan(root / "targets.yaml")
    folder = cache.cache_dir()
    assert folder is not None
    entry = cache.load(cache.slot(folder, plan, "patents", plan.ledger_path("patents")))
    assert entry is not None
    return entry.covered.sha256


def file_sha256(root) -> str:
    return hashlib.sha256((root / "data" / "patents.csv").read_bytes()).hexdigest()


def test_a_ledger_its_import_stamped_is_read_without_a_hash_and_its_entry_names_it(invoke, proj, hashed, monkeypatch):
    expected = without_cache(invoke, proj, monkeypatch)
    assert hashed == [False]  # without a cache nothing needs the hash
    hashed.clear()
    assert report(invoke, proj) == expected  # cold: the entry written
    assert hashed == [False]
    assert covered_sha256(proj) == file_sha256(proj) == store.read_journal(proj / "data")[-1]["after_sha256"]
    hashed.clear()
    assert report(invoke, proj) == expected and hashed == []  # warm: the entry read


def test_a_ledger_edited_by_hand_is_hashed_as_it_is_read(invoke, proj, hashed, monkeypatch):
    path = proj / "data" / "patents.csv"
    path.write_bytes(path.read_bytes().replace("一种装置150".encode(), "一种装置一五零".encode(), 1))
    expected = without_cache(invoke, proj, monkeypatch)
    hashed.clear()
    assert report(invoke, proj) == expected
    assert hashed == [True] and covered_sha256(proj) == file_sha256(proj)


def test_an_import_between_the_journals_word_and_the_read_leaves_no_entry_under_a_wrong_hash(
    invoke, proj, hashed, monkeypatch
):
    """The journal is asked before and after the read; when its word changed, what was read is
    still right, but no entry is written under a hash nobody computed."""
    expected = without_cache(invoke, proj, monkeypatch)
    answers = iter([store.read_journal(proj / "data")[-1]["after_sha256"], "0" * 64])
    real = dataset.vouched_sha256
    monkeypatch.setattr(
        dataset,
        "vouched_sha256",
        lambda folder, name, path: next(answers) if name == "patents" else real(folder, name, path),
    )
    hashed.clear()
    assert report(invoke, proj) == expected
    assert hashed == [False, False]  # read for the entry, then again without one
    plan = load_plan(proj / "targets.yaml")
    folder = cache.cache_dir()
    assert folder is not None
    assert cache.load(cache.slot(folder, plan, "patents", plan.ledger_path("patents"))) is None


@pytest.fixture
def hash_files(monkeypatch) -> list[bool]:
    """Whether each read of the patents ledger for its entry (ledger.hash_file) hashed it."""
    seen: list[bool] = []
    real = ledger.hash_file

    def spy(path, split, piece=None, starts=None, hashed=True):
        if Path(path).name == "patents.csv":
            seen.append(hashed)
        return real(path, split, piece, starts, hashed)

    monkeypatch.setattr(ledger, "hash_file", spy)
    return seen


WEEKS = {
    "grant dates and new rows (spliced: the entry patched)": [
        row("202410000007", granted="2024-06-01"),
        row("202410000150", granted="2024-06-02"),
        row("202410000901"),
    ],
    "new rows only (appended: the entry extended)": [row("202410000901"), row("202410000902")],
}


@pytest.mark.parametrize("week", list(WEEKS))
def test_the_report_after_a_weekly_import_reads_the_ledger_for_its_lines_only(
    invoke, proj, hash_files, monkeypatch, week
):
    report(invoke, proj)  # the entry of the ledger as it is
    export(proj / "week2.csv", WEEKS[week])
    assert invoke(["import", "week2.csv"], cwd=proj).exit_code == 0
    kept = []
    for name in ("_patched", "_extended"):
        real = getattr(dataset, name)
        monkeypatch.setattr(dataset, name, lambda *args, real=real, name=name: kept.append(name) or real(*args))
    expected = without_cache(invoke, proj, monkeypatch)
    hash_files.clear()
    assert report(invoke, proj) == expected
    assert hash_files == [False] and kept == (["_patched"] if "spliced" in week else ["_extended"])
    assert covered_sha256(proj) == file_sha256(proj)


def test_after_a_hand_edit_the_ledger_is_hashed_and_checked_again(invoke, proj, hash_files, monkeypatch):
    report(invoke, proj)
    export(proj / "week2.csv", WEEKS["new rows only (appended: the entry extended)"])
    assert invoke(["import", "week2.csv"], cwd=proj).exit_code == 0
    path = proj / "data" / "patents.csv"
    path.write_bytes(path.read_bytes().replace("一种装置150".encode(), "一种装置一五零".encode(), 1))
    expected = without_cache(invoke, proj, monkeypatch)
    hash_files.clear()
    assert report(invoke, proj) == expected and hash_files == [True]
    assert covered_sha256(proj) == file_sha256(proj)


def test_a_change_inside_the_stamps_blind_spot_is_hashed_by_the_report(invoke, proj, hashed, monkeypatch):
    """Bytes changed to an equal size and the stamp's mtime put back (`touch -r`, `cp -p`): the
    journal's stamp matches, but the file's ctime, which no program can set, moved away from its
    mtime: the ledger is hashed, and the entry names the bytes read."""
    monkeypatch.setattr(store, "STAMP_CTIME_SLACK_NS", 100_000_000)  # 0.1 s (10 min by default)
    path = proj / "data" / "patents.csv"
    stamp = path.stat().st_mtime_ns
    time.sleep(0.3)
    path.write_bytes(path.read_bytes().replace("一种装置150".encode(), "一种装置151".encode(), 1))
    os.utime(path, ns=(stamp, stamp))
    assert store.verified_sha256(proj / "data", "patents", path) is not None  # the journal's stamp matches
    expected = without_cache(invoke, proj, monkeypatch)
    hashed.clear()
    assert report(invoke, proj) == expected
    assert hashed == [True] and covered_sha256(proj) == file_sha256(proj)


def test_a_report_right_after_an_import_leaves_an_entry_later_reports_trust(invoke, proj, monkeypatch):
    """Cron runs the import and then the report: the entry is written within RACY_NS of the
    ledger's last change, so its stamp cannot vouch for the bytes. The next report reads the
    ledger again and, its own verification being later, renews the stamp: the reports after it
    trust the stamp and read nothing. Before, every later report read the ledger again (at 4M
    rows ~0.8 s each), until the entry was rewritten."""
    from types import SimpleNamespace

    from ipdemo.data.store import fingerprint

    path = proj / "data" / "patents.csv"
    changed = path.stat().st_ctime_ns
    now = [changed + 100_000_000]  # the report's verification: 0.1 s after the import's write
    monkeypatch.setattr(dataset, "time", SimpleNamespace(time_ns=lambda: now[0]))
    expected = without_cache(invoke, proj, monkeypatch)
    assert report(invoke, proj) == expected  # cold: the entry written
    plan = load_plan(proj / "targets.yaml")
    folder = cache.cache_dir()
    assert folder is not None
    where = cache.slot(folder, plan, "patents", plan.ledger_path("patents"))
    assert cache.trusted(where, fingerprint(path)) is None  # too soon after the change
    now[0] = changed + 10 * 10**9
    assert report(invoke, proj) == expected  # read again, the stamp renewed
    assert cache.trusted(where, fingerprint(path)) is not None
    assert report(invoke, proj) == expected
