"""A weekly import against a big patents ledger, side by side with copying the ledger file.

    python benchmarks/bench_append.py [--rows 1000000 4000000] [--repeat 3] [--dir DIR [--keep]]

For each ledger size: the shipped plan's ledgers generated at that scale (ipdemo.sample), then
two exports of 2,000 rows — "mixed" (1,000 new, 1,000 stored patents now granted: the ledger
must be rewritten) and "new only" (2,000 new: appended) — each imported into a fresh copy of
the data folder, as the user types it (`ipdemo import FILE`, no --ledger), after the week
before's import (10 new rows, once per size: the generated ledger was never written by ipdemo,
so that one reads it whole; its figures are printed first). Printed per run: wall
time, `cp` of the ledger file (same disk, same run) and the ratio, bytes the import wrote
(`wchar` of /proc/PID/io) against the ledger's size, and the peak RSS of the import process
(os.wait4) per million ledger rows. Nothing is asserted: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BASE_PATENTS = 40_400  # patents at scale 1 (the shipped data)
EXPORT_HEADER = ["申请号", "发明名称", "申请人", "所属区镇", "专利类型", "申请日", "授权公告日"]

# The import runs in a child that reports its own written bytes when it exits.
# (ipdemo's main() ends the process with os._exit: the child runs the command itself.)
CHILD = """
import os, sys
sys.argv = ["ipdemo", *sys.argv[1:]]
from ipdemo.cli import _run
try:
    _run()
    code = 0
except SystemExit as exc:
    code = exc.code or 0
sys.stdout.flush()
with open("/proc/self/io") as fh:
    io = dict(line.split(": ") for line in fh.read().splitlines())
with open(os.environ["BENCH_IO"], "w") as out:
    out.write(io["wchar"].strip())
os._exit(code)
"""


def build(folder: Path, rows: int) -> None:
    """Runs in a child process, so the parent stays small (ru_maxrss is inherited across exec)."""
    import pandas as pd

    from ipdemo.checks.field_checks import cnipa_check_char
    from ipdemo.sample import generate, write

    frames = generate(scale=rows / BASE_PATENTS)
    write(frames, folder / "data")
    shutil.copy(ROOT / "targets.yaml", folder / "targets.yaml")
    patents = frames["patents"]
    exported = ["application_no", "title", "applicant", "town", "type", "filed_on", "granted_on"]
    waiting = patents[(patents["granted_on"] == "") & (patents["filed_on"] < "2023-06-01")]
    updates = waiting.sample(1000, random_state=1)[exported].assign(granted_on="2023-11-30")

    stored = set(patents["application_no"].str[:12])

    def new(first: int, count: int) -> pd.DataFrame:
        free = (f"20233{i:07d}" for i in range(first, 10_000_000) if f"20233{i:07d}" not in stored)
        bodies = pd.Series([next(free) for _ in range(count)], dtype="str")
        return pd.DataFrame(
            {
                "application_no": bodies + "." + pd.Series(cnipa_check_char(bodies, 12), dtype="str"),
                "title": "一种新型装置",
                "applicant": "吴江某某科技有限公司",
                "town": "平望镇",
                "type": "design",
                "filed_on": "2023-05-01",
                "granted_on": "",
            }
        )

    exports = {
        "last_week": new(8_000_000, 10),  # the import before: it leaves the ledger as ipdemo writes it
        "mixed": pd.concat([updates, new(9_000_000, 1000)]),
        "new_only": new(9_100_000, 2000),
    }
    for name, frame in exports.items():
        frame.columns = EXPORT_HEADER
        frame.to_csv(folder / f"{name}.csv", index=False, encoding="gbk")


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds — user and system —, peak RSS MB) of that very process. On a
    shared machine the CPU time is the fairer figure: a busy neighbour stretches wall time."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def one_size(tmp: Path, rows: int, repeat: int, keep: bool) -> None:
    base = tmp / f"base{rows}"
    started = time.perf_counter()
    if not (keep and base.exists()):
        subprocess.run([PY, __file__, "--build", str(base), "--rows", str(rows)], check=True)
    ledger = base / "data" / "patents.csv"
    size = ledger.stat().st_size
    stored = sum(1 for _ in open(ledger, "rb")) - 1
    print(f"{stored:,} patents ({size / 1e6:.0f} MB), built in {time.perf_counter() - started:.0f} s", flush=True)
    work, io_file = tmp / "work", tmp / "io.txt"
    env = {"BENCH_IO": str(io_file), "IPDEMO_NO_CACHE": "1", "NO_COLOR": "1"}
    command = [PY, "-c", CHILD, "import"]
    if not (base / "data" / "journal.jsonl").exists():
        # The week before: the generated ledger was never written by ipdemo, so this import reads
        # it whole (and stamps it). Copies keep the stamp: copytree keeps size and mtime.
        wall, cpu, rss = run([*command, "last_week.csv", "--lang", "en"], base, env)
        print(
            f"  first import (ledger read whole) {wall:6.2f} s (CPU {cpu:5.2f} s)   peak RSS {rss:6.0f} MB "
            f"({rss / (stored / 1e6):4.0f} MB per million rows)",
            flush=True,
        )
    for export in ("mixed", "new_only"):
        imports, copies, cpus, cp_cpus, written, peaks = [], [], [], [], [], []
        for _ in range(repeat):
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(base, work)
            copy, cp_cpu, _ = run(["cp", str(ledger), str(tmp / "copy.csv")], tmp)
            os.unlink(tmp / "copy.csv")
            wall, cpu, rss = run([*command, f"{export}.csv", "--lang", "en"], work, env)
            imports.append(wall)
            copies.append(copy)
            cpus.append(cpu)
            cp_cpus.append(cp_cpu)
            written.append(int(io_file.read_text()))
            peaks.append(rss)
        imp, cp = statistics.median(imports), statistics.median(copies)
        cpu, cp_cpu = statistics.median(cpus), statistics.median(cp_cpus)
        print(
            f"  {export:<9} import {imp:6.2f} s (CPU {cpu:5.2f} s)   cp {cp:5.2f} s (CPU {cp_cpu:4.2f} s)   "
            f"ratio {imp / cp:5.2f} (CPU {cpu / max(cp_cpu, 1e-3):5.2f})   "
            f"written {max(written) / 1e6:7.2f} MB ({max(written) / size:6.2%} of the ledger)   "
            f"peak RSS {max(peaks):6.0f} MB ({max(peaks) / (stored / 1e6):4.0f} MB per million rows)",
            flush=True,
        )
    shutil.rmtree(work, ignore_errors=True)
    if not keep:
        shutil.rmtree(base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="where to build (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data in --dir and reuse it")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build, args.rows[0])
        return
    import compileall

    import ipdemo

    compileall.compile_dir(str(Path(ipdemo.__file__).parent), quiet=1)
    if args.keep and args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        for rows in args.rows:
            one_size(args.dir, rows, args.repeat, keep=True)
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for rows in args.rows:
            one_size(Path(tmp), rows, args.repeat, keep=False)


if __name__ == "__main__":
    main()
