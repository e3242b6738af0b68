"""A small national-style plan for the goal tests (tests/test_goals.py, tests/test_pace.py): a
five-year plan (2021..2025) whose one ledger holds dated records with an amount, and indicators
written per test. Every figure the tests expect is computed by hand from the rows they write."""

from __future__ import annotations

from pathlib import Path

import yaml

from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import IndicatorProgress, compute, make_window
from ipdemo.plan.model import Plan, load_plan

HEAD = {
    "plan": {
        "id": "national-goals",
        "name": "某知识产权保护和运用规划",
        "start": "2021-01-01",
        "end": "2025-12-31",
        "area_word": "省",
        "whole_word": "全国",
    },
    "units": {"件": {"dimension": "count"}, "亿元": {"dimension": "money", "factor": 1}},
    "towns": [{"name": "甲省"}, {"name": "乙省"}],
    "ledgers": {
        "records": {
            "name": "登记",
            "key": ["record_id"],
            "fields": {
                "record_id": {"type": "id", "required": True},
                "town": {"type": "town"},
                "on": {"type": "date", "required": True},
                "amount": {"type": "decimal", "unit": "亿元"},
            },
        }
    },
}


def write_project(root: Path, indicators: list[dict], rows: list[tuple[str, float]], **top) -> Path:
    """targets.yaml with these indicators (and top-level keys), and data/records.csv with one
    record per (date, amount) in 甲省. Returns targets.yaml's path."""
    root.mkdir(parents=True, exist_ok=True)
    plan = {**HEAD, **top, "indicators": indicators}
    path = root / "targets.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    lines = ["record_id,town,on,amount"] + [f"R{n},甲省,{on},{amount}" for n, (on, amount) in enumerate(rows)]
    (root / "data" / "records.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def progress_of(path: Path, as_of: str, ident: str, town: str | None = None) -> IndicatorProgress:
    """One indicator's figures on `as_of` (YYYY-MM-DD)."""
    from datetime import date

    plan: Plan = load_plan(path)
    data = load_dataset(plan)
    assert data.problems == []
    window = make_window(plan, None, date.fromisoformat(as_of))
    return next(i for i in compute(plan, data, window, town).indicators if i.id == ident)
