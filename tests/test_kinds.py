"""The table of indicator kinds (plan/kinds.py): one entry per Kind, read by every consumer, and an
unknown kind claims nothing."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path
from typing import get_args

import pytest

from ipdemo.engine.progress import IndicatorProgress, _figures_of
from ipdemo.plan.kinds import KINDS, UNKNOWN, Kind, KindSpec, kind_spec
from ipdemo.plan.model import Indicator

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "ipdemo"


def test_every_kind_has_exactly_one_entry_under_its_own_name():
    assert sorted(KINDS) == sorted(get_args(Kind))
    assert all(name == spec.name for name, spec in KINDS.items())


def test_the_model_accepts_exactly_the_kinds_of_the_table():
    annotation = Indicator.model_fields["kind"].annotation
    assert sorted(get_args(annotation)) == sorted(KINDS)


def test_every_kind_needs_keys_an_indicator_has():
    for spec in KINDS.values():
        assert spec.needs and set(spec.needs) <= set(Indicator.model_fields), spec.name


def test_an_unknown_kind_claims_nothing():
    spec = kind_spec("quarterly")
    assert spec is UNKNOWN
    claims = {f.name: getattr(spec, f.name) for f in fields(KindSpec) if f.name not in ("name", "needs")}
    assert not any(claims.values()), claims


def test_an_unknown_kind_is_never_counted_as_another_kind():
    with pytest.raises(ValueError):
        _figures_of(kind_spec("quarterly"))


def test_an_unknown_kind_is_drawn_shared_and_headlined_nowhere():
    item = IndicatorProgress("x", "x", "x", "quarterly", "件", "", target=10.0, actual=5.0, percent=50.0)
    assert item.spec is UNKNOWN
    assert not (item.spec.burns_up or item.spec.shares_by_area or item.spec.headline)


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("cumulative", {"shares_by_area": True, "burns_up": True, "headline": True, "level": False}),
        ("stock", {"shares_by_area": True, "burns_up": True, "headline": False, "level": True}),
        ("trend", {"shares_by_area": False, "burns_up": False, "level": True, "directional": True}),
        ("annual", {"shares_by_area": False, "burns_up": False, "yearly": True}),
        ("milestone", {"amount": False, "done_on_date": True, "burns_up": False}),
        ("range", {"bounded": True, "burns_up": False}),
    ],
)
def test_what_each_kind_is(kind, expected):
    spec = kind_spec(kind)
    assert {key: getattr(spec, key) for key in expected} == expected


def kind_name_comparisons(package: Path) -> list[str]:
    """`x.kind == "stock"`, `kind in ("trend", …)`: a comparison of a kind attribute with a kind name."""
    found = []
    names = set(KINDS)
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            consts = [c.value for s in sides for c in ast.walk(s) if isinstance(c, ast.Constant)]
            kind_attr = any(isinstance(s, ast.Attribute) and s.attr == "kind" for s in sides) or any(
                isinstance(s, ast.Subscript) and isinstance(s.slice, ast.Constant) and s.slice.value == "kind"
                for s in sides
            )
            if kind_attr and names & set(c for c in consts if isinstance(c, str)):
                found.append(f"{path.relative_to(package)}:{node.lineno}")
    return found


def test_no_consumer_compares_kind_names():
    assert kind_name_comparisons(PACKAGE) == []


def test_the_comparison_finder_can_fail(tmp_path):
    (tmp_path / "a.py").write_text(
        'if item.kind not in ("cumulative", "stock"):\n    pass\n'
        'rows = [r for r in rows if r["kind"] == "cumulative"]\n',
        encoding="utf-8",
    )
    assert kind_name_comparisons(tmp_path) == ["a.py:1", "a.py:3"]
