"""A cache entry stores the columns whose field type repeats (dates, towns, kinds, classes:
FieldType.repeats) dictionary-encoded, whatever its first rows look like (issue 26, round 6).

The first rows are a poor sample of a date column: a ledger sorted by its filing date shows a
few filing dates there and hundreds of grant dates. Stored plain, a warm report at 4M rows parsed
8M date strings again (1.5 CPU s); encoded, each distinct date once (0.65 s), the same figures.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.engine import cache
from ipdemo.plan.model import load_plan

from .conftest import make_project
from .helpers import patent


def ledger_rows(n: int) -> list[dict[str, str]]:
    """Sorted by filing date (one a day over ~14 days), each granted on a different day."""
    start = date(2021, 6, 1)
    return [
        patent(
            f"20211{i:07d}",
            (start + timedelta(days=i // 400)).isoformat(),
            (start + timedelta(days=200 + i % 900)).isoformat(),
        )
        for i in range(n)
    ]


def report(invoke, root, monkeypatch, cached: bool) -> dict:
    with monkeypatch.context() as context:
        if not cached:
            context.setenv("IPDEMO_NO_CACHE", "1")
        result = invoke(["report", "--format", "json"], cwd=root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_dates_towns_and_kinds_are_stored_encoded_and_reports_are_unchanged(invoke, tmp_path, monkeypatch):
    root = make_project(tmp_path / "p", {"patents": ledger_rows(5000)})
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(tmp_path / "cache"))
    expected = report(invoke, root, monkeypatch, cached=False)
    assert report(invoke, root, monkeypatch, cached=True) == expected  # cold: the entry written
    plan = load_plan(root / "targets.yaml")
    where = cache.slot(tmp_path / "cache", plan, "patents", plan.ledger_path("patents"))
    entry = cache.load(where)
    assert entry is not None and entry.rows.num_rows == 5000
    types = {f.name: f.type for f in entry.rows.schema}
    for name in ("filed_on", "granted_on", "town", "type"):
        assert pa.types.is_dictionary(types[name]), name
    assert not pa.types.is_dictionary(types["application_no"])  # unique: plain
    assert report(invoke, root, monkeypatch, cached=True) == expected  # warm


def test_a_type_the_table_does_not_know_is_not_taken_as_repeating(tmp_path):
    plan = load_plan(make_project(tmp_path / "p") / "targets.yaml")
    where = cache.slot(tmp_path, plan, "patents", plan.ledger_path("patents"))
    assert {"filed_on", "granted_on", "town", "type"} <= where.repeating
    assert not where.repeating & {"application_no", "title", "applicant"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.lists(st.sampled_from(["invention", "design", "utility_model", "", "发明"]), max_size=30), max_size=5),
    st.lists(st.sampled_from(["invention", "design", "", "发明", "x"]), max_size=3),
    st.booleans(),
)
def test_a_condition_on_an_encoded_column_holds_where_it_holds_on_its_text(tmp_path_factory, chunks, allowed, encode):
    """Dataset.holds tests each distinct value of a dictionary-encoded column (chunks with
    dictionaries of their own, as a patched entry's) once: the rows are those is_in finds in
    the column's text."""
    from ipdemo.engine.dataset import Dataset

    plan = load_plan(make_project(tmp_path_factory.mktemp("p")) / "targets.yaml")
    parts = [pa.array(chunk, type=pa.string()) for chunk in chunks]
    column = pa.chunked_array(
        [p.dictionary_encode() if encode else p for p in parts], type=None if parts else pa.string()
    )
    data = Dataset(plan)
    data.tables["patents"] = pa.table({"type": column})
    text = pa.chunked_array(parts, type=pa.string())
    expected = pc.is_in(text, value_set=pa.array(allowed, type=pa.string())).to_numpy(zero_copy_only=False)
    assert data.holds("patents", "type", allowed).tolist() == expected.tolist()
    assert data.holds("patents", "town", allowed).tolist() == [("" in allowed)] * len(text)
