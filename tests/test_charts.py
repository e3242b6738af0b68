"""One chart module (render/charts.py): one figure model, two writers (SVG for HTML pages, PNG
for the Word report), one burn-up series. The writers draw the same indicators, the same series
and the same line to the target."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import by_town, compute, make_window
from ipdemo.engine.summary import burn_up
from ipdemo.plan.model import load_plan
from ipdemo.render import charts

OTHER = Path(__file__).parent / "fixtures" / "other_plan"  # stocks and flows, no annual target
AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    root = tmp_path_factory.mktemp("other")
    shutil.copytree(OTHER, root, dirs_exist_ok=True)
    plan = load_plan(root / "targets.yaml")
    data = load_dataset(plan, sorted({name for ind in plan.indicators for name in ind.ledgers}))
    return plan, data, compute(plan, data, make_window(plan, None, AS_OF))


def test_a_stock_burns_up_from_its_baseline_to_its_target_and_a_flow_from_zero(other):
    plan, data, progress = other
    model = {c.item.id: c for c in charts.burn_up_model(plan, data, progress)}
    stock, flow = model["high_tech_enterprises"], model["ip_applications"]
    assert stock.item.baseline and stock.line[1] == (stock.item.baseline, stock.item.target)
    assert flow.line[1] == (0, flow.item.target)
    ind = plan.indicator("high_tech_enterprises")
    assert stock.line[0] == (plan.plan.start - timedelta(days=1), ind.due or plan.plan.end)
    assert flow.line[0] == (plan.plan.start - timedelta(days=1), plan.plan.end)


def test_the_burn_up_series_is_the_engines_one(other):
    plan, data, progress = other
    for chart in charts.burn_up_model(plan, data, progress):
        assert (chart.days, chart.values) == burn_up(plan, data, chart.item.id, AS_OF)


def test_html_and_word_draw_the_same_burn_ups(other):
    plan, data, progress = other
    model = charts.burn_up_model(plan, data, progress)
    assert {c.item.spec.name for c in model} == {"stock", "cumulative"}
    svg_ids = [c["id"] for c in charts.burn_ups(plan, data, progress, "en")]
    assert svg_ids == [f"burnup-{c.item.id}" for c in model]
    png = charts.png_charts(plan, data, progress, by_town(plan, data, progress.window), "en", font=None)
    names = [c.item.name_en for c in model[: charts.WORD_BURN_UPS]]
    assert [t for t in png["burnup"].texts if t in names] == names


def test_html_and_word_share_out_the_same_volumes(other):
    plan, data, progress = other
    rows = by_town(plan, data, progress.window)
    model = charts.shares_model(plan, rows)
    assert model is not None and {plan.indicator(r["id"]).kind for r in model.rows} == {"stock", "cumulative"}
    assert not any(m.per_population for r in model.rows for m in plan.indicator(r["id"]).measures)
    legend = [r["name_en"] for r in model.rows]
    png = charts.png_charts(plan, data, progress, rows, "en", font=None)
    assert [t for t in png["towns"].texts if t in legend] == legend
    svg = charts.towns_chart(plan, data, progress, "en")
    assert svg is not None and [n for n in legend if re.search(re.escape(n), svg["svg"])] == legend


def test_before_the_plan_starts_there_is_no_burn_up(other):
    plan, data, _ = other
    before = compute(plan, data, make_window(plan, None, plan.plan.start - timedelta(days=1)))
    assert charts.burn_up_model(plan, data, before) == []
