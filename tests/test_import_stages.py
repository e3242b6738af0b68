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


def test_the_register_s_journal_entry_counts_under_the_same_names(invoke, tmp_path):
    """An organisation placed by address joins the enterprise register: that entry of the
    journal records the same counts (JOURNAL_COUNTS) as every other import entry."""
    proj = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    header = ["申请号", "名称", "申请人", "申请人地址", "申请日"]
    row = [
        cn("202410000001"),
        "一种装置",
        "苏州新某某材料有限公司",
        "江苏省苏州市吴江区平望镇中鲈大道1号",
        "2024-01-05",
    ]
    src = export(proj / "in.csv", [row], header=header)
    result = invoke(["import", str(src), "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["register"]["added"] == 1
    entry = [e for e in read_journal(proj / "data") if e["ledger"] == "organisations"][-1]
    assert {k: entry[k] for k in entry if k in JOURNAL_COUNTS} == {**dict.fromkeys(JOURNAL_COUNTS, 0), "added": 1}


def test_the_text_names_each_count_as_the_json_does():
    """The summary lines of `ipdemo import` are read from ImportResult.counts under the JSON's
    names (`folded_publications`, not a second spelling), each with its words in i18n."""
    from ipdemo.i18n import LABELS
    from ipdemo.render.imports import COUNTS, LISTED

    counts = ImportResult("patents", "x.csv", "0" * 64, None, None).counts()
    assert [k for k in COUNTS if k not in counts and k not in LISTED] == []
    assert [k for k in COUNTS if f"imports.{k}" not in LABELS] == []
