"""Issue 22.4: every targets.yaml value that YAML or Python cannot hold is a plan error.

For each hostile edit of the shipped plan: `validate` and `report` exit 1 with the problem's code,
its key path and its line, no traceback, and no file changed. Then hypothesis mutates the plan at
random (values of every wrong kind at any key, raw YAML that cannot be constructed) and runs
`validate` and `report` on each: exit 0 or 1, never an exception.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.errors import PlanError
from ipdemo.plan.model import load_plan

from .conftest import ROOT, VALID_ROWS, make_project, snapshot

SHIPPED = (ROOT / "targets.yaml").read_text(encoding="utf-8")
DEEP = "[" * 900 + "]" * 900

# (what, old text of the shipped plan, new text, code, key path named) — each gave a traceback or
# passed validate before the fix.
HOSTILE = [
    ("a day that does not exist", "  start: 2021-06-01\n", "  start: 2021-02-30\n", "plan_bad_date", "plan.start"),
    ("year 0", "  start: 2021-06-01\n", "  start: 0000-01-01\n", "plan_bad_date", "plan.start"),
    ("a month 13", "  start: 2021-06-01\n", "  start: 2021-13-01\n", "plan_bad_date", "plan.start"),
    (
        "a 5000-digit target",
        "    target: 30000\n",
        "    target: " + "9" * 5000 + "\n",
        "plan_bad_number",
        "indicators.0.target",
    ),
    ("an alias inside itself", "plan:\n", "x: &r [*r]\nplan:\n", "yaml_recursive", "x.0"),
    ("a mapping inside itself", "plan:\n", "x: &r {a: *r}\nplan:\n", "yaml_recursive", "x.a"),
    ("an infinite target", "    target: 30000\n", "    target: .inf\n", "plan_wrong_type", "indicators.0.target"),
    ("a target of 1e400", "    target: 30000\n", "    target: 1e400\n", "plan_wrong_type", "indicators.0.target"),
    ("a target of 1.0e+400", "    target: 30000\n", "    target: 1.0e+400\n", "plan_wrong_type", "indicators.0.target"),
    ("a NaN target", "    target: 30000\n", "    target: .nan\n", "plan_wrong_type", "indicators.0.target"),
    ("a target beyond 10^12", "    target: 30000\n", "    target: 1.0e+300\n", "plan_bound", "indicators.0.target"),
    ("a boolean target", "    target: 30000\n", "    target: yes\n", "plan_wrong_type", "indicators.0.target"),
    ("a boolean population", "  population: 1545023", "  population: true", "plan_wrong_type", "plan.population"),
    (
        "a population beyond 10^10",
        "  population: 1545023",
        "  population: " + "9" * 40,
        "plan_bound",
        "plan.population",
    ),
    (
        "stale_after_days of 10^11 days",
        "    stale_after_days: 14\n",
        "    stale_after_days: 100000000000\n",
        "plan_bound",
        "ledgers.patents.stale_after_days",
    ),
    (
        "a unit factor of 0",
        "  万元: {dimension: money, factor: 10000}",
        "  万元: {dimension: money, factor: 0}",
        "plan_bound",
        "units.万元.factor",
    ),
    (
        "a negative unit factor",
        "  万元: {dimension: money, factor: 10000}",
        "  万元: {dimension: money, factor: -1}",
        "plan_bound",
        "units.万元.factor",
    ),
    ("an on_track ratio of 5", "  on_track: 0.95", "  on_track: 5", "plan_bound", "status.on_track"),
    ("a negative phase id", "  - {id: 1, name: 宣传发动", "  - {id: -1, name: 宣传发动", "plan_bound", "phases.0.id"),
    ("a date in year 9999", "  start: 2021-06-01\n", "  start: 9999-12-31\n", "plan_date_range", "plan.start"),
    (
        "latest date beyond what pandas holds",
        "  latest: 2099-12-31\n",
        "  latest: 2999-01-01\n",
        "plan_date_range",
        "dates.latest",
    ),
    ("a plan ending before it starts", "  end: 2023-12-31\n", "  end: 2020-12-31\n", "plan_period_order", "plan"),
    ("nesting 900 deep", "plan:\n", f"x: {DEEP}\nplan:\n", "yaml_too_deep", None),
    (
        "a 30,000-character name",
        "  name: 吴江区",
        "  name: " + "长" * 30_000 + "吴江区",
        "plan_value_too_long",
        "plan.name",
    ),
    ("a list as a key", "plan:\n", "? [a, b]\n: 1\nplan:\n", "yaml_complex_key", "(top)"),
    (
        "U+FFFE in a name (a quoted escape)",
        "  name: 吴江区知识产权强省建设区域示范创建工作计划\n",
        '  name: "\\uFFFE吴江区知识产权强省建设区域示范创建工作计划"\n',
        "plan_bad_char",
        "plan.name",
    ),
    (
        "a control character in a town name",
        "  - name: 吴江开发区\n",
        '  - name: "吴江\\x01开发区"\n',
        "plan_bad_char",
        "towns.0.name",
    ),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("hostile") / "p", {k: [v] for k, v in VALID_ROWS.items()})


def hostile_project(tmp_path: Path, old: str, new: str) -> Path:
    root = make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})
    assert old in SHIPPED, old
    (root / "targets.yaml").write_text(SHIPPED.replace(old, new, 1), encoding="utf-8")
    return root


@pytest.mark.parametrize("what, old, new, code, where", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_plan_value_is_a_plan_error(tmp_path, invoke, what, old, new, code, where):
    root = hostile_project(tmp_path, old, new)
    with pytest.raises(PlanError) as info:
        load_plan(root / "targets.yaml")
    problem = next(p for p in info.value.problems if p.code == code)
    if where is not None:
        assert problem.params.get("where", problem.field) == where, problem
    # The line of the edit (or the next: an edit may insert a line); a finding about a whole
    # section (start after end) names the section's line.
    line = SHIPPED[: SHIPPED.index(old)].count("\n") + 1
    section = SHIPPED[: SHIPPED.find(f"\n{where}:") + 1].count("\n") + 1 if f"\n{where}:" in SHIPPED else None
    assert problem.line in (line, line + 1, section) or code == "yaml_too_deep", problem
    before = snapshot(root)
    for args in (["validate"], ["report"], ["report", "--format", "json"]):
        result = invoke(args, cwd=root)
        assert result.exit_code == 1, (args, result.stdout[-500:], result.stderr[-500:])
        out = result.stdout + result.stderr
        assert "Traceback" not in out and "targets.yaml" in out, (args, out[-500:])
        if where is not None:
            assert where in out, (args, out[-500:])
    assert snapshot(root) == before


def test_the_real_command_prints_no_traceback(tmp_path):
    """The console entry point, not only the in-process runner: the issue's own cases."""
    for old, new in [
        ("  start: 2021-06-01\n", "  start: 2021-02-30\n"),
        ("plan:\n", "x: &r [*r]\nplan:\n"),
        ("    target: 30000\n", "    target: .inf\n"),
        ("    target: 30000\n", "    target: " + "9" * 5000 + "\n"),
    ]:
        root = hostile_project(tmp_path / str(len(list(tmp_path.iterdir()))), old, new)
        for args in (["validate"], ["report"]):
            result = subprocess.run(
                [sys.executable, "-m", "ipdemo", *args], cwd=root, capture_output=True, text=True, timeout=120
            )
            assert result.returncode == 1, (new[:40], args, result.stderr[-800:])
            assert "Traceback" not in result.stderr and "targets.yaml:" in result.stdout + result.stderr


def test_a_plan_file_of_gigabytes_is_not_read(tmp_path):
    root = make_project(tmp_path / "p")
    with open(root / "targets.yaml", "ab") as fh:
        fh.write(b"# " + b"x" * 6_000_000 + b"\n")
    with pytest.raises(PlanError) as info:
        load_plan(root / "targets.yaml")
    assert info.value.code == "plan_too_big"


# --- fuzzing ------------------------------------------------------------------------------------

PLAN_DATA = yaml.safe_load(SHIPPED)
HOLE = "HOLEHOLEHOLE"


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, path + (i,))
    return out


PATHS = _paths(PLAN_DATA)
# Values of every kind a hand-edited plan may hold where something else is expected.
ODD_VALUES = st.one_of(
    st.sampled_from(
        [
            float("inf"),
            float("-inf"),
            float("nan"),
            -1,
            0,
            -0.5,
            True,
            False,
            None,
            10**30,
            -(10**30),
            1e308,
            5e-324,
            "",
            "x" * 25_000,
            [],
            {},
            [[[[1]]]],
            {"a": {"b": {"c": 1}}},
            date(1, 1, 1),
            date(9999, 12, 31),
            date(1900, 1, 1),
            "\ufffe",
            "吴江\x01",
            2.5,
            "2021-02-30",
            "1e400",
            {1: 2},
            {None: 1},
            {True: "x"},
            {2.5: 1},
            [None],
            10**18,
            "9" * 4000,
        ]
    ),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.dates(),
)
# Raw YAML that a Python value cannot be dumped as: constructions that fail, aliases, tags.
RAW = st.sampled_from(
    [
        "2021-02-30",
        "0000-01-01",
        "2021-13-45",
        "9" * 5000,
        "1e400",
        "-.inf",
        ".NaN",
        "&r [*r]",
        "!!python/object/apply:os.system ['true']",
        '"\\uFFFF"',
        '"\\x00"',
        DEEP[:200] + DEEP[-200:],
        "!!binary AAAA",
        "!!set {a, b}",
        "!!omap [a: 1]",
        "*nowhere",
        "{? [a]: 1}",
        "!!timestamp x",
        "!!int x",
        "!!float x",
        "<<: {a: 1}",
        "2021-06-01 25:61:00",
    ]
)


def _set(data: Any, path: tuple, value: Any) -> Any:
    """`data` with the value at `path` replaced (a path into a value replaced before: the value)."""
    if (
        not path
        or not isinstance(data, (dict, list))
        or (isinstance(data, list) and path[0] >= len(data))
        or (isinstance(data, dict) and path[0] not in data)
    ):
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: _set(data[head], rest, value)}
    copy = list(data)
    copy[head] = _set(copy[head], rest, value)
    return copy


@st.composite
def mutated_plans(draw) -> str:
    data = PLAN_DATA
    for _ in range(draw(st.integers(1, 3))):
        data = _set(data, draw(st.sampled_from(PATHS)), draw(ODD_VALUES))
    raw = draw(st.none() | RAW)
    if raw is not None:
        data = _set(data, draw(st.sampled_from(PATHS)), HOLE)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)
    return text.replace(HOLE, raw, 1) if raw is not None else text


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_plans())
def test_load_plan_never_raises_anything_but_a_plan_error(tmp_path_factory, text):
    path = tmp_path_factory.getbasetemp() / "fuzz-targets.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_plan(path)
    except PlanError as exc:
        assert exc.problems or exc.render("zh"), text[:200]
        for problem in exc.problems:
            problem.message("zh"), problem.message("en")


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=mutated_plans())
def test_validate_and_report_on_a_mutated_plan_exit_0_or_1(base, invoke, text):
    """`ipdemo validate` and `ipdemo report` on the mutated plan: an answer, never an exception
    (the runner lets exceptions through: one would fail this test with its traceback)."""
    (base / "targets.yaml").write_text(text, encoding="utf-8")
    for args in (["validate"], ["report", "--format", "json"]):
        result = invoke(args, cwd=base)
        assert result.exit_code in (0, 1), (args, result.exit_code, result.stderr[-500:])
        if result.exit_code == 1:
            assert result.stderr.strip() or result.stdout.strip(), args


@pytest.mark.parametrize(
    "value",
    [
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY0123456789",
        "'https://oapi.dingtalk.com/robot/send?access_token=SECRETKEY0123456789'",
        "see https://bot:SECRETKEY0123456789@example.invalid/x",
    ],
)
def test_a_webhook_pasted_as_a_plan_value_is_never_quoted_back(tmp_path, invoke, value):
    """A webhook pasted into targets.yaml by mistake (as a target) is a plan error that names the
    key path and shows the address by scheme and host only: its key reaches no output (the message
    used to quote the first 60 characters, which hold the first characters of a WeCom key)."""
    project = make_project(tmp_path / "p")
    (project / "targets.yaml").write_text(
        SHIPPED.replace("    target: 30000\n", f"    target: {value}\n", 1), encoding="utf-8"
    )
    result = invoke(["validate"], cwd=project)
    assert result.exit_code == 1
    output = result.stdout + result.stderr
    assert "indicators" in output and "target" in output
    assert "SECRET" not in output and "Traceback" not in output
