"""The rows an indicator counts hold no column that is one value repeated (engine/progress.py
`_same`): a flow's missing end days, a count's values and an unused key column are views of one
value, not 8 bytes a row each (~0.1 GB per million patent rows over the plan's indicators, the
largest part of a big report's memory after the read). The figures are those of real columns."""

from __future__ import annotations

import numpy as np
import pytest

from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import Facts, compute, make_window
from ipdemo.plan.model import load_plan

from .helpers import patent


def held_bytes(column: np.ndarray) -> int:
    """Bytes a column holds of its own (a broadcast view of one value: none)."""
    return 0 if column.strides == (0,) else column.nbytes


@pytest.fixture
def plan_with_patents(tmp_path):
    from .conftest import make_project

    rows = [patent(f"2021100{i:05d}", f"2021-{1 + i % 12:02d}-01", "2022-03-01" if i % 3 else "") for i in range(600)]
    return load_plan(make_project(tmp_path / "p", {"patents": rows}) / "targets.yaml")


def test_a_count_of_records_holds_only_its_days_and_towns(plan_with_patents):
    plan = plan_with_patents
    data = load_dataset(plan)
    facts = Facts(plan, data, plan.indicator("patent_applications"))
    held = {name: held_bytes(column) for name, column in facts.rows.items()}
    assert held["value"] == held["end"] == held["key"] == 0, held
    assert held["day"] > 0 and held["town"] > 0


def test_a_column_of_one_value_refuses_a_write(plan_with_patents):
    """Shared, so read-only: code that wrote into it would change every row at once."""
    plan = plan_with_patents
    facts = Facts(plan, load_dataset(plan), plan.indicator("patent_grants"))
    with pytest.raises(ValueError):
        facts.rows["value"][0] = 2.0


def test_the_figures_are_those_of_columns_held_row_by_row(plan_with_patents, monkeypatch):
    """Differential: the same report with every repeated value held row by row (the old way)."""
    from ipdemo.engine import progress

    plan = plan_with_patents
    window = make_window(plan, phase=2)
    expected_towns = [compute(plan, load_dataset(plan), window, town) for town in (None, "七都镇")]
    monkeypatch.setattr(progress, "_same", lambda count, value, dtype=np.float64: np.full(count, value, dtype=dtype))
    assert [compute(plan, load_dataset(plan), window, town) for town in (None, "七都镇")] == expected_towns


def test_day_numbers_are_held_in_half_the_bytes_and_exactly(tmp_path):
    """Dataset.days holds 32-bit floats (dataset.DAY_TYPE), and every date from 0001-01-01 to
    9999-12-31 keeps its exact day number in them (whole numbers below 2**24)."""
    from datetime import date

    from ipdemo.engine.dataset import DAY_TYPE

    from .conftest import make_project

    chosen = [date(2021, 6, 1), date(2023, 12, 31), date(1985, 4, 1), date(2000, 2, 29), date(2024, 2, 29)]
    rows = [patent(f"2021100{i:05d}", d.isoformat(), "") for i, d in enumerate(chosen)]
    plan = load_plan(make_project(tmp_path / "p", {"patents": rows}) / "targets.yaml")
    data = load_dataset(plan)
    days = data.days("patents", "filed_on")
    assert days.dtype == DAY_TYPE and days.itemsize == 4
    got = sorted(int(d) for d in days)
    assert got == sorted((d - date(1970, 1, 1)).days for d in chosen)
    extremes = np.array([(date(1, 1, 1) - date(1970, 1, 1)).days, (date(9999, 12, 31) - date(1970, 1, 1)).days])
    assert (extremes.astype(DAY_TYPE).astype(np.int64) == extremes).all()
