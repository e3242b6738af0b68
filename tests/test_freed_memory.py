"""The console command keeps the memory it frees for its next arrays (cli._keep_freed_memory):
an array as big as a 4M-row column, freed and made again, is not faulted in a second time."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import resource, sys
import numpy as np
from ipdemo import cli
if sys.argv[1] == "keep":
    cli._keep_freed_memory()
column = np.ones(5_000_000)  # 40 MB: a float column of 5M rows, above glibc's largest dynamic mmap threshold
del column
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
again = np.ones(5_000_000)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_freed_column_is_reused_not_faulted_in_again():
    default, kept = _faults("default"), _faults("keep")
    assert kept < default  # by default glibc unmapped it: the kernel faults and zeroes it again
    assert kept < 20  # 40 MB is ~10,000 pages (20 huge ones): none of them faulted again


def test_the_command_asks_for_it_before_it_runs(monkeypatch):
    from ipdemo import cli

    order: list[str] = []
    monkeypatch.setattr(cli, "_keep_freed_memory", lambda: order.append("keep"))
    monkeypatch.setattr(cli, "_run", lambda: order.append("run"))
    monkeypatch.setattr(cli.os, "_exit", lambda code: order.append(f"exit {code}"))
    cli.main()
    assert order == ["keep", "run", "exit 0"]
