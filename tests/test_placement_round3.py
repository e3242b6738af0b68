"""Placement, round 3 (issue 21, items 7, 8, 11, 12), on real-shaped files kept as fixtures in
tests/fixtures/exports/:

- patsnap_postcode_province_only.csv: PatSnap with no address, only 申请人邮编 and 国省代码;
- cnipa_wujiang_shi_former_names.csv: CNIPA with 吴江市-era addresses and former names
  (滨湖新城, 吴江经济开发区, 东方丝绸市场), one address naming two towns, one with only a postcode;
- coapplicants_20230301.csv / coapplicants_20230308.csv: the same co-applicant lists a week
  apart, written with other separators, spacing and bracket width, and one real transfer;
- copyright_owners_suffix_brackets.csv + organisations_register.csv: a 版权中心 announcement
  whose owners differ from the register only by 有限公司/股份有限公司 or brackets.

Every import is the command the user types: `ipdemo import FILE`, no --ledger.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ipdemo.data.store import read_journal
from ipdemo.ingest.placement import (
    BY_POSTCODE,
    INSIDE,
    OUTSIDE,
    UNKNOWN,
    loose_key,
    place_addresses,
    place_postcodes,
    same_parties,
)
from ipdemo.plan.model import load_plan

from .conftest import VALID_ROWS, make_project
from .helpers import cn

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"
TARGETS = Path(__file__).resolve().parent.parent / "targets.yaml"
SHENGZE = "吴江高新区（盛泽镇）"
TAIHU = "东太湖度假区（太湖新城）"
KAIFA = "吴江开发区"


@pytest.fixture(scope="module")
def plan():
    return load_plan(TARGETS)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p")


def copy_in(project: Path, name: str) -> Path:
    return Path(shutil.copy(FIXTURES / name, project / name))


def run_import(invoke, project: Path, *args: str) -> dict:
    result = invoke(["import", *args, "--format", "json"], cwd=project)
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def ledger(project: Path, name: str, key: str) -> dict[str, dict[str, str]]:
    path = project / "data" / f"{name}.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return {r[key]: r for r in csv.DictReader(fh)}


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --- 7: postcodes and province / city codes ---------------------------------------------------


@pytest.mark.parametrize(
    "postcode, region, located, town",
    [
        ("310012", "", OUTSIDE, ""),  # 杭州: plainly outside
        ("215228", "", INSIDE, SHENGZE),  # one town alone lists it
        ("215231", "", INSIDE, "震泽镇"),
        ("215200", "", INSIDE, ""),  # the district's main code: no town
        ("215000", "", UNKNOWN, ""),  # the city's general code: decides nothing
        ("215000", "33", OUTSIDE, ""),  # … but a province code of 浙江 does
        ("", "32", UNKNOWN, ""),  # 江苏: the province is above the district
        ("", "3205", UNKNOWN, ""),  # 苏州: so is the city
        ("", "320509", INSIDE, ""),
        ("", "320507", OUTSIDE, ""),  # 相城区
        ("", "江苏;32", UNKNOWN, ""),
        ("", "US", OUTSIDE, ""),
        ("215228.0", "", INSIDE, SHENGZE),  # a number a spreadsheet wrote as a float
        ("215228;310012", "", INSIDE, SHENGZE),  # the first applicant's
        ("12345", "", UNKNOWN, ""),
        ("000000", "", UNKNOWN, ""),
    ],
)
def test_postcode_and_region_code_place_a_row(plan, postcode, region, located, town):
    placed = place_postcodes(plan, pd.Series([postcode]), pd.Series([region]))
    assert (placed.located[0], placed.town.iloc[0]) == (located, town)
    assert placed.how[0] == (BY_POSTCODE if located else "")


def test_a_postcode_two_towns_list_places_no_town(plan):
    towns = [t.model_copy(update={"postcodes": ["215228"]}) if t.name == "平望镇" else t for t in plan.towns]
    shared = plan.model_copy(update={"towns": towns})  # 平望镇 claims 盛泽's code as well
    placed = place_postcodes(shared, pd.Series(["215228"]))
    assert (placed.located[0], placed.town.iloc[0]) == (INSIDE, "")


def test_patsnap_with_only_postcode_and_province_code(invoke, proj):
    src = copy_in(proj, "patsnap_postcode_province_only.csv")
    out = run_import(invoke, proj, str(src))
    assert out["ledger"] == "patents"
    assert (out["added"], out["outside"], out["held"], out["unassigned"]) == (4, 3, 1, 2)
    stored = ledger(proj, "patents", "application_no")
    assert stored[cn("202320100002")]["town"] == SHENGZE
    assert stored[cn("202320100007")]["town"] == "震泽镇"
    assert stored[cn("202320100003")]["town"] == ""  # 215200: inside, no town
    assert cn("202310100001") not in stored  # 杭州 310012: outside, not held
    held = read_rows(proj / "patsnap_postcode_province_only.unplaced.csv")
    assert [r["[标]当前申请(专利权)人"] for r in held] == ["苏州壬智能科技有限公司"]  # 215000 only
    # The postcode and region columns are read, so they are not "unused columns".
    result = invoke(["import", str(src), "--dry-run"], cwd=proj)
    assert "申请人邮编" not in result.stderr and "国省代码" not in result.stderr


def test_the_postcode_written_before_an_address_decides_when_the_address_does_not(plan, invoke, proj):
    header = ["申请号", "发明名称", "申请人", "申请人地址", "申请日", "专利类型"]
    rows = [
        [cn("202310500001"), "一种阀门", "某阀门有限公司", "310012 文三路1号", "2023-05-01", "发明"],
        [cn("202310500002"), "一种泵", "某泵业有限公司", "215228 西二环路2号", "2023-05-02", "发明"],
    ]
    src = proj / "list.csv"
    with open(src, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    out = run_import(invoke, proj, str(src))
    assert (out["added"], out["outside"], out["held"]) == (1, 1, 0)
    assert ledger(proj, "patents", "application_no")[cn("202310500002")]["town"] == SHENGZE


# --- 8: former and informal names -----------------------------------------------------------


@pytest.mark.parametrize(
    "address, town",
    [
        ("江苏省吴江市滨湖新城开平路1号", TAIHU),  # the name of 太湖新城 until 2013
        ("江苏省苏州市吴江区吴江滨湖新城太湖大道2号", TAIHU),
        ("江苏省吴江市东方丝绸市场3号", SHENGZE),  # a landmark wholly in 盛泽
        ("江苏省吴江经济开发区庞金路6号", KAIFA),
        ("江苏省吴江市平望镇、盛泽镇交界工业区4号", ""),  # two towns' areas: unassigned
        ("江苏省苏州市吴江区松陵镇盛泽镇路口", ""),
        ("江苏省苏州市吴江区松陵镇同里湖路", TAIHU),  # a road named after a town is not the town
    ],
)
def test_former_and_informal_names_place_an_address(plan, address, town):
    placed = place_addresses(plan, pd.Series([address]))
    assert (placed.located[0], placed.town.iloc[0]) == (INSIDE, town)


def test_cnipa_export_with_wujiang_shi_addresses_and_former_names(invoke, proj):
    src = copy_in(proj, "cnipa_wujiang_shi_former_names.csv")
    out = run_import(invoke, proj, str(src))
    assert (out["added"], out["outside"], out["held"], out["unassigned"]) == (5, 1, 0, 1)
    towns = {k: r["town"] for k, r in ledger(proj, "patents", "application_no").items()}
    assert towns == {
        cn("201110200001"): TAIHU,
        cn("201220200002"): TAIHU,
        cn("201020200003"): SHENGZE,
        cn("201120200004"): "",
        cn("200920200006"): KAIFA,
    }


def test_jingji_kaifaqu_is_accepted_in_a_town_column(invoke, proj):
    header = ["申请号", "发明名称", "申请人", "申请日", "专利类型", "所属区镇"]
    rows = [
        [cn("202310600001"), "一种模具", "某模具有限公司", "2023-06-01", "发明", "经济开发区"],
        [cn("202310600002"), "一种夹具", "某夹具有限公司", "2023-06-02", "发明", "滨湖新城"],
    ]
    src = proj / "区镇报送.csv"
    with open(src, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    out = run_import(invoke, proj, str(src))
    assert out["added"] == 2 and not out["errors"]
    towns = {k: r["town"] for k, r in ledger(proj, "patents", "application_no").items()}
    assert towns == {cn("202310600001"): KAIFA, cn("202310600002"): TAIHU}


def test_every_former_name_is_a_place_of_its_town_in_both_copies_of_the_plan(plan):
    template = Path(__file__).resolve().parent.parent / "src" / "ipdemo" / "templates" / "targets.yaml"
    assert TARGETS.read_bytes() == template.read_bytes()
    places = {p: t.name for t in plan.towns for p in t.places}
    assert places["滨湖新城"] == TAIHU and places["东方丝绸市场"] == SHENGZE
    assert plan.town_index.canonical("经济开发区") == KAIFA
    assert "苏州湾" not in places  # shared by 吴江 and 吴中: names no one town


# --- 11: co-applicant lists compared as lists of names ---------------------------------------


@pytest.mark.parametrize(
    "old, new, same",
    [
        ("吴江甲有限公司; 苏州大学", "吴江甲有限公司；苏州大学", True),
        ("吴江甲有限公司;苏州大学", "吴江甲有限公司 ; 苏州大学", True),
        ("吴江甲有限公司、苏州大学", "吴江甲有限公司;苏州大学", True),
        ("吴江丙机械（苏州）有限公司", "吴江丙机械(苏州)有限公司", True),
        ("ＡＢＣ有限公司", "ABC有限公司", True),
        ("吴江甲有限公司;苏州大学", "苏州大学;吴江甲有限公司", False),  # the first applicant changed
        ("吴江丙有限公司", "吴江丁有限公司", False),
        ("吴江甲有限公司", "吴江甲有限公司;苏州大学", False),
    ],
)
def test_same_parties(old, new, same):
    assert bool(same_parties(pd.Series([old]), pd.Series([new]))[0]) is same


def test_separator_changes_are_not_transfers(invoke, proj):
    first = copy_in(proj, "coapplicants_20230301.csv")
    second = copy_in(proj, "coapplicants_20230308.csv")
    assert run_import(invoke, proj, str(first))["added"] == 4
    before = ledger(proj, "patents", "application_no")
    out = run_import(invoke, proj, str(second))
    assert out["transfers"] == [
        {"key": cn("202310300004"), "field": "applicant", "old": "吴江丁染料有限公司", "new": "吴江戊新材料有限公司"}
    ]
    assert (out["updated"], out["unchanged"]) == (1, 3)
    after = ledger(proj, "patents", "application_no")
    for key in (cn("202310300001"), cn("202310300002"), cn("202310300003")):
        assert after[key]["applicant"] == before[key]["applicant"]  # kept as first written
    text = invoke(["import", str(second)], cwd=proj)
    assert "权利人变更" not in text.stdout + text.stderr  # nothing more to change
    changes = [c for e in read_journal(proj / "data") for c in e.get("changes", [])]
    assert [c["key"] for c in changes if c["field"] == "applicant"] == [cn("202310300004")]


# --- 12: held rows arrive with a suggestion, never imported without the clerk -----------------


def test_loose_key_sees_through_company_form_brackets_and_spacing():
    assert (
        loose_key("苏州甲软件股份有限公司") == loose_key("苏州甲软件有限公司") == loose_key("苏州甲软件 有限责任公司")
    )
    assert loose_key("吴江乙信息技术（苏州）有限公司") == loose_key("吴江乙信息技术苏州有限公司")
    assert loose_key("吴江乙信息技术有限公司") != loose_key("吴江丙信息技术有限公司")


@pytest.fixture
def copyright_project(invoke, tmp_path: Path) -> Path:
    seeded = {
        **VALID_ROWS["patents"],
        "application_no": cn("202210700001"),
        "applicant": "吴江丙科技有限公司",
        "town": "七都镇",
    }
    proj = make_project(tmp_path / "c", {"patents": [seeded]})
    out = run_import(invoke, proj, str(copy_in(proj, "organisations_register.csv")))
    assert (out["ledger"], out["added"]) == ("organisations", 3)
    return proj


def test_held_rows_carry_a_marked_suggestion(invoke, copyright_project):
    proj = copyright_project
    src = copy_in(proj, "copyright_owners_suffix_brackets.csv")
    out = run_import(invoke, proj, str(src))
    assert (out["ledger"], out["added"], out["held"], out["suggested"]) == ("software_copyrights", 1, 5, 4)
    held = read_rows(proj / "copyright_owners_suffix_brackets.unplaced.csv")
    got = {r["著作权人"]: (r["所属区镇"], r["建议区镇"]) for r in held}
    assert got == {
        "苏州甲软件有限公司": ("", SHENGZE),  # register: 股份有限公司
        "吴江乙信息技术苏州有限公司": ("", "平望镇"),  # register: brackets
        "吴江丙科技有限公司": ("", "七都镇"),  # its patent in the ledgers
        "苏州震泽丁纺织有限公司": ("", "震泽镇"),  # a place word in the name
        "王建国": ("", ""),
    }  # a person: nothing suggested
    basis = {r["著作权人"]: r["建议依据"] for r in held}
    assert "苏州甲软件股份有限公司" in basis["苏州甲软件有限公司"]
    assert "推测" in basis["苏州震泽丁纺织有限公司"] and basis["王建国"] == ""


def test_a_suggestion_is_never_imported_until_the_clerk_copies_it(invoke, copyright_project):
    proj = copyright_project
    src = copy_in(proj, "copyright_owners_suffix_brackets.csv")
    said = invoke(["import", str(src)], cwd=proj)
    assert said.exit_code == 0 and "其中 4 行已预填建议区镇" in said.stdout + said.stderr
    held = proj / "copyright_owners_suffix_brackets.unplaced.csv"
    again = run_import(invoke, proj, str(held))  # sent back untouched: still held, nothing added
    assert (again["added"], again["held"]) == (0, 5)
    said = json.dumps(again["warnings"], ensure_ascii=False)
    assert "建议区镇" not in said and "建议依据" not in said  # ipdemo's own columns, not "unused"
    rows = read_rows(held)
    for row in rows:  # the clerk confirms two suggestions, and ignores the rest
        if row["著作权人"] in ("苏州甲软件有限公司", "吴江丙科技有限公司"):
            row["所属区镇"] = row["建议区镇"]
    write_rows(held, rows)
    done = run_import(invoke, proj, str(held))
    assert (done["added"], done["held"]) == (2, 3)
    stored = ledger(proj, "software_copyrights", "registration_no")
    assert (stored["2023SR0400001"]["town"], stored["2023SR0400003"]["town"]) == (SHENGZE, "七都镇")
    assert "2023SR0400004" not in stored  # suggested, not confirmed


def test_the_weekly_summary_counts_rows_waiting_for_a_town(invoke, copyright_project):
    proj = copyright_project
    src = copy_in(proj, "copyright_owners_suffix_brackets.csv")

    def waiting(lang: str = "zh") -> str:
        result = invoke(["summary", "--as-of", "2023-09-10", "--format", "text", "--lang", lang], cwd=proj)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert "待确认区镇" not in waiting()
    run_import(invoke, proj, str(src))
    assert "计算机软件著作权：5 条记录待确认区镇" in waiting()
    assert "Software copyrights: 5 records waiting for a town" in waiting("en")
    held = proj / "copyright_owners_suffix_brackets.unplaced.csv"
    rows = read_rows(held)
    for row in rows:
        row["所属区镇"] = row["建议区镇"]
    write_rows(held, rows)
    run_import(invoke, proj, str(held))  # four confirmed; the person's row waits again
    assert "计算机软件著作权：1 条记录待确认区镇" in waiting()


def test_rows_the_clerk_deletes_or_a_deleted_file_no_longer_wait(invoke, copyright_project):
    proj = copyright_project
    src = copy_in(proj, "copyright_owners_suffix_brackets.csv")
    run_import(invoke, proj, str(src))
    held = proj / "copyright_owners_suffix_brackets.unplaced.csv"

    def waiting() -> str:
        return invoke(["summary", "--as-of", "2023-09-10", "--format", "text"], cwd=proj).stdout

    rows = read_rows(held)
    kept = [r for r in rows if r["著作权人"] != "王建国"]  # the clerk finds him outside: row deleted
    kept[0]["所属区镇"] = kept[0]["建议区镇"]
    write_rows(held, kept)
    assert run_import(invoke, proj, str(held))["held"] == 3
    assert "计算机软件著作权：3 条记录待确认区镇" in waiting()
    again = proj / "copyright_owners_suffix_brackets.unplaced.unplaced.csv"
    assert again.exists()
    again.unlink()  # the clerk gives up on the rest
    assert "待确认区镇" not in waiting()
