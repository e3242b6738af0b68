"""`ipdemo validate`: shipped data is valid; broken copies give file:line:field errors and exit 1."""

import json
import shutil
from xml.etree import ElementTree as ET

import pytest

from .conftest import ROOT, VALID_ROWS, make_project, snapshot, write_ledger


def row(ledger, **changes):
    return {**VALID_ROWS[ledger], **changes}


def test_shipped_data_is_valid(invoke, tmp_path):
    shutil.copy(ROOT / "targets.yaml", tmp_path / "targets.yaml")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    result = invoke(["validate", "--lang", "en"], cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "valid: 0 errors, 0 warnings" in result.stderr


def test_small_project_valid(invoke, project):
    result = invoke(["validate"], cwd=project)
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize(
    "ledger, changes, field, code",
    [
        ("patents", {"application_no": "202110182616.4"}, "application_no", "cnipa_check"),
        ("patents", {"granted_on": "2021-01-01"}, "granted_on", "not_before"),
        ("patents", {"type": "design"}, "type", "cnipa_type_mismatch"),
        ("patents", {"type": "发明"}, "type", "bad_enum"),
        ("patents", {"filed_on": "2021-02-30"}, "filed_on", "bad_date"),
        ("patents", {"filed_on": "1900-01-01", "granted_on": ""}, "filed_on", "date_out_of_range"),
        ("patents", {"title": ""}, "title", "required"),
        ("patents", {"town": "盛泽"}, "town", "town_alias"),
        ("patents", {"town": "盛泽街道"}, "town", "unknown_town"),
        ("enterprise_programs", {"credit_code": "9132050"}, "credit_code", "bad_uscc"),
        ("trademarks", {"nice_class": "46"}, "nice_class", "bad_nice_class"),
        ("trademarks", {"application_no": "A12"}, "application_no", "bad_trademark_no"),
        ("software_copyrights", {"registration_no": "2021SR080508"}, "registration_no", "bad_software_no"),
        ("pledge_loans", {"amount": "-5"}, "amount", "negative"),
        ("pledge_loans", {"amount": "五百"}, "amount", "bad_number"),
        ("events", {"participants": "many"}, "participants", "bad_integer"),
    ],
)
def test_broken_value_is_reported_with_file_line_field(invoke, tmp_path, ledger, changes, field, code):
    rows = {k: [v] for k, v in VALID_ROWS.items()}
    rows[ledger] = [VALID_ROWS[ledger], row(ledger, **{**_new_key(ledger), **changes})]
    proj = make_project(tmp_path / "p", rows)
    before = snapshot(proj)
    result = invoke(["validate", "--format", "json", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    errors = [e for e in report["errors"] if e["code"] == code]
    assert errors, report
    assert errors[0] == {**errors[0], "file": f"data/{ledger}.csv", "line": 3, "field": field}
    assert snapshot(proj) == before  # validate never writes


def _new_key(ledger):
    # A second row needs its own key, except where the test changes the key itself.
    return {
        "patents": {"application_no": "201710601862.3", "type": "invention"},
        "enterprise_programs": {"program": "strategy_plan"},
        "trademarks": {"application_no": "56781235"},
        "software_copyrights": {"registration_no": "2017SR676720"},
        "pledge_loans": {"contract_no": "WJZY2021-0002"},
        "events": {"event_id": "HD-002"},
    }.get(ledger, {})


@pytest.mark.parametrize(
    "ledger, changes, field, code",
    [
        ("patents", {"application_no": "202110182616.4"}, "application_no", "cnipa_check"),
        ("trademarks", {"application_no": "A12"}, "application_no", "bad_trademark_no"),
        ("software_copyrights", {"registration_no": "2021SR080508"}, "registration_no", "bad_software_no"),
    ],
)
def test_key_field_errors(invoke, tmp_path, ledger, changes, field, code):
    proj = make_project(tmp_path / "p", {ledger: [row(ledger, **changes)]})
    result = invoke(["validate", "--format", "json", "--lang", "en"], cwd=proj)
    errors = json.loads(result.stdout)["errors"]
    assert any(e["code"] == code and e["line"] == 2 and e["field"] == field for e in errors)


def test_credit_code_check_char_is_a_warning(invoke, tmp_path):
    proj = make_project(
        tmp_path / "p", {"enterprise_programs": [row("enterprise_programs", credit_code="91320509MA1MK3YW4Q")]}
    )
    result = invoke(["validate", "--format", "json"], cwd=proj)
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["valid"] is True
    assert [w["code"] for w in report["warnings"]] == ["uscc_check"]


def test_duplicate_keys_name_both_lines(invoke, tmp_path):
    proj = make_project(
        tmp_path / "p",
        {"patents": [VALID_ROWS["patents"], row("patents", application_no="201710601862.3"), VALID_ROWS["patents"]]},
    )
    result = invoke(["validate", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    assert "data/patents.csv:2: application_no: error: duplicate key 202110182616.5, also on line 4" in result.stdout
    assert "data/patents.csv:4: application_no: error: duplicate key 202110182616.5, also on line 2" in result.stdout


def test_unknown_town_suggests_closest(invoke, tmp_path):
    proj = make_project(tmp_path / "p", {"patents": [row("patents", town="盛泽街道")]})
    result = invoke(["validate", "--lang", "en"], cwd=proj)
    assert "unknown town '盛泽街道'; closest known: 吴江高新区（盛泽镇）" in result.stdout


def test_text_output_is_chinese_by_default(invoke, tmp_path):
    proj = make_project(tmp_path / "p", {"patents": [row("patents", title="")]})
    result = invoke(["validate"], cwd=proj)
    assert "data/patents.csv:2: 发明名称: 错误: 必填字段为空" in result.stdout
    assert "无效：1 个错误" in result.stderr


def test_quoted_newlines_keep_editor_line_numbers(invoke, tmp_path):
    proj = make_project(
        tmp_path / "p",
        {
            "patents": [
                row("patents", title="第一行\n第二行\n第三行"),
                row("patents", application_no="201710601862.3", title=""),
            ]
        },
    )
    result = invoke(["validate", "--format", "json"], cwd=proj)
    errors = json.loads(result.stdout)["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(5, "title")]


def test_ragged_row_is_reported_at_its_line(invoke, tmp_path):
    proj = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    path = proj / "data" / "patents.csv"
    path.write_text(path.read_text(encoding="utf-8-sig") + "201710601862.3,x,y\n", encoding="utf-8-sig")
    result = invoke(["validate", "--format", "json"], cwd=proj)
    errors = json.loads(result.stdout)["errors"]
    assert [(e["line"], e["code"]) for e in errors] == [(3, "ragged_row")]


def test_blank_lines_are_skipped_and_lines_still_counted(invoke, tmp_path):
    proj = make_project(tmp_path / "p")
    path = proj / "data" / "patents.csv"
    header = ",".join(VALID_ROWS["patents"])
    good = ",".join(VALID_ROWS["patents"].values())
    bad = good.replace("202110182616.5", "202110182616.4")
    path.write_text(f"{header}\n{good}\n\n{bad}\n", encoding="utf-8")
    result = invoke(["validate", "--format", "json"], cwd=proj)
    errors = json.loads(result.stdout)["errors"]
    assert [(e["line"], e["code"]) for e in errors] == [(4, "cnipa_check")]


def test_gbk_ledger_gets_a_fix_not_a_crash(invoke, tmp_path):
    proj = make_project(tmp_path / "p")
    path = proj / "data" / "patents.csv"
    text = ",".join(VALID_ROWS["patents"]) + "\n" + ",".join(VALID_ROWS["patents"].values()) + "\n"
    path.write_bytes(text.encode("gbk"))
    result = invoke(["validate", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    assert "data/patents.csv:1: error: data/patents.csv is not UTF-8" in result.stdout
    assert "ipdemo import" in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_missing_required_column(invoke, tmp_path):
    proj = make_project(tmp_path / "p")
    write_ledger(proj / "data" / "patents.csv", [{k: v for k, v in VALID_ROWS["patents"].items() if k != "filed_on"}])
    result = invoke(["validate", "--format", "json"], cwd=proj)
    errors = json.loads(result.stdout)["errors"]
    assert any(e["code"] == "missing_column" and e["field"] == "filed_on" and e["line"] == 1 for e in errors)


def test_extra_column_is_a_warning(invoke, tmp_path):
    proj = make_project(tmp_path / "p")
    write_ledger(proj / "data" / "patents.csv", [{**VALID_ROWS["patents"], "note": "x"}])
    result = invoke(["validate", "--format", "json"], cwd=proj)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["warnings"][0]["code"] == "unknown_column"


def test_missing_ledger_file(invoke, tmp_path):
    proj = make_project(tmp_path / "p")
    (proj / "data" / "events.csv").unlink()
    result = invoke(["validate", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1 and "ledger file missing: data/events.csv" in result.stdout


def test_all_problems_at_once(invoke, tmp_path):
    rows = [row("patents", application_no=f"2021101826{i:02d}.0", title="") for i in range(20)]
    proj = make_project(tmp_path / "p", {"patents": rows})
    result = invoke(["validate", "--format", "json"], cwd=proj)
    errors = json.loads(result.stdout)["errors"]
    assert len([e for e in errors if e["code"] == "required"]) == 20


def test_github_format(invoke, tmp_path):
    proj = make_project(tmp_path / "p", {"patents": [row("patents", title="")]})
    result = invoke(["validate", "--format", "github", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    assert result.stdout.strip() == "::error file=data/patents.csv,line=2,title=title::required field is empty"


def test_junit_format_parses(invoke, tmp_path):
    proj = make_project(tmp_path / "p", {"patents": [row("patents", title="")]})
    result = invoke(["validate", "--format", "junit"], cwd=proj)
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert "data/patents.csv" in suites and "data/events.csv" in suites
    failure = suites["data/patents.csv"].find("testcase/failure")
    assert failure is not None and "data/patents.csv:2" in failure.text
    assert root.get("failures") == "1"


def test_invalid_targets_gives_exit_1_with_line(invoke, tmp_path):
    proj = make_project(tmp_path / "p")
    text = (proj / "targets.yaml").read_text(encoding="utf-8")
    (proj / "targets.yaml").write_text(text.replace("ledger: trademarks,", "ledger: trademark,"), encoding="utf-8")
    result = invoke(["validate", "--format", "json", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    err = json.loads(result.stdout)["errors"][0]
    assert err["code"] == "unknown_ledger" and err["file"].endswith("targets.yaml") and err["line"] > 1


def test_missing_targets_is_exit_1_with_fix(invoke, tmp_path):
    result = invoke(["validate", "--lang", "en"], cwd=tmp_path)
    assert result.exit_code == 1
    assert "targets.yaml not found" in result.stderr and "ipdemo init" in result.stderr


@pytest.mark.parametrize("lang, word", [("zh", "不是文本文件"), ("en", "is not a text file")])
def test_a_binary_ledger_is_named_binary_in_the_readers_language_also_from_the_cache(
    invoke, tmp_path, monkeypatch, lang, word
):
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("IPDEMO_NO_CACHE", raising=False)
    proj = make_project(tmp_path / "p")
    (proj / "data" / "patents.csv").write_bytes(bytes(range(256)) * 64)  # no text encoding fits
    first = invoke(["validate", "--lang", lang], cwd=proj)
    assert first.exit_code == 1 and word in first.stdout, first.stdout
    assert ("文本" in first.stdout) == (lang == "zh")
    again = invoke(["validate", "--lang", lang], cwd=proj)  # the problem now comes from the cache
    assert again.stdout == first.stdout
