"""The ledger cache is never served stale, and figures are identical with and without it."""

import json
import os
import time

from .conftest import VALID_ROWS, make_project, write_ledger
from .helpers import ROWS


def report(invoke, root):
    result = invoke(["report", "--format", "json"], cwd=root)
    assert result.exit_code == 0, result.stderr
    return {i["id"]: i["actual"] for i in json.loads(result.stdout)["indicators"]}


def test_cache_is_written_and_used(invoke, tmp_path, cached, monkeypatch):
    from ipdemo.engine import dataset

    root = make_project(tmp_path / "p", ROWS)
    first = report(invoke, root)
    entries = sorted(p.name for p in cached.iterdir())
    ledgers = 11  # the ledgers the report counts from, and the tasks' (the register is not one of them)
    assert sum(e.endswith(".json") for e in entries) == ledgers
    assert sum(e.endswith(".problems.arrow") for e in entries) == ledgers
    assert sum(e.endswith(".arrow") for e in entries) == 2 * ledgers
    checked = []  # the second report checks no ledger: every one comes from the cache
    real = dataset.check_ledger_file
    monkeypatch.setattr(dataset, "check_ledger_file", lambda *args: checked.append(args[1]) or real(*args))
    assert report(invoke, root) == first
    assert checked == []


def test_the_cache_test_fails_when_the_cache_always_misses(invoke, tmp_path, cached, monkeypatch):
    """The check above can fail: with every lookup a miss, each ledger is checked again."""
    from ipdemo.engine import cache, dataset

    root = make_project(tmp_path / "p", ROWS)
    report(invoke, root)
    checked = []
    real = dataset.check_ledger_file
    monkeypatch.setattr(dataset, "check_ledger_file", lambda *args: checked.append(args[1]) or real(*args))
    monkeypatch.setattr(cache, "load", lambda where, meta=None: None)
    report(invoke, root)
    assert "patents" in checked and len(checked) == 11


def test_a_warm_report_never_reads_the_row_problems(invoke, tmp_path, cached, monkeypatch):
    """Cached warnings cost nothing until someone asks for them (validate, summary)."""
    from ipdemo.engine import cache

    rows = {"patents": [dict(VALID_ROWS["patents"], town="")]}  # a row warning: town unassigned
    root = make_project(tmp_path / "p", rows)
    report(invoke, root)  # cold: builds the cache
    reads = []
    real = cache.StoredProblems.load
    monkeypatch.setattr(
        cache.StoredProblems, "load", lambda self, file_level=False: reads.append(file_level) or real(self, file_level)
    )
    report(invoke, root)
    assert reads and all(reads)  # only the file-level problems were read
    reads.clear()
    warnings = json.loads(invoke(["validate", "--format", "json"], cwd=root).stdout)["warnings"]
    assert [w["code"] for w in warnings] == ["town_unassigned"] and False in reads


def test_figures_identical_with_and_without_cache(invoke, tmp_path, cached, monkeypatch):
    root = make_project(tmp_path / "p", ROWS)
    warm = [report(invoke, root), report(invoke, root)]
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    assert report(invoke, root) == warm[0] == warm[1]
    validate_cold = invoke(["validate", "--format", "json"], cwd=root).stdout
    monkeypatch.delenv("IPDEMO_NO_CACHE")
    assert invoke(["validate", "--format", "json"], cwd=root).stdout == validate_cold


def test_changed_ledger_is_reread(invoke, tmp_path, cached):
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    assert report(invoke, root)["patent_applications"] == 1
    second = {**VALID_ROWS["patents"], "application_no": "201710601862.3", "filed_on": "2022-01-01", "granted_on": ""}
    write_ledger(root / "data" / "patents.csv", [VALID_ROWS["patents"], second])
    assert report(invoke, root)["patent_applications"] == 2


def test_same_size_same_mtime_rewrite_is_reread(invoke, tmp_path, cached):
    """A content change that keeps size and mtime (the trap for stat-based caches)."""
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    path = root / "data" / "patents.csv"
    assert report(invoke, root)["patent_applications"] == 1
    stat = path.stat()
    text = path.read_text(encoding="utf-8-sig").replace("2021-06-10", "2020-06-10")  # now before the plan
    path.write_text(text, encoding="utf-8-sig")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert report(invoke, root)["patent_applications"] == 0


def test_touched_and_replaced_ledger(invoke, tmp_path, cached):
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    path = root / "data" / "patents.csv"
    before = report(invoke, root)
    os.utime(path, (time.time() + 5, time.time() + 5))  # touched: same content, same figures
    assert report(invoke, root) == before
    replacement = root / "new.csv"
    write_ledger(replacement, [{**VALID_ROWS["patents"], "town": "桃源镇"}])
    os.replace(replacement, path)  # replaced by rename: a new inode
    result = json.loads(invoke(["report", "--format", "json", "--town", "桃源镇"], cwd=root).stdout)
    assert result["indicators"][0]["actual"] == 1


def test_schema_change_invalidates(invoke, tmp_path, cached):
    root = make_project(tmp_path / "p", {"patents": [{**VALID_ROWS["patents"], "town": "盛泽新区"}]})
    assert json.loads(invoke(["validate", "--format", "json"], cwd=root).stdout)["valid"] is False
    plan = root / "targets.yaml"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("aliases: [吴江高新区, ", "aliases: [盛泽新区, 吴江高新区, "),
        encoding="utf-8",
    )
    # Now an alias: still invalid in a ledger (canonical names only) but with a different message.
    errors = json.loads(invoke(["validate", "--format", "json"], cwd=root).stdout)["errors"]
    assert [e["code"] for e in errors] == ["town_alias"]


def test_unwritable_cache_is_not_an_error(invoke, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(blocker / "sub"))
    root = make_project(tmp_path / "p", ROWS)
    assert report(invoke, root)["patent_applications"] == 3
