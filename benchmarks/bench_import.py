"""Import benchmark: a 100k-row GBK export (half updates, half new) into a 1M-row patents ledger.

    python benchmarks/bench_import.py [--stored 1000000] [--incoming 100000] [--repeat 3]

Prints median wall time per stage and in all, and peak RSS of the import process. Run on demand;
nothing here is asserted.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from ipdemo.checks.field_checks import cnipa_check_char

ROOT = Path(__file__).resolve().parent.parent


def build(folder: Path, stored: int, incoming: int) -> Path:
    shutil.copy(ROOT / "targets.yaml", folder / "targets.yaml")
    (folder / "data").mkdir()
    new = incoming // 2
    bodies = pd.Series([f"2022{2}{i:07d}" for i in range(stored + new)], dtype="str")
    numbers = bodies + "." + pd.Series(cnipa_check_char(bodies, 12), dtype="str")
    pd.DataFrame(
        {
            "application_no": numbers[:stored],
            "title": "一种光纤预制棒的制备方法",
            "applicant": "吴江某某光电科技有限公司",
            "town": "吴江开发区",
            "type": "utility_model",
            "filed_on": "2022-03-01",
            "granted_on": "",
        }
    ).to_csv(folder / "data" / "patents.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    ids = pd.concat([numbers[: incoming - new], numbers[stored:]])
    source = pd.DataFrame(
        {
            "申请号": "CN" + ids.str.replace(".", "", regex=False),
            "发明名称": "一种光纤预制棒的制备方法",
            "申请人": "吴江某某光电科技有限公司",
            "申请日": "2022/3/1",
            "专利类型": "实用新型",
            "授权公告日": "2022年12月1日",
            "所属区镇": "吴江经济技术开发区",
        }
    )
    path = folder / "export.csv"
    source.to_csv(path, index=False, encoding="gbk")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--incoming", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times, peaks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "template"
        base.mkdir()
        build(base, args.stored, args.incoming)
        for run in range(args.repeat):
            work = Path(tmp) / f"run{run}"
            shutil.copytree(base, work)
            start = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            proc = subprocess.run(
                [sys.executable, "-m", "ipdemo", "import", "export.csv", "--ledger", "patents", "--lang", "en"],
                cwd=work,
                capture_output=True,
                text=True,
            )
            times.append(time.perf_counter() - start)
            peaks.append(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
            if proc.returncode != 0:
                sys.exit(f"import failed: {proc.stderr[:2000]}")
            print(f"run {run + 1}: {times[-1]:.2f} s  {proc.stdout.strip()}")
            shutil.rmtree(work)
    print(
        f"import {args.incoming:,} rows into {args.stored:,}: median {statistics.median(times):.2f} s, "
        f"peak RSS {max(peaks) / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
