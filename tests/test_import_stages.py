"""One name per count of an import: ImportResult.counts is the one mapping the JSON and the
journal entry both take their counts from, under the keys README documents."""

from __future__ import annotations

import dataclasses
import json

from ipdemo.data.store import read_journal
from ipdemo.ingest.importer import JOURNAL_COUNTS, ImportResult

from .conftest import VALID_ROWS, make_project
from .helpers import cn, export

# `ipdemo import --format json`: the keys users read (README), in the order they are printed.
JSON_KEYS = [
    "ledger",
    "source",
    "sources",
    "sha256",
    "encoding",
    "sheet",
    "exported_on",
    "exported_on_from",
    "added",
    "updated",
    "unchanged",
    "rejected",
    "outside",
    "other_office",
    "held",
    "held_file",
    "suggested",
    "unassigned",
    "folded_publications",
    "recognised",
    "same_record",
    "skipped_rows",
    "dry_run",
    "written",
    "ledger_chosen",
    "set_over_columns",
    "unused_columns",
    "reject_file",
    "transfers",
    "kept_newer",
    "register",
    "errors",
    "warnings",
    "changes",
]


def test_every_count_has_one_name_the_field_s_own():
    """A count added to ImportResult is reported under its field's name, or the test says so."""
    counted = {f.name for f in dataclasses.fields(ImportResult) if f.type == "int"} - {"register_added"}
    counts = ImportResult("patents", "x.csv", "0" * 64, None, None).counts()
    assert set(counts) == counted
    assert set(JOURNAL_COUNTS) <= set(counts)


def test_the_json_and_the_journal_say_the_same_counts(invoke, tmp_path):
    proj = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    key = VALID_ROWS["patents"]["application_no"]
    src = export(
        proj / "in.csv",
        [
            [cn("202410000001"), "一种装置", "某公司", "2024-01-05", "发明", "", "盛泽"],
            [
                key,
                VALID_ROWS["patents"]["title"],
                VALID_ROWS["patents"]["applicant"],
                "2021-06-10",
                "发明",
                "2023-03-01",
                "吴江开发区",
            ],
        ],
    )
    result = invoke(["import", str(src), "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert list(out) == JSON_KEYS
    assert (out["added"], out["updated"]) == (1, 1)
    entry = read_journal(proj / "data")[-1]
    assert {k: entry[k] for k in JOURNAL_COUNTS} == {k: out[k] for k in JOURNAL_COUNTS}
