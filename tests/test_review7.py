"""Review of issue 26 round 7 (fresh eyes): the cache entry opened without truncating it, newlines
counted by numpy, indicators counted two at a time, OpenBLAS asked for one thread."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipdemo import cli
from ipdemo.engine import progress
from ipdemo.errors import PlanError

# What the command sets, why (cli.COMMAND_ENVIRONMENT), and the library that must not be loaded yet.
COMMAND_SETTINGS = [
    ("OPENBLAS_NUM_THREADS", "1", "numpy"),  # OpenBLAS's threads spin ~0.1 s of CPU at import
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0", "pyarrow"),  # a 1M-row cold report peaked ~50-70 MB lower
]
SETTINGS = tuple(name for name, _, _ in COMMAND_SETTINGS)


def _python(code: str, **env: str) -> str:
    """What `code` prints in a fresh interpreter, the command's settings unset unless given."""
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    done = subprocess.run(
        [sys.executable, "-c", code], env=base | env, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip()


def test_every_setting_of_the_command_is_tested_here():
    assert {name: value for name, value, _ in COMMAND_SETTINGS} == cli.COMMAND_ENVIRONMENT


def test_importing_ipdemo_as_a_library_leaves_the_process_environment_alone():
    """A program that uses ipdemo's engine keeps its own numpy's BLAS threads and allocator
    settings, and so do the processes it starts: only the `ipdemo` command sets them."""
    code = "import os, ipdemo.engine.progress; print([os.environ.get(name, 'unset') for name in %r])" % (SETTINGS,)
    assert _python(code) == str(["unset"] * len(SETTINGS))


@pytest.mark.parametrize("user_value", [None, "7"])
@pytest.mark.parametrize(("name", "value", "library"), COMMAND_SETTINGS)
def test_the_command_sets_what_its_libraries_read_before_loading_them_unless_the_user_did(
    name, value, library, user_value
):
    """The console command (cli.main, by way of cli._run, which the benchmarks' children call
    too) sets each before it imports the library that reads it (numpy's OpenBLAS; pyarrow's
    mimalloc reads its options as it loads: docs/scale.md, round 8); a value the user set is kept."""
    code = (
        "import os, sys\n"
        "from ipdemo import cli\n"
        f"cli.app = lambda: print(os.environ.get({name!r}), {library!r} in sys.modules)\n"
        "cli.main()\n"
    )
    env = {} if user_value is None else {name: user_value}
    assert _python(code, **env) == f"{user_value or value} False"


def test_a_plan_error_inside_an_indicator_reads_the_same_two_at_a_time(invoke, shipped, monkeypatch):
    """A failure while counting one indicator (here the 4th and the 6th fail) is the first one's
    message and exit code, no traceback, whether indicators are counted one or two at a time."""
    real = progress.indicator_progress
    failing = {ind.id: n for n, ind in enumerate(progress_plan(shipped).indicators) if n in (3, 5)}

    def fails(plan, facts, ind, window, town=None):
        if ind.id in failing:
            raise PlanError("plan_population", where=ind.id)
        return real(plan, facts, ind, window, town)

    monkeypatch.setattr(progress, "indicator_progress", fails)
    runs = {}
    for side in (10**12, 0):
        monkeypatch.setattr(progress, "SIDE_BY_SIDE_ROWS", side)
        result = invoke(["report", "--format", "json"], shipped)
        runs[side] = (result.exit_code, result.stdout, result.stderr)
    assert runs[0] == runs[10**12]
    code, out, err = runs[0]
    first, second = sorted(failing, key=failing.__getitem__)
    assert code == 1 and out == "" and "Traceback" not in err
    assert first in err and second not in err


def progress_plan(root):
    from ipdemo.plan.model import load_plan

    return load_plan(root / "targets.yaml")


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.sampled_from([b"\n", b"a", "号".encode()]), max_size=30).map(b"".join),
    start=st.integers(-40, 40),
    end=st.one_of(st.none(), st.integers(-40, 40)),
)
def test_newlines_takes_its_bounds_as_bytes_count_does(data, start, end):
    """records.newlines says it is `data.count(b"\\n", start, end)`: bounds from the end (negative)
    included, as a slice reads them. The callers pass none today; a count of a file's tail by a
    negative start would otherwise count the whole data (and a negative end nothing) in silence."""
    from ipdemo.data import records

    assert records.newlines(data, start, end) == data.count(b"\n", start, end)
    assert records.newlines(memoryview(data), start, end) == data.count(b"\n", start, end)


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(("plan", "area"), [("national_plan", "北京"), ("other_plan", "东城")])
def test_other_plans_read_the_same_two_indicators_at_a_time(invoke, tmp_path, monkeypatch, plan, area):
    """Beyond the shipped plan (tests/test_side_by_side.py): a national plan (statistics, areas
    without data) and another plan's stocks and densities give, in every text format, by area
    and for one area, what counting one indicator at a time gives."""
    root = tmp_path / plan
    shutil.copytree(FIXTURES / plan, root)
    runs = [
        ["report", "--format", "json"],
        ["report", "--by", "town", "--format", "html"],
        ["report", "--town", area, "--format", "markdown"],
        ["report", "--lang", "en", "--by", "year", "--format", "csv"],
        ["summary", "--format", "text"],
    ]
    seen = {}
    for side in (10**12, 0):
        monkeypatch.setattr(progress, "SIDE_BY_SIDE_ROWS", side)
        seen[side] = [(r.exit_code, r.stdout, r.stderr) for r in (invoke(args, root) for args in runs)]
    assert seen[0] == seen[10**12]
    assert all(code == 0 and out for code, out, _ in seen[0])
