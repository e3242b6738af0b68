"""Files keep what they are (issue 14.5): symlinks, hard links, owner, group and mode survive a
write; new files get the umask's mode; FIFOs, devices and our own streams are written to, never
replaced; the cache never widens access and never litters."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ipdemo.data import store
from ipdemo.engine import cache

from .conftest import VALID_ROWS, make_project
from .helpers import cn, export, ledger_rows

ROOT_ONLY = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")


@pytest.fixture
def proj(tmp_path):
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    export(root / "in.csv", [[cn("202410000001"), "一种装置", "某公司", "2024-01-05", "发明", "", "盛泽"]])
    return root


@pytest.fixture
def umask():
    def set_(mask: int) -> None:
        os.umask(mask)

    old = os.umask(0o022)
    yield set_
    os.umask(old)


def imported(root: Path) -> bool:
    return cn("202410000001") in {r["application_no"] for r in ledger_rows(root)}


def test_symlinked_ledger_is_written_through(invoke, proj, tmp_path):
    shared = tmp_path / "shared" / "patents.csv"
    shared.parent.mkdir()
    ledger = proj / "data" / "patents.csv"
    os.replace(ledger, shared)
    ledger.symlink_to(shared)
    result = invoke(["import", "in.csv"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert ledger.is_symlink() and os.readlink(ledger) == str(shared)
    assert imported(proj) and cn("202410000001") in shared.read_text(encoding="utf-8-sig")
    assert not [p for p in shared.parent.iterdir() if p.name != "patents.csv"]  # no temp or backup left
    again = invoke(["import", "in.csv", "--lang", "en"], cwd=proj)  # the link's target is fingerprinted
    assert again.exit_code == 0 and "added 0" in again.stdout


def test_hard_linked_ledger_keeps_both_names(invoke, proj, tmp_path):
    other = tmp_path / "copy-for-the-office.csv"
    ledger = proj / "data" / "patents.csv"
    os.link(ledger, other)
    inode = ledger.stat().st_ino
    result = invoke(["import", "in.csv"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert ledger.stat().st_ino == other.stat().st_ino == inode and ledger.stat().st_nlink == 2
    assert other.read_bytes() == ledger.read_bytes() and imported(proj)
    assert sorted(p.name for p in (proj / "data").iterdir() if p.name.startswith(".")) == [store.LOCK_NAME]


def test_hard_linked_write_interrupted_is_rolled_back(invoke, proj, tmp_path):
    """A crash in the middle of an in-place write leaves the rollback copy: readers use it, and
    the next writer restores it before anything else."""
    ledger = proj / "data" / "patents.csv"
    os.link(ledger, tmp_path / "other.csv")
    good = ledger.read_bytes()
    store.backup_path(ledger).write_bytes(good)  # what _write_in_place saves first
    ledger.write_bytes(good[: len(good) // 2])  # then a torn in-place write
    assert store.read_committed(ledger) == good
    report = invoke(["validate", "--lang", "en"], cwd=proj)
    assert "data/patents.csv" not in report.stdout, report.stdout  # the committed state is valid
    result = invoke(["import", "in.csv"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert not store.backup_path(ledger).exists() and imported(proj)
    assert (tmp_path / "other.csv").read_bytes() == ledger.read_bytes()


def test_hard_linked_write_that_fails_restores_the_old_content(proj, tmp_path, monkeypatch):
    ledger = proj / "data" / "patents.csv"
    os.link(ledger, tmp_path / "other.csv")
    good = ledger.read_bytes()
    real = store._overwrite
    calls = []

    def fail_once(path, data):
        calls.append(path)
        if len(calls) == 1:
            real(path, data[:10])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, data)

    monkeypatch.setattr(store, "_overwrite", fail_once)
    with pytest.raises(store.WriteError):
        store.atomic_write_bytes(ledger, good + b"x,y\n")
    assert ledger.read_bytes() == good and not store.backup_path(ledger).exists()


@ROOT_ONLY
def test_owner_group_and_mode_are_kept(invoke, proj):
    ledger = proj / "data" / "patents.csv"
    os.chown(ledger, 65534, 65534)
    os.chmod(ledger, 0o640)
    result = invoke(["import", "in.csv"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    st = ledger.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o640) and imported(proj)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_new_files_get_the_umask_mode(invoke, proj, tmp_path, umask, mask, mode):
    umask(mask)
    assert invoke(["report", "--format", "csv", "--output", "r.csv"], cwd=proj).exit_code == 0
    assert invoke(["report", "--format", "xlsx", "--output", "r.xlsx"], cwd=proj).exit_code == 0
    assert invoke(["init", str(tmp_path / "new")], cwd=proj).exit_code == 0
    created = [
        proj / "r.csv",
        proj / "r.xlsx",
        tmp_path / "new" / "targets.yaml",
        tmp_path / "new" / "data" / "patents.csv",
        tmp_path / "new" / ".gitlab-ci.yml",
    ]
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in created} == {p.name: oct(mode) for p in created}


def test_output_onto_a_fifo_writes_into_it(invoke, proj):
    fifo = proj / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = invoke(["report", "--format", "csv", "--output", str(fifo)], cwd=proj)
    reader.join(30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and got and got[0].startswith(b"id,")


def test_output_onto_a_device_writes_into_it(invoke, proj):
    device = proj / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
    except (PermissionError, AttributeError, OSError):
        pytest.skip("cannot create a device node here")
    result = invoke(["report", "--format", "csv", "--output", str(device)], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode) and os.stat(device).st_rdev == os.makedev(1, 3)


@pytest.mark.skipif(not os.path.exists("/dev/fd/1"), reason="needs /dev/fd")
def test_output_onto_our_own_stdout(proj):
    for target in ("/dev/fd/1", "/proc/self/fd/1"):
        result = subprocess.run(
            [sys.executable, "-m", "ipdemo", "report", "--format", "csv", "--output", target],
            cwd=proj,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("id,") and result.stdout.count("\nid,") == 0


def test_cache_never_widens_access(invoke, proj, tmp_path, monkeypatch, umask):
    folder = tmp_path / "cache"
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(folder))
    monkeypatch.delenv("IPDEMO_NO_CACHE", raising=False)
    trainees = proj / "data" / "trainees.csv"
    os.chmod(trainees, 0o600)  # personal data: names
    os.chmod(proj / "data" / "patents.csv", 0o644)
    assert invoke(["report"], cwd=proj).exit_code == 0
    key = cache.entry_key
    from ipdemo.plan.model import load_plan

    plan = load_plan(proj / "targets.yaml")
    modes = {}
    for name in ("trainees", "patents"):
        prefix, _ = key(plan, name, plan.ledger_path(name), b"")
        modes[name] = {stat.S_IMODE(p.stat().st_mode) for p in folder.glob(f"{prefix}-*")}
    assert modes == {"trainees": {0o600}, "patents": {0o644}}


def test_cache_cleans_up_after_a_failed_write(invoke, proj, tmp_path, monkeypatch):
    """A full disk while writing an entry leaves no temp file; orphans of a killed run go too."""
    from ipdemo.plan.model import load_plan

    folder = tmp_path / "cache"
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(folder))
    monkeypatch.delenv("IPDEMO_NO_CACHE", raising=False)
    folder.mkdir()
    plan = load_plan(proj / "targets.yaml")
    prefix, _ = cache.entry_key(plan, "patents", plan.ledger_path("patents"), b"")
    orphan = folder / f".{prefix}-0123abcd.999.arrow.tmp"
    orphan.write_bytes(b"left by a killed run")
    an_hour_ago = time.time() - 3600  # a killed run's file stops changing; a live writer's does not
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    writing = folder / f".{prefix}-4567cdef.arrow.{os.getpid()}.abcdef.tmp"
    writing.write_bytes(b"another report writing this entry now")
    real_replace = os.replace

    def full(src, dst, *args, **kwargs):
        if str(src).endswith(".json.tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(cache.os, "replace", full)
        first = invoke(["report", "--format", "json"], cwd=proj)
    assert first.exit_code == 0
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == [writing.name]  # the live one kept
    writing.unlink()
    second = invoke(["report", "--format", "json"], cwd=proj)
    entries = len(list(folder.glob("*.json")))  # each entry: rows + problems (Arrow) and a small JSON
    assert second.stdout == first.stdout and 2 * entries == len(list(folder.glob("*.arrow")))
