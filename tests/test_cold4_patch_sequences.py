"""Differential: after any sequence of imports that splice (grant dates), append (new rows) or do
both, hand edits of the ledger between them, and reports that patch or extend the cache entry,
a report and `validate` from the cache equal a cold check (IPDEMO_NO_CACHE=1), whole or piece by
piece."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.data import ledger as ledger_module

from .conftest import make_project
from .helpers import export, ledger_rows, patent

KINDS = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}
COUNTER = itertools.count()


def start_rows():
    rows = []
    for i in range(40):
        town = "" if i % 9 == 4 else ("平望镇" if i % 2 else "震泽镇")
        granted = "" if i % 3 else "2022-03-01"
        row = patent(f"20211000{i:04d}", f"2021-{1 + i % 12:02d}-15", granted, town=town)
        if i == 17:
            row = {**row, "filed_on": "2021-02-30"}  # an error: the row is left out
        rows.append(row)
    return rows


def export_row(row, granted="", town=None):
    town = row["town"] if town is None else town
    return [row["application_no"], row["title"], row["applicant"], row["filed_on"], KINDS[row["type"]], granted, town]


def grant(root, picks, new):
    rows = [r for r in ledger_rows(root) if not r["granted_on"] and r["filed_on"] != "2021-02-30"]
    chosen = [rows[p % len(rows)] for p in picks] if rows else []
    chosen = list({r["application_no"]: r for r in chosen}.values())
    fresh = [export_row(patent(f"2023108{next(COUNTER):05d}", "2023-04-01"), "") for _ in range(new)]
    return [export_row(r, "2023-10-0" + str(1 + p % 9)) for r, p in zip(chosen, picks)] + fresh


def hand_edit(path, how, at):
    data = path.read_bytes()
    lines = data.split(b"\n")
    i = 1 + at % (len(lines) - 2)
    if how == "title":
        lines[i] = lines[i].replace("一种".encode(), "一种改进的".encode(), 1) + b""
    elif how == "append":
        lines.insert(len(lines) - 1, b",".join(v.encode() for v in patent(f"2022109{at:05d}", "2022-05-05").values()))
    elif how == "crlf":
        lines = [line + b"\r" if line else line for line in lines]
    path.write_bytes(b"\n".join(lines))


STEP = st.one_of(
    st.tuples(st.just("import"), st.lists(st.integers(0, 99), max_size=6), st.integers(0, 3)),
    st.tuples(st.just("edit"), st.sampled_from(["title", "append", "crlf"]), st.integers(0, 99)),
    st.tuples(st.just("report"), st.just(None), st.just(None)),  # a report between: it patches the entry
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=7), pieces=st.booleans())
def test_patched_reports_equal_cold_ones(invoke, tmp_path, monkeypatch, steps, pieces):
    root = make_project(tmp_path / f"p{next(COUNTER)}", {"patents": start_rows()})
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(root / "cache"))
    monkeypatch.delenv("IPDEMO_NO_CACHE", raising=False)
    monkeypatch.setattr(ledger_module, "STREAM_MIN_BYTES", 1 if pieces else 1 << 26)
    monkeypatch.setattr(ledger_module, "STREAM_PIECE", 512 if pieces else 1 << 22)
    args = ["report", "--format", "json", "--by", "town"]
    invoke(args, cwd=root)  # the first entry
    for n, (what, a, b) in enumerate(steps):
        if what == "import":
            export(root / f"w{n}.csv", grant(root, a, b) or grant(root, [], 1))
            assert invoke(["import", f"w{n}.csv"], cwd=root).exit_code in (0, 1)
        elif what == "edit":
            hand_edit(root / "data" / "patents.csv", a, b)
        last = n == len(steps) - 1
        for command in [args] * (what == "report" or last) + [["validate", "--format", "json"]] * last:
            warm = invoke(command, cwd=root).stdout
            with monkeypatch.context() as m:
                m.setenv("IPDEMO_NO_CACHE", "1")
                assert warm == invoke(command, cwd=root).stdout, (steps[: n + 1], command)
