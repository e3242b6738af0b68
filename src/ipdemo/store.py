"""Safe writes: atomic replace, one lock for the data folder, an append-only journal.

- Atomic: write a temp file in the same folder, fsync it, rename over the target, fsync the
  folder. A crash at any moment leaves the old file or the new one, never a mix.
- Locked: filelock's OS lock (flock) on data/.ipdemo.lock. The OS drops it when the holder
  dies, so a killed import never blocks the next one; a live holder makes us wait, then time out
  with a clear message.
- Journal: data/journal.jsonl, one JSON object a line, appended and fsynced *before* the ledger
  is replaced. It records the source, its sha256, the ledger's sha256 before and after, counts,
  and every overwritten value (old → new). An entry whose `after` hash never became the ledger's
  hash is an import that did not land.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .errors import LockTimeout, UsageError, WriteError
from .ledger import display_path

LOCK_NAME = ".ipdemo.lock"
JOURNAL_NAME = "journal.jsonl"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; on failure raise WriteError and change nothing."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp_name, path.stat().st_mode & 0o7777)
        os.replace(tmp_name, path)
        tmp_name = None
        _fsync_dir(folder)
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(path), reason=exc.strerror or str(exc)) from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _fsync_dir(folder: Path) -> None:
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


@contextmanager
def data_lock(folder: Path, timeout: float = 60.0) -> Iterator[None]:
    """Serialise writers of one data folder."""
    from filelock import FileLock, Timeout

    try:
        lock = FileLock(str(folder / LOCK_NAME), timeout=timeout)
        with lock:
            yield
    except Timeout:
        raise LockTimeout("lock_timeout", path=display_path(folder), seconds=int(timeout)) from None
    except PermissionError as exc:
        raise WriteError("write_failed", path=display_path(folder), reason=exc.strerror or str(exc)) from None


def append_journal(folder: Path, entry: dict[str, Any]) -> None:
    """Append one entry and fsync: the journal is written before the ledger changes."""
    line = json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":")) + "\n"
    path = folder / JOURNAL_NAME
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise WriteError("write_failed", path=display_path(path), reason=exc.strerror or str(exc)) from None


def read_journal(folder: Path) -> list[dict[str, Any]]:
    path = folder / JOURNAL_NAME
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:  # a torn last line after a crash: skip it
                continue
    return entries


def protected_paths(plan) -> set[Path]:
    paths = {plan.source.resolve(), (plan.data_dir / JOURNAL_NAME).resolve()}
    paths |= {plan.ledger_path(name).resolve() for name in plan.ledgers}
    return paths


def refuse_protected(plan, output: Path) -> None:
    """--output must never overwrite a ledger, the journal or targets.yaml."""
    if Path(output).resolve() in protected_paths(plan):
        raise UsageError("output_protected", path=display_path(Path(output)))
