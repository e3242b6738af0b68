"""Safe writes: atomic replace, one lock for the data folder, an append-only journal.

- Atomic: write a temp file in the same folder, fsync it, rename over the target, fsync the
  folder. A crash at any moment leaves the old file or the new one, never a mix.
- Files keep what they are: a symlink is written through (its target is replaced, the link
  stays a link); the owner, group and mode of the old file are kept; a new file gets the mode
  the umask gives (like any other tool); a FIFO, a device or /dev/stdout is written to directly,
  never replaced by a regular file. A file with several hard links cannot be replaced atomically
  without splitting it from its other names, so it is written in place under a rollback copy
  (see `_write_in_place`): the old content is saved completely first, readers and the next
  writer use that copy until the new content is complete, so they still see old or new.
- Locked: an OS lock (flock) on data/.ipdemo.lock. The OS drops it when the holder dies, so a
  killed import never blocks the next one; a live holder makes us wait, then time out with a
  clear message. A lock on a file that is no longer at the path (deleted or replaced while we
  waited) protects nothing: we take it again on the file that is there.
- Never replace what was not read: when the lock is taken, every file in the data folder, and
  every file the taker names (the plan's ledgers, wherever they lie), is fingerprinted (device,
  inode, size, mtime_ns, ctime_ns). A locked writer checks, before it appends to the journal and
  before it replaces a file, that the lock file is still the one it holds and that the file is
  still the one it read; if not (someone removed the lock file and another writer got in), it
  stops with a clear message and changes nothing.
- Journal: data/journal.jsonl, one JSON object a line, appended and fsynced *before* the ledger
  is replaced. It records the source, its sha256, the ledger's sha256 before and after, counts,
  and every overwritten value (old → new). An entry whose `after` hash never became the ledger's
  hash is an import that did not land. An append cut short (full disk, kill) leaves a torn last
  line: the next entry starts on a fresh line and readers skip the torn one.
- Append: new rows only are added at the end of the file (`append_bytes`) under a rollback
  mark beside it (`.NAME.ipdemo-append`: the file's device and inode, where the old content
  ends, the new bytes' length and sha256), removed once the bytes are fsynced. While a mark
  exists, readers stop at the old end, and the next writer cuts a torn tail off (only on the
  same file: one saved anew by a user is never cut).
- Replace from pieces: `stage` writes the new content (ranges copied from the file as it is,
  new lines between) to a temp file and hashes it, so the journal can record the hash before
  `commit` renames it over the file.
- Stamps: the journal entry of a write records the (size, mtime_ns) the file will have
  (`after_stamp`), and the write sets that mtime. `verified_sha256` gives back the entry's
  `after_sha256` only while the file's size and mtime are that stamp; any other stamp means
  "read it whole". A stamp is never a reason to trust a file that was not read whole or written
  by ipdemo; the CSV stays the only copy of the data.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import hashlib
import json
import os
import secrets
import stat
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from ipdemo.data.capped import FileTooLarge, read_capped
from ipdemo.data.ledger import LEDGER_LIMITS, MAX_STREAMED_BYTES, display_path
from ipdemo.errors import LockTimeout, PlanError, UsageError, WriteError

LOCK_NAME = ".ipdemo.lock"
JOURNAL_NAME = "journal.jsonl"
SECRETS_NAME = ".ipdemo-secrets.toml"  # the robots' webhooks and keys, beside targets.yaml (deliver/notify.py)
BACKUP_SUFFIX = ".ipdemo-backup"  # the rollback copy of a hard-linked file written in place
APPEND_SUFFIX = ".ipdemo-append"  # the rollback mark of an append under way: where the old content ends
TEMP_SUFFIX = ".tmp"
COPY_BLOCK = 1 << 23  # copying and hashing a file: 8 MiB at a time
WRITEBACK_BYTES = 1 << 25  # a big write asks the disk to start on every 32 MiB of it (_Writeback)
SYNC_FILE_RANGE_WRITE = 2  # Linux <fcntl.h>: start writing the range out, wait for nothing
# Paths that name the process's own streams: written to directly, never replaced.
STREAM_PATHS = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- fingerprints and the locks this process holds ----------------------------------------

Fingerprint = tuple  # (st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns), None when absent


def fingerprint(path: Path | str) -> Fingerprint | None:
    """What identifies a file's content without reading it (follows symlinks)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class _Held:
    folder: str  # real path of the data folder
    lock_path: str
    fd: int | None  # the flock'd descriptor (None where filelock is used: no flock)
    ident: tuple[int, int] | None  # (st_dev, st_ino) of the lock file we hold
    seen: dict[str, Fingerprint | None] = field(default_factory=dict)  # real path → fingerprint
    depth: int = 1


_HELD: dict[str, _Held] = {}
_HELD_GUARD = threading.Lock()


def _real(path: Path | str) -> str:
    return os.path.realpath(path)


def _held_for(path: Path | str) -> _Held | None:
    """The lock this process holds on the folder that contains `path` (as written: a symlinked
    ledger is in the data folder even when its target is elsewhere), or the one that
    fingerprinted it as one of its `files` (a ledger in a folder below the data folder, or
    outside it: data_lock)."""
    if not _HELD:
        return None
    folder = _real(os.path.dirname(os.path.abspath(path)))
    held = _HELD.get(folder)
    if held is None:
        real = _real(path)
        held = next((h for h in list(_HELD.values()) if real in h.seen), None)
    return held


def _check_lock(held: _Held) -> None:
    """The lock file at the path must still be the one we hold."""
    if held.ident is None:
        return
    try:
        st = os.stat(held.lock_path)
        now = (st.st_dev, st.st_ino)
    except OSError:
        now = None
    if now != held.ident:
        raise WriteError("lock_lost", path=display_path(Path(held.lock_path)))


def _check_unchanged(held: _Held, path: Path | str) -> None:
    """`path` must be the file that was there when the lock was taken (or that we wrote)."""
    real = _real(path)
    if fingerprint(real) != held.seen.get(real):
        raise WriteError("data_changed", path=display_path(Path(path)))


def fingerprinted(path: Path | str) -> bool:
    """Whether the data lock this process holds took the file's fingerprint as it was taken: a
    change to the file since is then refused when the file is written (_check_unchanged). A file
    outside the data folder's own files is fingerprinted only when named in data_lock's `files`."""
    held = _held_for(path)
    return held is not None and _real(path) in held.seen


def _note_written(path: Path | str) -> None:
    held = _held_for(path)
    if held is not None:
        real = _real(path)
        held.seen[real] = fingerprint(real)


def _survey(folder: str) -> dict[str, Fingerprint | None]:
    """Fingerprints of every file in the folder (symlinks followed), and interrupted in-place
    writes rolled back first."""
    seen: dict[str, Fingerprint | None] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return seen
    for entry in entries:
        if entry.name == LOCK_NAME or entry.name.endswith((TEMP_SUFFIX, BACKUP_SUFFIX, APPEND_SUFFIX)):
            continue
        real = _real(entry.path)
        _recover(Path(real))
        seen[real] = fingerprint(real)
    return seen


def _survey_files(held: _Held, files: Iterable[Path]) -> None:
    """Fingerprints of `files` the folder's survey did not reach; those it reached keep the
    fingerprint it took. Nothing is recovered here: a file outside the data folder may be another
    project's ledger, which that project's lock, not this one, serialises (an append mark beside
    it may be a live append). A file that cannot be looked at is left without a fingerprint, as
    before: an import that does not write it must not fail on it."""
    for path in files:
        real = _real(path)
        if real in held.seen or real == _real(held.lock_path):
            continue
        try:
            held.seen[real] = fingerprint(real)
        except OSError:
            continue


# --- writing files -------------------------------------------------------------------------


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; on failure raise WriteError and change nothing.

    Under the data lock, the file must still be the one that was there when the lock was taken
    (else WriteError data_changed: another writer got in)."""
    path = Path(path)
    shown = display_path(path)
    try:
        if _is_stream(path):
            _write_direct(path, data)
            return
        real = Path(_real(path))  # through symlinks: the link stays a link
        held = _held_for(path)
        if held is not None:
            _check_lock(held)
            _check_unchanged(held, path)
        try:
            old = os.stat(real)
        except FileNotFoundError:
            old = None
        if old is not None and not stat.S_ISREG(old.st_mode):
            _write_direct(path, data)
            return
        if old is not None and old.st_nlink > 1:
            _write_in_place(real, data, old)
        else:
            _replace(real, data, old)
    except OSError as exc:
        raise WriteError("write_failed", path=shown, reason=exc.strerror or str(exc)) from None
    _note_written(path)


def _is_stream(path: Path) -> bool:
    text = str(path)
    return (
        text in STREAM_PATHS[:2] or text.startswith(STREAM_PATHS[2:]) or (text.startswith("/proc/") and "/fd/" in text)
    )


def _write_direct(path: Path, data: bytes) -> None:
    """A FIFO, a device, a terminal or one of our own streams: write to it, never replace it.
    Appending keeps what a shell redirection (`>>`) asked for when the stream is a file."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


def _temp_file(folder: Path, name: str) -> tuple[int, str]:
    """A new, empty temp file beside the target. Created with 0o666: the kernel applies the
    umask (and a default ACL), as for any file a tool creates."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = str(folder / f".{name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temp file in {folder}")


def _keep_owner_and_mode(fd: int, old: os.stat_result) -> None:
    """The new file gets the old one's owner, group and mode (mode last: chown clears setuid)."""
    if hasattr(os, "fchown"):
        if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.fchown(fd, old.st_uid, old.st_gid)
            except OSError:  # not root: at least the group, when we belong to it
                try:
                    os.fchown(fd, -1, old.st_gid)
                except OSError:
                    pass
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(old.st_mode))


def _replace(real: Path, data: bytes, old: os.stat_result | None) -> None:
    folder = real.parent if str(real.parent) else Path(".")
    tmp_name = None
    try:
        fd, tmp_name = _temp_file(folder, real.name)
        if old is not None:
            try:
                _keep_owner_and_mode(fd, old)
            except OSError:
                os.close(fd)
                raise
        with os.fdopen(fd, "wb") as fh:
            writeback, view = _Writeback(fd), memoryview(data)
            for start in range(0, len(view), COPY_BLOCK):
                fh.write(view[start : start + COPY_BLOCK])
                fh.flush()
                writeback.reached(min(start + COPY_BLOCK, len(view)))
            os.fsync(fh.fileno())
        os.replace(tmp_name, real)
        tmp_name = None
        fsync_dir(folder)
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


class _Writeback:
    """Asks the disk to start writing a file being written, every WRITEBACK_BYTES of it, so the
    fsync at its end finds little left to wait for: a 4M-row ledger's copy (807 MB) and its fsync
    took 0.60-0.98 s, and 0.41-0.45 s started as it goes (Linux's sync_file_range with
    SYNC_FILE_RANGE_WRITE, as RocksDB's bytes_per_sync does). It starts writes and promises
    nothing: the fsync is still what makes the file durable, so where the call is missing (not
    Linux) or fails, nothing changes but the wait."""

    def __init__(self, fd: int):
        self.fd = fd
        self.started = 0  # bytes [0, started) asked for

    def reached(self, size: int) -> None:
        """The file's first `size` bytes are written."""
        start_writeback = _writeback_call()
        if start_writeback is not None and size - self.started >= WRITEBACK_BYTES:
            start_writeback(self.fd, self.started, size - self.started, SYNC_FILE_RANGE_WRITE)
            self.started = size


@functools.lru_cache(maxsize=1)
def _writeback_call() -> Any:
    """The C library's sync_file_range, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        call = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    call.restype = ctypes.c_int
    return call


def backup_path(real: Path) -> Path:
    return real.parent / f".{real.name}{BACKUP_SUFFIX}"


def _write_in_place(real: Path, data: bytes, old: os.stat_result) -> None:
    """A hard-linked file: an atomic rename would leave its other names on the old content.

    Written in place under a rollback copy, like a database's rollback journal: (1) the old
    content is saved beside it, atomically (complete or absent); (2) the file is overwritten and
    fsynced; (3) the copy is removed. Until (3), readers (`read_committed`) use the copy, and a
    writer that finds a copy left by a crash restores it first (`_recover`). Old or new, never a
    mix, and every name of the file sees the new content."""
    backup = backup_path(real)
    previous = real.read_bytes()
    _replace(backup, previous, old)
    try:
        _overwrite(real, data)
    except OSError:
        try:  # put the old bytes back; if even that fails, the copy stays for the next writer
            _overwrite(real, previous)
            os.unlink(backup)
        except OSError:
            pass
        raise
    os.unlink(backup)
    fsync_dir(real.parent)


def _overwrite(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
    try:
        view = memoryview(data)
        offset = 0
        while offset < len(data):
            offset += os.pwrite(fd, view[offset:], offset) if hasattr(os, "pwrite") else os.write(fd, view[offset:])
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def _recover(real: Path) -> None:
    """A rollback copy beside a file means an in-place write was interrupted: restore it. An
    append mark means an append was interrupted: cut a torn tail off (see `append_bytes`)."""
    backup = backup_path(real)
    try:
        if backup.exists():
            _overwrite(real, backup.read_bytes())
            os.unlink(backup)
            fsync_dir(real.parent)
        _recover_append(real)
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(real), reason=exc.strerror or str(exc)) from None


def read_committed(path: Path) -> bytes:
    """A file's last complete content: its rollback copy while an in-place write is under way
    (or was interrupted), else the file. Raises OSError like read_bytes; capped.FileTooLarge (an
    OSError) over ledger.LEDGER_LIMITS."""
    real = Path(_real(path))
    backup = backup_path(real)
    for _ in range(3):
        try:
            return read_capped(backup, LEDGER_LIMITS)
        except FileNotFoundError:
            pass
        before = fingerprint(real)
        data = read_capped(real, LEDGER_LIMITS)
        if not backup.exists() and fingerprint(real) == before:
            return _without_torn_tail(real, data)
    return _without_torn_tail(real, read_capped(real, LEDGER_LIMITS))


def committed_sha256(path: Path) -> str:
    """sha256(read_committed(path)), the file read in pieces and never held (a weekly summary at
    4M rows held the 0.8 GB ledger for it): the rollback copy's hash while an in-place write is
    under way, else the file's without a torn append. Raises OSError like read_committed, and
    capped.FileTooLarge past MAX_STREAMED_BYTES (or for what is not a regular file)."""
    real = Path(_real(path))
    backup = backup_path(real)
    for _ in range(3):
        try:
            return _sha256_of(backup)
        except FileNotFoundError:
            pass
        before = fingerprint(real)
        digest = _sha256_of(real, _committed_end(real))
        if not backup.exists() and fingerprint(real) == before:
            return digest
    return _sha256_of(real, _committed_end(real))


def _committed_end(real: Path) -> int | None:
    """Where a reader must stop (a torn append's offset), None for the whole file (as _without_torn_tail)."""
    mark = Mark.read(append_mark(real))
    return mark.offset if mark is not None and mark.offset >= 0 and mark.torn(real) else None


def _sha256_of(path: Path, end: int | None = None) -> str:
    """The sha256 of the file's first `end` bytes (None: all), as a splice hashes its ranges
    (_pieces_sha256). What is not a regular file is refused before it is opened: a FIFO would
    block the open and never end."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_STREAMED_BYTES:
        raise FileTooLarge(MAX_STREAMED_BYTES)
    size = st.st_size if end is None else min(end, st.st_size)
    return _pieces_sha256(path, [(0, size)], threading.Event())


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- appending, and replacing from pieces ---------------------------------------------------


def append_mark(real: Path) -> Path:
    return real.parent / f".{real.name}{APPEND_SUFFIX}"


@dataclass
class Mark:
    """What an append under way leaves beside the file: the file (device, inode) it appends to,
    where its old content ends, and the appended bytes' length and sha256."""

    ident: tuple[int, int]
    offset: int
    length: int
    sha256: str

    def as_bytes(self) -> bytes:
        return json.dumps(dataclasses.asdict(self)).encode("utf-8")

    @classmethod
    def read(cls, path: Path) -> Mark | None:
        try:
            raw = json.loads(path.read_bytes())
            return cls(tuple(raw["ident"]), int(raw["offset"]), int(raw["length"]), str(raw["sha256"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return cls((-1, -1), -1, 0, "")  # unreadable: it protects nothing, and is removed

    def torn(self, real: Path) -> bool:
        """The file is the one appended to and ends inside the append, or with other bytes
        where the append should be: the append did not complete."""
        try:
            st = os.stat(real)
        except OSError:
            return False
        if (st.st_dev, st.st_ino) != self.ident or not self.offset <= st.st_size <= self.offset + self.length:
            return False  # replaced (a hand edit saved as a new file), or grown past it: not ours to cut
        return st.st_size < self.offset + self.length or _tail_sha256(real, self.offset) != self.sha256


def _tail_sha256(real: Path, offset: int) -> str:
    digest = hashlib.sha256()
    with open(real, "rb") as fh:
        fh.seek(offset)
        for block in iter(lambda: fh.read(COPY_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _recover_append(real: Path) -> None:
    """An append mark beside a file: the append was interrupted (a kill, a crash, a full disk).
    A torn tail is cut off (the file is the old content again); a complete append stays."""
    mark_path = append_mark(real)
    mark = Mark.read(mark_path)
    if mark is None:
        return
    if mark.torn(real):
        fd = os.open(real, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        try:
            os.ftruncate(fd, mark.offset)
            os.fsync(fd)
        finally:
            os.close(fd)
    os.unlink(mark_path)
    fsync_dir(real.parent)


def _without_torn_tail(real: Path, data: bytes) -> bytes:
    """What a reader may use while an append is under way (or was interrupted): the old content."""
    mark = Mark.read(append_mark(real))
    if mark is None or mark.offset < 0 or not mark.torn(real):
        return data
    return data[: mark.offset]


def append_bytes(path: Path, data: bytes, offset: int, mtime_ns: int) -> None:
    """Append `data` to the file whose content ends at `offset`, under a rollback mark: (1) the
    mark (where the old content ends, the new bytes' hash) is written beside the file, atomically;
    (2) the bytes are written at `offset` and fsynced, and the file's mtime set to `mtime_ns` (the
    stamp the journal recorded); (3) the mark is removed. A crash before (3) leaves the mark: the
    next writer (`_recover`) cuts a torn tail off, and readers (`read_committed`) stop at `offset`.
    Under the data lock, the file must still be the one that was read."""
    path = Path(path)
    real = Path(_real(path))
    held = _held_for(path)
    if held is not None:
        _check_lock(held)
        _check_unchanged(held, path)
    try:
        st = os.stat(real)
        if st.st_size != offset:
            raise WriteError("data_changed", path=display_path(path))
        mark = Mark((st.st_dev, st.st_ino), offset, len(data), sha256_bytes(data))
        _replace(append_mark(real), mark.as_bytes(), None)
        fd = os.open(real, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        try:
            _pwrite_all(fd, data, offset)
            os.fsync(fd)
            os.utime(fd if os.utime in os.supports_fd else real, ns=(mtime_ns, mtime_ns))
        finally:
            os.close(fd)
        os.unlink(append_mark(real))
        fsync_dir(real.parent)
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(path), reason=exc.strerror or str(exc)) from None
    _note_written(path)


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    done = 0
    if not hasattr(os, "pwrite"):  # Windows
        os.lseek(fd, offset, os.SEEK_SET)
    while done < len(data):
        done += os.pwrite(fd, view[done:], offset + done) if hasattr(os, "pwrite") else os.write(fd, view[done:])


Piece = bytes | tuple[int, int]  # new bytes, or a range [start, end) of the file's current content


@dataclass
class Staged:
    """A file's next content, written and fsynced in a temp file beside it, not yet in place
    (`commit` renames it over the file). `data` instead of `tmp`: a file that is not replaced by
    a rename (hard-linked, not regular), written at commit by atomic_write_bytes."""

    path: Path
    sha256: str
    size: int
    tmp: str | None = None
    data: bytes | None = None


def stage(path: Path, pieces: list[Piece]) -> Staged:
    """Write the pieces (new bytes, and ranges copied from the file as it is) to a temp file,
    hashing them as they go: the hash is known before anything is replaced (the journal first)."""
    path = Path(path)
    real = Path(_real(path))
    try:
        old = os.stat(real)
        if not stat.S_ISREG(old.st_mode) or old.st_nlink > 1:
            data = b"".join(_piece_bytes(real, pieces))
            return Staged(path, sha256_bytes(data), len(data), data=data)
        return _stage_temp(path, real, pieces, old)
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(path), reason=exc.strerror or str(exc)) from None


def _piece_bytes(real: Path, pieces: list[Piece]) -> Iterator[bytes]:
    with open(real, "rb") as source:
        for piece in pieces:
            if isinstance(piece, bytes):
                yield piece
                continue
            source.seek(piece[0])
            left = piece[1] - piece[0]
            while left > 0:
                block = source.read(min(COPY_BLOCK, left))
                if not block:
                    raise OSError(errno.EIO, "the file is shorter than it was read")
                left -= len(block)
                yield block


def _stage_temp(path: Path, real: Path, pieces: list[Piece], old: os.stat_result) -> Staged:
    """The copy is made by the kernel where it can (copy_file_range: no bytes through Python)
    while a second thread hashes the same pieces, read through its own handle of the file: both
    cores work, and the copy costs about what `cp` does. (Copy and hash read the file apart; under
    the data lock it cannot change unnoticed: `commit` checks it is still the file that was read.)
    A failed copy stops the hash and is the error said."""
    from concurrent.futures import ThreadPoolExecutor

    fd, tmp = _temp_file(real.parent, real.name)
    stop = threading.Event()
    try:
        _keep_owner_and_mode(fd, old)
        with open(real, "rb") as source, ThreadPoolExecutor(1) as hasher:
            hashed = hasher.submit(_pieces_sha256, real, pieces, stop)
            try:
                size = _copy_pieces(source.fileno(), fd, pieces, _Writeback(fd))
                os.fsync(fd)  # while the hash goes on: the disk's wait and the hash's overlap
            except BaseException:
                stop.set()
                raise
            digest = hashed.result()
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    os.close(fd)
    return Staged(path, digest, size, tmp=tmp)


class ShorterThanRead(OSError):
    """A file ended before the bytes it was read to hold (changed meanwhile): told apart from a
    read error of the disk, which is said as such."""

    def __init__(self) -> None:
        super().__init__(errno.EIO, "the file is shorter than it was read")


def _pieces_sha256(real: Path, pieces: list[Piece], stop: threading.Event) -> str:
    """The hash of the pieces (see _hash_pieces)."""
    digest = hashlib.sha256()
    _hash_pieces(real, pieces, stop, digest)
    return digest.hexdigest()


def _hash_pieces(real: Path, pieces: list[Piece], stop: threading.Event, digest: Any) -> None:
    """Feed the pieces to `digest`, the ranges read through one reused buffer (no mapping: the
    file's pages would count in the process's memory; no new 8 MiB of bytes a block: their pages
    are faulted in afresh each time, ~40 % slower at 807 MB) and a handle of its own (its own
    offset). Stops early, quietly, once `stop` is set."""
    buffer = bytearray(COPY_BLOCK)
    view = memoryview(buffer)
    with open(real, "rb", buffering=0) as fh:
        for piece in pieces:
            if isinstance(piece, bytes):
                digest.update(piece)
                continue
            fh.seek(piece[0])
            left = piece[1] - piece[0]
            while left > 0 and not stop.is_set():
                got = fh.readinto(view[: min(COPY_BLOCK, left)])  # lets the GIL go, as update does
                if not got:
                    raise ShorterThanRead
                digest.update(view[:got])
                left -= got


def _copy_pieces(source: int, target: int, pieces: list[Piece], writeback: _Writeback) -> int:
    """Write the pieces to `target` from its start; ranges copied from `source`. Returns the size."""
    size = 0
    for piece in pieces:
        if isinstance(piece, bytes):
            _pwrite_all(target, piece, size)
            size += len(piece)
            writeback.reached(size)
            continue
        start, end = piece
        while start < end:  # a long range in steps, the disk started on each
            step = min(end - start, WRITEBACK_BYTES)
            _copy_range(source, target, start, step, size)
            start, size = start + step, size + step
            writeback.reached(size)
    return size


def _read_at(fd: int, count: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, count, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows
    return os.read(fd, count)


def _copy_range(source: int, target: int, start: int, count: int, at: int) -> None:
    done = 0
    while done < count and hasattr(os, "copy_file_range"):
        try:
            copied = os.copy_file_range(source, target, count - done, start + done, at + done)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            break  # this file system cannot: copied through memory below
        if not copied:
            raise OSError(errno.EIO, "the file is shorter than it was read")
        done += copied
    while done < count:
        block = _read_at(source, min(COPY_BLOCK, count - done), start + done)
        if not block:
            raise OSError(errno.EIO, "the file is shorter than it was read")
        _pwrite_all(target, block, at + done)
        done += len(block)


def _unlink_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def commit(staged: Staged, mtime_ns: int) -> None:
    """Put a staged content in place (rename, fsync the folder) and stamp its mtime; under the
    data lock, only over the file that was read. On failure nothing is replaced."""
    if staged.tmp is None:
        atomic_write_bytes(staged.path, staged.data or b"")
        _set_mtime(staged.path, mtime_ns)
        return
    real = Path(_real(staged.path))
    held = _held_for(staged.path)
    try:
        if held is not None:
            _check_lock(held)
            _check_unchanged(held, staged.path)
        os.utime(staged.tmp, ns=(mtime_ns, mtime_ns))
        os.replace(staged.tmp, real)
        staged.tmp = None
        fsync_dir(real.parent)
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(staged.path), reason=exc.strerror or str(exc)) from None
    finally:
        discard(staged)
    _note_written(staged.path)


def discard(staged: Staged) -> None:
    if staged.tmp is not None:
        _unlink_quietly(staged.tmp)
        staged.tmp = None


def write_stamped(path: Path, data: bytes, mtime_ns: int) -> None:
    """atomic_write_bytes, then the file's mtime set to the stamp the journal recorded."""
    atomic_write_bytes(path, data)
    _set_mtime(path, mtime_ns)


def _set_mtime(path: Path, mtime_ns: int) -> None:
    """A stamp that cannot be set only costs the next import a full read."""
    try:
        os.utime(_real(path), ns=(mtime_ns, mtime_ns))
    except OSError:
        return
    _note_written(path)


def new_stamp(size: int) -> list[int]:
    """The (size, mtime_ns) a file will have once written: the journal records it, the write
    sets the mtime. The clock to the microsecond (NTFS keeps 100 ns, ext4, XFS, APFS 1 ns: the
    value survives the round trip): a program that edits the file later gets the file system's
    own time, which lands on this value only by a coincidence of microseconds. A file system
    that keeps less (FAT's 2 s) never matches: every import reads the ledger whole, as before."""
    return [size, time.time_ns() // 1000 * 1000]


def stamp_now(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def stamp_if_unchanged(path: Path) -> list[int] | None:
    """The file's stamp when it is still the file the lock's survey fingerprinted (so the one
    that was read); else None (a stamp vouches only for what was read)."""
    held = _held_for(path)
    real = _real(path)
    if held is None or fingerprint(real) != held.seen.get(real):
        return None
    return stamp_now(Path(real))


class PrefixHash:
    """sha256 of a file's first `size` bytes, worked out on another thread from the moment it is
    started (hashlib lets the GIL go): an import starts it as soon as it holds the lock on a
    stamped ledger (else once it has found its records), and an append then only adds its new
    bytes (`with_tail`) instead of reading the ledger again once it knows it appends; a splice, or
    a write of the ledger read whole, takes it as its `before_sha256`. `cancel` stops it (the
    import writes nothing, or it hashed another size than the records were found in, or failed)."""

    def __init__(self, path: Path, size: int):
        self.path, self.size = Path(path), size
        self.digest = hashlib.sha256()
        self.failed: BaseException | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ipdemo-prefix-hash", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            _hash_pieces(self.path, [(0, self.size)], self.stop, self.digest)
        except BaseException as exc:  # said by with_tail, in the importing thread
            self.failed = exc

    def with_tail(self, tail: bytes) -> str:
        self.thread.join()
        failed = self.failed
        if isinstance(failed, OSError) and not isinstance(failed, ShorterThanRead):
            raise WriteError("write_failed", path=display_path(self.path), reason=failed.strerror or str(failed))
        if failed is not None or self.stop.is_set():  # shorter than it was found, or cancelled
            raise WriteError("data_changed", path=display_path(self.path))
        digest = self.digest.copy()
        digest.update(tail)
        return digest.hexdigest()

    def cancel(self) -> None:
        """Stop, and wait until the file is closed (at most one block): a splice renames over it."""
        self.stop.set()
        self.thread.join()


def sha256_with_tail(path: Path, size: int, tail: bytes) -> str:
    """sha256 of the file's first `size` bytes followed by `tail`: a file after an append."""
    digest = hashlib.sha256()
    try:
        _hash_pieces(Path(path), [(0, size)], threading.Event(), digest)
    except ShorterThanRead:
        raise WriteError("data_changed", path=display_path(Path(path))) from None
    digest.update(tail)
    return digest.hexdigest()


def last_entry(folder: Path, ledger: str) -> dict[str, Any] | None:
    """The newest journal entry for one ledger (read from the end: only lines naming it are parsed)."""
    try:
        data = (folder / JOURNAL_NAME).read_bytes()
    except OSError:
        return None
    needle = b'"ledger":' + json.dumps(ledger, ensure_ascii=False).encode("utf-8")
    end = len(data)
    while end > 0:
        start = data.rfind(b"\n", 0, end - 1) + 1
        raw = data[start:end]
        end = start
        if needle in raw:
            entry = _journal_entry(raw.decode("utf-8", "replace"))
            if entry is not None and entry.get("ledger") == ledger:
                return entry
    return None


def verified_sha256(folder: Path, ledger: str, path: Path) -> str | None:
    """The ledger's sha256 when its size and mtime are the stamp its last journal entry gave it:
    it is then byte for byte what that import wrote (or read whole and checked). None means
    "read it whole": no entry, no stamp, or any other size or mtime (a hand edit, a copy)."""
    entry = last_entry(folder, ledger)
    if entry is None or not entry.get("after_stamp") or not entry.get("after_sha256"):
        return None
    if stamp_now(path) != list(entry["after_stamp"]):
        return None
    return str(entry["after_sha256"])


# A file's status-change time (ctime: no program can set it) within this of its mtime: nothing
# changed the file after the write that set that mtime (an import's stamp is set as its write
# ends). Generous: an 8 GB ledger's write and fsync on a slow disk.
STAMP_CTIME_SLACK_NS = 600 * 10**9


def vouched_sha256(folder: Path, ledger: str, path: Path) -> str | None:
    """verified_sha256, when no write may be under way or cut short beside the ledger (an append
    mark, a rollback copy) and nothing changed the file since its stamp was set (its ctime within
    STAMP_CTIME_SLACK_NS of that mtime: `touch -r`, `cp -p`, a restored copy all set the ctime to
    their own time): a stamped ledger's hash without reading it (docs/reliability.md, the stamp
    trade-off). None: only a read (committed_sha256) can say."""
    real = Path(_real(path))
    if append_mark(real).exists() or backup_path(real).exists():
        return None
    try:
        st = os.stat(real)
    except OSError:
        return None
    if abs(st.st_ctime_ns - st.st_mtime_ns) > STAMP_CTIME_SLACK_NS:
        return None
    return verified_sha256(folder, ledger, path)


# --- the data lock -------------------------------------------------------------------------


@contextmanager
def data_lock(folder: Path, timeout: float = 60.0, files: Iterable[Path] = ()) -> Iterator[None]:
    """Serialise writers of one data folder; fingerprint its files, and `files` wherever they
    are (the plan's ledgers: one may lie in a folder below the data folder, or outside it), for
    the writers' checks."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise PlanError("data_dir_not_folder", path=display_path(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(folder), reason=exc.strerror or str(exc)) from None
    real = _real(folder)
    with _HELD_GUARD:
        held = _HELD.get(real)
        if held is not None:  # re-entered by this process: one lock, one survey
            held.depth += 1
    if held is not None:
        _survey_files(held, files)
        try:
            yield
        finally:
            held.depth -= 1
        return
    lock_path = os.path.join(real, LOCK_NAME)
    fd, ident, release = _acquire(lock_path, folder, timeout)
    try:
        held = _Held(real, lock_path, fd, ident)
        _HELD[real] = held
        held.seen = _survey(real)
        _survey_files(held, files)
        yield
    finally:
        _HELD.pop(real, None)
        release()


def _acquire(lock_path: str, folder: Path, timeout: float):
    """(descriptor, (dev, ino), release) of the lock, held."""
    try:
        import fcntl
    except ImportError:  # Windows: filelock (a file open there cannot be deleted anyway)
        return _acquire_filelock(lock_path, folder, timeout)
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        held = _try_lock(fcntl, lock_path, folder)
        if held is not None:
            return held
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockTimeout("lock_timeout", path=display_path(folder), seconds=int(timeout))
        time.sleep(min(delay, left))
        delay = min(delay * 2, 0.1)


def _try_lock(fcntl, lock_path: str, folder: Path):
    """One try: the lock held on the file that is at the path, or None while another process
    holds it. A file locked after it was removed or replaced protects nothing: lock the one there."""
    while True:
        fd = _open_lock(lock_path, folder)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError as exc:
            os.close(fd)
            raise WriteError("write_failed", path=display_path(folder), reason=exc.strerror or str(exc)) from None
        mine = os.fstat(fd)
        ident = (mine.st_dev, mine.st_ino)
        if fingerprint_ident(lock_path) == ident:
            return fd, ident, _releaser(fcntl, fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _open_lock(lock_path: str, folder: Path) -> int:
    try:
        return os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(folder), reason=exc.strerror or str(exc)) from None


def fingerprint_ident(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file at the path now, None when there is none."""
    try:
        there = os.stat(path)
    except OSError:
        return None
    return (there.st_dev, there.st_ino)


def _releaser(fcntl, fd: int):
    def release() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    return release


def _acquire_filelock(lock_path: str, folder: Path, timeout: float):  # pragma: no cover - Windows
    from filelock import FileLock, Timeout

    lock = FileLock(lock_path, timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeout("lock_timeout", path=display_path(folder), seconds=int(timeout)) from None
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(folder), reason=exc.strerror or str(exc)) from None
    return None, None, lock.release


# --- the journal ---------------------------------------------------------------------------


def append_journal(folder: Path, entry: dict[str, Any]) -> None:
    """Append one entry and fsync: the journal is written before the ledger changes.

    A torn last line (an append cut short) is left as it is and the entry starts on a fresh
    line. Under the data lock, the journal must be the one that was there when the lock was
    taken: an entry appended by another writer meanwhile means the lock was broken."""
    data = (json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":")) + "\n").encode("utf-8")
    path = folder / JOURNAL_NAME
    held = _held_for(path)
    if held is not None:
        _check_lock(held)
        _check_unchanged(held, path)
    try:
        with open(path, "ab+") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    data = b"\n" + data
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(path), reason=exc.strerror or str(exc)) from None
    _note_written(path)


def read_journal(folder: Path) -> list[dict[str, Any]]:
    """Every readable entry, in order. A torn line is skipped; an entry glued to a torn line by
    an older ipdemo (no fresh line) is recovered."""
    path = folder / JOURNAL_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError:
        return []
    entries = []
    for raw in data.split(b"\n"):  # not splitlines: U+2028 inside a value is not a line end
        if raw.strip():
            entry = _journal_entry(raw.decode("utf-8", "replace"))
            if entry is not None:
                entries.append(entry)
    return entries


def _journal_entry(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
        return entry if isinstance(entry, dict) else None
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    text = line.rstrip()
    start = text.find('{"', 1)
    for _ in range(64):  # a torn prefix, then a whole entry: find where the entry starts
        if start < 0:
            return None
        try:
            entry, end = decoder.raw_decode(text, start)
        except ValueError:
            entry, end = None, -1
        if end == len(text) and isinstance(entry, dict):
            return entry
        start = text.find('{"', start + 1)
    return None


def landed(entries: list[dict[str, Any]], current: Any) -> list[dict[str, Any]]:
    """The entries whose ledger change landed: the ledger's next known hash (the next entry's
    `before_sha256` for that ledger, else `current(ledger)`, the file's hash now) is its
    `after_sha256`. An entry that changed nothing landed by definition. `current` returns
    False when the ledger cannot be checked (not in the plan): its entries are kept."""
    later: dict[str, Any] = {}
    kept = []
    for entry in reversed(entries):
        name = entry.get("ledger")
        before, after = entry.get("before_sha256"), entry.get("after_sha256")
        if name not in later:
            later[name] = current(name)
        nxt = later[name]
        if after is None or after == before or nxt is False or nxt == after:
            kept.append(entry)
        later[name] = before
    return kept[::-1]


# --- what --output must never replace ------------------------------------------------------


def protected_paths(plan) -> set[Path]:
    paths = {
        plan.source.resolve(),
        (plan.data_dir / JOURNAL_NAME).resolve(),
        (plan.data_dir / LOCK_NAME).resolve(),
        (plan.source.parent / SECRETS_NAME).resolve(),
    }
    paths |= {plan.ledger_path(name).resolve() for name in plan.ledgers}
    return paths


def refuse_protected(plan, output: Path) -> None:
    """--output must never overwrite a ledger, the journal, the lock, targets.yaml or the robots' secrets file."""
    if Path(output).resolve() in protected_paths(plan):
        raise UsageError("output_protected", path=display_path(Path(output)))


__all__ = [
    "LOCK_NAME",
    "JOURNAL_NAME",
    "SECRETS_NAME",
    "append_journal",
    "atomic_write_bytes",
    "data_lock",
    "landed",
    "protected_paths",
    "read_committed",
    "read_journal",
    "refuse_protected",
    "sha256_bytes",
]
