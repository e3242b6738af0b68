"""store.committed_sha256 is sha256(read_committed(path)) read in pieces, never held: the
weekly summary asks it which journalled imports landed, and at 4M rows it held the 0.8 GB
ledger for that. Differential over every state a reader can meet: a plain file, an append
under way (torn, complete, or beside a file replaced by hand), an in-place write under way
(its rollback copy), no file."""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.data import store
from ipdemo.engine import summary


def expected(path):
    return hashlib.sha256(store.read_committed(path)).hexdigest()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    old=st.binary(max_size=300),
    appended=st.binary(min_size=1, max_size=200),
    written=st.integers(0, 200),
    mark=st.sampled_from(["none", "ours", "other file", "wrong hash"]),
    backup=st.booleans(),
    block=st.sampled_from([1, 7, 64, 1 << 23]),
)
def test_the_hash_in_pieces_is_the_hash_of_what_a_reader_reads(
    tmp_path_factory, monkeypatch, old, appended, written, mark, backup, block
):
    monkeypatch.setattr(store, "COPY_BLOCK", block)
    folder = tmp_path_factory.mktemp("c")
    path = folder / "patents.csv"
    path.write_bytes(old + appended[: min(written, len(appended))])
    real = path.resolve()
    st_now = os.stat(real)
    ident = (st_now.st_dev, st_now.st_ino) if mark != "other file" else (st_now.st_dev, st_now.st_ino + 1)
    digest = hashlib.sha256(appended).hexdigest() if mark != "wrong hash" else "0" * 64
    if mark != "none":
        store.append_mark(real).write_bytes(store.Mark(ident, len(old), len(appended), digest).as_bytes())
    if backup:
        store.backup_path(real).write_bytes(b"the rollback copy\n" + old)
    assert store.committed_sha256(path) == expected(path)


def test_no_file_is_said_as_read_committed_says_it(tmp_path):
    with pytest.raises(FileNotFoundError):
        store.committed_sha256(tmp_path / "none.csv")


def test_what_is_not_a_regular_file_is_refused_not_read(tmp_path):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        store.committed_sha256(fifo)  # a FIFO never ends: refused before any read


def test_the_summary_learns_what_landed_without_holding_a_ledger(imported, monkeypatch):
    """landed_imports gives what it gave by reading each ledger whole, and reads none whole."""
    from ipdemo.plan.model import load_plan

    plan = load_plan(imported / "targets.yaml")
    monkeypatch.setattr(summary, "committed_sha256", lambda path: expected(path))
    monkeypatch.setattr(summary, "vouched_sha256", lambda *a: None)
    before = summary.landed_imports(plan)
    assert len(before) >= 3  # each import landed (some in two ledgers)
    monkeypatch.setattr(summary, "committed_sha256", store.committed_sha256)

    def never(path):
        raise AssertionError(f"{path} read whole")

    monkeypatch.setattr(store, "read_committed", never)
    assert summary.landed_imports(plan) == before


@pytest.fixture
def imported(invoke, shipped, tmp_path):
    """The shipped project after three real exports were imported (journal, stamps)."""
    import shutil
    from pathlib import Path

    root = tmp_path / "imported"
    shutil.copytree(shipped, root)
    fixtures = Path(__file__).parent / "fixtures" / "exports"
    for name in ("coapplicants_20230301.csv", "coapplicants_20230308.csv", "商标局_注册公告_一标多类.csv"):
        assert invoke(["import", str(fixtures / name)], cwd=root).exit_code == 0
    return root


def read_hashes(monkeypatch) -> list[str]:
    """Every ledger summary.landed_imports hashes by reading it, noted by name."""
    read: list[str] = []

    def noted(path):
        read.append(path.name)
        return store.committed_sha256(path)

    monkeypatch.setattr(summary, "committed_sha256", noted)
    return read


def test_a_ledger_as_its_import_stamped_it_is_not_read_again(imported, monkeypatch):
    """Its size and mtime are the journal's stamp and nothing is under way beside it: its hash
    is the journal's (issue 26: no re-hash on a matching stamp). The same entries land."""
    from ipdemo.plan.model import load_plan

    plan = load_plan(imported / "targets.yaml")
    monkeypatch.setattr(summary, "vouched_sha256", lambda *a: None)
    expected_landed = summary.landed_imports(plan)
    monkeypatch.undo()
    read = read_hashes(monkeypatch)
    assert summary.landed_imports(plan) == expected_landed
    assert "patents.csv" not in read and "trademarks.csv" not in read


def test_a_hand_edit_or_a_write_under_way_is_read(imported, monkeypatch):
    from ipdemo.plan.model import load_plan

    plan = load_plan(imported / "targets.yaml")
    patents = imported / "data" / "patents.csv"
    store.append_mark(patents.resolve()).write_bytes(store.Mark((0, 0), 0, 1, "0" * 64).as_bytes())
    read = read_hashes(monkeypatch)
    summary.landed_imports(plan)
    assert "patents.csv" in read  # an append mark: only a read can say
    store.append_mark(patents.resolve()).unlink()
    read.clear()
    os.utime(patents, ns=(patents.stat().st_atime_ns, patents.stat().st_mtime_ns + 1_000_000_000))  # saved again
    summary.landed_imports(plan)
    assert "patents.csv" in read


def test_an_import_cut_short_after_its_journal_entry_did_not_land(imported, monkeypatch):
    """Its entry promises a hash the ledger never got (the stamp differs): read, and not landed."""
    from ipdemo.plan.model import load_plan

    plan = load_plan(imported / "targets.yaml")
    before = summary.landed_imports(plan)
    patents = imported / "data" / "patents.csv"
    size = patents.stat().st_size
    cut = {
        "event": "import",
        "ledger": "patents",
        "source": "cut.csv",
        "before_sha256": store.committed_sha256(patents),
        "after_sha256": "f" * 64,
        "after_stamp": [size + 10, patents.stat().st_mtime_ns + 5],
    }
    store.append_journal(imported / "data", cut)
    read = read_hashes(monkeypatch)
    assert summary.landed_imports(plan) == before  # the cut-short entry is not among them
    assert "patents.csv" in read
