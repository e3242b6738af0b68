"""XLSX reading benchmark: a 100k-row patents export (Chinese headers, date cells) read four ways,
and the whole `ipdemo import` of it into an empty data folder.

    python benchmarks/bench_xlsx.py [--rows 100000] [--repeat 3]

The workbook is written once with openpyxl (write_only) and cached under the temp folder. Prints
the median wall time of each reader side by side, then issue 26 item 4's comparison: python-calamine
reading the workbook in a child process against `ipdemo import` of it, with `--ledger patents` and
as a user types it (the ledger chosen from the columns), wall and CPU seconds (user + system: on a
shared machine the CPU ratio moves far less than the wall one). Run on demand; nothing here is
asserted, and no test depends on these timings (the machine is noisy: ±20% between runs).
`benchmarks/run.py` measures the same import A/B paired with the peer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

HEADER = ["申请号", "发明名称", "申请人", "所属区镇", "专利类型", "申请日", "授权公告日"]
TYPE_LABELS = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}


def workbook(rows: int) -> Path:
    """The cached export: sample patents as an export office would send them."""
    path = Path(tempfile.gettempdir()) / "ipdemo-bench" / f"patents-{rows}.xlsx"
    if path.exists():
        return path
    from openpyxl import Workbook

    from ipdemo import sample

    path.parent.mkdir(parents=True, exist_ok=True)
    frame = sample.generate(scale=rows / 40_000 + 0.1)["patents"].head(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("专利")
    sheet.append(HEADER)
    for r in frame.itertuples(index=False):
        sheet.append(
            [
                r.application_no,
                r.title,
                r.applicant,
                r.town,
                TYPE_LABELS[r.type],
                dt.date.fromisoformat(r.filed_on),
                dt.date.fromisoformat(r.granted_on) if r.granted_on else None,
            ]
        )
    partial = path.with_suffix(".partial")
    book.save(partial)
    partial.replace(path)
    return path


def median_time(action: Callable[[], object], repeat: int) -> float:
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def calamine_alone(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as book:
        return len(book.get_sheet_by_index(0).to_python())


def openpyxl_alone(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def pandas_calamine(path: Path) -> int:
    import pandas as pd

    return len(pd.read_excel(path, engine="calamine"))


def ipdemo_reader(path: Path, targets: Path) -> int:
    from ipdemo.ingest.incoming import header_score
    from ipdemo.ingest.sources import read_source
    from ipdemo.plan.model import load_plan

    source = read_source(path, header_score(load_plan(targets), "patents"))
    return len(source.frame)


def whole_import(path: Path, root: Path, repeat: int, ledger: bool) -> tuple[float, float, str]:
    """`ipdemo import` in a child process, each run into a freshly initialised data folder: the
    median wall and CPU seconds (user + system). `ledger`: with `--ledger patents`; without it the
    command a user types, the ledger chosen from the columns."""
    walls, cpus, out = [], [], ""
    for run in range(repeat):
        project = root / f"run{run}-{ledger}"
        subprocess.run([sys.executable, "-m", "ipdemo", "init", str(project)], check=True, capture_output=True)
        command = [sys.executable, "-m", "ipdemo", "import", str(path), "--targets", str(project / "targets.yaml")]
        command += ["--ledger", "patents"] if ledger else []
        wall, cpu, code, out = timed([*command, "--format", "json", "--lang", "en"], {"IPDEMO_NO_CACHE": "1"})
        walls.append(wall)
        cpus.append(cpu)
        if code not in (0, 1):
            sys.exit(f"import failed: {out[-2000:]}")
    return statistics.median(walls), statistics.median(cpus), out


def calamine_process(path: Path, repeat: int) -> tuple[float, float]:
    """python-calamine reading the workbook in a child process (the peer of issue 26 item 4):
    median wall and CPU seconds."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import bench_xlsx; bench_xlsx.calamine_alone(sys.argv[2])"
    runs = [timed([sys.executable, "-c", code, str(Path(__file__).parent), str(path)], {}) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds of the child, exit code, its stdout or else stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **env})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text = out.read().decode() or err.read().decode()
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = workbook(args.rows)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB, {args.rows:,} rows), median of {args.repeat}:", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([sys.executable, "-m", "ipdemo", "init", str(root / "plan")], check=True, capture_output=True)
        readers = {
            "python-calamine alone (to_python)": lambda: calamine_alone(path),
            "openpyxl read_only alone": lambda: openpyxl_alone(path),
            'pandas.read_excel(engine="calamine")': lambda: pandas_calamine(path),
            "ipdemo.ingest.sources.read_source": lambda: ipdemo_reader(path, root / "plan" / "targets.yaml"),
        }
        rows = []
        for label, action in readers.items():
            rows.append((label, median_time(action, args.repeat)))
            print(f"  {label:<40} {rows[-1][1]:7.2f} s", flush=True)
        peer_wall, peer_cpu = calamine_process(path, args.repeat)
        print(f"  {'python-calamine read (child process)':<40} {peer_wall:7.2f} s  cpu {peer_cpu:5.2f} s", flush=True)
        for ledger, label in ((True, "ipdemo import --ledger patents"), (False, "ipdemo import (ledger from columns)")):
            wall, cpu, out = whole_import(path, root, args.repeat, ledger)
            rows.append((label, wall))
            print(
                f"  {label:<40} {wall:7.2f} s  cpu {cpu:5.2f} s = {cpu / peer_cpu:4.2f}x calamine's"
                f" (wall {wall / peer_wall:4.2f}x)",
                flush=True,
            )
    print()
    print(f"| {'task':<40} | {'median s':>8} |")
    print(f"|{'-' * 42}|{'-' * 10}|")
    for label, seconds in rows:
        print(f"| {label:<40} | {seconds:8.2f} |")
    try:
        summary = json.loads(out)
        print(f"\nimport: added {summary.get('added')}, rejected {summary.get('rejected')}")
    except (json.JSONDecodeError, AttributeError):
        print(f"\nimport output: {out[:500]}")


if __name__ == "__main__":
    main()
