"""One record, whatever the source calls it: records without their key, and one record arriving
from two sources under two keys (targets.yaml `identify`).

A district's pledge-loan sheet has no contract number (序号 only counts rows) but a 质押登记号;
the bank's statement has the contract number but no 质押登记号; both have the credit code, the
amount and the date. A sign-in sheet has no trainee id at all.

Rules, for a ledger with a one-field key and `identify: [[fields…], …]` (most reliable first):
- an incoming row without a key takes the key of the one stored record that matches it on the
  first field set both carry in full; with no match it gets a stable `auto-…` key computed from
  that field set (so importing the same sheet again finds the same record);
- an incoming row with a key the ledger does not hold, matching one stored record whose key is an
  `auto-…` placeholder, is that record: the placeholder is replaced by the real key (linked);
- a match on a record that has a different real key is not merged (two loans can be alike): it
  is left alone, and `validate` lists such pairs as probable duplicates;
- several stored records matching one row is ambiguous: nothing is guessed;
- rows of one import that resolve to the same placeholder are one record (a trainee who signed in
  on two days): the first row stands, later rows fill what it leaves empty.
Keys are hashed, never built from the values themselves: a trainee's name never becomes a key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ipdemo.plan.model import LedgerSpec

if TYPE_CHECKING:  # pandas only where import needs it: validate on clean data never loads it
    import pandas as pd

AUTO = "auto-"


@dataclass
class Rename:
    """A stored placeholder key replaced by the real key a source carries."""

    old: str
    new: str


@dataclass
class Linked:
    stored: pd.DataFrame  # the stored rows, placeholder keys replaced where linked
    incoming: pd.DataFrame  # the incoming rows, every key filled
    first: np.ndarray  # position in the input of each incoming row kept (folded rows dropped)
    renamed: list[Rename] = field(default_factory=list)
    recognised: int = 0  # incoming rows found to be a stored record under another identity
    folded: int = 0  # incoming rows that were the same record as an earlier row of the import


def applies(spec: LedgerSpec) -> bool:
    return bool(spec.identify) and len(spec.key) == 1


def auto_key(fields: list[str], values: tuple[str, ...]) -> str:
    text = "\x1f".join([*fields, *values])
    return AUTO + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _index(frame: pd.DataFrame, fields: list[str]) -> dict[tuple[str, ...], list[int]]:
    present = (frame[fields] != "").all(axis=1).to_numpy(dtype=bool)
    index: dict[tuple[str, ...], list[int]] = {}
    rows = np.flatnonzero(present)
    for position, values in zip(rows, zip(*(frame[f].to_numpy(dtype=object)[rows] for f in fields))):
        index.setdefault(tuple(values), []).append(int(position))
    return index


def _tuples(frame: pd.DataFrame, fields: list[str]) -> list[tuple[str, ...]]:
    return list(zip(*(frame[f].to_numpy(dtype=object) for f in fields)))


def link(spec: LedgerSpec, stored: pd.DataFrame, incoming: pd.DataFrame) -> Linked:
    """Fill missing keys and link placeholders (see the module docstring)."""
    import pandas as pd

    key = spec.key[0]
    stored = stored.copy()
    stored_keys = stored[key].to_numpy(dtype=object).copy()
    known = set(stored_keys.tolist())
    keys = incoming[key].to_numpy(dtype=object).copy()
    indexes = [_index(stored, fields) for fields in spec.identify]
    combos = [_tuples(incoming, fields) for fields in spec.identify]
    result = Linked(stored, incoming, np.arange(len(incoming)))
    for i in np.flatnonzero([k == "" or k not in known for k in keys]):
        hit = _match(indexes, [c[i] for c in combos])
        if hit is None:
            continue
        if keys[i] == "":
            keys[i] = stored_keys[hit]
            result.recognised += 1
        elif str(stored_keys[hit]).startswith(AUTO):
            result.renamed.append(Rename(stored_keys[hit], keys[i]))
            known.discard(stored_keys[hit])
            stored_keys[hit] = keys[i]
            known.add(keys[i])
            result.recognised += 1
    for i in np.flatnonzero(keys == ""):
        for fields, values in zip(spec.identify, (c[i] for c in combos)):
            if all(values):
                keys[i] = auto_key(fields, values)
                break
    stored[key] = pd.Series(stored_keys, dtype="str", index=stored.index)
    incoming = incoming.copy()
    incoming[key] = pd.Series(keys, dtype="str", index=incoming.index)
    result.stored = stored
    _fold_placeholders(result, incoming, key)
    return result


def _match(indexes: list[dict], values: list[tuple[str, ...]]) -> int | None:
    """The one stored row matching on the first field set the row carries in full."""
    for index, combo in zip(indexes, values):
        if not all(combo):
            continue
        rows = index.get(combo, [])
        return rows[0] if len(rows) == 1 else None  # none, or ambiguous: no guess
    return None


def _fold_placeholders(result: Linked, incoming: pd.DataFrame, key: str) -> None:
    import pandas as pd

    keys = incoming[key].to_numpy(dtype=object)
    repeated = (
        pd.Series(keys).str.startswith(AUTO).to_numpy(dtype=bool) & pd.Series(keys).duplicated(keep=False).to_numpy()
    )
    result.incoming = incoming.reset_index(drop=True)
    if not repeated.any():
        return
    values = {name: incoming[name].to_numpy(dtype=object).copy() for name in incoming.columns}
    first: dict[str, int] = {}
    keep = np.ones(len(keys), dtype=bool)
    for i in np.flatnonzero(repeated):
        j = first.setdefault(keys[i], int(i))
        if j == i:
            continue
        keep[i] = False
        for column in values.values():  # the first row stands; later rows fill its blanks
            if column[j] == "":
                column[j] = column[i]
    merged = pd.DataFrame(values).astype("str")
    result.incoming = merged[keep].reset_index(drop=True)
    result.first = np.flatnonzero(keep)
    result.folded = int((~keep).sum())


def probable_duplicates(spec: LedgerSpec, columns: dict[str, list[str]]) -> list[tuple[int, int, list[str]]]:
    """Rows (positions) that are one record by an identity field set under two keys: (first,
    other, the fields). `columns`: the ledger's values as lists, by field."""
    if not applies(spec):
        return []
    pairs: list[tuple[int, int, list[str]]] = []
    seen: set[int] = set()
    keys = columns.get(spec.key[0], [])
    for fields in spec.identify:
        if not all(f in columns for f in fields):
            continue
        first: dict[tuple[str, ...], int] = {}
        for row, values in enumerate(zip(*(columns[f] for f in fields))):
            if not all(values):
                continue
            j = first.setdefault(tuple(v.strip() for v in values), row)
            if j != row and row not in seen and keys[j] != keys[row]:
                pairs.append((j, row, fields))
                seen.add(row)
    return pairs
