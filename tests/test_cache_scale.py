"""The cache never costs more than it saves (issue 26): an entry is no larger than its ledger, an
appended tail extends the entry instead of rebuilding it (with the figures of a cold read), and
an entry vouched for by the ledger's stamp is still never served for an edited ledger."""

import json
import os
import shutil

from .conftest import ROOT, VALID_ROWS, make_project, write_ledger
from .helpers import ROWS, patent


def report(invoke, root, *extra):
    result = invoke(["report", "--format", "json", *extra], cwd=root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def cold(invoke, root, monkeypatch, *args):
    with monkeypatch.context() as m:
        m.setenv("IPDEMO_NO_CACHE", "1")
        return invoke(list(args), cwd=root).stdout


def entry_files(folder, plan_root, name):
    from ipdemo.engine import cache
    from ipdemo.plan.model import load_plan

    plan = load_plan(plan_root / "targets.yaml")
    prefix, _ = cache.entry_key(plan, name, plan.ledger_path(name), b"")
    return sorted(folder.glob(f"{prefix}-*"))


def append(path, rows):
    with open(path, "a", encoding="utf-8", newline="") as fh:
        for row in rows:
            fh.write(",".join(row[f] for f in VALID_ROWS["patents"]) + "\n")


def shipped(tmp_path):
    root = tmp_path / "shipped"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copy(ROOT / "targets.yaml", root / "targets.yaml")
    return root


def test_every_entry_is_no_larger_than_its_ledger(invoke, tmp_path, cached):
    root = shipped(tmp_path)
    report(invoke, root, "--by", "town")
    for name in ("patents", "trademarks", "software_copyrights", "pledge_loans"):
        ledger = (root / "data" / f"{name}.csv").stat().st_size
        files = entry_files(cached, root, name)
        assert files, name
        assert sum(p.stat().st_size for p in files) <= ledger, name


def test_an_entry_of_long_unique_texts_is_compressed_to_fit(invoke, tmp_path, cached):
    """Plain Arrow costs 4 bytes an offset where the CSV has a comma: a ledger of unique short
    texts would outgrow the CSV; such a segment is written compressed instead."""
    rows = [
        {
            **patent(f"2021100{i:05d}", "2021-07-01"),
            "title": f"题{i}",
            "applicant": f"甲{i}",
            "applicant_address": f"址{i}",
            "filed_on": f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }
        for i in range(3000)
    ]
    root = make_project(tmp_path / "p", {"patents": rows})
    report(invoke, root)
    files = entry_files(cached, root, "patents")
    assert sum(p.stat().st_size for p in files) <= (root / "data" / "patents.csv").stat().st_size


def test_an_appended_tail_extends_the_entry(invoke, tmp_path, cached, monkeypatch):
    from ipdemo.engine import dataset

    root = make_project(tmp_path / "p", ROWS)
    path = root / "data" / "patents.csv"
    report(invoke, root)
    first = {p.name: p.stat().st_ino for p in entry_files(cached, root, "patents") if p.suffix == ".arrow"}
    size = path.stat().st_size
    append(path, [patent(f"2022100{i:05d}", "2022-03-01", town="平望镇") for i in range(40)])
    seen = []
    real = dataset.check_ledger_file
    monkeypatch.setattr(
        dataset, "check_ledger_file", lambda plan, name, data=None: seen.append((name, data)) or real(plan, name, data)
    )
    warm = report(invoke, root, "--by", "town")
    assert [name for name, _ in seen] == ["patents"]  # only the changed ledger is checked…
    assert len(seen[0][1]) < path.stat().st_size - size + 2000  # …and of it only the header and the tail
    now = {p.name: p.stat().st_ino for p in entry_files(cached, root, "patents") if p.suffix == ".arrow"}
    assert first.items() <= now.items() and len(now) == len(first) + 2  # kept as written; one segment more
    assert warm == json.loads(cold(invoke, root, monkeypatch, "report", "--format", "json", "--by", "town"))
    assert report(invoke, root, "--by", "town") == warm  # the extended entry serves the next report


def test_an_extended_entry_reports_problems_where_a_cold_check_does(invoke, tmp_path, cached, monkeypatch):
    root = make_project(tmp_path / "p", {"patents": [{**VALID_ROWS["patents"], "town": ""}]})
    path = root / "data" / "patents.csv"
    report(invoke, root)
    bad = [{**patent("202210000099", "2022-03-01"), "filed_on": "2022-02-30"}, patent("202210000100", "2022-03-01")]
    append(path, [*bad, {**patent("202210000101", "2022-03-01"), "town": ""}])
    warm = invoke(["validate", "--format", "json"], cwd=root).stdout
    assert warm == cold(invoke, root, monkeypatch, "validate", "--format", "json")
    found = json.loads(warm)
    assert [(e["line"], e["code"]) for e in found["errors"]] == [(3, "bad_date")]
    assert [w["line"] for w in found["warnings"]] == [2, 5]
    assert len([p for p in entry_files(cached, root, "patents") if p.suffix == ".arrow"]) == 4


def test_a_tail_that_repeats_a_stored_key_rebuilds_the_entry(invoke, tmp_path, cached, monkeypatch):
    """A duplicate key makes both rows invalid, the stored one too: the tail alone cannot say so."""
    root = make_project(tmp_path / "p", ROWS)
    path = root / "data" / "patents.csv"
    report(invoke, root)
    append(path, [{**ROWS["patents"][0], "title": "另一项"}])
    warm = report(invoke, root)
    assert warm == json.loads(cold(invoke, root, monkeypatch, "report", "--format", "json"))
    errors = json.loads(invoke(["validate", "--format", "json"], cwd=root).stdout)["errors"]
    assert sorted(e["line"] for e in errors if e["code"] == "duplicate_key") == [2, len(ROWS["patents"]) + 2]
    assert len([p for p in entry_files(cached, root, "patents") if p.suffix == ".arrow"]) == 2  # rebuilt whole


def test_an_unchanged_ledger_is_not_read_when_its_stamp_vouches_for_it(invoke, tmp_path, cached, monkeypatch):
    from ipdemo.engine import cache, dataset

    root = make_project(tmp_path / "p", ROWS)
    first = report(invoke, root)
    monkeypatch.setattr(cache, "RACY_NS", -(10**12))  # as if the entry was verified long after the last write
    reads = []
    real = dataset.read_committed
    monkeypatch.setattr(dataset, "read_committed", lambda path: reads.append(path.name) or real(path))
    assert report(invoke, root) == first
    assert "patents.csv" not in reads


def test_a_hand_edited_ledger_invalidates_a_stamped_entry(invoke, tmp_path, cached, monkeypatch):
    """An edit in place that keeps size and mtime (Excel saving over, a restored timestamp) changes ctime."""
    from ipdemo.engine import cache

    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    path = root / "data" / "patents.csv"
    assert report(invoke, root)["indicators"][0]["actual"] == 1
    monkeypatch.setattr(cache, "RACY_NS", -(10**12))
    before = path.stat()
    with open(path, "r+b") as fh:  # same inode, same size
        data = fh.read().replace(b"2021-06-10", b"2020-06-10")  # filed before the plan now
        fh.seek(0)
        fh.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    assert report(invoke, root)["indicators"][0]["actual"] == 0


def test_a_ledger_edited_in_the_middle_is_checked_whole(invoke, tmp_path, cached, monkeypatch):
    root = make_project(tmp_path / "p", ROWS)
    path = root / "data" / "patents.csv"
    report(invoke, root)
    rows = [dict(r) for r in ROWS["patents"]]
    rows[0]["town"] = "平望镇"
    write_ledger(path, [*rows, patent("202210000200", "2022-03-01")])  # rewritten, and a row more
    warm = report(invoke, root, "--by", "town")
    assert warm == json.loads(cold(invoke, root, monkeypatch, "report", "--format", "json", "--by", "town"))


def test_an_entry_of_many_tails_is_written_again_in_one_piece(invoke, tmp_path, cached, monkeypatch):
    from ipdemo.engine import cache

    monkeypatch.setattr(cache, "MAX_SEGMENTS", 2)
    root = make_project(tmp_path / "p", ROWS)
    path = root / "data" / "patents.csv"
    report(invoke, root)
    counts = []
    for week in range(3):
        append(path, [patent(f"2022100{week}{i:04d}", "2022-03-01", town="七都镇") for i in range(5)])
        warm = report(invoke, root, "--by", "town")
        counts.append(len([p for p in entry_files(cached, root, "patents") if p.suffix == ".arrow"]))
    assert counts == [4, 2, 4]  # two segments, then one (rewritten), then two again
    assert warm == json.loads(cold(invoke, root, monkeypatch, "report", "--format", "json", "--by", "town"))


def test_a_tail_after_a_ragged_row_is_not_checked_alone(invoke, tmp_path, cached, monkeypatch):
    """A ragged row sends the whole ledger to the exact reader: a tail read alone by the fast one
    would be judged by other rules, so the ledger is checked whole."""
    root = make_project(tmp_path / "p", ROWS)
    path = root / "data" / "patents.csv"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("a,b\n")
    invoke(["validate"], cwd=root)
    append(path, [patent("202210000300", "2022-03-01")])
    warm = invoke(["validate", "--format", "json"], cwd=root).stdout
    assert warm == cold(invoke, root, monkeypatch, "validate", "--format", "json")
    assert len([p for p in entry_files(cached, root, "patents") if p.suffix == ".arrow"]) == 2
