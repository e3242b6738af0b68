"""The ledgers a computation needs, read once, checked, invalid rows set aside."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import Problem
from .plan import Plan
from . import cache
from .validate import check_ledger_file


@dataclass
class Dataset:
    plan: Plan
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # valid rows only, text columns
    invalid: dict[str, list[int]] = field(default_factory=dict)  # ledger -> lines left out
    problems: list[Problem] = field(default_factory=list)

    _memo: dict = field(default_factory=dict, repr=False)

    def column(self, ledger: str, name: str) -> np.ndarray:
        """A ledger column as an object array ('' where the ledger lacks it), computed once."""
        key = ("text", ledger, name)
        if key not in self._memo:
            frame = self.frames.get(ledger)
            if frame is None:
                self._memo[key] = np.array([], dtype=object)
            elif name in frame.columns:
                self._memo[key] = frame[name].to_numpy(dtype=object)
            else:
                self._memo[key] = np.full(len(frame), "", dtype=object)
        return self._memo[key]

    def days(self, ledger: str, name: str) -> np.ndarray:
        """A date column as float day numbers since 1970 (NaN when empty), parsed once."""
        key = ("days", ledger, name)
        if key not in self._memo:
            frame = self.frames.get(ledger)
            if frame is None or name not in frame.columns:
                self._memo[key] = np.full(0 if frame is None else len(frame), np.nan)
            else:
                values = frame[name]
                parsed = pd.to_datetime(values.where(values != ""), format="%Y-%m-%d", errors="coerce")
                out = np.full(len(values), np.nan)
                ok = parsed.notna().to_numpy()
                out[ok] = parsed[ok].to_numpy().astype("datetime64[D]").astype(np.int64)
                self._memo[key] = out
        return self._memo[key]

    @property
    def invalid_count(self) -> int:
        return sum(len(v) for v in self.invalid.values())

    def where_invalid(self, limit: int = 3) -> str:
        """'data/patents.csv 第 12、40 行' style summary of the rows left out."""
        parts = []
        for name, lines in self.invalid.items():
            if lines:
                shown = ", ".join(str(n) for n in lines[:limit]) + (" …" if len(lines) > limit else "")
                parts.append(f"{self.plan.ledger_path(name).name}: {shown}")
        return "; ".join(parts)


def load_dataset(plan: Plan, ledgers: list[str] | None = None) -> Dataset:
    """Every (or the named) ledger, checked; from the cache when the content is unchanged."""
    names = ledgers if ledgers is not None else list(plan.ledgers)
    data = Dataset(plan)
    for name in names:
        frame, problems, invalid = checked_ledger(plan, name)
        data.frames[name], data.invalid[name] = frame, invalid
        data.problems += problems
    return data


def checked_ledger(plan: Plan, name: str) -> tuple[pd.DataFrame, list[Problem], list[int]]:
    """(valid rows, problems, lines of invalid rows) of one ledger."""
    path = plan.ledger_path(name)
    folder = cache.cache_dir()
    try:
        content = path.read_bytes()
    except OSError:
        content = None  # missing or unreadable: check_ledger_file reports it
    key = cache.entry_key(plan, name, path, content) if folder is not None and content is not None else None
    if key is not None:
        hit = cache.load(folder, key[1])
        if hit is not None:
            return hit
    check = check_ledger_file(plan, name, content)
    result = (check.valid_frame.reset_index(drop=True), check.problems,
              [int(n) for n in check.table.lines[check.invalid]])
    if key is not None:
        cache.store(folder, key[0], key[1], *result)
    return result
