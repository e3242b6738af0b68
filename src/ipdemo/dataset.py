"""The ledgers a computation needs, read once, checked, invalid rows set aside."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .errors import Problem
from .plan import Plan
from .validate import check_ledger_file


@dataclass
class Dataset:
    plan: Plan
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # valid rows only, text columns
    invalid: dict[str, list[int]] = field(default_factory=dict)  # ledger -> lines left out
    problems: list[Problem] = field(default_factory=list)

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
    names = ledgers if ledgers is not None else list(plan.ledgers)
    data = Dataset(plan)
    for name in names:
        check = check_ledger_file(plan, name)
        data.frames[name] = check.valid_frame.reset_index(drop=True)
        data.invalid[name] = [int(n) for n in check.table.lines[check.invalid]]
        data.problems += check.problems
    return data
