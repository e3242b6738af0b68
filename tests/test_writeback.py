"""A big write asks the disk to start as it goes (data/store.py `_Writeback`, issue 26 round 8):
every WRITEBACK_BYTES of a staged copy or a whole rewrite, in order and before the fsync, and the
bytes written are what they would be without it. Where the call is missing or fails, nothing
changes but the wait: the fsync is what makes a file durable."""

from __future__ import annotations

import hashlib
import os

import pytest

from ipdemo.data import store

BODY = b"".join(b"2021%08d.X,title %d\n" % (n, n) for n in range(4000))  # ~100 KB


class Recorder:
    """Stands for sync_file_range: notes each range asked for, and when the file was fsynced."""

    def __init__(self, result: int = 0):
        self.ranges: list[tuple[int, int]] = []
        self.flags: set[int] = set()
        self.result = result
        self.synced_after: int | None = None

    def __call__(self, fd: int, offset: int, count: int, flags: int) -> int:
        assert self.synced_after is None, "writeback asked for after the fsync"
        self.ranges.append((offset, count))
        self.flags.add(flags)
        return self.result


@pytest.fixture
def recorder(monkeypatch):
    calls = Recorder()
    monkeypatch.setattr(store, "WRITEBACK_BYTES", 4096)
    monkeypatch.setattr(store, "_writeback_call", lambda: calls)
    real_fsync = os.fsync

    def fsync(fd):
        calls.synced_after = len(calls.ranges)
        real_fsync(fd)

    monkeypatch.setattr(store.os, "fsync", fsync)
    return calls


def pieces_of(size: int) -> list:
    """A splice as an import makes it: ranges of the old file with new lines between."""
    cut = [0, size // 5, size // 2, size]
    return [(cut[0], cut[1]), b"202199999999.1,new\n", (cut[1], cut[2]), b"202199999998.5,new\n", (cut[2], cut[3])]


def expected(old: bytes, pieces: list) -> bytes:
    return b"".join(p if isinstance(p, bytes) else old[p[0] : p[1]] for p in pieces)


def covers_in_order(ranges: list[tuple[int, int]], size: int) -> bool:
    ends = [offset + count for offset, count in ranges]
    contiguous = all(offset == previous for (offset, _), previous in zip(ranges, [0, *ends]))
    return contiguous and size - ends[-1] < store.WRITEBACK_BYTES


def test_a_staged_copy_asks_for_writeback_as_it_goes_then_fsyncs(tmp_path, recorder):
    path = tmp_path / "patents.csv"
    path.write_bytes(BODY)
    pieces = pieces_of(len(BODY))
    staged = store.stage(path, pieces)
    want = expected(BODY, pieces)
    assert staged.tmp is not None and open(staged.tmp, "rb").read() == want
    assert staged.sha256 == hashlib.sha256(want).hexdigest()
    assert len(recorder.ranges) >= len(want) // 4096 - 1  # the long ranges too, in steps
    assert covers_in_order(recorder.ranges, len(want))
    assert recorder.flags == {store.SYNC_FILE_RANGE_WRITE}
    assert recorder.synced_after == len(recorder.ranges)  # and the fsync after all of them
    store.discard(staged)


def test_a_whole_rewrite_asks_for_writeback_as_it_goes_then_fsyncs(tmp_path, recorder, monkeypatch):
    monkeypatch.setattr(store, "COPY_BLOCK", 4096)
    path = tmp_path / "patents.csv"
    path.write_bytes(b"old\n")
    store.atomic_write_bytes(path, BODY)
    assert path.read_bytes() == BODY
    assert covers_in_order(recorder.ranges, len(BODY)) and len(recorder.ranges) >= len(BODY) // 4096 - 1
    assert recorder.synced_after is not None and recorder.synced_after >= len(recorder.ranges) - 1


@pytest.mark.parametrize("call", [None, Recorder(result=-1)], ids=["missing", "failing"])
def test_without_writeback_the_same_bytes_are_written(tmp_path, monkeypatch, call):
    monkeypatch.setattr(store, "WRITEBACK_BYTES", 4096)
    monkeypatch.setattr(store, "_writeback_call", lambda: call)
    path = tmp_path / "patents.csv"
    path.write_bytes(BODY)
    pieces = pieces_of(len(BODY))
    staged = store.stage(path, pieces)
    assert open(staged.tmp, "rb").read() == expected(BODY, pieces)
    store.commit(staged, os.stat(path).st_mtime_ns + 1)
    assert path.read_bytes() == expected(BODY, pieces)
    store.atomic_write_bytes(path, BODY)
    assert path.read_bytes() == BODY


@pytest.mark.skipif(store._writeback_call() is None, reason="no sync_file_range here (not Linux)")
def test_the_real_call_is_found_and_accepts_a_range(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(BODY)
    fd = os.open(path, os.O_RDWR)
    try:
        assert store._writeback_call()(fd, 0, len(BODY), store.SYNC_FILE_RANGE_WRITE) == 0
    finally:
        os.close(fd)
