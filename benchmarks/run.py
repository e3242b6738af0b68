"""ipdemo side by side with what a user would otherwise pick, on the same data, in one run.

    pip install duckdb frictionless          # the peers (not ipdemo dependencies)
    python benchmarks/run.py [--rows 1000000] [--repeat 3] [--frictionless-rows N]

Generates N patent rows (plus proportional trademarks and software copyrights, and the small
ledgers) with valid identifiers, then prints, for each task, the median wall time over --repeat
runs and the peak RSS of the process, and the ratio ipdemo / peer:

- validate                 vs frictionless validate (same size subset, equivalent schema)
- report --phase 2 (json)  vs DuckDB SQL over the same CSVs, and a plain pandas script
- report --by town         vs DuckDB GROUP BY town over the patents ledger, and vs DuckDB computing
                           every figure that report prints (all ledgers, district and towns)
- import 100k rows (half updates, half new) into the N-row ledger
- the same two reports on a second shape: the N-row patents ledger among the other ledgers as
  shipped, against DuckDB on that folder; and `ipdemo --help` against `python -c "import pandas"`

ipdemo runs cold (IPDEMO_NO_CACHE=1) for a fair comparison; the warm-cache report is shown too.
Nothing is asserted: figures depend on the machine. Record them in README / docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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

DUCKDB_REPORT = """
import duckdb, json, sys
d = sys.argv[1]
csv = lambda n: f"read_csv('{d}/{n}.csv', all_varchar=true, header=true)"
q = f'''
with p as (select * from {csv('patents')}),
     e as (select * from {csv('enterprise_programs')}),
     l as (select * from {csv('pledge_loans')})
select
 (select count(*) from p where filed_on between '2021-06-01' and '2023-09-30') as applications,
 (select count(*) from p where granted_on between '2021-06-01' and '2023-09-30') as grants,
 (select count(*) from {csv('software_copyrights')} where registered_on between '2021-06-01' and '2023-09-30') as software,
 (select count(*) from {csv('trademarks')} where filed_on between '2021-06-01' and '2023-09-30') as trademarks,
 (select count(distinct credit_code) from e where program = 'standardization' and started_on between '2021-06-01' and '2023-09-30') as std,
 (select sum(cast(amount as double)) / 10000 from l where issued_on between '2021-06-01' and '2023-09-30') as loans,
 (select count(*) from p where type = 'invention' and granted_on <> '' and granted_on <= '2023-09-30') as inventions
'''
print(json.dumps(duckdb.sql(q).fetchall(), default=str))
"""

DUCKDB_BY_TOWN = """
import duckdb, json, sys
d = sys.argv[1]
q = f'''
select town, count(*) filter (where filed_on between '2021-06-01' and '2023-12-31'),
       count(*) filter (where granted_on between '2021-06-01' and '2023-12-31')
from read_csv('{d}/patents.csv', all_varchar=true, header=true) group by town order by town
'''
print(json.dumps(duckdb.sql(q).fetchall()))
"""

# What `report --by town --format json` prints, as SQL over the same CSVs: for the district and
# each town (grouping sets), every indicator's figure up to the plan end: flows from the plan
# start, annual targets year by year, milestones as their first date, distinct counts as such,
# the invention stock at each year end; and it reads the two ledgers the report reads besides
# (task progress, the enterprise register). The narrow query above reads the patents ledger only.
DUCKDB_BY_TOWN_SAME = """
import duckdb, json, sys
d = sys.argv[1]
csv = lambda n: f"read_csv('{d}/{n}.csv', all_varchar=true, header=true)"
s, e = "'2021-06-01'", "'2023-12-31'"
inside = lambda c: f"{c} between {s} and {e}"
sets = "group by grouping sets ((town), ())"
ended = "legal_status in ('ended', 'lapsed', 'expired', 'abandoned', 'invalidated')"
stock = lambda on: (f"count(*) filter (where type = 'invention' and granted_on <= '{on}'"
                    f" and not ({ended} and coalesce(status_on, '9999-12-31') <= '{on}'))")
years = "group by grouping sets ((town, substr(held_on, 1, 4)), (substr(held_on, 1, 4)))"
q = f'''
select 'patents', town, count(*) filter (where {inside('filed_on')}), count(*) filter (where {inside('granted_on')}),
       {stock('2021-05-31')}, {stock('2021-12-31')}, {stock('2022-12-31')}, {stock('2023-12-31')}
  from {csv('patents')} {sets}
union all select 'software', town, count(*) filter (where {inside('registered_on')}), null, null, null, null, null
  from {csv('software_copyrights')} {sets}
union all select 'trademarks', town, count(*) filter (where {inside('filed_on')}), null, null, null, null, null
  from {csv('trademarks')} {sets}
union all select 'programs', town,
       count(distinct credit_code) filter (where program = 'standardization' and {inside('started_on')}),
       count(distinct credit_code) filter (where program = 'strategy_plan' and {inside('started_on')}),
       count(*) filter (where program = 'patent_database' and {inside('started_on')}), null, null, null
  from {csv('enterprise_programs')} {sets}
union all select 'loans', town, sum(cast(amount as double)) filter (where {inside('issued_on')}) / 10000,
       null, null, null, null, null from {csv('pledge_loans')} {sets}
union all select 'projects', town, count(*) filter (where {inside('approved_on')}), null, null, null, null, null
  from {csv('industrialization_projects')} {sets}
union all select 'plaza ' || coalesce(substr(held_on, 1, 4), ''), town,
       count(*) filter (where kind = 'plaza_promotion' and {inside('held_on')}), null, null, null, null, null
  from {csv('events')} {years}
union all select 'insurance ' || coalesce(substr(issued_on, 1, 4), ''), town,
       count(*) filter (where {inside('issued_on')}), null, null, null, null, null
  from {csv('insurance_policies')} {years.replace('held_on', 'issued_on')}
union all select 'trainees', town, count(distinct trainee_id) filter (where {inside('trained_on')}),
       null, null, null, null, null from {csv('trainees')} {sets}
union all select 'outputs ' || kind || ' ' || coalesce(level, ''), town, count(*) filter (where {inside('achieved_on')}),
       min(achieved_on) filter (where achieved_on <= {e}), null, null, null, null
  from {csv('outputs')} group by grouping sets ((town, kind, level), (kind, level))
union all select 'tasks', null, count(*), count(distinct task), max(reported_on), null, null, null
  from {csv('task_progress')}
union all select 'register', null, count(*), null, null, null, null, null from {csv('organisations')}
order by 1, 2
'''
print(json.dumps(duckdb.sql(q).fetchall(), default=str))
"""

PANDAS_REPORT = """
import json, sys, pandas as pd
d = sys.argv[1]
read = lambda n, cols: pd.read_csv(f"{d}/{n}.csv", usecols=cols, dtype=str, keep_default_na=False, engine="pyarrow")
p = read("patents", ["filed_on", "granted_on", "type"])
inside = lambda s: s.between("2021-06-01", "2023-09-30")
out = {"applications": int(inside(p.filed_on).sum()), "grants": int(inside(p.granted_on).sum()),
       "software": int(inside(read("software_copyrights", ["registered_on"]).registered_on).sum()),
       "trademarks": int(inside(read("trademarks", ["filed_on"]).filed_on).sum())}
e = read("enterprise_programs", ["credit_code", "program", "started_on"])
out["std"] = int(e[(e.program == "standardization") & inside(e.started_on)].credit_code.nunique())
l = read("pledge_loans", ["amount", "issued_on"])
out["loans"] = float(l[inside(l.issued_on)].amount.astype(float).sum() / 10000)
print(json.dumps(out))
"""

FRICTIONLESS_SCHEMA = {
    "fields": [
        {
            "name": "application_no",
            "type": "string",
            "constraints": {
                "required": True,
                "unique": True,
                "pattern": r"(\d{4}[12389]\d{7}|\d{2}[123]\d{5})\.[0-9X]",
            },
        },
        {"name": "title", "type": "string", "constraints": {"required": True}},
        {"name": "applicant", "type": "string", "constraints": {"required": True}},
        {
            "name": "town",
            "type": "string",
            "constraints": {
                "required": True,
                "enum": [
                    "吴江开发区",
                    "汾湖高新区（黎里镇）",
                    "吴江高新区（盛泽镇）",
                    "东太湖度假区（太湖新城）",
                    "平望镇",
                    "七都镇",
                    "震泽镇",
                    "桃源镇",
                ],
            },
        },
        {
            "name": "type",
            "type": "string",
            "constraints": {"required": True, "enum": ["invention", "utility_model", "design"]},
        },
        {"name": "filed_on", "type": "date", "constraints": {"required": True}},
        {"name": "granted_on", "type": "date"},
    ],
    "primaryKey": ["application_no"],
}


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of that very process, stdout). os.wait4 gives per-child rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {err.read().decode()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


def measure(label: str, cmd: list[str], cwd: Path, repeat: int, env: dict | None = None, prepare=None) -> dict:
    walls, peak, out = [], 0.0, ""
    for _ in range(repeat):
        if prepare:
            prepare()
        wall, rss, out = run(cmd, cwd, env)
        walls.append(wall)
        peak = max(peak, rss)
    row = {"task": label, "median_s": statistics.median(walls), "peak_mb": peak}
    print(f"  {label:<44} {row['median_s']:8.2f} s  {peak:7.0f} MB", flush=True)
    return row


def build(folder: Path, rows: int, subset_rows: int) -> None:
    """Runs in a child process: the parent stays small, so each measured child's peak RSS is its own
    (Linux keeps ru_maxrss across exec, so a child forked from a big parent would inherit its size)."""
    import pandas as pd

    from ipdemo.checks.field_checks import cnipa_check_char
    from ipdemo.sample import generate, write

    scale = rows / BASE_PATENTS
    frames = generate(scale=scale)
    write(frames, folder / "data")
    shutil.copy(ROOT / "targets.yaml", folder / "targets.yaml")
    patents = frames["patents"]
    half = 50_000
    exported = ["application_no", "title", "applicant", "town", "type", "filed_on", "granted_on"]
    updates = patents.sample(min(half, len(patents)), random_state=1)[exported]
    bodies = pd.Series([f"20233{i:07d}" for i in range(9_000_000, 9_000_000 + half)], dtype="str")
    new = pd.DataFrame(
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
    export = pd.concat([updates.assign(granted_on="2023-11-30"), new])
    export.columns = ["申请号", "发明名称", "申请人", "所属区镇", "专利类型", "申请日", "授权公告日"]
    export.to_csv(folder / "export.csv", index=False, encoding="gbk")
    # The second shape: the big patents ledger among the other ledgers as shipped.
    alone = folder.parent / "patents_only"
    shutil.copytree(ROOT / "data", alone / "data")
    shutil.copy(ROOT / "targets.yaml", alone / "targets.yaml")
    shutil.copy(folder / "data" / "patents.csv", alone / "data" / "patents.csv")
    if subset_rows:
        sub = folder.parent / "subset"
        sub.mkdir()
        patents.head(subset_rows).to_csv(sub / "patents.csv", index=False)
        (sub / "schema.json").write_text(json.dumps(FRICTIONLESS_SCHEMA, ensure_ascii=False), encoding="utf-8")
        small = folder.parent / "small"
        shutil.copytree(folder, small)
        shutil.copy(sub / "patents.csv", small / "data" / "patents.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--frictionless-rows",
        type=int,
        default=None,
        help="compare with frictionless on the first N rows (default: all; 0 to skip)",
    )
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.frictionless_rows is None:
        args.frictionless_rows = args.rows
    if args.build:
        build(args.build, args.rows, args.frictionless_rows)
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    # ipdemo byte-compiled, as pip leaves an installed package: where PYTHONDONTWRITEBYTECODE is
    # set (this project's sandbox), every run would otherwise compile its modules again (~0.05 s).
    import compileall

    import ipdemo

    compileall.compile_dir(str(Path(ipdemo.__file__).parent), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        t0 = time.perf_counter()
        subprocess.run(
            [
                PY,
                __file__,
                "--build",
                str(base),
                "--rows",
                str(args.rows),
                "--frictionless-rows",
                str(args.frictionless_rows),
            ],
            check=True,
        )
        size = (base / "data" / "patents.csv").stat().st_size / 1e6
        print(
            f"data: {args.rows:,} patents ({size:.0f} MB) + proportional ledgers, built in {time.perf_counter() - t0:.0f} s"
        )
        cold = {"IPDEMO_NO_CACHE": "1", "NO_COLOR": "1"}
        warm = {"IPDEMO_CACHE_DIR": str(Path(tmp) / "cache")}
        ipdemo = [PY, "-m", "ipdemo"]
        rows = []
        print("ipdemo:")
        rows.append(measure("ipdemo --help", [*ipdemo, "--help"], base, args.repeat))
        rows.append(measure("ipdemo validate", [*ipdemo, "validate"], base, args.repeat, cold))
        rows.append(
            measure(
                "ipdemo report --phase 2 --format json",
                [*ipdemo, "report", "--phase", "2", "--format", "json"],
                base,
                args.repeat,
                cold,
            )
        )
        run([*ipdemo, "report"], base, warm)
        rows.append(
            measure(
                "ipdemo report --phase 2 (warm cache)",
                [*ipdemo, "report", "--phase", "2", "--format", "json"],
                base,
                args.repeat,
                warm,
            )
        )
        rows.append(
            measure(
                "ipdemo report --by town --format json",
                [*ipdemo, "report", "--by", "town", "--format", "json"],
                base,
                args.repeat,
                cold,
            )
        )
        work = Path(tmp) / "work"

        def fresh_copy() -> None:
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(base, work)

        fresh_copy()
        rows.append(
            measure(
                "ipdemo import 100k (50k new, 50k updates)",
                [*ipdemo, "import", str(base / "export.csv"), "--ledger", "patents"],
                work,
                args.repeat,
                cold,
                prepare=fresh_copy,
            )
        )
        alone = Path(tmp) / "patents_only"
        print(f"ipdemo, {args.rows:,} patents among the other ledgers as shipped:")
        rows.append(
            measure(
                "ipdemo report --phase 2 --format json [patents only]",
                [*ipdemo, "report", "--phase", "2", "--format", "json"],
                alone,
                args.repeat,
                cold,
            )
        )
        rows.append(
            measure(
                "ipdemo report --by town --format json [patents only]",
                [*ipdemo, "report", "--by", "town", "--format", "json"],
                alone,
                args.repeat,
                cold,
            )
        )
        print("peers:")
        data = str(base / "data")
        peers = {}
        has_duckdb = subprocess.run([PY, "-c", "import duckdb"], capture_output=True).returncode == 0
        if has_duckdb:
            peers["report"] = measure(
                "duckdb SQL (report --phase 2 figures)", [PY, "-c", DUCKDB_REPORT, data], base, args.repeat
            )
            peers["by_town"] = measure("duckdb SQL GROUP BY town", [PY, "-c", DUCKDB_BY_TOWN, data], base, args.repeat)
            peers["by_town_same"] = measure(
                "duckdb SQL, every --by town figure", [PY, "-c", DUCKDB_BY_TOWN_SAME, data], base, args.repeat
            )
            peers["report_alone"] = measure(
                "duckdb SQL (report figures) [patents only]",
                [PY, "-c", DUCKDB_REPORT, str(alone / "data")],
                alone,
                args.repeat,
            )
            peers["by_town_alone"] = measure(
                "duckdb SQL GROUP BY town [patents only]",
                [PY, "-c", DUCKDB_BY_TOWN, str(alone / "data")],
                alone,
                args.repeat,
            )
            peers["by_town_same_alone"] = measure(
                "duckdb SQL, every --by town figure [patents only]",
                [PY, "-c", DUCKDB_BY_TOWN_SAME, str(alone / "data")],
                alone,
                args.repeat,
            )
        else:
            print("  duckdb not installed: pip install duckdb")
        peers["import_pandas"] = measure("python -c 'import pandas'", [PY, "-c", "import pandas"], base, args.repeat)
        peers["pandas"] = measure(
            "plain pandas script (report figures)", [PY, "-c", PANDAS_REPORT, data], base, args.repeat
        )
        frictionless = shutil.which("frictionless") or str(Path(PY).parent / "frictionless")
        if args.frictionless_rows and Path(frictionless).exists():
            n = min(args.frictionless_rows, args.rows)
            peers["frictionless"] = measure(
                f"frictionless validate ({n:,} rows)",
                [frictionless, "validate", "--schema", "schema.json", "patents.csv"],
                Path(tmp) / "subset",
                1,
            )
            ipdemo_small = measure(
                f"ipdemo validate ({n:,} rows)", [*ipdemo, "validate"], Path(tmp) / "small", args.repeat, cold
            )
        elif args.frictionless_rows:
            print("  frictionless not run (pip install frictionless)")
        print("ratios (ipdemo / peer; below 1 = ipdemo faster):")
        by = {r["task"]: r for r in rows}
        report = by["ipdemo report --phase 2 --format json"]["median_s"]
        if "report" in peers:
            print(f"  report / duckdb          {report / peers['report']['median_s']:6.2f}")
            town = by["ipdemo report --by town --format json"]["median_s"]
            print(
                f"  report --by town / duckdb {town / peers['by_town']['median_s']:6.2f}"
                f"   (/ duckdb, every figure: {town / peers['by_town_same']['median_s']:.2f})"
            )
            alone_report = by["ipdemo report --phase 2 --format json [patents only]"]["median_s"]
            alone_town = by["ipdemo report --by town --format json [patents only]"]["median_s"]
            print(f"  [patents only] report / duckdb          {alone_report / peers['report_alone']['median_s']:6.2f}")
            print(
                f"  [patents only] report --by town / duckdb {alone_town / peers['by_town_alone']['median_s']:6.2f}"
                f"   (/ duckdb, every figure: {alone_town / peers['by_town_same_alone']['median_s']:.2f})"
            )
        print(
            f"  ipdemo --help / import pandas {by['ipdemo --help']['median_s'] / peers['import_pandas']['median_s']:6.2f}"
        )
        print(f"  report / pandas script   {report / peers['pandas']['median_s']:6.2f}")
        if "frictionless" in peers:
            print(
                f"  frictionless / validate  {peers['frictionless']['median_s'] / ipdemo_small['median_s']:6.1f}x "
                "(how many times faster ipdemo validates the same rows)"
            )


if __name__ == "__main__":
    main()
