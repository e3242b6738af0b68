"""A running archive's temp file is locked until it is renamed (review of round 4): its lock was
released when the file was closed, before the rename, so a second `ipdemo archive` to the same
file starting in that moment removed it as a killed archive's leftover, and the first failed.
And only this output's temp files are a leftover of it (.OUT.<8 random>.tmp), not another's."""

from __future__ import annotations

import os
from datetime import date

from ipdemo.deliver import archive


def test_a_second_archive_does_not_remove_the_temp_file_of_a_live_one(tmp_path, monkeypatch):
    out = tmp_path / "归档.zip"
    real_replace = os.replace

    def replace(source, target, *args, **kwargs):  # the moment before the rename
        archive.remove_stale_temps(tmp_path, out.name)  # what a second `ipdemo archive 归档.zip` does first
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(archive.os, "replace", replace)
    archive.write_archive(archive.Archive(date(2023, 12, 31), [archive.Entry("a.txt", data=b"x")]), out)
    assert out.exists()
    assert not list(tmp_path.glob("*.tmp"))


def test_another_outputs_temp_file_is_not_taken_for_a_leftover(tmp_path):
    other = tmp_path / ".归档.zip.bak.abcd1234.tmp"  # a killed archive to 归档.zip.bak left it
    own = tmp_path / ".归档.zip.abcd1234.tmp"  # a killed archive to 归档.zip left it
    other.write_bytes(b"x")
    own.write_bytes(b"x")
    archive.remove_stale_temps(tmp_path, "归档.zip")
    assert other.exists() and not own.exists()
