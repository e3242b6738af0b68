"""A cache of checked ledgers, so a report does not parse and validate unchanged CSVs again.

Never stale by construction: the key is a hash of the ledger's *content* (sha256 of its bytes,
read every time), the ledger's schema and the town list from targets.yaml, the date bounds,
today's date (the 'date in the future' warning depends on it) and the ipdemo version. Anything
that could change the result changes the key. Entries are Arrow IPC files (valid rows) plus JSON
(problems, invalid lines), written atomically; a damaged entry is ignored and rebuilt.

Location: $IPDEMO_CACHE_DIR, else $XDG_CACHE_HOME/ipdemo, else ~/.cache/ipdemo.
IPDEMO_NO_CACHE=1 turns it off. A cache that cannot be written is silently skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

import pyarrow as pa

from . import __version__
from .errors import Problem
from .ledger import display_path
from .plan import Plan


# Bumped whenever what an entry holds changes meaning (2: Arrow tables, valid values stripped).
FORMAT = 2


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
        "version": __version__, "format": FORMAT, "today": date.today().isoformat(),
        "ledger": plan.ledgers[name].model_dump(mode="json"),
        "towns": [t.model_dump(mode="json") for t in plan.towns],
        "dates": plan.dates.model_dump(mode="json"),
        "display": display_path(path),  # cached problems name the file as the user sees it
    }
    prefix = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode())
    digest.update(hashlib.sha256(content).digest())
    return prefix, f"{prefix}-{digest.hexdigest()[:32]}"


def load(folder: Path, key: str) -> tuple[pa.Table, list[Problem], list[int]] | None:
    table_path, meta_path = folder / f"{key}.arrow", folder / f"{key}.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with pa.memory_map(str(table_path)) as source:
            table = pa.ipc.open_file(source).read_all()
    except (OSError, ValueError, pa.ArrowException):
        return None
    problems = [Problem(p["file"], p["line"], p["field"], p["code"], p["severity"], p["params"]) for p in meta["problems"]]
    return table, problems, meta["invalid_lines"]


def store(folder: Path, prefix: str, key: str, table: pa.Table, problems: list[Problem],
          invalid_lines: list[int]) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{prefix}-*"):  # one entry per ledger file: drop superseded ones
            old.unlink(missing_ok=True)
        tmp = folder / f".{key}.arrow.tmp"
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, folder / f"{key}.arrow")
        meta = {"problems": [{"file": p.file, "line": p.line, "field": p.field, "code": p.code,
                              "severity": p.severity, "params": p.params} for p in problems],
                "invalid_lines": invalid_lines}
        tmp = folder / f".{key}.json.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, folder / f"{key}.json")
    except (OSError, pa.ArrowException):
        return  # a cache is an optimisation: never an error
