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
- Never replace what was not read: when the lock is taken, every file in the data folder is
  fingerprinted (device, inode, size, mtime_ns, ctime_ns). A locked writer checks, before it
  appends to the journal and before it replaces a file, that the lock file is still the one it
  holds and that the file is still the one it read; if not (someone removed the lock file and
  another writer got in), it stops with a clear message and changes nothing.
- Journal: data/journal.jsonl, one JSON object a line, appended and fsynced *before* the ledger
  is replaced. It records the source, its sha256, the ledger's sha256 before and after, counts,
  and every overwritten value (old → new). An entry whose `after` hash never became the ledger's
  hash is an import that did not land. An append cut short (full disk, kill) leaves a torn last
  line: the next entry starts on a fresh line and readers skip the torn one.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ipdemo.data.capped import read_capped
from ipdemo.data.ledger import LEDGER_LIMITS, display_path
from ipdemo.errors import LockTimeout, PlanError, UsageError, WriteError

LOCK_NAME = ".ipdemo.lock"
JOURNAL_NAME = "journal.jsonl"
SECRETS_NAME = ".ipdemo-secrets.toml"  # the robots' webhooks and keys, beside targets.yaml (deliver/notify.py)
BACKUP_SUFFIX = ".ipdemo-backup"  # the rollback copy of a hard-linked file written in place
TEMP_SUFFIX = ".tmp"
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
    ledger is in the data folder even when its target is elsewhere)."""
    if not _HELD:
        return None
    folder = _real(os.path.dirname(os.path.abspath(path)))
    return _HELD.get(folder)


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
        if entry.name == LOCK_NAME or entry.name.endswith((TEMP_SUFFIX, BACKUP_SUFFIX)):
            continue
        real = _real(entry.path)
        _recover(Path(real))
        seen[real] = fingerprint(real)
    return seen


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
            fh.write(data)
            fh.flush()
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
    """A rollback copy beside a file means an in-place write was interrupted: restore it."""
    backup = backup_path(real)
    if not backup.exists():
        return
    try:
        _overwrite(real, backup.read_bytes())
        os.unlink(backup)
        fsync_dir(real.parent)
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
            return data
    return read_capped(real, LEDGER_LIMITS)


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


# --- the data lock -------------------------------------------------------------------------


@contextmanager
def data_lock(folder: Path, timeout: float = 60.0) -> Iterator[None]:
    """Serialise writers of one data folder; fingerprint its files for the writers' checks."""
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
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as exc:
            raise WriteError("write_failed", path=display_path(folder), reason=exc.strerror or str(exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            got = True
        except BlockingIOError:
            got = False
        except OSError as exc:
            os.close(fd)
            raise WriteError("write_failed", path=display_path(folder), reason=exc.strerror or str(exc)) from None
        if got:
            mine = os.fstat(fd)
            ident = (mine.st_dev, mine.st_ino)
            try:
                there = os.stat(lock_path)
                current = (there.st_dev, there.st_ino)
            except OSError:
                current = None
            if current == ident:

                def release(fd=fd) -> None:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_UN)
                    finally:
                        os.close(fd)

                return fd, ident, release
            # The file we locked was removed or replaced meanwhile: lock the one that is there.
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            continue
        os.close(fd)
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockTimeout("lock_timeout", path=display_path(folder), seconds=int(timeout))
        time.sleep(min(delay, left))
        delay = min(delay * 2, 0.1)


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
