"""Which rows of a cached ledger an import changed in place, from the journal: so the next report
checks those rows again (engine/dataset.py `_patched`) instead of the whole ledger.

A weekly import that updates records splices them (data/store.py): it rewrites their lines and
copies every other byte, and its journal entry names the content before and after (sha256) and
every changed value under its record's key. From a cache entry's content (its sha256) to the
ledger's content now, the journal gives a chain of such entries, each one's `before_sha256` the
previous one's `after_sha256`; the records they changed are found among the entry's rows by key.

Invariants (anything else gives None, and the ledger is checked whole):
- the chain links by hashes only, from the entry's content to the newest entry's `after_sha256`,
  through splices, appends and writes of nothing (a whole rewrite, an edit by hand between two
  imports — its hash is in no entry —, a torn entry all break it); the caller then proves the
  ledger's bytes are that last `after_sha256` by hashing them;
- the entry covers one record a line, with a newline after the last, and was read by the fast
  reader (no ragged row); the ledger has no `identify` (probable duplicates need every row);
- every changed key is found once among the entry's valid rows, or among the rows appended
  after them (checked again whole, with the tail: `later`), and none among the rows the entry
  left out (a repeated key makes both rows invalid: the whole check words it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipdemo.checks import identity
from ipdemo.data import arrays
from ipdemo.data.store import read_journal
from ipdemo.engine import cache
from ipdemo.plan.model import LedgerSpec, Plan

MAX_CHAIN = 64  # journal entries between an entry's content and the ledger's, at most
WRITES = ("splice", "append", "none")  # how an import may have written the ledger for a patch
SHOWN_SEP = "/"  # between the parts of a key as the journal writes it (ingest/importer.py `apply`)


@dataclass(frozen=True)
class Target:
    """The records to check again: in file order, their positions among the entry's valid rows,
    their record numbers (0: the first after the header) and keys (as the journal writes them)."""

    after: str  # the ledger's sha256 the journal's chain ends on
    positions: np.ndarray
    rows: np.ndarray
    keys: list[str]
    records: int  # the records the entry covers (valid and left out)
    later: frozenset[str] = frozenset()  # changed keys of rows appended after the entry: in the tail

    def lines(self) -> np.ndarray:
        """The lines to find in the ledger now: each changed record's, then the first line after
        the entry's records (where rows appended since begin)."""
        return np.append(self.rows + 2, self.records + 2).astype(np.int64)


def target(plan: Plan, name: str, old: cache.Entry, chain: Chain | None) -> Target | None:
    """The records imports changed since `old` was stored, when the journal says so (`chain`:
    journal_chain from the entry's content; module docstring); None when it does not, or
    nothing was spliced."""
    spec = plan.ledgers[name]
    records = old.rows.num_rows + len(old.invalid_lines)
    if identity.applies(spec) or not old.extendable or old.invalid_keys is None or old.covered.lines != records + 1:
        return None
    if chain is None or not chain.changed:
        return None
    after, changed = chain.after, chain.changed
    keys = shown_keys(spec, old.rows, strip=False)  # stored values are stripped already
    positions = np.flatnonzero(arrays.to_numpy(pc.is_in(keys, value_set=arrays.strings(sorted(changed)))))
    left_out = {k.replace(arrays.KEY_JOIN, SHOWN_SEP) for k in old.invalid_keys}
    if changed & left_out:
        return None
    valid = np.ones(records, dtype=bool)
    left = np.array(old.invalid_lines, dtype=np.int64) - 2
    if len(left) and (left.min() < 0 or left.max() >= records):
        return None
    valid[left] = False
    valid_lines = np.flatnonzero(valid) + 2
    if len(valid_lines) != old.rows.num_rows:
        return None
    found = keys.take(arrays.indices(positions)).to_pylist()
    if len(set(found)) != len(found):
        return None
    return Target(after, positions, valid_lines[positions] - 2, found, records, frozenset(changed - set(found)))


@dataclass(frozen=True)
class Chain:
    """How the journal links a content to the ledger's newest: that content's sha256, the keys
    changed on the way, and how each import on the way wrote (WRITES)."""

    after: str
    changed: set[str]
    writes: set[str]

    def appended_only(self) -> bool:
        """Every import on the way appended (or wrote nothing): the content it starts from is
        still the ledger's first bytes."""
        return self.writes <= {"append", "none"}


def journal_chain(folder: Path, name: str, start: str) -> Chain | None:
    """The journal's chain from `start` to the ledger's newest `after_sha256`; None when it does
    not link them, or they are the same."""
    entries = [e for e in read_journal(folder) if e.get("ledger") == name]
    if not entries or entries[-1].get("after_sha256") in (None, start):
        return None
    end = want = entries[-1]["after_sha256"]
    changed: set[str] = set()
    writes: set[str] = set()
    for entry in reversed(entries[-MAX_CHAIN:]):
        if entry.get("after_sha256") != want:
            continue  # an import that did not land: its hash never became the ledger's
        if entry.get("write") not in WRITES or not isinstance(entry.get("changes"), list):
            return None
        changed |= {str(c.get("key")) for c in entry["changes"] if isinstance(c, dict)}
        writes.add(str(entry["write"]))
        want = entry.get("before_sha256")
        if want == start:
            return Chain(str(end), changed, writes)
    return None


def shown_keys(spec: LedgerSpec, rows: pa.Table, strip: bool = True) -> pa.ChunkedArray:
    """Each row's key as the journal writes it (its parts joined by '/'), values stripped."""
    parts = [arrays.decoded(rows.column(k)) for k in spec.key]
    parts = [pc.utf8_trim_whitespace(p) for p in parts] if strip else parts
    if not rows.num_rows:
        return pa.chunked_array([], type=pa.string())
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, SHOWN_SEP)
    return joined if isinstance(joined, pa.ChunkedArray) else pa.chunked_array([joined])
