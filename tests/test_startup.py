"""Start-up stays light: pandas (~0.2 s to import) is never loaded to report, validate or summarise
clean data.

pyarrow imports pandas by itself when it builds an array from Python or numpy objects, so this
guards every path a report on clean ledgers takes (data/arrays.py explains the workaround). Timings
are measured in benchmarks/, never here."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import os, runpy, sys

def leave(code):  # the command ends the process with os._exit (cli.main); end it here instead
    raise SystemExit(code)

os._exit = leave
sys.argv = ["ipdemo", *sys.argv[1:]]
try:
    runpy.run_module("ipdemo", run_name="__main__")
except SystemExit:
    pass
print("pandas loaded:", "pandas" in sys.modules, file=sys.stderr)
"""


def loads_pandas(args: list[str], cwd, env: dict) -> bool:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return result.stderr.strip().splitlines()[-1] == "pandas loaded: True"


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--phase", "2"],
        ["report", "--by", "town", "--format", "json"],
        ["validate"],
        ["--help"],
        ["summary", "--week", "2023-W39"],  # records per town and stale towns: Arrow and numpy
        ["summary", "--week", "2023-W39", "--format", "text"],
    ],
)
def test_clean_data_never_loads_pandas(shipped, tmp_path, args):
    for env in ({"IPDEMO_NO_CACHE": "1"}, {"IPDEMO_CACHE_DIR": str(tmp_path / "cache")}):
        assert not loads_pandas(args, shipped, env), (args, env)
    assert not loads_pandas(args, shipped, {"IPDEMO_CACHE_DIR": str(tmp_path / "cache")})  # warm now


def test_problems_still_load_pandas_to_word_them(tmp_path):
    """The probe can fail: a ledger with a bad row takes the pandas path (checks/rules.py)."""
    from .conftest import VALID_ROWS, make_project

    root = make_project(tmp_path / "p", {"patents": [{**VALID_ROWS["patents"], "filed_on": "2021-02-30"}]})
    assert loads_pandas(["validate"], root, {"IPDEMO_NO_CACHE": "1"})
