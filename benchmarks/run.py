"""ipdemo side by side with DuckDB and python-calamine, at several sizes, in one run (issue 26).

    pip install -e '.[bench]'                  # duckdb (python-calamine is an ipdemo dependency)
    python benchmarks/run.py --rows 100000,1000000,4000000 [--repeat 5] [--xlsx-rows 100000] [--quoted 0.1]

For each size N: the patents ledger grown to N rows among the other ledgers as shipped (the shape
of issue 26), then, A/B paired (ipdemo and its peer alternate within each repetition, so both
see the same machine load), the median wall time, peak RSS of the measured process and the
ratio ipdemo / peer, then ipdemo's CPU time against the peer's and its minor page faults (memory
faulted in and zeroed: a figure the machine's load does not move, where the times swing):

- report --phase 2 --format json, cold (empty cache: the cache entry's write counts) and warm,
  against DuckDB SQL computing the same figures over the same CSVs; cold both on the ledger as
  built (never imported: hashed as it is read) and as a weekly import leaves it (stamped: its
  hash is the journal's);
- report --by town --format json, cold and warm, against DuckDB computing every figure it prints;
  and the first report after 2,000 new rows were appended to the CSV (what an append-only import
  leaves; the cache entry is extended, not rebuilt);
- report --phase 2 after a weekly import (`ipdemo import` of the mixed 2,000-row export: 1,000
  grant dates spliced in, 1,000 new rows appended) into a ledger whose cache entry a report made:
  the entry is patched from the journal, not rebuilt;
- the cache entry's size against the ledger's;
- imports of 2,000-row exports into the N-row ledger, against copying the ledger file (`cp`, and
  `cp` + fsync): the weekly import (the ledger stamped and indexed by the week before's), mixed
  (1,000 new, 1,000 updated) and new only, and the first import of a copied ledger (verified by a
  scan); with the bytes each wrote (the process's block output) and its peak RSS;
- once (not per size): import of an --xlsx-rows workbook against python-calamine reading it.

Then the growth exponent of each figure between consecutive sizes and over all of them (k in
time ∝ N^k, a least-squares fit of log time on log N; k = 1 is linear). Nothing is asserted:
figures depend on the machine, and a shared machine is noisy, so compare ratios within one run.
Record them in docs/scale.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
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
 (select count(*) from {csv('software_copyrights')}
   where registered_on between '2021-06-01' and '2023-09-30') as software,
 (select count(*) from {csv('trademarks')} where filed_on between '2021-06-01' and '2023-09-30') as trademarks,
 (select count(distinct credit_code) from e
   where program = 'standardization' and started_on between '2021-06-01' and '2023-09-30') as std,
 (select sum(cast(amount as double)) / 10000 from l where issued_on between '2021-06-01' and '2023-09-30') as loans,
 (select count(*) from p where type = 'invention' and granted_on <> '' and granted_on <= '2023-09-30') as inventions
'''
print(json.dumps(duckdb.sql(q).fetchall(), default=str))
"""

# What `report --by town --format json` prints, as SQL over the same CSVs: for the district and
# each town (grouping sets), every indicator's figure up to the plan end: flows from the plan
# start, annual targets year by year, milestones as their first date, distinct counts as such,
# the invention stock at each year end; and it reads the two ledgers the report reads besides
# (task progress, the enterprise register).
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
union all select 'outputs ' || kind || ' ' || coalesce(level, ''), town,
       count(*) filter (where {inside('achieved_on')}),
       min(achieved_on) filter (where achieved_on <= {e}), null, null, null, null
  from {csv('outputs')} group by grouping sets ((town, kind, level), (kind, level))
union all select 'tasks', null, count(*), count(distinct task), max(reported_on), null, null, null
  from {csv('task_progress')}
union all select 'register', null, count(*), null, null, null, null, null from {csv('organisations')}
order by 1, 2
'''
print(json.dumps(duckdb.sql(q).fetchall(), default=str))
"""

CALAMINE_READ = """
import sys
from python_calamine import CalamineWorkbook
with CalamineWorkbook.from_path(sys.argv[1]) as book:
    print(len(book.get_sheet_by_index(0).to_python()))
"""

COPY_FILE = "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])"
COPY_DURABLE = (
    "import os, shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2]); "
    "fd = os.open(sys.argv[2], os.O_RDONLY); os.fsync(fd); os.close(fd)"
)
TAILS = 8  # tails of 2,000 new rows written by build(), appended one per run of 'report after a tail'


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the process (all its threads)
    peak_mb: float
    written_mb: float
    out: str
    faults: int = 0  # minor page faults: memory faulted in (and zeroed), which the machine's load does not change


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> Run:
    """One child process: wall seconds, its own peak RSS and block output (os.wait4's rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {err.read().decode()[-2000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        peak, written = usage.ru_maxrss / 1024, usage.ru_oublock * 512 / 1e6
        return Run(wall, cpu, peak, written, out.read().decode(), usage.ru_minflt)


@dataclass
class Side:
    label: str
    cmd: list[str]
    env: dict | None = None
    prepare: Callable[[], None] | None = None
    runs: list[Run] = field(default_factory=list)

    def once(self, cwd: Path) -> Run:
        if self.prepare:
            self.prepare()
        result = run(self.cmd, cwd, self.env)
        self.runs.append(result)
        return result

    @property
    def median(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def peak(self) -> float:
        return max(r.peak_mb for r in self.runs)

    @property
    def written(self) -> float:
        return statistics.median(r.written_mb for r in self.runs)

    @property
    def faults(self) -> float:
        return statistics.median(r.faults for r in self.runs)


@dataclass
class Pair:
    """ipdemo (a) and its peer (b), run alternately; the ratio is the median of the paired ratios.
    The CPU ratio (user + system seconds, all threads) is printed beside it: on a machine shared
    with other work, wall time mostly measures waiting for a core, CPU time the work done."""

    task: str
    a: Side
    b: Side
    ratio: float = 0.0

    def measure(self, cwd: Path, repeat: int) -> Pair:
        ratios = []
        for i in range(repeat):
            first, second = (self.a, self.b) if i % 2 == 0 else (self.b, self.a)
            first.once(cwd)
            second.once(cwd)
            ratios.append(self.a.runs[-1].wall / self.b.runs[-1].wall)
        self.ratio = statistics.median(ratios)
        print(
            f"  {self.task:<34} {self.a.median:7.2f} s {self.a.peak:6.0f} MB {self.a.written:7.1f} MB written"
            f" | {self.b.label:<22} {self.b.median:6.2f} s {self.b.peak:6.0f} MB | ratio {self.ratio:5.2f}"
            f" | cpu {self.a.cpu:6.2f} s / {self.b.cpu:5.2f} s = {self.a.cpu / max(self.b.cpu, 1e-6):5.2f}"
            f" | faults {self.a.faults / 1000:5.0f}k",
            flush=True,
        )
        return self


# --- data ----------------------------------------------------------------------------------


def build(folder: Path, rows: int, quoted: float = 0.0) -> None:
    """Runs in a child process (the parent stays small, so each measured child's peak RSS is its
    own): the shipped project with an N-row patents ledger, and a 2,000-row GBK export. With
    `quoted`, that share of the titles holds a comma and a quote, so the CSV quotes them."""
    import numpy as np
    import pandas as pd

    from ipdemo import sample
    from ipdemo.checks.field_checks import cnipa_check_char

    shutil.copytree(ROOT / "data", folder / "data")
    shutil.copy(ROOT / "targets.yaml", folder / "targets.yaml")
    rng, extra = np.random.default_rng(20210601), np.random.default_rng(20210602)
    scale = rows / BASE_PATENTS
    companies = sample._enterprises(rng, max(3000, int(3000 * scale)))
    companies["address"] = sample._addresses(extra, companies["town"])
    patents = sample.patents(rng, companies, scale, extra)
    if quoted:
        chosen = np.random.default_rng(20210603).random(len(patents)) < quoted
        patents.loc[chosen, "title"] = patents.loc[chosen, "title"] + ', 及其"方法"'
    patents.to_csv(folder / "data" / "patents.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    exported = ["application_no", "title", "applicant", "town", "type", "filed_on", "granted_on"]
    pending = patents[(patents.granted_on == "") & (patents.filed_on < "2023-06-01")]
    updates = pending.sample(min(1000, len(pending)), random_state=1)[exported]
    have = set(patents.application_no)
    bodies = [f"20233{i:07d}" for i in range(9_000_000, 9_000_000 + 6000 + 3000 * TAILS)]
    numbers = [b + "." + c for b, c in zip(bodies, cnipa_check_char(pd.Series(bodies), 12))]
    new_numbers = [n for n in numbers if n not in have][:1000]
    new = pd.DataFrame({"application_no": new_numbers, "title": "一种新型装置", "applicant": "吴江某某科技有限公司"})
    new = new.assign(town="平望镇", type="design", filed_on="2023-05-01", granted_on="")
    export = pd.concat([updates.assign(granted_on="2023-11-30"), new])
    export.columns = ["申请号", "发明名称", "申请人", "所属区镇", "专利类型", "申请日", "授权公告日"]
    export.to_csv(folder / "export.csv", index=False, encoding="gbk")
    # The week before (10 new rows) and a week of new patents only (2,000), for imports().
    fresh = [n for n in numbers if n not in have][1000 + 2000 * TAILS :]
    for name, count in (("week0.csv", 10), ("export_new.csv", 2000)):
        part, fresh = fresh[:count], fresh[count:]
        weekly = new.head(0).reindex(range(count)).assign(application_no=part)
        weekly = weekly.assign(title="一种新型装置", applicant="吴江某某科技有限公司", town="平望镇", type="design")
        weekly = weekly.assign(filed_on="2023-06-01", granted_on="")
        weekly.columns = export.columns
        weekly.to_csv(folder / name, index=False, encoding="gbk")
    # Tails of 2,000 new rows each, as an append-only weekly import adds them to the CSV.
    spare = [n for n in numbers if n not in have][1000 : 1000 + 2000 * TAILS]
    tail = patents.head(len(spare)).assign(application_no=spare, filed_on="2023-06-01", granted_on="")
    tail = tail.assign(type="design", legal_status="pending", status_on="")
    (folder / "tails").mkdir()
    for i in range(TAILS):
        part = tail.iloc[2000 * i : 2000 * (i + 1)]
        part.to_csv(folder / "tails" / f"{i}.csv", index=False, header=False, lineterminator="\n")


def built(base: Path, rows: int, quoted: float) -> Path:
    folder = base / f"n{rows}"
    t0 = time.perf_counter()
    subprocess.run([PY, __file__, "--build", str(folder), "--rows", str(rows), "--quoted", str(quoted)], check=True)
    size = (folder / "data" / "patents.csv").stat().st_size / 1e6
    print(
        f"\n{rows:,} patents ({size:.0f} MB CSV{f', {quoted:.0%} of titles quoted' if quoted else ''}) "
        "+ the other ledgers as shipped, "
        f"built in {time.perf_counter() - t0:.0f} s"
    )
    return folder


# --- one size ------------------------------------------------------------------------------


def emptied(folder: Path) -> Callable[[], None]:
    return lambda: shutil.rmtree(folder, ignore_errors=True)


def reports(folder: Path, repeat: int) -> dict[str, Pair]:
    cache = folder.parent / f"{folder.name}-cache"
    cold = {"IPDEMO_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    ipdemo = [PY, "-m", "ipdemo"]
    duck = {
        name: [PY, "-c", script, str(folder / "data")]
        for name, script in (("phase", DUCKDB_REPORT), ("town", DUCKDB_BY_TOWN_SAME))
    }
    phase = [*ipdemo, "report", "--phase", "2", "--format", "json"]
    town = [*ipdemo, "report", "--by", "town", "--format", "json"]
    pairs = {
        "report cold": Pair(
            "report --phase 2, cold",
            Side("ipdemo", phase, cold, emptied(cache)),
            Side("duckdb same figures", duck["phase"]),
        ),
        "town cold": Pair(
            "report --by town, cold",
            Side("ipdemo", town, cold, emptied(cache)),
            Side("duckdb every figure", duck["town"]),
        ),
    }
    out = {key: pair.measure(folder, repeat) for key, pair in pairs.items()}
    out["report cold stamped"] = stamped_cold(folder, cache, cold, phase, duck["phase"]).measure(folder, repeat)
    run(town, folder, cold)  # fills the cache
    entry = sum(p.stat().st_size for p in cache.iterdir() if p.name.startswith(_prefix(folder)))
    print(
        f"  cache entry of the patents ledger: {entry / 1e6:.0f} MB = "
        f"{entry / (folder / 'data' / 'patents.csv').stat().st_size:.2f} x the CSV"
    )
    warm = {
        "report warm": Pair(
            "report --phase 2, warm", Side("ipdemo", phase, cold), Side("duckdb same figures", duck["phase"])
        ),
        "town warm": Pair(
            "report --by town, warm", Side("ipdemo", town, cold), Side("duckdb every figure", duck["town"])
        ),
    }
    out.update({key: pair.measure(folder, repeat) for key, pair in warm.items()})
    tails = iter(sorted((folder / "tails").iterdir()))

    def append_tail() -> None:  # what an append-only import leaves: the CSV longer by 2,000 rows
        with open(folder / "data" / "patents.csv", "ab") as ledger:
            ledger.write(next(tails).read_bytes())

    after = Side("ipdemo", town, cold, append_tail)
    out["town tail"] = Pair("report --by town after a tail", after, Side("duckdb every figure", duck["town"]))
    out["town tail"].measure(folder, min(repeat, TAILS))
    shutil.rmtree(cache, ignore_errors=True)
    out["after import"] = after_import(folder, cache, cold, phase, duck["phase"]).measure(folder, repeat)
    return out


def stamped_cold(folder: Path, cache: Path, env: dict, phase: list[str], duck: list[str]) -> _Restored:
    """The cold report of the ledger as an office's weekly import leaves it: its stamp in the
    journal (the week before's import of 10 rows), so it is read without being hashed; the
    cache emptied before each run. The ledger as built is put back afterwards."""
    data = folder / "data"
    saved = folder.parent / f"{folder.name}-before-stamp"
    shutil.copytree(data, saved / "data")  # copytree keeps mtimes
    run([PY, "-m", "ipdemo", "import", "week0.csv"], folder, env)
    pair = Pair("report --phase 2, cold, stamped", Side("ipdemo", phase, env, emptied(cache)), Side("duckdb", duck))
    return _Restored(pair, saved, data, cache)


def after_import(folder: Path, cache: Path, env: dict, phase: list[str], duck: list[str]) -> _Restored:
    """The first report after a weekly import, each time from the same state: the ledger and the
    cache entry a report made of it put back, then the mixed export imported (not measured)."""
    data = folder / "data"
    saved = folder.parent / f"{folder.name}-before-import"
    run(phase, folder, env)  # the entry of the ledger as it is
    shutil.copytree(data, saved / "data")  # copytree keeps mtimes
    shutil.copytree(cache, saved / "cache")

    def imported() -> None:
        for part in ("data", "cache"):
            shutil.rmtree(folder / part if part == "data" else cache, ignore_errors=True)
            shutil.copytree(saved / part, folder / part if part == "data" else cache)
        run([PY, "-m", "ipdemo", "import", "export.csv"], folder, env)
        os.sync()  # the restored copy's pages written out now, not during the report measured next

    pair = Pair("report --phase 2 after an import", Side("ipdemo", phase, env, imported), Side("duckdb", duck))
    return _Restored(pair, saved, data, cache)


@dataclass
class _Restored:
    """A pair measured on a changed ledger, and what to put back once it is measured (the
    ledger as it was)."""

    pair: Pair
    saved: Path
    data: Path
    cache: Path

    def measure(self, cwd: Path, repeat: int) -> Pair:
        try:
            return self.pair.measure(cwd, repeat)
        finally:
            shutil.rmtree(self.data)
            shutil.copytree(self.saved / "data", self.data)
            for leftover in (self.saved, self.cache):
                shutil.rmtree(leftover, ignore_errors=True)


def _prefix(folder: Path) -> str:
    import hashlib

    return hashlib.sha256(str((folder / "data" / "patents.csv").resolve()).encode()).hexdigest()[:16]


def imports(folder: Path, repeat: int) -> dict[str, Pair]:
    """2,000-row imports into the N-row ledger, each on the same starting state, against copying
    the ledger file (`cp`; and `cp` then fsync, since an import's write is durable):

    - weekly, mixed (1,000 new, 1,000 updated) and new only: the ledger as the week before's import
      left it (its stamp in the journal, its key index in the cache folder), as the user types it
      (`ipdemo import FILE`, no --ledger);
    - the first import of a ledger whose stamp is not the journal's (copied, checked out): scanned
      and verified line by line (the same mixed export)."""
    data, cache = folder / "data", folder.parent / f"{folder.name}-import-cache"
    pristine, primed = folder.parent / f"{folder.name}-pristine", folder.parent / f"{folder.name}-primed"
    shutil.copytree(data, pristine)  # copytree keeps mtimes: stamps survive a restore
    env = {"IPDEMO_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    ipdemo = [PY, "-m", "ipdemo", "import"]

    def restore(source: Path, with_cache: bool) -> Callable[[], None]:
        def put_back() -> None:
            shutil.rmtree(data)
            shutil.copytree(source, data)
            shutil.rmtree(cache, ignore_errors=True)
            if with_cache:
                shutil.copytree(primed / "cache", cache)
            os.sync()  # the copy's pages written out now, not during the import measured next

        return put_back

    restore(pristine, False)()
    run([*ipdemo, "week0.csv"], folder, env)  # the week before: stamps the ledger, builds its key index
    shutil.copytree(data, primed / "data")
    shutil.copytree(cache, primed / "cache")
    ledger, copy = str(data / "patents.csv"), str(folder / "copied.csv")
    cp = Side("cp of the ledger", [PY, "-c", COPY_FILE, ledger, copy])
    durable = Side("cp + fsync", [PY, "-c", COPY_DURABLE, ledger, copy])
    weekly = restore(primed / "data", True)
    cases = {
        "import weekly": ("weekly import, 1k new + 1k upd.", "export.csv", weekly, cp),
        "import weekly durable": ("  the same, against cp + fsync", "export.csv", weekly, durable),
        "import new only": ("weekly import, 2k new only", "export_new.csv", weekly, cp),
        "import first": ("first import of a copied ledger", "export.csv", restore(pristine, False), cp),
    }
    out = {
        key: Pair(task, Side("ipdemo", [*ipdemo, export, "--format", "json"], env, prepare), peer).measure(
            folder, repeat
        )
        for key, (task, export, prepare, peer) in cases.items()
    }
    restore(pristine, False)()
    for leftover in (pristine, primed, cache, folder / "copied.csv"):
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
    return out


def xlsx(rows: int, repeat: int, base: Path) -> Pair:
    """`ipdemo import` of a workbook into an empty project against python-calamine reading it."""
    # the workbook is written (once, then kept in the temp folder) by a child: openpyxl and pandas
    # in this process would show in every measured child's peak RSS (Linux keeps it across exec)
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); from bench_xlsx import workbook; print(workbook({rows}))"
    book = Path(subprocess.run([PY, "-c", code], check=True, capture_output=True, text=True).stdout.strip())
    project = base / "xlsx"
    subprocess.run([PY, "-m", "ipdemo", "init", str(project)], check=True, capture_output=True)
    empty = project.parent / "xlsx-empty.csv"
    shutil.copyfile(project / "data" / "patents.csv", empty)
    cmd = [PY, "-m", "ipdemo", "import", str(book), "--ledger", "patents", "--format", "json"]
    side = Side(
        "ipdemo", cmd, {"IPDEMO_NO_CACHE": "1"}, lambda: shutil.copyfile(empty, project / "data" / "patents.csv")
    )
    print(f"\nxlsx: {rows:,} rows ({book.stat().st_size / 1e6:.1f} MB)")
    return Pair(
        f"import {rows // 1000}k-row xlsx", side, Side("python-calamine read", [PY, "-c", CALAMINE_READ, str(book)])
    ).measure(project, repeat)


# --- growth --------------------------------------------------------------------------------


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """k in seconds ∝ size^k: the least-squares slope of log seconds on log size."""
    xs, ys = [math.log(n) for n in sizes], [math.log(max(s, 1e-6)) for s in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def growth(results: dict[int, dict[str, Pair]]) -> None:
    sizes = sorted(results)
    if len(sizes) < 2:
        return
    print("\ngrowth exponents k (time ∝ N^k; 1 = linear), between consecutive sizes and fitted over all:")
    steps = " ".join(f"{a // 1000}k→{b // 1000}k" for a, b in zip(sizes, sizes[1:]))
    print(f"  {'task':<36} {steps}   all   | peer all | cpu all | ipdemo MB per million rows at each size")
    for key in results[sizes[0]]:
        ours = [results[n][key].a.median for n in sizes]
        theirs = [results[n][key].b.median for n in sizes]
        pairwise = " ".join(f"{exponent([a, b], [x, y]):9.2f}" for a, b, x, y in zip(sizes, sizes[1:], ours, ours[1:]))
        memory = " ".join(f"{results[n][key].a.peak / (n / 1e6):6.0f}" for n in sizes)
        cpu = exponent(sizes, [results[n][key].a.cpu for n in sizes])
        print(
            f"  {results[sizes[0]][key].task:<36} {pairwise} {exponent(sizes, ours):6.2f}"
            f" | {exponent(sizes, theirs):8.2f} | {cpu:7.2f} | {memory}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000", help="patents ledger sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--xlsx-rows", type=int, default=100_000, help="rows of the xlsx import (0: skip)")
    parser.add_argument("--skip-import", action="store_true", help="reports only")
    parser.add_argument(
        "--quoted", type=float, default=0.0, help="share of titles holding a comma and a quote (quoted in the CSV)"
    )
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = sorted(int(n.replace("_", "")) for n in args.rows.split(","))
    if args.build:
        build(args.build, sizes[0], args.quoted)
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"medians of {args.repeat}"
    )
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    import compileall

    import ipdemo

    compileall.compile_dir(str(Path(ipdemo.__file__).parent), quiet=1)  # as pip leaves an installed package
    results: dict[int, dict[str, Pair]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            folder = built(Path(tmp), rows, args.quoted)
            results[rows] = reports(folder, args.repeat)
            if not args.skip_import:
                results[rows].update(imports(folder, args.repeat))
            shutil.rmtree(folder)  # big files go as soon as they are measured
        if args.xlsx_rows:
            xlsx(args.xlsx_rows, args.repeat, Path(tmp))
    growth(results)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
