"""Properties of the normalisers and the upsert, over generated inputs (hypothesis)."""

import re

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.checks import field_checks
from ipdemo.ingest import normalize
from ipdemo.ingest.importer import apply, merge
from ipdemo.plan.model import load_plan

from .conftest import ROOT

PLAN = load_plan(ROOT / "targets.yaml")
FIELDS = [(ledger, name, spec) for ledger, spec_ in PLAN.ledgers.items() for name, spec in spec_.fields.items()]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text shaped like real exports: digits, dates, Chinese, full-width and odd spaces.
messy = st.text(
    alphabet=st.sampled_from(list("0123456789-/.年月日CNZLX万元,， \u00a0\u3000\u200b盛泽发明２０Ａ第类")), max_size=24
)


@SETTINGS
@given(st.lists(messy, min_size=1, max_size=8), st.sampled_from(FIELDS))
def test_normalising_is_idempotent(values, field):
    _, _, spec = field
    once = normalize.normalise_field(PLAN, spec, pd.Series(values, dtype="str"))[0]
    twice = normalize.normalise_field(PLAN, spec, once)[0]
    assert twice.tolist() == once.tolist()


@SETTINGS
@given(st.lists(messy, min_size=1, max_size=8))
def test_dates_are_iso_or_left_for_validation(values):
    """A date comes out as YYYY-MM-DD, or as (a trimmed part of) what came in: never invented."""
    out, _ = field_checks.dates(pd.Series(values, dtype="str"))
    for raw, new in zip(values, out):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", new) or new in raw


SPEC = PLAN.ledgers["events"]
ORDER = list(SPEC.fields)
key_ids = st.lists(st.integers(0, 60), unique=True, max_size=25)


def frame(ids, tag: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": [f"E{i}" for i in ids],
            "kind": "publicity",
            "title": [f"{tag}{i}" for i in ids],
            "town": "平望镇",
            "held_on": "2022-01-01",
            "participants": "",
        },
        dtype="str",
    )


def upsert(stored: pd.DataFrame, incoming: pd.DataFrame) -> pd.DataFrame:
    merged, where = merge(stored, incoming, SPEC)
    table, _, _, _ = apply(stored, merged, where, SPEC, ORDER)
    return table


@SETTINGS
@given(key_ids, key_ids, key_ids)
def test_upsert_keeps_every_key_once_and_loses_nothing(stored_ids, a_ids, b_ids):
    stored = frame(stored_ids, "old")
    result = upsert(upsert(stored, frame(a_ids, "a")), frame(b_ids, "b"))
    keys = result["event_id"].tolist()
    assert len(keys) == len(set(keys))  # no key duplicated
    assert set(keys) == {f"E{i}" for i in set(stored_ids) | set(a_ids) | set(b_ids)}  # no row lost
    assert keys[: len(stored_ids)] == [f"E{i}" for i in stored_ids]  # stored rows keep their order


@SETTINGS
@given(
    key_ids,
    st.lists(st.integers(100, 160), unique=True, max_size=20),
    st.lists(st.integers(200, 260), unique=True, max_size=20),
)
def test_disjoint_imports_commute(stored_ids, a_ids, b_ids):
    stored = frame(stored_ids, "old")
    ab = upsert(upsert(stored, frame(a_ids, "a")), frame(b_ids, "b"))
    ba = upsert(upsert(stored, frame(b_ids, "b")), frame(a_ids, "a"))
    rows = lambda t: sorted(map(tuple, t[ORDER].to_numpy().tolist()))  # noqa: E731
    assert rows(ab) == rows(ba)


@SETTINGS
@given(key_ids, key_ids)
def test_importing_twice_changes_nothing(stored_ids, incoming_ids):
    once = upsert(frame(stored_ids, "old"), frame(incoming_ids, "new"))
    twice = upsert(once, frame(incoming_ids, "new"))
    assert twice.equals(once)


@SETTINGS
@given(key_ids)
def test_empty_values_never_blank(stored_ids):
    stored = frame(stored_ids, "old")
    blank = frame(stored_ids, "").assign(title="", kind="", town="", held_on="")
    assert upsert(stored, blank).equals(stored.reindex(columns=ORDER))
