"""Counting two indicators at a time (engine/progress.py `_each`) gives what counting one at a
time gives, and a column two indicators need at once is made once (Dataset._once)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ipdemo.engine import dataset, progress
from ipdemo.plan.model import load_plan


def _outputs(invoke, root) -> list[str]:
    runs = [
        ["report", "--phase", "2", "--format", "json"],
        ["report", "--by", "town", "--format", "json"],
        ["report", "--as-of", "2022-06-30", "--format", "json"],
        ["summary", "--as-of", "2023-09-30", "--format", "text"],
    ]
    out = []
    for args in runs:
        result = invoke(args, root)
        assert result.exit_code == 0, result.stderr
        out.append(result.stdout)
    return out


def test_two_indicators_at_a_time_give_what_one_at_a_time_gives(invoke, shipped, monkeypatch):
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    monkeypatch.setattr(progress, "SIDE_BY_SIDE_ROWS", 10**12)  # one at a time
    alone = _outputs(invoke, shipped)
    started: list[str] = []
    real = progress.indicator_progress

    def noted(plan, facts, ind, window, town=None):
        started.append(threading.current_thread().name)
        return real(plan, facts, ind, window, town)

    monkeypatch.setattr(progress, "SIDE_BY_SIDE_ROWS", 0)  # two at a time, whatever the size
    monkeypatch.setattr(progress, "indicator_progress", noted)
    together = _outputs(invoke, shipped)
    assert any(name != threading.current_thread().name for name in started)  # the pool did count
    assert [json.loads(t) for t in together[:3]] == [json.loads(a) for a in alone[:3]]
    assert together == alone  # the weekly summary's text too


def test_the_first_failure_is_raised_as_one_at_a_time(shipped, monkeypatch):
    plan = load_plan(shipped / "targets.yaml")
    data = dataset.load_dataset(plan)
    window = progress.make_window(plan, phase=2)
    failing = plan.indicators[3].id

    def fails(plan, facts, ind, window, town=None):
        if ind.id == failing:
            raise ValueError(ind.id)
        return real(plan, facts, ind, window, town)

    real = progress.indicator_progress
    monkeypatch.setattr(progress, "indicator_progress", fails)
    monkeypatch.setattr(progress, "SIDE_BY_SIDE_ROWS", 0)
    with pytest.raises(ValueError, match=failing):
        progress.compute(plan, data, window)


def test_a_column_two_threads_ask_for_together_is_made_once(shipped):
    plan = load_plan(shipped / "targets.yaml")
    data = dataset.Dataset(plan)
    made: list[int] = []

    def make() -> np.ndarray:
        made.append(1)
        time.sleep(0.05)  # the second thread asks while the first is making it
        return np.arange(3.0)

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda _: data._once(("days", "patents", "filed_on"), make), range(2)))
    assert made == [1]
    assert got[0] is got[1]
    assert not got[0].flags.writeable  # shared by every indicator that reads it


def test_two_indicators_sort_their_rows_at_the_same_time(shipped, monkeypatch):
    """Facts keep their sorted rows per object, not under functools.cached_property, whose
    Python 3.11 lock (one per property of the class) made the two threads sort one after the
    other: here each sort waits for the other to start, which a shared lock never lets happen."""
    plan = load_plan(shipped / "targets.yaml")
    data = dataset.load_dataset(plan)
    both = threading.Barrier(2, timeout=10)
    real = progress._day_order

    def meeting(days):
        both.wait()  # BrokenBarrierError after 10 s if the other thread cannot sort meanwhile
        return real(days)

    monkeypatch.setattr(progress, "_day_order", meeting)
    first, second = (progress.Facts(plan, data, plan.indicator(i)) for i in ("patent_applications", "patent_grants"))
    with ThreadPoolExecutor(2) as pool:
        orders = list(pool.map(lambda facts: facts._by_day, [first, second]))
    assert [len(o) for o in orders] == [len(first.rows["day"]), len(second.rows["day"])]
    assert first._by_day is orders[0]  # kept: asked again, not sorted again (the barrier would wait)
