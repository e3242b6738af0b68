"""A killed `ipdemo archive` leaves no temp file for good (polish, task 4).

The archive is written to a temp file beside OUT (.OUT.xxxx.tmp) and renamed over OUT; a kill
(SIGKILL, a power cut) in between leaves the temp file. The writer holds a lock on its temp
file while it writes; the next archive to the same OUT removes the temp files nobody holds
(their writer is dead) and leaves alone one that a running archive is writing.

A real `ipdemo archive` runs in a subprocess, made to stop after its first zip entry so that it
can be killed mid-write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and file locks as POSIX has them")

STALLED = """
import sys, time
from ipdemo.cli import main
from ipdemo.deliver import archive

entry = archive.zip_entry
made = []

def stall(*args):
    made.append(1)
    if len(made) == 2:  # the first entry is in the temp file
        print("writing", flush=True)
        time.sleep(120)
    return entry(*args)

archive.zip_entry = stall
sys.argv = ["ipdemo", *sys.argv[1:]]
main()
"""


def stalled_archive(project: Path, out: Path) -> subprocess.Popen:
    """`ipdemo archive OUT` stopped in the middle of writing its temp file."""
    proc = subprocess.Popen(
        [sys.executable, "-c", STALLED, "archive", str(out), "--targets", str(project / "targets.yaml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=project,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"writing"
    return proc


def temps(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.*.tmp"))


def test_the_temp_file_of_a_killed_archive_is_removed_by_the_next(invoke, project, tmp_path):
    out = tmp_path / "归档.zip"
    proc = stalled_archive(project, out)
    try:
        assert len(temps(out)) == 1 and not out.exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert len(temps(out)) == 1  # what the kill left
    result = invoke(["archive", str(out), "--targets", str(project / "targets.yaml")], cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert temps(out) == []
    with zipfile.ZipFile(out) as zf:
        assert "manifest.csv" in zf.namelist()


def test_a_temp_file_being_written_is_left_alone(invoke, project, tmp_path):
    out = tmp_path / "归档.zip"
    proc = stalled_archive(project, out)
    try:
        (writing,) = temps(out)
        result = invoke(["archive", str(out), "--targets", str(project / "targets.yaml")], cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        assert writing.exists()  # the running archive's file is not removed under it
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def test_other_files_beside_the_archive_are_left_alone(invoke, project, tmp_path):
    out = tmp_path / "归档.zip"
    others = [tmp_path / ".其他.zip.abc.tmp", tmp_path / f".{out.name}.notes", tmp_path / f"{out.name}.1.tmp"]
    for path in others:
        path.write_bytes(b"keep")
    result = invoke(["archive", str(out), "--targets", str(project / "targets.yaml")], cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert all(path.read_bytes() == b"keep" for path in others)
