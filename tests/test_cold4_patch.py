"""The first report after a weekly import is not cold (issue 26): an import that updates records
splices their lines, and the report after it checks those lines (and any appended rows) again
from the journal's chain, patching the cache entry, instead of checking the whole ledger. The
figures and `validate` output are those of a cold check; any doubt and the whole ledger is
checked again."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipdemo.data.store import read_journal

from .conftest import ROOT
from .helpers import cn, export, ledger_rows


@pytest.fixture(autouse=True, params=["whole", "pieces"])
def reading(request, monkeypatch):
    """Both ways a ledger is read: whole (under 64 MiB), and piece by piece with the cached
    ledger hashed piece by piece (engine/dataset.py _known_by_hash), the lines found across pieces."""
    if request.param == "pieces":
        from ipdemo.data import ledger

        monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
        monkeypatch.setattr(ledger, "STREAM_PIECE", 1 << 16)
    return request.param


@pytest.fixture
def seen(monkeypatch):
    """The bytes each ledger check was given (None: read from the file), by ledger."""
    from ipdemo.engine import dataset

    calls: list[tuple[str, int | None]] = []
    real = dataset.check_ledger_file

    def spy(plan, name, data=None):
        calls.append((name, None if data is None else len(data)))
        return real(plan, name, data)

    monkeypatch.setattr(dataset, "check_ledger_file", spy)
    return calls


def shipped(tmp_path):
    root = tmp_path / "shipped"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copy(ROOT / "targets.yaml", root / "targets.yaml")
    return root


def run(invoke, root, *args):
    result = invoke(list(args), cwd=root)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def cold(invoke, root, monkeypatch, *args):
    with monkeypatch.context() as m:
        m.setenv("IPDEMO_NO_CACHE", "1")
        return run(invoke, root, *args)


def pending(root, count, step=7):
    """`count` pending patents of the ledger (no grant date yet), spread through the file."""
    rows = [r for r in ledger_rows(root) if not r["granted_on"] and r["filed_on"] < "2023-01-01"]
    return rows[::step][:count]


def grants(rows, on="2023-11-20"):
    """An export that records grant dates (as a CNIPA list gives them)."""
    kinds = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}
    return [
        [r["application_no"], r["title"], r["applicant"], r["filed_on"], kinds[r["type"]], on, r["town"]] for r in rows
    ]


def fresh(count, start=1):
    return [
        [cn(f"2023109{i:05d}"), "一种新型装置", "吴江某某科技有限公司", "2023-05-01", "发明", "", "平望镇"]
        for i in range(start, start + count)
    ]


REPORTS = [("report", "--format", "json", "--phase", "2"), ("report", "--format", "json", "--by", "town")]


def same_as_cold(invoke, root, monkeypatch, seen) -> list[tuple[str, int | None]]:
    """Each report and `validate` as a cold check gives them; the checks the cached runs made."""
    warm = []
    for args in [*REPORTS, ("validate", "--format", "json")]:
        seen.clear()
        out = run(invoke, root, *args)
        warm += seen
        assert out == cold(invoke, root, monkeypatch, *args), args
    return warm


def test_the_report_after_an_import_of_grant_dates_patches_the_entry(invoke, tmp_path, cached, monkeypatch, seen):
    root = shipped(tmp_path)
    run(invoke, root, *REPORTS[0])  # the entry of the ledger as shipped
    ledger = root / "data" / "patents.csv"
    export(root / "grants.csv", grants(pending(root, 30)) + fresh(5))
    assert invoke(["import", "grants.csv"], cwd=root).exit_code == 0
    assert read_journal(root / "data")[-1]["write"] == "splice"
    seen.clear()
    patched = run(invoke, root, *REPORTS[0])
    checked = dict(seen)
    assert set(checked) == {"patents"}  # the other ledgers are unchanged…
    assert checked["patents"] is not None and checked["patents"] < ledger.stat().st_size // 50  # …and not read whole
    assert json.loads(patched) == json.loads(cold(invoke, root, monkeypatch, *REPORTS[0]))
    later = same_as_cold(invoke, root, monkeypatch, seen)
    assert "patents" not in dict(later)  # the patched entry serves every later report


def with_problems(root):
    """The shipped patents with a town left empty on some pending rows (a warning: 未划分区镇)
    and an impossible date on others (an error: the row is left out). Returns the warned rows."""
    ledger = root / "data" / "patents.csv"
    rows = ledger_rows(root)
    lines = ledger.read_bytes().split(b"\n")
    warned = []
    for i, row in enumerate(rows):
        if i % 97 == 5 and not row["granted_on"] and row["filed_on"] < "2023-01-01":
            lines[i + 1] = lines[i + 1].replace(f",{row['town']},".encode(), b",,", 1)
            warned.append({**row, "town": ""})
        elif i % 89 == 3:
            lines[i + 1] = lines[i + 1].replace(f",{row['filed_on']},".encode(), b",2019-02-30,", 1)
    ledger.write_bytes(b"\n".join(lines))
    return warned


def test_the_patch_is_what_a_cold_check_gives_for_problems_too(invoke, tmp_path, cached, monkeypatch, seen):
    """A changed row's old warning goes, its new problems and the appended rows' come at their
    lines, the rows left out stay out."""
    root = shipped(tmp_path)
    warned = with_problems(root)
    found = json.loads(run(invoke, root, "validate", "--format", "json"))
    assert len(found["warnings"]) >= 20 and len(found["errors"]) >= 20
    placed = [[*g[:6], "平望镇"] for g in grants(warned[:3])]  # warned, then given a town and a grant
    export(root / "week.csv", placed + grants(pending(root, 10, step=11)) + fresh(3, start=50))
    assert invoke(["import", "week.csv"], cwd=root).exit_code == 0
    assert read_journal(root / "data")[-1]["write"] == "splice"
    checked = dict(same_as_cold(invoke, root, monkeypatch, seen))
    assert checked["patents"] is not None and checked["patents"] < 100_000  # patched, not read whole
    after = json.loads(run(invoke, root, "validate", "--format", "json"))
    assert len(after["warnings"]) == len(found["warnings"]) - 3 and after["errors"] == found["errors"]


def test_a_hand_edit_after_the_import_is_checked_whole(invoke, tmp_path, cached, monkeypatch, seen):
    root = shipped(tmp_path)
    run(invoke, root, *REPORTS[0])
    export(root / "grants.csv", grants(pending(root, 5)))
    assert invoke(["import", "grants.csv"], cwd=root).exit_code == 0
    ledger = root / "data" / "patents.csv"
    data = ledger.read_bytes()
    ledger.write_bytes(data.replace(b",invention,", b",utility_model,", 1))
    checked = dict(same_as_cold(invoke, root, monkeypatch, seen))
    size = len(ledger.read_bytes())
    assert checked.get("patents", size) == size  # checked whole (read whole, or piece by piece: not here)


def test_an_entry_of_many_patches_is_written_again_in_one_piece(invoke, tmp_path, cached, monkeypatch, seen):
    from ipdemo.engine import cache

    monkeypatch.setattr(cache, "MAX_SEGMENTS", 2)
    root = shipped(tmp_path)
    run(invoke, root, *REPORTS[0])
    for week, start in enumerate((0, 3, 6)):
        export(root / f"w{week}.csv", grants(pending(root, 20, step=5 + week)) + fresh(2, start=100 + start))
        assert invoke(["import", f"w{week}.csv"], cwd=root).exit_code == 0
        checked = dict(same_as_cold(invoke, root, monkeypatch, seen))
        assert checked["patents"] is not None and checked["patents"] < 100_000  # patched each week
    arrows = [p for p in cached.glob("*.arrow") if not p.name.endswith(".problems.arrow")]
    assert len(arrows) <= len(list(cached.glob("*-entry.json"))) + 2  # patents: at most 2 segments


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 6), min_size=1, max_size=5),
    picks=st.lists(st.tuples(st.integers(0, 10**6), st.booleans()), max_size=30),
)
def test_runs_lay_out_the_rows_as_a_flat_listing_does(sizes, picks):
    """cache._runs against each row's segment and row worked out one by one."""
    import numpy as np

    from ipdemo.engine import cache

    runs, flat, seg, at = [], [], 0, 0
    for size in sizes:  # runs of consecutive rows, over a few segments, some split in two
        if size:
            runs.append([seg % 2, at, size])
            flat += [(seg % 2, at + i) for i in range(size)]
        seg, at = seg + 1, at + size + 1
    layout = np.array(runs, dtype=np.int64).reshape(-1, 3)
    order = list(range(len(flat)))
    patch_rows = 0
    for where, keep in picks:  # replace or drop old rows, append patch rows
        if order and where % 3:
            i = where % len(order)
            order[i : i + 1] = [-1 - patch_rows] if keep else []
            patch_rows += keep
        else:
            order.append(-1 - patch_rows)
            patch_rows += 1
    got = cache._runs(layout, np.array(order, dtype=np.int64), 9)
    listed = [(int(s), int(r) + k) for s, r, n in got.tolist() for k in range(n)]
    assert listed == [flat[o] if o >= 0 else (9, -1 - o) for o in order]
    assert all(n > 0 for _, _, n in got.tolist())


def test_grants_of_rows_appended_since_the_entry_are_checked_with_the_tail(invoke, tmp_path, cached, monkeypatch, seen):
    """Week 1 appends new rows, week 2 grants some of them and older ones; no report between."""
    root = shipped(tmp_path)
    run(invoke, root, *REPORTS[0])
    export(root / "w1.csv", fresh(6, start=300))
    assert invoke(["import", "w1.csv"], cwd=root).exit_code == 0
    added = [r for r in ledger_rows(root) if r["application_no"] in {row[0] for row in fresh(6, start=300)}]
    export(root / "w2.csv", grants(added[:3]) + grants(pending(root, 5)))
    assert invoke(["import", "w2.csv"], cwd=root).exit_code == 0
    assert [e["write"] for e in read_journal(root / "data")[-2:]] == ["append", "splice"]
    checked = dict(same_as_cold(invoke, root, monkeypatch, seen))
    assert checked["patents"] is not None and checked["patents"] < 100_000  # patched, not read whole


def test_an_entry_of_many_tails_with_new_values_is_written_again(tmp_path):
    """Past MAX_SEGMENTS the segments are joined into one file, which holds one dictionary per
    column: tails that bring new towns (new dictionary values) must not make that write fail
    (it did: the next report then checked the whole ledger)."""
    import pyarrow as pa

    from ipdemo.engine import cache

    source = tmp_path / "patents.csv"
    source.write_text("town\n", encoding="utf-8")
    where = cache.Slot(tmp_path / "cache", "p", "s", source)

    def rows(values):
        return pa.table({"town": pa.array(values * 40)})

    entry = cache.store(where, cache.Covered(1000, "h0", 1, None, 0), rows(["a", "b"]), [], [], [], True)
    for week in range(1, cache.MAX_SEGMENTS + 2):
        covered = cache.Covered(1000 * (week + 1), f"h{week}", week + 1, None, 0)
        entry = cache.store(where, covered, rows([f"z{week}", "a"]), [], [], [], True, after=entry)
        assert entry is not None, week
    assert len(entry.segments) < cache.MAX_SEGMENTS
    towns = entry.rows.column("town").to_pylist()
    assert towns == ["a", "b"] * 40 + [v for w in range(1, cache.MAX_SEGMENTS + 2) for v in [f"z{w}", "a"] * 40]
