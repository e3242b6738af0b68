"""A cache of checked ledgers, so a report does not parse and validate unchanged CSVs again.

Never stale by construction: the key is a hash of the ledger's *content* (sha256 of its bytes,
read every time), the ledger's schema and the town list from targets.yaml, the date bounds,
today's date (the 'date in the future' error depends on it) and the ipdemo version. Anything
that could change the result changes the key. Entries are Arrow IPC files — the valid rows, and
the problems as columns (a million warnings cost a few column buffers, not a million JSON
objects, and are read only when someone asks for them) — plus a small JSON (invalid lines),
written atomically; a damaged entry is ignored and rebuilt. An
entry is never more readable than its ledger (personal data stays as private as the ledger).

Location: $IPDEMO_CACHE_DIR, else $XDG_CACHE_HOME/ipdemo, else ~/.cache/ipdemo.
IPDEMO_NO_CACHE=1 turns it off. A cache that cannot be written is silently skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from ipdemo import __version__
from ipdemo.data import arrays
from ipdemo.data.ledger import display_path
from ipdemo.errors import Problem
from ipdemo.i18n import MESSAGES
from ipdemo.plan.model import Plan

# Bumped whenever what an entry holds changes meaning (2: Arrow tables, valid values stripped;
# 3: problems as an Arrow table).
FORMAT = 3
PROBLEM_COLUMNS = ("file", "line", "field", "code", "severity", "params")


class StoredProblems:
    """A cache entry's problems, read from their Arrow file only when asked for."""

    def __init__(self, path: Path):
        self.path = path

    def _table(self) -> pa.Table:
        with pa.memory_map(str(self.path)) as source:
            return pa.ipc.open_file(source).read_all()

    def load(self, file_level: bool = False) -> list[Problem]:
        """Every problem, or (file_level) only those on no row or on the header line."""
        table = self._table()
        if file_level:
            table = table.filter(arrays.bools(arrays.to_numpy(table.column("line")) <= 1))
        columns = {name: table.column(name).to_pylist() for name in PROBLEM_COLUMNS}
        return [
            Problem(f, None if ln < 0 else ln, fd or None, c, sv, json.loads(pm) if pm else {})
            for f, ln, fd, c, sv, pm in zip(*(columns[n] for n in PROBLEM_COLUMNS), strict=True)
        ]


def problems_table(problems: list[Problem]) -> pa.Table:
    """Problems as columns (no line: -1; no field: ''); repeated texts dictionary-encoded.
    Built from buffers (arrays.py): building Arrow arrays from Python objects loads pandas."""

    def text(values: list) -> pa.Array:
        return arrays.strings(values).dictionary_encode()

    lines = np.array([-1 if p.line is None else p.line for p in problems], dtype=np.int64)
    return pa.table(
        {
            "file": text([p.file for p in problems]),
            "line": pa.Array.from_buffers(pa.int64(), len(lines), [None, pa.py_buffer(lines)]),
            "field": text([p.field or "" for p in problems]),
            "code": text([p.code for p in problems]),
            "severity": text([p.severity for p in problems]),
            "params": arrays.strings(
                [json.dumps(p.params, ensure_ascii=False, default=str) if p.params else "" for p in problems]
            ),
        }
    )


def cache_dir() -> Path | None:
    if os.environ.get("IPDEMO_NO_CACHE"):
        return None
    if os.environ.get("IPDEMO_CACHE_DIR"):
        return Path(os.environ["IPDEMO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ipdemo"


def entry_key(plan: Plan, name: str, path: Path, content: bytes) -> tuple[str, str]:
    """(prefix for this ledger file, full key for this content and schema)."""
    schema = {
        "version": __version__,
        "format": FORMAT,
        "today": date.today().isoformat(),
        "ledger": plan.ledgers[name].model_dump(mode="json"),
        "towns": [t.model_dump(mode="json") for t in plan.towns],
        "dates": plan.dates.model_dump(mode="json"),
        "display": display_path(path),  # cached problems name the file as the user sees it
    }
    prefix = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode())
    digest.update(hashlib.sha256(content).digest())
    return prefix, f"{prefix}-{digest.hexdigest()[:32]}"


@dataclass(frozen=True)
class Entry:
    """A cached ledger check: the valid rows, where the problems are, the lines left out."""

    rows: pa.Table
    problems: StoredProblems
    invalid_lines: list[int]


def load(folder: Path, key: str) -> Entry | None:
    """The entry for `key`, or None when it is absent or damaged in any way (unreadable, not
    Arrow, JSON that parses but lacks keys or has the wrong shapes, unknown problem codes): it
    is then rebuilt."""
    table_path, meta_path = folder / f"{key}.arrow", folder / f"{key}.json"
    problems_path = folder / f"{key}.problems.arrow"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with pa.memory_map(str(table_path)) as source:
            table = pa.ipc.open_file(source).read_all()
        invalid = [int(n) for n in meta["invalid_lines"]]
        with pa.memory_map(str(problems_path)) as source:
            found = pa.ipc.open_file(source).read_all()  # memory-mapped: columns, no Python objects
        if (
            tuple(found.schema.names) != PROBLEM_COLUMNS
            or type(meta["problems"]) is not int
            or meta["problems"] != found.num_rows
            or not _known(found)
        ):
            return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, pa.ArrowException):
        return None
    return Entry(table, StoredProblems(problems_path), invalid)


def _known(problems: pa.Table) -> bool:
    """Every code has a message and every severity is one of the two (else the entry is from
    something else: rebuild it)."""
    codes = set(problems.column("code").unique().to_pylist()) if problems.num_rows else set()
    severities = set(problems.column("severity").unique().to_pylist()) if problems.num_rows else set()
    return codes <= set(MESSAGES) and severities <= {"error", "warning"}


def store(
    folder: Path,
    prefix: str,
    key: str,
    table: pa.Table,
    problems: list[Problem],
    invalid_lines: list[int],
    source: Path | None = None,
) -> None:
    """Write an entry (atomically, file by file). Its files are never more readable than the
    ledger `source` they copy (a 0600 ledger gives 0600 entries); temp files are removed when
    anything fails."""
    temps: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mode = _entry_mode(source)
        for old in [*folder.glob(f"{prefix}-*"), *folder.glob(f".{prefix}-*.tmp")]:
            old.unlink(missing_ok=True)  # one entry per ledger file: drop superseded ones, and orphans
        tag = f"{os.getpid()}.{os.urandom(3).hex()}"
        for name, content in ((f"{key}.arrow", table), (f"{key}.problems.arrow", problems_table(problems))):
            tmp = folder / f".{name}.{tag}.tmp"
            temps.append(tmp)
            _create(tmp, mode, source)
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, content.schema) as writer:
                writer.write_table(content)
            os.replace(tmp, folder / name)
        meta = {"invalid_lines": invalid_lines, "problems": len(problems)}
        tmp = folder / f".{key}.{tag}.json.tmp"
        temps.append(tmp)
        _create(tmp, mode, source)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(meta, ensure_ascii=False, default=str))
        os.replace(tmp, folder / f"{key}.json")
    except (OSError, ValueError, pa.ArrowException):
        for tmp in temps:  # a cache is an optimisation: never an error, and never litter
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass


def _entry_mode(source: Path | None) -> int:
    """The ledger's read/write bits (never execute, never more than the ledger allows)."""
    if source is None:
        return 0o600
    try:
        return stat.S_IMODE(os.stat(source).st_mode) & 0o666 | 0o600
    except OSError:
        return 0o600


def _create(path: Path, mode: int, source: Path | None) -> None:
    """An empty file with at most `mode` (and the umask); group bits only when it has the
    ledger's group (else they would open it to another group)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        st = os.fstat(fd)
        if hasattr(os, "fchmod") and (source is None or st.st_gid != _gid(source)):
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & ~0o070)
    finally:
        os.close(fd)


def _gid(path: Path) -> int | None:
    try:
        return os.stat(path).st_gid
    except OSError:
        return None
