"""Faults: a folder that cannot be written, a full disk, locks held or left behind.

The tests run as root in CI, where file permissions do not stop writes, so read-only folders and
full disks are simulated by making the OS calls fail exactly as they would.
"""

import errno
import os
import signal
import subprocess
import sys
import time

import pytest

from ipdemo import store

from .conftest import VALID_ROWS, make_project, snapshot
from .test_import import cn, export


@pytest.fixture
def proj(tmp_path):
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    export(root / "in.csv", [[cn("202410000001"), "一种装置", "某公司", "2024-01-05", "发明", "", "盛泽"]])
    return root


@pytest.mark.parametrize("error", [errno.EROFS, errno.ENOSPC, errno.EACCES])
def test_ledger_cannot_be_written(invoke, proj, monkeypatch, error):
    before = snapshot(proj / "data")

    def fail(*args, **kwargs):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(store.os, "replace", fail)
    result = invoke(["import", "in.csv", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    assert f"cannot write data/patents.csv: {os.strerror(error)}. Nothing was changed" in result.stderr
    after = snapshot(proj / "data")
    journal = after.pop("journal.jsonl")  # the intent was journaled first; the ledger is untouched
    assert b'"added":1' in journal and after == before
    assert not [p for p in (proj / "data").iterdir() if p.name.endswith(".tmp")]  # temp file removed


def test_disk_full_while_writing_temp_file(invoke, proj, monkeypatch):
    before = snapshot(proj / "data")
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store.os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    result = invoke(["import", "in.csv", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    after = snapshot(proj / "data")
    after.pop("journal.jsonl")
    assert after == before


def test_journal_cannot_be_written_means_nothing_changes(invoke, proj, monkeypatch):
    before = snapshot(proj / "data")
    real_open = open

    def guarded(path, *args, **kwargs):
        if str(path).endswith("journal.jsonl"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", guarded)
    result = invoke(["import", "in.csv", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1 and "journal.jsonl" in result.stderr
    assert snapshot(proj / "data") == before


def hold_lock(root, seconds: float) -> subprocess.Popen:
    code = ("import sys, time; from filelock import FileLock; "
            f"l = FileLock(sys.argv[1]); l.acquire(); print('locked', flush=True); time.sleep({seconds})")
    proc = subprocess.Popen([sys.executable, "-c", code, str(root / "data" / store.LOCK_NAME)], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"locked"
    return proc


def test_lock_held_by_a_live_process_times_out_clearly(proj):
    holder = hold_lock(proj, 30)
    try:
        before = snapshot(proj / "data")
        env = {**os.environ, "IPDEMO_LOCK_TIMEOUT": "1"}
        result = subprocess.run([sys.executable, "-m", "ipdemo", "import", "in.csv", "--lang", "en"], cwd=proj,
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 1
        assert "another ipdemo process is writing data (gave up after 1 s)" in result.stderr
        assert "Traceback" not in result.stderr and snapshot(proj / "data") == before
    finally:
        holder.kill()
        holder.wait()


def test_lock_left_by_a_killed_process_is_recovered(proj):
    holder = hold_lock(proj, 300)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (proj / "data" / store.LOCK_NAME).exists()  # the file stays; the OS lock died with its owner
    start = time.monotonic()
    env = {**os.environ, "IPDEMO_LOCK_TIMEOUT": "5"}
    result = subprocess.run([sys.executable, "-m", "ipdemo", "import", "in.csv"], cwd=proj, capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - start < 5
