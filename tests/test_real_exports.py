"""Real exports, unedited: every shape the sources write goes in with one `ipdemo import FILE`.

The tests build each file as the source system writes it (headers, date spellings, publication
rows, kind codes, co-applicants, postcodes, old 吴江市 addresses, title rows, GBK) and check what
the district's ledgers hold afterwards, row by row, and what the import says it set aside.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ipdemo.data.store import read_journal

from .conftest import make_project
from .helpers import cn, ledger

SHENGZE = "吴江高新区（盛泽镇）"
TAIHU = "东太湖度假区（太湖新城）"
KAIFA = "吴江开发区"


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig", title: list[str] | None = None
) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        for line in title or []:
            writer.writerow([line] + [""] * (len(header) - 1))
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], title: str | None = None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def by_key(rows: list[dict[str, str]], key: str = "application_no") -> dict[str, dict[str, str]]:
    return {r[key]: r for r in rows}


def run_import(invoke, project: Path, *args: str) -> dict:
    result = invoke(["import", *args, "--format", "json"], cwd=project)
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """Empty ledgers of the shipped plan."""
    return make_project(tmp_path / "p")


# --- patents: CNIPA 专利检索及分析系统 著录项目 -------------------------------------------

CNIPA_HEADER = [
    "序号",
    "申请号",
    "申请日",
    "公开（公告）号",
    "公开（公告）日",
    "发明名称",
    "IPC分类号",
    "申请（专利权）人",
    "发明人",
    "申请人地址",
    "申请人邮编",
    "代理机构",
]
A1, U1, OUT1, CO1, OLD1, BARE1 = (
    cn("202310000001"),
    cn("202320000002"),
    cn("202310000003"),
    cn("202310000004"),
    cn("201110000005"),
    cn("202330000006"),
)


def cnipa_rows() -> list[list[str]]:
    return [
        [
            "1",
            "CN" + A1,
            "2023.07.18",
            "CN116000001A",
            "2023.10.20",
            "一种真丝面料的染色方法",
            "D06P",
            "吴江甲纺织有限公司",
            "张三",
            "215228 江苏省苏州市吴江区盛泽镇西二环路1号",
            "215228",
            "某代理所",
        ],
        [
            "2",
            "CN" + A1,
            "2023.07.18",
            "CN116000001B",
            "2024.05.10",
            "一种真丝面料的染色方法",
            "D06P",
            "吴江甲纺织有限公司",
            "张三",
            "215228 江苏省苏州市吴江区盛泽镇西二环路1号",
            "215228",
            "某代理所",
        ],
        [
            "3",
            "CN" + U1,
            "2023.08.01",
            "CN220000002U",
            "2024.01.05",
            "一种光缆护套",
            "G02B",
            "吴江乙光电有限公司",
            "李四",
            "江苏省苏州市吴江经济技术开发区运东大道2号",
            "215200",
            "",
        ],
        # 苏州盛泽科技有限公司 sounds like Wujiang, but its address is in 相城区: outside.
        [
            "4",
            "CN" + OUT1,
            "2023.09.01",
            "CN117000003A",
            "2023.12.01",
            "一种织机",
            "D03D",
            "苏州盛泽科技有限公司",
            "王五",
            "江苏省苏州市相城区黄埭镇1号",
            "215143",
            "",
        ],
        # The first co-applicant (a university in 姑苏区) decides, not the Wujiang firm second.
        [
            "5",
            "CN" + CO1,
            "2023.09.02",
            "CN117000004A",
            "2023.12.02",
            "一种纤维",
            "D01F",
            "苏州某大学;吴江丙化纤有限公司",
            "赵六",
            "江苏省苏州市姑苏区十梓街1号;江苏省苏州市吴江区平望镇1号",
            "215006",
            "",
        ],
        # Before 2012 the address said 吴江市, and 松陵镇 is now the 太湖新城 area.
        [
            "6",
            "CN" + OLD1,
            "2011.03.03",
            "CN102000005B",
            "2013.06.06",
            "一种电缆",
            "H01B",
            "吴江丁电缆有限公司",
            "钱七",
            "江苏省吴江市松陵镇中山南路8号",
            "215200",
            "",
        ],
        # Inside the district, but the address names no town.
        [
            "7",
            "CN" + BARE1,
            "2023.10.10",
            "CN308000006S",
            "2024.02.02",
            "围巾",
            "02-03",
            "吴江戊丝绸有限公司",
            "孙八",
            "苏州市吴江区中山北路2288号",
            "215200",
            "",
        ],
    ]


def test_cnipa_xlsx_places_towns_folds_publications_and_skips_outside(invoke, proj):
    src = write_xlsx(proj / "著录项目_20240601.xlsx", CNIPA_HEADER, cnipa_rows())
    out = run_import(invoke, proj, str(src))
    assert (out["added"], out["outside"], out["folded_publications"], out["unassigned"]) == (4, 2, 1, 1)
    assert out["exported_on"] == "2024-06-01" and out["exported_on_from"] == "file_name"
    rows = by_key(ledger(proj, "patents"))
    assert set(rows) == {A1, U1, OLD1, BARE1}
    assert (rows[A1]["town"], rows[A1]["type"], rows[A1]["granted_on"]) == (SHENGZE, "invention", "2024-05-10")
    assert (rows[U1]["town"], rows[U1]["type"], rows[U1]["granted_on"]) == (KAIFA, "utility_model", "2024-01-05")
    assert (rows[OLD1]["town"], rows[OLD1]["granted_on"]) == (TAIHU, "2013-06-06")
    assert (rows[BARE1]["town"], rows[BARE1]["type"], rows[BARE1]["granted_on"]) == ("", "design", "2024-02-02")
    assert rows[A1]["filed_on"] == "2023-07-18" and rows[A1]["applicant_address"].startswith("215228 江苏省")


def test_cnipa_reimport_changes_nothing_and_register_learns(invoke, proj):
    src = write_xlsx(proj / "著录项目_20240601.xlsx", CNIPA_HEADER, cnipa_rows())
    run_import(invoke, proj, str(src))
    before = (proj / "data" / "patents.csv").read_bytes()
    again = run_import(invoke, proj, str(src))
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 4)
    assert (proj / "data" / "patents.csv").read_bytes() == before
    register = {r["name"]: r for r in ledger(proj, "organisations")}
    assert register["吴江甲纺织有限公司"]["town"] == SHENGZE and register["吴江甲纺织有限公司"]["located"] == "inside"
    assert register["苏州盛泽科技有限公司"]["located"] == "outside"
    assert "张三" not in register


def test_unassigned_town_is_a_validate_warning_not_an_error(invoke, proj):
    src = write_xlsx(proj / "著录项目_20240601.xlsx", CNIPA_HEADER, cnipa_rows())
    run_import(invoke, proj, str(src))
    result = invoke(["validate", "--format", "json"], cwd=proj)
    report = json.loads(result.stdout)
    assert report["valid"] is True, report["errors"]
    assert [w["code"] for w in report["warnings"] if w["field"] == "town"] == ["town_unassigned"]


# --- patents: incoPat (one row per publication, legal status) -----------------------------

INCOPAT_HEADER = [
    "序号",
    "标题",
    "申请号",
    "申请日",
    "公开（公告）号",
    "公开（公告）日",
    "授权日",
    "申请人",
    "申请人地址",
    "中国申请人地市",
    "中国申请人区县",
    "发明人",
    "IPC主分类",
    "专利类型",
    "当前法律状态",
    "法律状态",
    "代理机构",
]
INV, LAPSED, REFUSED = cn("202110000011"), cn("202110000012"), cn("202210000013")


def incopat_rows(lapsed_status: str = "未缴年费专利权终止", simple: str = "失效") -> list[list[str]]:
    addr = "江苏省苏州市吴江区震泽镇1号"
    return [
        [
            "1",
            "一种蚕丝被",
            INV,
            "2021-07-01",
            "CN113000011A",
            "2021-10-01",
            "",
            "吴江己丝绸有限公司",
            addr,
            "苏州市",
            "吴江区",
            "甲",
            "D04H",
            "发明申请",
            "有效",
            "授权",
            "",
        ],
        [
            "2",
            "一种蚕丝被",
            INV,
            "2021-07-01",
            "CN113000011B",
            "2022-09-09",
            "2022-09-09",
            "吴江己丝绸有限公司",
            addr,
            "苏州市",
            "吴江区",
            "甲",
            "D04H",
            "发明授权",
            "有效",
            "授权",
            "",
        ],
        [
            "3",
            "一种缫丝机",
            LAPSED,
            "2021-07-02",
            "CN113000012B",
            "2022-03-03",
            "2022-03-03",
            "吴江己丝绸有限公司",
            addr,
            "苏州市",
            "吴江区",
            "乙",
            "D01B",
            "发明授权",
            simple,
            lapsed_status,
            "",
        ],
        [
            "4",
            "一种染料",
            REFUSED,
            "2022-01-05",
            "CN114000013A",
            "2022-05-05",
            "",
            "吴江己丝绸有限公司",
            addr,
            "苏州市",
            "吴江区",
            "丙",
            "C09B",
            "发明申请",
            "失效",
            "驳回",
            "",
        ],
    ]


def test_incopat_legal_status_and_valid_inventions(invoke, proj):
    src = write_csv(proj / "incoPat导出_2023-06-30.csv", INCOPAT_HEADER, incopat_rows())
    out = run_import(invoke, proj, str(src))
    assert (out["added"], out["folded_publications"]) == (3, 1)
    rows = by_key(ledger(proj, "patents"))
    assert (rows[INV]["legal_status"], rows[INV]["granted_on"], rows[INV]["town"]) == ("valid", "2022-09-09", "震泽镇")
    assert (rows[LAPSED]["legal_status"], rows[LAPSED]["status_on"]) == ("lapsed", "2023-06-30")
    assert (rows[REFUSED]["legal_status"], rows[REFUSED]["granted_on"]) == ("refused", "")

    def figures(as_of: str) -> dict:
        report = json.loads(invoke(["report", "--as-of", as_of, "--format", "json"], cwd=proj).stdout)
        return {i["id"]: i for i in report["indicators"]}

    before, after = figures("2023-06-29"), figures("2023-07-01")
    assert before["patent_applications"]["actual"] == 3  # a refused application was still filed
    assert before["patent_grants"]["actual"] == 2
    density = 10000 / 1545023
    assert before["invention_density"]["actual"] == pytest.approx(2 * density, abs=1e-3)
    assert after["invention_density"]["actual"] == pytest.approx(1 * density, abs=1e-3)  # the lapse is known


def test_older_export_never_rolls_back_a_newer_status(invoke, proj):
    newer = write_csv(proj / "incoPat导出_2023-06-30.csv", INCOPAT_HEADER, incopat_rows())
    older = write_csv(
        proj / "incoPat导出_2022-12-31.csv", INCOPAT_HEADER, incopat_rows(lapsed_status="授权", simple="有效")
    )
    run_import(invoke, proj, str(newer))
    out = run_import(invoke, proj, str(older))
    assert out["updated"] == 0
    assert [(k["key"], k["field"], k["stored"], k["incoming"]) for k in out["kept_newer"]] == [
        (LAPSED, "legal_status", "lapsed", "valid")
    ]
    rows = by_key(ledger(proj, "patents"))
    assert (rows[LAPSED]["legal_status"], rows[LAPSED]["status_on"]) == ("lapsed", "2023-06-30")
    assert [e["exported_on"] for e in read_journal(proj / "data") if e["ledger"] == "patents"] == [
        "2023-06-30",
        "2022-12-31",
    ]


# --- patents: PatSnap (CSV with BOM, family members of other offices, transfers) ----------

PATSNAP_HEADER = [
    "公开(公告)号",
    "申请号",
    "标题",
    "[标]原始申请(专利权)人",
    "[标]当前申请(专利权)人",
    "当前申请(专利权)人地址",
    "当前申请(专利权)人州/省",
    "当前申请(专利权)人地市",
    "当前申请(专利权)人区县",
    "申请日",
    "公开(公告)日",
    "授权日",
    "专利类型",
    "简单法律状态",
    "法律状态/事件",
    "受理局",
]
PS1 = cn("202210000021")


def patsnap_rows(current: str = "吴江庚智能有限公司") -> list[list[str]]:
    return [
        [
            "CN115000021B",
            PS1.replace(".", ""),
            "一种机器人",
            "吴江辛机械有限公司",
            current,
            "江苏省苏州市吴江区七都镇1号",
            "江苏省",
            "苏州市",
            "吴江区",
            "2022-02-02",
            "2023-03-03",
            "2023-03-03",
            "授权发明",
            "有效",
            "公开;实质审查;授权",
            "CN",
        ],
        [
            "WO2023123456A1",
            "PCT/CN2022/123456",
            "一种机器人",
            "吴江辛机械有限公司",
            current,
            "江苏省苏州市吴江区七都镇1号",
            "江苏省",
            "苏州市",
            "吴江区",
            "2022-09-01",
            "2023-04-01",
            "",
            "发明申请",
            "审中",
            "公开",
            "WO",
        ],
        [
            "US2024000001A1",
            "US18/123,456",
            "A robot",
            "吴江辛机械有限公司",
            current,
            "江苏省苏州市吴江区七都镇1号",
            "江苏省",
            "苏州市",
            "吴江区",
            "2022-10-01",
            "2024-01-01",
            "",
            "发明申请",
            "审中",
            "公开",
            "US",
        ],
    ]


def test_patsnap_skips_other_offices_and_shows_transfers(invoke, proj):
    src = write_csv(proj / "PatSnap_20230601.csv", PATSNAP_HEADER, patsnap_rows())
    out = run_import(invoke, proj, str(src))
    assert (out["added"], out["other_office"]) == (1, 2)
    row = by_key(ledger(proj, "patents"))[PS1]
    assert (row["applicant"], row["town"], row["type"], row["legal_status"]) == (
        "吴江庚智能有限公司",
        "七都镇",
        "invention",
        "valid",
    )
    later = write_csv(proj / "PatSnap_20240601.csv", PATSNAP_HEADER, patsnap_rows("吴江壬科技有限公司"))
    dry = invoke(["import", str(later), "--dry-run"], cwd=proj)
    assert dry.exit_code == 0 and "⇄ " + PS1 + " 申请人: '吴江庚智能有限公司' → '吴江壬科技有限公司'" in dry.stdout
    out = run_import(invoke, proj, str(later))
    assert out["transfers"] == [
        {"key": PS1, "field": "applicant", "old": "吴江庚智能有限公司", "new": "吴江壬科技有限公司"}
    ]


# --- patents: a city list saved by Excel as GBK CSV ---------------------------------------


def test_gbk_city_list_with_case_status_and_address(invoke, proj):
    header = ["申请号", "发明名称", "申请人", "申请日", "授权公告日", "专利类型", "案件状态", "地址"]
    rows = [
        [
            cn("202320000031"),
            "一种纺丝装置",
            "吴江癸化纤有限公司",
            "2023/3/14",
            "2023/9/1",
            "实用新型",
            "专利权维持",
            "江苏省苏州市吴江区桃源镇1号",
        ],
        [
            cn("202110000032"),
            "一种织物",
            "吴江癸化纤有限公司",
            "2021/6/2",
            "2022/12/1",
            "发明",
            "未缴年费专利权终止",
            "江苏省苏州市吴江区桃源镇1号",
        ],
    ]
    src = write_csv(proj / "专利清单.csv", header, rows, encoding="gbk")
    out = run_import(invoke, proj, str(src))
    assert out["added"] == 2
    stored = by_key(ledger(proj, "patents"))
    assert [(r["town"], r["legal_status"]) for r in stored.values()] == [("桃源镇", "valid"), ("桃源镇", "lapsed")]
    assert stored[cn("202320000031")]["filed_on"] == "2023-03-14"


# --- trademarks: 中国商标网 results and the open-data pair ----------------------------------


def test_trademark_site_multi_class_and_figurative_marks(invoke, proj):
    header = [
        "序号",
        "申请/注册号",
        "国际分类",
        "申请日期",
        "商标名称",
        "申请人名称（中文）",
        "申请人地址（中文）",
        "初审公告日期",
        "注册公告日期",
        "专用权期限",
        "商标状态",
    ]
    rows = [
        [
            "1",
            "56781234",
            "9",
            "2021年06月03日",
            "恒通",
            "吴江恒通光电科技有限公司",
            "江苏省苏州市吴江区七都镇1号",
            "2022年01月13日",
            "2022年04月14日",
            "2022年04月14日至2032年04月13日",
            "已注册",
        ],
        [
            "2",
            "56781234",
            "35",
            "2021年06月03日",
            "恒通",
            "吴江恒通光电科技有限公司",
            "江苏省苏州市吴江区七都镇1号",
            "2022年01月13日",
            "2022年04月14日",
            "2022年04月14日至2032年04月13日",
            "已注册",
        ],
        [
            "3",
            "56781235",
            "25",
            "2021年06月05日",
            "",
            "吴江恒通光电科技有限公司",
            "江苏省苏州市吴江区七都镇1号",
            "",
            "",
            "",
            "等待实质审查",
        ],
        [
            "4",
            "56781236",
            "25",
            "2021年06月06日",
            "姑苏",
            "苏州姑苏服饰有限公司",
            "江苏省苏州市姑苏区1号",
            "",
            "",
            "",
            "等待实质审查",
        ],
    ]
    src = write_csv(proj / "商标查询结果.csv", header, rows)
    out = run_import(invoke, proj, str(src))
    assert (out["added"], out["outside"]) == (3, 1)
    stored = {(r["application_no"], r["nice_class"]): r for r in ledger(proj, "trademarks")}
    assert set(stored) == {("56781234", "9"), ("56781234", "35"), ("56781235", "25")}
    assert (stored[("56781234", "9")]["registered_on"], stored[("56781234", "9")]["expires_on"]) == (
        "2022-04-14",
        "2032-04-13",
    )
    assert stored[("56781235", "25")]["mark"] == "" and stored[("56781235", "25")]["town"] == "七都镇"
    report = json.loads(invoke(["report", "--as-of", "2021-12-31", "--format", "json"], cwd=proj).stdout)
    figures = {i["id"]: i["actual"] for i in report["indicators"]}
    assert figures["trademark_applications"] == 3  # 一标多类 counts per class, as CNIPA counts
    assert invoke(["validate"], cwd=proj).exit_code == 0


def test_trademark_open_data_pair_joins_in_one_command(invoke, proj):
    basic = write_csv(
        proj / "商标基本信息.csv",
        ["注册号/申请号", "国际分类", "申请日期", "商标名称", "注册公告日期", "专用期开始日期", "专用期结束日期"],
        [
            ["60000001", "24", "20210603", "绫罗", "20220414", "20220414", "20320413"],
            ["60000002", "25", "20210605", "", "", "", ""],
        ],
    )
    owners = write_csv(
        proj / "商标注册人.csv",
        ["注册号/申请号", "国际分类", "注册人中文名称", "注册人中文地址"],
        [
            ["60000002", "25", "吴江子丝绸有限公司", "江苏省苏州市吴江区盛泽镇2号"],
            ["60000001", "24", "吴江子丝绸有限公司", "江苏省苏州市吴江区盛泽镇2号"],
        ],
    )
    out = run_import(invoke, proj, str(basic), str(owners))
    assert out["added"] == 2 and out["sources"] == ["商标基本信息.csv", "商标注册人.csv"]
    stored = {(r["application_no"], r["nice_class"]): r for r in ledger(proj, "trademarks")}
    assert stored[("60000001", "24")]["applicant"] == "吴江子丝绸有限公司"
    assert stored[("60000001", "24")]["town"] == SHENGZE
    assert stored[("60000001", "24")]["expires_on"] == "2032-04-13"


# --- software copyrights: announcements with no address; one-firm files --------------------


def test_copyright_announcement_places_owners_through_the_register(invoke, proj):
    patents = write_xlsx(proj / "著录项目_20240601.xlsx", CNIPA_HEADER, cnipa_rows())
    run_import(invoke, proj, str(patents))  # the register learns 吴江甲纺织有限公司 → 盛泽
    header = ["登记号", "分类号", "软件全称", "软件简称", "版本号", "著作权人", "首次发表日期", "登记日期"]
    rows = [
        [
            "2023SR1234567",
            "30200-0000",
            "真丝面料染色控制软件",
            "染色控制",
            "V1.0",
            "吴江甲纺织有限公司",
            "未发表",
            "2023-08-01",
        ],
        ["2023SR1234568", "30200-0000", "织机监控平台", "", "V2.0", "苏州盛泽科技有限公司", "2023-01-01", "2023-08-02"],
        ["2023SR1234569", "30200-0000", "个人记账软件", "", "V1.0", "王建国", "未发表", "2023-08-03"],
        ["2023SR1234570", "30200-0000", "未知公司软件", "", "V1.0", "吴江未登记有限公司", "未发表", "2023-08-04"],
    ]
    src = write_csv(proj / "软件登记公告.csv", header, rows, title=["计算机软件著作权登记公告（2023年第32期）"])
    out = run_import(invoke, proj, str(src))
    assert (out["added"], out["outside"], out["held"]) == (1, 1, 2)
    stored = by_key(ledger(proj, "software_copyrights"), "registration_no")
    assert stored["2023SR1234567"]["town"] == SHENGZE
    held = proj / "软件登记公告.unplaced.csv"
    assert out["held_file"].endswith("软件登记公告.unplaced.csv") and held.exists()
    with open(held, encoding="utf-8-sig", newline="") as fh:
        kept = list(csv.DictReader(fh))
    assert [r["著作权人"] for r in kept] == ["王建国", "吴江未登记有限公司"]
    kept[0]["所属区镇"], kept[1]["所属区镇"] = "平望镇", "七都镇"
    with open(held, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(kept[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    again = run_import(invoke, proj, str(held))
    assert (again["added"], again["held"]) == (2, 0)
    assert by_key(ledger(proj, "software_copyrights"), "registration_no")["2023SR1234569"]["town"] == "平望镇"


def test_one_firm_copyright_file_takes_the_owner_from_set(invoke, proj):
    header = ["序号", "软件名称", "版本号", "发布日期", "软件简称", "登记号", "登记批准日期"]
    rows = [
        ["1", "光缆生产管理系统", "V1.0", "2022-01-01", "", "2022SR0100001", "2022-03-01"],
        ["2", "光缆质检平台", "V1.0", "2022-02-01", "", "2022SR0100002", "2022-04-01"],
    ]
    src = write_csv(proj / "吴江恒通光电科技有限公司_软件著作权.csv", header, rows)
    register = write_csv(
        proj / "企业名录.csv",
        ["企业名称", "统一社会信用代码", "区内外", "所属区镇"],
        [["吴江恒通光电科技有限公司", "91320509MA1MK3YW4P", "区内", "七都镇"]],
    )
    run_import(invoke, proj, str(register), "--ledger", "organisations")
    out = run_import(invoke, proj, str(src), "--set", "owner=吴江恒通光电科技有限公司")
    assert out["added"] == 2
    stored = ledger(proj, "software_copyrights")
    assert [(r["owner"], r["town"], r["registered_on"]) for r in stored] == [
        ("吴江恒通光电科技有限公司", "七都镇", "2022-03-01"),
        ("吴江恒通光电科技有限公司", "七都镇", "2022-04-01"),
    ]


def test_set_with_an_unknown_field_is_a_usage_error(invoke, proj):
    src = write_csv(proj / "a.csv", ["登记号", "软件名称", "登记日期"], [["2022SR0100001", "x", "2022-03-01"]])
    result = invoke(["import", str(src), "--set", "owners=某公司"], cwd=proj)
    assert result.exit_code == 2 and "owners" in result.stderr and "Traceback" not in result.stderr


def test_text_summary_names_what_was_set_aside(invoke, proj):
    src = write_xlsx(proj / "著录项目_20240601.xlsx", CNIPA_HEADER, cnipa_rows())
    result = invoke(["import", str(src)], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert "区外 2 行未导入" in result.stdout
    assert "区内但未写明区镇 1 行" in result.stdout
    assert "同一申请的多条公开（公告）记录已合并：1 行" in result.stdout


def test_a_register_list_needs_no_inside_column(invoke, proj):
    src = write_csv(
        proj / "企业名录.csv",
        ["企业名称", "统一社会信用代码", "地址", "所属区镇"],
        [
            ["吴江甲有限公司", "", "", "七都镇"],
            ["吴江乙有限公司", "", "江苏省苏州市吴江区平望镇中鲈大道1号", ""],
            ["苏州丙有限公司", "91320507MA1MK3YW4P", "", ""],
        ],
    )
    out = run_import(invoke, proj, str(src), "--ledger", "organisations")
    assert out["added"] == 3
    stored = {r["name"]: (r["located"], r["town"]) for r in ledger(proj, "organisations")}
    assert stored == {
        "吴江甲有限公司": ("inside", "七都镇"),
        "吴江乙有限公司": ("inside", "平望镇"),
        "苏州丙有限公司": ("outside", ""),
    }


# --- found by a new user's trial ------------------------------------------------------------


def test_an_older_export_fills_what_a_newer_one_left_blank(invoke, proj):
    """A newer CNIPA file has no legal status; an older incoPat file that has one still fills it."""
    run_import(invoke, proj, str(write_xlsx(proj / "著录项目_20240601.xlsx", CNIPA_HEADER, cnipa_rows())))
    rows = incopat_rows()
    for row in rows:
        row[2] = A1  # the same application as the CNIPA file's first record
    older = write_csv(proj / "incoPat导出_2023-06-30.csv", INCOPAT_HEADER, rows[2:3])
    out = run_import(invoke, proj, str(older))
    assert {k["field"] for k in out["kept_newer"]} == {
        "title",
        "applicant",
        "applicant_address",
        "granted_on",
        "filed_on",
    }
    row = by_key(ledger(proj, "patents"))[A1]
    assert row["title"] == "一种真丝面料的染色方法"  # the newer export's title stays
    assert row["town"] == SHENGZE  # a known key keeps its town whatever another address says
    assert (row["legal_status"], row["status_on"]) == ("lapsed", "2023-06-30")
    assert row["granted_on"] == "2024-05-10"  # the newer export's grant date stays


def test_a_partly_completed_unplaced_file_goes_back_in_and_the_rest_is_held_again(invoke, proj):
    header = ["登记号", "软件全称", "著作权人", "登记日期"]
    src = write_csv(
        proj / "公告.csv",
        header,
        [
            ["2023SR1234569", "个人记账软件", "王建国", "2023-08-03"],
            ["2023SR1234570", "未知公司软件", "吴江未登记有限公司", "2023-08-04"],
        ],
    )
    assert run_import(invoke, proj, str(src))["held"] == 2
    held = proj / "公告.unplaced.csv"
    with open(held, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:1] == ["原行号"] and "原因" in rows[0]
    rows[0]["所属区镇"] = "平望镇"
    with open(held, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    completed = held.read_bytes()
    result = invoke(["import", str(held)], cwd=proj)
    assert result.exit_code == 0 and "Traceback" not in result.stderr, result.stderr
    assert "原行号" not in result.stderr  # ipdemo's own columns are not "unused columns"
    assert [r["registration_no"] for r in ledger(proj, "software_copyrights")] == ["2023SR1234569"]
    assert (proj / "公告.unplaced.unplaced.csv").exists()  # the still-blank row, held again
    # Importing the original again never overwrites the copy the user completed.
    run_import(invoke, proj, str(src))
    assert held.read_bytes() == completed


def test_a_file_without_a_required_column_says_so_once_with_the_fix(invoke, proj):
    header = ["序号", "软件名称", "版本号", "登记号", "登记批准日期"]
    src = write_csv(
        proj / "某公司_软件著作权.csv",
        header,
        [["1", "a", "V1", "2022SR0100001", "2022-03-01"], ["2", "b", "V1", "2022SR0100002", "2022-04-01"]],
    )
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    assert len([line for line in result.stderr.splitlines() if "owner" in line]) == 1  # said once
    assert "--set owner=" in result.stderr and "new records lack a required value (2)" in result.stderr
    out = run_import(invoke, proj, str(src), "--set", "著作权人=吴江恒通光电科技有限公司")  # the label works too
    assert out["held"] == 2  # an owner the register does not know: held, not guessed


def test_rejected_rows_teach_the_register_nothing(invoke, proj):
    rows = cnipa_rows()[:1] + [
        [
            "9",
            "CN" + cn("202310000009"),
            "2023.13.45",
            "CN116000009A",
            "2023.10.20",
            "坏日期",
            "D06P",
            "吴江坏日期有限公司",
            "甲",
            "江苏省苏州市吴江区震泽镇1号",
            "215200",
            "",
        ]
    ]
    src = write_xlsx(proj / "著录项目_20240601.xlsx", CNIPA_HEADER, rows)
    result = invoke(["import", str(src), "--skip-invalid"], cwd=proj)
    assert result.exit_code == 1
    names = {r["name"] for r in ledger(proj, "organisations")}
    assert "吴江甲纺织有限公司" in names and "吴江坏日期有限公司" not in names


def test_json_answers_even_when_the_file_cannot_be_mapped(invoke, proj):
    src = write_csv(proj / "x.csv", ["发明名称"], [["一种装置"]])
    result = invoke(["import", str(src), "--ledger", "patents", "--format", "json"], cwd=proj)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["written"] is False and data["code"] == "missing_key_column"


def test_a_value_a_newer_export_confirmed_is_not_rolled_back(invoke, proj):
    """January says valid, October says valid again, then June (older than October) says lapsed:
    October's word stands."""

    def export(name: str, status: str, simple: str):
        return write_csv(proj / name, INCOPAT_HEADER, incopat_rows(lapsed_status=status, simple=simple)[2:3])

    run_import(invoke, proj, str(export("k_20230101.csv", "授权", "有效")))
    assert run_import(invoke, proj, str(export("k_20231001.csv", "授权", "有效")))["unchanged"] == 1
    out = run_import(invoke, proj, str(export("k_20230601.csv", "未缴年费专利权终止", "失效")))
    assert out["updated"] == 0 and [k["field"] for k in out["kept_newer"]] == ["legal_status"]
    assert by_key(ledger(proj, "patents"))[LAPSED]["legal_status"] == "valid"


def test_files_for_two_ledgers_are_all_or_nothing(invoke, proj):
    patents = write_xlsx(proj / "著录项目_20240601.xlsx", CNIPA_HEADER, cnipa_rows())
    bad = write_csv(
        proj / "软著.csv",
        ["登记号", "软件名称", "著作权人", "登记日期", "所属区镇"],
        [["2023SR1234567", "a", "吴江甲纺织有限公司", "2023-13-45", "平望镇"]],
    )
    before = (proj / "data" / "patents.csv").read_bytes()
    result = invoke(["import", str(patents), str(bad)], cwd=proj)
    assert result.exit_code == 1 and (proj / "data" / "patents.csv").read_bytes() == before


def test_the_held_file_uses_the_sources_own_town_column(invoke, proj):
    src = write_csv(
        proj / "h_20231005.csv",
        ["申请号", "发明名称", "申请人", "申请日", "专利类型", "区镇"],
        [[cn("202310000041"), "一种装置", "吴江无名有限公司", "2023-10-01", "发明", ""]],
    )
    assert run_import(invoke, proj, str(src))["held"] == 1
    held = proj / "h_20231005.unplaced.csv"
    with open(held, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert "所属区镇" not in rows[0]  # the file's own 区镇 column is the one to fill
    rows[0]["区镇"] = "震泽镇"
    with open(held, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    assert run_import(invoke, proj, str(held))["added"] == 1
