"""Start-up cost of the commands users run: each command on the shipped project, against importing
only the libraries that command loads (issue 26: the fixed cost of an import).

    python benchmarks/bench_startup.py [--runs 10]

For each command, the median wall time of --runs runs, three ways alternating within each run (the
same machine load for all three):

- ipdemo: the command, from a copy of ipdemo's sources compiled to bytecode (an installed ipdemo:
  pip compiles it at install, an editable checkout on its first run);
- no bytecode: the same command from a copy without bytecode and PYTHONDONTWRITEBYTECODE=1 (an
  editable checkout where Python may not write __pycache__ compiles every module it imports,
  on every run);
- libraries: `python -c` importing exactly the third-party modules that command loaded (found by
  running it once): the floor no change inside ipdemo goes under while it uses those libraries;
- + its modules: the same, and the ipdemo modules the command loaded (compiled), without running it.

ipdemo - libraries is ipdemo's own share; of it, "+ its modules" - libraries is importing ipdemo's
modules, and ipdemo - "+ its modules" the command's work (typer, the plan, the data). The
imports run on a copy of the project made before each run (they change it), against a CSV export
and the same rows as an xlsx workbook. Nothing is asserted; the machine is noisy (compare columns
within one run, not between runs). Record the figures in docs/scale.md ("Start-up cost").
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "fixtures" / "exports" / "coapplicants_20230301.csv"

# What the probe prints: the modules outside the standard library, in import order.
PROBE = """
import os, runpy, sys
def leave(code):
    raise SystemExit(code)
os._exit = leave  # cli.main ends the process itself; end it here instead, then list the modules
sys.argv = ["ipdemo", *sys.argv[1:]]
try:
    runpy.run_module("ipdemo", run_name="__main__")
except SystemExit:
    pass
std = sys.stdlib_module_names
names = [m for m in sys.modules if m.split(".")[0] not in std and not m.startswith("_") and m != "ipdemo.__main__"]
sys.__stderr__.write("MODULES " + " ".join(names) + "\\n")
"""
WAYS = ("ipdemo", "no bytecode", "libraries", "+ its modules")
FLOOR = """
import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def commands(work: Path) -> dict[str, list[str]]:
    csv = work / "export.csv"
    xlsx = work / "export.xlsx"
    return {
        "--help": ["--help"],
        "report --phase 2": ["report", "--phase", "2"],
        "report --format json": ["report", "--format", "json"],
        "validate": ["validate"],
        "summary": ["summary", "--week", "2023-W39"],
        "import CSV": ["import", str(csv)],
        "import xlsx": ["import", str(xlsx)],
    }


def exports(work: Path) -> None:
    """The CSV export (4 new patents), and the same cells as an xlsx workbook."""
    import csv

    from openpyxl import Workbook

    shutil.copy(EXPORT, work / "export.csv")
    book = Workbook()
    sheet = book.active
    with EXPORT.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            sheet.append(row)
    book.save(work / "export.xlsx")


def sources(work: Path) -> tuple[Path, Path]:
    """Two copies of ipdemo's sources: one compiled to bytecode, one without any."""
    compiled, bare = work / "compiled", work / "bare"
    for where in (compiled, bare):
        shutil.copytree(ROOT / "src" / "ipdemo", where / "ipdemo", ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(compiled, quiet=1)
    return compiled, bare


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def loaded(args: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    line = next(x for x in result.stderr.splitlines() if x.startswith("MODULES"))
    return line.split()[1:]


def where(args: list[str], project: Path, work: Path) -> Path:
    """The project, or for an import (it changes the data) a fresh copy of it."""
    if args[0] != "import":
        return project
    copy = work / "run"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(project, copy)
    return copy


def measure(args: list[str], project: Path, work: Path, envs: dict, runs: int) -> dict[str, tuple[float, float]]:
    """Median wall and median CPU of each way."""
    modules = loaded(args, where(args, project, work), envs["ipdemo"])
    libraries = [m for m in modules if m.split(".")[0] != "ipdemo"]
    times: dict[str, list[tuple[float, float]]] = {way: [] for way in WAYS}
    for _ in range(runs):
        for way in ("ipdemo", "no bytecode"):
            times[way].append(timed([sys.executable, "-m", "ipdemo", *args], where(args, project, work), envs[way]))
        times["libraries"].append(timed([sys.executable, "-c", FLOOR, *libraries], work, envs["ipdemo"]))
        times["+ its modules"].append(timed([sys.executable, "-c", FLOOR, *modules], work, envs["ipdemo"]))
    heavy = {m.split(".")[0] for m in libraries} & {"pandas", "pyarrow", "numpy", "pydantic", "rich", "matplotlib"}
    print(f"  loads: {' '.join(sorted(heavy))}", file=sys.stderr)
    return {way: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v)) for way, v in times.items()}


def project_in(work: Path) -> Path:
    """The shipped project (targets.yaml and data/), copied."""
    project = work / "project"
    project.mkdir()
    shutil.copy(ROOT / "targets.yaml", project / "targets.yaml")
    shutil.copytree(ROOT / "data", project / "data", ignore=shutil.ignore_patterns(".ipdemo*"))
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="ipdemo-startup-") as tmp:
        work = Path(tmp)
        project = project_in(work)
        exports(work)
        compiled, bare = sources(work)
        base = {**os.environ, "NO_COLOR": "1", "IPDEMO_CACHE_DIR": str(work / "cache")}
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        envs = {
            "ipdemo": {**base, "PYTHONPATH": str(compiled)},
            "no bytecode": {**base, "PYTHONPATH": str(bare), "PYTHONDONTWRITEBYTECODE": "1"},
        }
        timed([sys.executable, "-m", "ipdemo", "report"], project, envs["ipdemo"])  # warm the cache
        print(f"seconds, median of {runs} runs: wall / CPU (user + system)")
        print(f"{'command':22}" + "".join(f"{way:>16}" for way in WAYS))
        for name, args in commands(work).items():
            print(name, file=sys.stderr)
            m = measure(args, project, work, envs, runs)
            print(f"{name:22}" + "".join(f"{w:>9.3f} / {c:.2f}" for w, c in m.values()), flush=True)


if __name__ == "__main__":
    main()
