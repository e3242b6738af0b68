"""Which ledger a file goes to, chosen from what the file holds (issue 21: 1, 5, 9, 10 and the
real-export header points).

Every shipped ledger has a file here shaped the way a Wujiang clerk receives it (Chinese headers,
title rows, 序号, a unit line or units in headers, totals and signature footers) that
`ipdemo import FILE` must send to that ledger WITHOUT --ledger. A file whose amounts or dates the
chosen ledger would drop is never imported into it silently; every import says which ledger and
why. The files are written by the tests themselves (openpyxl / csv), nothing from outside the repo.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from ipdemo.checks.field_checks import uscc_check_char
from ipdemo.plan.model import load_plan

from .conftest import ROOT, VALID_ROWS, make_project, snapshot
from .helpers import cn, ledger, write_csv, write_xlsx


def uscc(body17: str) -> str:
    return body17 + uscc_check_char(pd.Series([body17]))[0]


FIRM_A, FIRM_B, FIRM_C = uscc("91320509MA1MK3YW4"), uscc("91320509MA1NNNNN1"), uscc("91320509MA1PPPPP2")
REGISTERED = VALID_ROWS["organisations"]["name"]  # 吴江恒通光电科技有限公司, in the project's register


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """A fresh project whose enterprise register knows one firm (copyright owners are placed by it)."""
    return make_project(tmp_path / "p", {"organisations": [VALID_ROWS["organisations"]]})


# --- one real-shaped file per shipped ledger ---------------------------------------------------

PLEDGE_LEDGER = [  # the district's quarterly ledger of issue 21: no contract number, 万元, one firm twice
    ["吴江区知识产权质押融资台账（2023年第四季度）"],
    ["填报单位：吴江区市场监督管理局", "", "", "", "", "", "", "单位：万元"],
    [
        "序号",
        "区镇",
        "企业名称",
        "统一社会信用代码",
        "质押物类型",
        "质押专利（商标）号",
        "贷款银行",
        "贷款金额（万元）",
        "放款日期",
        "到期日期",
        "是否首贷",
    ],
    [
        1,
        "盛泽镇",
        "吴江甲纺织有限公司",
        FIRM_A,
        "专利",
        "ZL202110182616.5",
        "江苏银行吴江支行",
        500,
        "2023.10.12",
        "2024.10.11",
        "是",
    ],
    [
        2,
        "盛泽镇",
        "吴江甲纺织有限公司",
        FIRM_A,
        "专利",
        "ZL201710601862.3",
        "江苏银行吴江支行",
        200,
        "2023.11.20",
        "2024.11.19",
        "否",
    ],
    [
        3,
        "七都镇",
        "吴江丙电缆有限公司",
        FIRM_C,
        "商标",
        "56781234",
        "吴江农村商业银行",
        1000,
        "2023.12.5",
        "2024.12.4",
        "是",
    ],
    ["合计", "", "", "", "", "", "", 1700, "", "", ""],
    ["填表人：张三", "", "审核人：李四", "", "联系电话：0512-63000000"],
]

SIGN_IN = [  # as the README imports it: --set trained_on=2023-09-12 --set role=engineer
    ["吴江区企业知识产权工程师培训班签到表"],
    ["培训时间：2023年9月12日—14日"],
    ["序号", "姓名", "工作单位", "职务", "联系电话", "所在区镇", "备注"],
    [1, "王伟", "吴江甲纺织有限公司", "研发经理", "138****1234", "盛泽镇", ""],
    [2, "李娜", "吴江乙光电有限公司", "法务", "139****5678", "黎里镇", ""],
    [3, "赵敏", "吴江丙电缆有限公司", "总经理助理", "137****0000", "七都镇", ""],
]


def cnipa_patents(folder: Path) -> Path:
    """CNIPA 专利检索及分析系统 著录项目: 申请号 with CN, dotted dates, A and B rows of one application."""
    invention, utility = cn("202310000001"), cn("202320000002")
    return write_xlsx(
        folder / "专利检索导出_20231215.xlsx",
        [
            [
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
                "代理机构",
            ],
            [
                1,
                "CN" + invention,
                "2023.01.05",
                "CN116000001A",
                "2023.04.07",
                "一种真丝面料的染整方法",
                "D06P1/00",
                "吴江甲纺织有限公司",
                "王伟",
                "江苏省苏州市吴江区盛泽镇西二环路1号",
                "苏州某某专利事务所",
            ],
            [
                2,
                "CN" + invention,
                "2023.01.05",
                "CN116000001B",
                "2023.11.10",
                "一种真丝面料的染整方法",
                "D06P1/00",
                "吴江甲纺织有限公司",
                "王伟",
                "江苏省苏州市吴江区盛泽镇西二环路1号",
                "苏州某某专利事务所",
            ],
            [
                3,
                "CN" + utility,
                "2023.02.01",
                "CN219000002U",
                "2023.08.01",
                "一种纺织用导纱装置",
                "D03D49/00",
                "吴江乙光电有限公司",
                "李娜",
                "江苏省苏州市吴江区黎里镇汾湖大道8号",
                "",
            ],
        ],
    )


def copyright_announcement(folder: Path) -> Path:
    """中国版权保护中心 登记公告: a title row, no address (the owner is placed by the register)."""
    return write_xlsx(
        folder / "软著登记公告_2023年第40期.xlsx",
        [
            ["计算机软件著作权登记公告（2023年第40期）"],
            ["序号", "登记号", "分类号", "软件全称", "软件简称", "版本号", "著作权人", "首次发表日期", "登记日期"],
            [
                1,
                "2023SR1234567",
                "30200-0000",
                "光缆生产管理系统",
                "光缆管理",
                "V1.0",
                REGISTERED,
                "未发表",
                "2023-10-09",
            ],
            [2, "2023SR1234568", "30200-0000", "光纤检测数据平台", "", "V2.0", REGISTERED, "2023-05-01", "2023-10-10"],
        ],
    )


def trademark_results(folder: Path) -> Path:
    """中国商标网 商标综合查询: 申请/注册号, 国际分类, dates in 年月日, 专用权期限."""
    return write_xlsx(
        folder / "商标查询结果.xlsx",
        [
            [
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
            ],
            [
                1,
                "56781234",
                9,
                "2021年06月03日",
                "恒通",
                "吴江甲纺织有限公司",
                "江苏省苏州市吴江区盛泽镇西二环路1号",
                "2022年01月13日",
                "2022年04月14日",
                "2022年04月14日至2032年04月13日",
                "已注册",
            ],
            [
                2,
                "56781235",
                24,
                "2021年06月03日",
                "",
                "吴江甲纺织有限公司",
                "江苏省苏州市吴江区盛泽镇西二环路1号",
                "",
                "",
                "",
                "等待实质审查",
            ],
        ],
    )


def standardization_list(folder: Path) -> Path:
    return write_xlsx(
        folder / "贯标企业名单.xlsx",
        [
            ["吴江区企业知识产权管理标准化创建企业名单（2023年）"],
            ["序号", "区镇", "企业名称", "统一社会信用代码", "项目类型", "立项日期", "备注"],
            [1, "盛泽镇", "吴江甲纺织有限公司", FIRM_A, "贯标", "2023.3.1", ""],
            [2, "黎里镇", "吴江乙光电有限公司", FIRM_B, "战略推进计划", "2023.4.15", "续建"],
        ],
    )


def pledge_ledger(folder: Path) -> Path:
    return write_xlsx(folder / "吴江区知识产权质押融资台账_2023Q4.xlsx", PLEDGE_LEDGER)


def industrialization(folder: Path) -> Path:
    return write_xlsx(
        folder / "产业化项目汇总.xlsx",
        [
            ["2023年度吴江区专利技术产业化项目汇总表"],
            ["", "", "", "", "", "", "", "单位：万元"],
            ["序号", "项目编号", "项目名称", "承担单位", "所在区镇", "专利申请号", "立项日期", "资助金额（万元）"],
            [
                1,
                "CYH-2023-01",
                "真丝面料染整技术产业化",
                "吴江甲纺织有限公司",
                "盛泽镇",
                cn("202310000001"),
                "2023.6.30",
                50,
            ],
            ["合计", "", "", "", "", "", "", 50],
        ],
    )


def events_list(folder: Path) -> Path:
    return write_xlsx(
        folder / "宣传活动统计.xlsx",
        [
            ["吴江区知识产权宣传活动统计表（2023年）"],
            ["序号", "活动编号", "活动类型", "活动名称", "举办地", "举办日期", "参与人数（人）"],
            [1, "HD-2023-01", "大型广场宣传", "4·26知识产权宣传周广场活动", "震泽镇", "2023.4.26", 300],
            [2, "HD-2023-02", "广场宣传", "知识产权进商圈", "平望镇", "2023.9.16", 150],
        ],
    )


def sign_in(folder: Path) -> Path:
    return write_xlsx(folder / "培训签到表.xlsx", SIGN_IN)


def insurance(folder: Path) -> Path:
    return write_xlsx(
        folder / "知识产权保险统计.xlsx",
        [
            ["吴江区知识产权保险统计表（2023年）"],
            [
                "序号",
                "投保企业",
                "统一社会信用代码",
                "所在区镇",
                "险种",
                "保险公司",
                "保单号",
                "保额（万元）",
                "保费（元）",
                "保险起期",
                "保险止期",
                "投保专利数",
                "区级补贴（元）",
            ],
            [
                1,
                "吴江甲纺织有限公司",
                FIRM_A,
                "盛泽镇",
                "专利执行保险",
                "人保财险吴江支公司",
                "PICC2023-0001",
                100,
                5000,
                "2023.5.1",
                "2024.4.30",
                12,
                2500,
            ],
            ["合计", "", "", "", "", "", "", 100, 5000, "", "", 12, 2500],
            ["填表人：王五", "", "联系电话：0512-63000001"],
        ],
    )


def outputs_list(folder: Path) -> Path:
    return write_xlsx(
        folder / "工作成果.xlsx",
        [
            ["序号", "成果编号", "成果类型", "名称", "级别", "认定日期", "佐证材料", "所属区镇"],
            [
                1,
                "CG-2023-01",
                "高价值专利培育中心",
                "吴江光通信高价值专利培育中心",
                "省级",
                "2023.7.1",
                "苏知发〔2023〕12号",
                "",
            ],
        ],
    )


def task_reports(folder: Path) -> Path:
    return write_xlsx(
        folder / "任务进展.xlsx",
        [
            ["重点任务推进情况（2023年第三季度）"],
            ["序号", "任务编号", "报送日期", "进展状态", "工作进展", "佐证材料", "报送区镇"],
            [1, "三（一）二是", "2023.9.30", "推进中", "开展贯标辅导", "会议纪要", ""],
        ],
    )


def register_list(folder: Path) -> Path:
    return write_xlsx(
        folder / "企业名录.xlsx",
        [
            ["吴江区重点企业名录"],
            ["序号", "企业名称", "统一社会信用代码", "所在区镇", "注册地址"],
            [1, "吴江甲纺织有限公司", FIRM_A, "盛泽镇", "江苏省苏州市吴江区盛泽镇西二环路1号"],
            [2, "吴江丁机械有限公司", uscc("91320509MA1QQQQQ3"), "", "江苏省苏州市吴江区平望镇中鲈大道9号"],
        ],
    )


# ledger → (the file as received, extra options the README gives for it, records it must bring)
CASES = {
    "patents": (cnipa_patents, [], 2),
    "software_copyrights": (copyright_announcement, [], 2),
    "trademarks": (trademark_results, [], 2),
    "enterprise_programs": (standardization_list, [], 2),
    "pledge_loans": (pledge_ledger, [], 3),
    "industrialization_projects": (industrialization, [], 1),
    "events": (events_list, [], 2),
    "trainees": (sign_in, ["--set", "trained_on=2023-09-12", "--set", "role=engineer"], 3),
    "insurance_policies": (insurance, [], 1),
    "outputs": (outputs_list, [], 1),
    "task_progress": (task_reports, [], 1),
    "organisations": (register_list, [], 2),
}


def test_every_shipped_ledger_has_a_real_shaped_file():
    assert set(CASES) == set(load_plan(ROOT / "targets.yaml").ledgers)


@pytest.mark.parametrize("name", list(CASES))
def test_a_real_shaped_file_goes_to_its_ledger_without_ledger_option(invoke, proj, name):
    make, options, records = CASES[name]
    src = make(proj)
    result = invoke(["import", str(src), *options, "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["ledger"] == name
    assert out["ledger_chosen"]["by"] == "headers" and out["ledger_chosen"]["columns"]
    assert out["added"] == records, out
    assert len(ledger(proj, name)) == records + (name == "organisations")  # the register's own firm


def test_district_pledge_ledger_lands_in_loans_and_says_why(invoke, proj):
    src = pledge_ledger(proj)
    result = invoke(["import", str(src), "--dry-run", "--lang", "en"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    head, why = result.stdout.splitlines()[:2]
    assert head.startswith(f"{src.name} → IP pledge loans: added 3") and "dry run" in head
    assert why.startswith("  ledger chosen by the headers: it reads ")
    assert "(amounts, counts, dates: 贷款金额（万元）, 放款日期, 到期日期)" in why
    assert "other ledgers that could take the file read less of it: Enterprise register" in result.stdout
    result = invoke(["import", str(src)], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert "按表头选定台账" in result.stdout and "贷款金额（万元）" in result.stdout
    rows = ledger(proj, "pledge_loans")
    # One firm with two loans: two loans, not one refused as a duplicate register key.
    assert sorted((r["credit_code"], r["amount"], r["issued_on"]) for r in rows) == [
        (FIRM_A, "200", "2023-11-20"),
        (FIRM_A, "500", "2023-10-12"),
        (FIRM_C, "1000", "2023-12-05"),
    ]
    assert [r["name"] for r in ledger(proj, "organisations")].count("吴江甲纺织有限公司") <= 1
    journal = [json.loads(line) for line in (proj / "data" / "journal.jsonl").read_text("utf-8").splitlines()]
    assert journal[0]["ledger"] == "pledge_loans" and journal[0]["ledger_chosen"][0]["by"] == "headers"


def test_a_scoring_regression_stops_instead_of_losing_the_loans(invoke, proj, monkeypatch):
    """Were the ranking to prefer the enterprise register again (the regression of issue 21), the
    guard still refuses: the loans' amounts and dates would be dropped."""
    from ipdemo.ingest import incoming

    monkeypatch.setattr(incoming, "rank", lambda fits: sorted(fits, key=lambda f: f.ledger != "organisations"))
    src = pledge_ledger(proj)
    before = snapshot(proj / "data")
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert (
        "the closest ledger, organisations, does not read the columns 贷款金额（万元）、放款日期、到期日期"
        in result.stderr
    )
    assert "--ledger, one of: organisations, pledge_loans" in result.stderr
    assert snapshot(proj / "data") == before


def test_without_measure_scoring_the_register_would_take_the_loans(invoke, proj, monkeypatch):
    """The choice depends on amounts and dates being scored: a register-like sheet with loan
    figures, whose register columns outnumber the loan columns, goes to the loans ledger; with no
    field type counted as a measure it would go to the register."""
    from ipdemo.ingest import incoming

    src = write_xlsx(
        proj / "企业贷款情况.xlsx",
        [
            [
                "企业名称",
                "统一社会信用代码",
                "所在区镇",
                "注册地址",
                "区内外",
                "曾用名",
                "来源",
                "贷款银行",
                "贷款金额（万元）",
                "放款日期",
            ],
            [
                "吴江甲纺织有限公司",
                FIRM_A,
                "盛泽镇",
                "江苏省苏州市吴江区盛泽镇西二环路1号",
                "区内",
                "",
                "走访",
                "江苏银行",
                500,
                "2023.10.12",
            ],
        ],
    )

    def chosen() -> str | None:
        result = invoke(["import", str(src), "--dry-run", "--format", "json"], cwd=proj)
        return json.loads(result.stdout).get("ledger")

    assert chosen() == "pledge_loans"
    monkeypatch.setattr(incoming, "MEASURE_TYPES", frozenset())
    assert chosen() == "organisations"


def test_two_ledgers_each_losing_figures_is_a_stop_naming_both(invoke, proj):
    src = write_xlsx(
        proj / "金融台账.xlsx",
        [
            [
                "企业名称",
                "统一社会信用代码",
                "合同编号",
                "贷款银行",
                "贷款金额（万元）",
                "放款日期",
                "保单号",
                "保险公司",
                "险种",
                "保额（万元）",
                "保险起期",
            ],
            [
                "吴江甲纺织有限公司",
                FIRM_A,
                "JS-01",
                "江苏银行",
                500,
                "2023.10.12",
                "P-01",
                "人保",
                "专利执行保险",
                100,
                "2023.5.1",
            ],
        ],
    )
    before = snapshot(proj / "data")
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "pledge_loans" in result.stderr and "insurance_policies" in result.stderr and "--ledger" in result.stderr
    assert snapshot(proj / "data") == before


def test_ledger_option_is_said_too(invoke, proj):
    result = invoke(
        ["import", str(pledge_ledger(proj)), "--ledger", "pledge_loans", "--dry-run", "--lang", "en"], cwd=proj
    )
    assert result.exit_code == 0 and "  ledger given by --ledger; it reads 区镇, 企业名称" in result.stdout


# --- sign-in sheets: --set and look-alike columns (21.9) ---------------------------------------


def test_sign_in_sheet_as_the_readme_imports_it(invoke, proj):
    src = sign_in(proj)
    result = invoke(["import", str(src), "--set", "trained_on=2023-09-12", "--set", "role=engineer"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    rows = ledger(proj, "trainees")
    assert [(r["role"], r["trained_on"]) for r in rows] == [("engineer", "2023-09-12")] * 3
    assert "--set" not in result.stdout  # 职务 is not the role: nothing was replaced


def test_job_title_is_not_read_as_the_training_role(invoke, proj):
    src = sign_in(proj)
    result = invoke(["import", str(src), "--ledger", "trainees", "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    assert "--set role=" in result.stderr and "研发经理" not in result.stderr
    refused = invoke(["import", str(src), "--format", "json"], cwd=proj)  # a refused import says why too
    out = json.loads(refused.stdout)
    assert refused.exit_code == 1 and out["ledger"] == "trainees" and out["ledger_chosen"]["by"] == "headers"
    assert "职务" not in out["ledger_chosen"]["columns"]


def test_set_wins_over_a_column_and_says_so(invoke, proj):
    rows = [r[:] for r in SIGN_IN]
    rows[2] = rows[2][:6] + ["培训日期"]
    for row in rows[3:]:
        row[6] = "2023-09-13"
    src = write_xlsx(proj / "签到_带日期.xlsx", rows)
    result = invoke(
        ["import", str(src), "--set", "trained_on=2023-09-12", "--set", "role=engineer", "--lang", "en"], cwd=proj
    )
    assert result.exit_code == 0, result.stderr
    assert "  --set trained_on=2023-09-12 replaces the file's column 培训日期" in result.stdout
    assert {r["trained_on"] for r in ledger(proj, "trainees")} == {"2023-09-12"}
    out = json.loads(
        invoke(
            [
                "import",
                str(src),
                "--set",
                "trained_on=2023-09-12",
                "--set",
                "role=engineer",
                "--dry-run",
                "--format",
                "json",
            ],
            cwd=proj,
        ).stdout
    )
    assert [(s["field"], s["columns"]) for s in out["set_over_columns"]] == [("trained_on", ["培训日期"])]


def test_set_fields_count_toward_the_choice(invoke, proj):
    src = write_csv(proj / "登记.csv", [["编号", "名称"], ["HD-9", "4·26广场宣传"]])
    assert invoke(["import", str(src)], cwd=proj).exit_code == 2  # events, outputs, projects… alike
    result = invoke(
        [
            "import",
            str(src),
            "--set",
            "held_on=2023-04-26",
            "--set",
            "kind=广场宣传",
            "--set",
            "town=震泽镇",
            "--dry-run",
            "--format",
            "json",
        ],
        cwd=proj,
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["ledger"] == "events"


# --- unused columns (21.10) ----------------------------------------------------------------------


def test_unused_columns_warning_names_only_another_ledgers_data(invoke, proj):
    one_loan_each = write_xlsx(proj / "质押台账.xlsx", PLEDGE_LEDGER[:4] + PLEDGE_LEDGER[5:])
    result = invoke(["import", str(one_loan_each), "--ledger", "organisations", "--dry-run", "--lang", "en"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    warning = next(line for line in result.stderr.splitlines() if "columns not imported" in line)
    for header in ("贷款金额（万元）", "放款日期", "到期日期"):
        assert header in warning
    assert "pledge_loans" in warning
    assert "序号" not in warning and "是否首贷" not in warning
    clean = invoke(["import", str(cnipa_patents(proj)), "--dry-run", "--lang", "en"], cwd=proj)
    assert clean.exit_code == 0 and "columns not imported" not in clean.stderr  # 序号, IPC, 发明人, 代理机构
    out = json.loads(invoke(["import", str(cnipa_patents(proj)), "--dry-run", "--format", "json"], cwd=proj).stdout)
    assert out["unused_columns"] == ["序号", "IPC分类号", "发明人", "代理机构"]


# --- English interfaces, spacing and bracket width, repeated columns ------------------------------


def test_english_incopat_export_is_recognised(invoke, proj):
    invention = cn("202310000001")
    src = write_csv(
        proj / "incoPat_export.csv",
        [
            [
                "No.",
                "Title",
                "Application Number",
                "Application Date",
                "Publication Number",
                "Publication Date",
                "Grant Date",
                "Applicant",
                "Current Assignee",
                "Assignee Address",
                "Inventor",
                "IPC",
                "Legal Status",
            ],
            [
                "1",
                "一种真丝面料的染整方法",
                "CN" + invention,
                "2023-01-05",
                "CN116000001A",
                "2023-04-07",
                "",
                "吴江甲纺织有限公司",
                "吴江甲纺织有限公司",
                "江苏省苏州市吴江区盛泽镇西二环路1号",
                "王伟",
                "D06P1/00",
                "实质审查",
            ],
            [
                "2",
                "一种真丝面料的染整方法",
                "CN" + invention,
                "2023-01-05",
                "CN116000001B",
                "2023-11-10",
                "2023-11-10",
                "吴江甲纺织有限公司",
                "吴江甲纺织有限公司",
                "江苏省苏州市吴江区盛泽镇西二环路1号",
                "王伟",
                "D06P1/00",
                "授权",
            ],
        ],
    )
    result = invoke(["import", str(src), "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out["ledger"], out["added"], out["folded_publications"]) == ("patents", 1, 1)
    row = ledger(proj, "patents")[0]
    assert (row["application_no"], row["granted_on"], row["town"]) == (invention, "2023-11-10", "吴江高新区（盛泽镇）")
    assert row["legal_status"] == "valid" and row["type"] == "invention"


def test_english_patsnap_export_is_recognised(invoke, proj):
    utility = cn("202320000002")
    src = write_csv(
        proj / "PatSnap_export.csv",
        [
            [
                "Publication Number",
                "Title",
                "Std. Original Assignee (Applicant)",
                "Std. Current Assignee",
                "Current Assignee Address",
                "Application Number",
                "Application Date",
                "Publication Date",
                "Patent Type",
                "Simple Legal Status",
            ],
            [
                "CN219000002U",
                "一种纺织用导纱装置",
                "吴江乙光电有限公司",
                "吴江乙光电有限公司",
                "江苏省苏州市吴江区黎里镇汾湖大道8号",
                utility,
                "2023-02-01",
                "2023-08-01",
                "实用新型",
                "有效",
            ],
        ],
    )
    result = invoke(["import", str(src), "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["ledger"] == "patents"
    row = ledger(proj, "patents")[0]
    assert (row["application_no"], row["granted_on"], row["type"]) == (utility, "2023-08-01", "utility_model")


def test_english_values_in_an_english_export_are_mapped(invoke, proj):
    """An English-UI export words its values in English too (Patent Type 'Utility Model', Legal
    Status 'Active' / 'Inactive'): they map like the Chinese ones, ignoring case and spaces."""
    utility, design = cn("202320000002"), cn("202330000003")
    src = write_csv(
        proj / "PatSnap_export_en.csv",
        [
            [
                "Publication Number",
                "Title",
                "Current Assignee",
                "Current Assignee Address",
                "Application Number",
                "Application Date",
                "Publication Date",
                "Patent Type",
                "Simple Legal Status",
            ],
            [
                "CN219000002U",
                "一种纺织用导纱装置",
                "吴江乙光电有限公司",
                "江苏省苏州市吴江区黎里镇汾湖大道8号",
                utility,
                "2023-02-01",
                "2023-08-01",
                "Utility Model",
                "Active",
            ],
            [
                "CN308000003S",
                "围巾（真丝）",
                "吴江乙光电有限公司",
                "江苏省苏州市吴江区黎里镇汾湖大道8号",
                design,
                "2023-03-01",
                "2023-09-01",
                "DESIGN",
                "inactive",
            ],
        ],
    )
    result = invoke(["import", str(src), "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["warnings"] == []
    rows = {row["application_no"]: row for row in ledger(proj, "patents")}
    assert (rows[utility]["type"], rows[utility]["legal_status"]) == ("utility_model", "valid")
    assert (rows[design]["type"], rows[design]["legal_status"]) == ("design", "ended")


def test_incopat_title_with_half_width_space_and_brackets(invoke, proj):
    invention = cn("202310000001")
    src = write_csv(
        proj / "incoPat.csv",
        [
            ["序号", "标题 (中文)", "标题 (英文)", "申请号", "申请日", "申请人", "申请人地址", "专利类型"],
            [
                "1",
                "一种真丝面料的染整方法",
                "A dyeing method",
                invention,
                "2023-01-05",
                "吴江甲纺织有限公司",
                "江苏省苏州市吴江区盛泽镇西二环路1号",
                "发明申请",
            ],
        ],
    )
    result = invoke(["import", str(src)], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert ledger(proj, "patents")[0]["title"] == "一种真丝面料的染整方法"


def patentics(folder: Path, second_filed: str) -> Path:
    """A Patentics-style export: 75 columns, 申请日 / 公开/公告日 / 授权日 each written three times."""
    header = ["序号", "公开/公告号", "标题", "申请号", "申请日", "公开/公告日", "授权日", "申请人", "地址", "专利类型"]
    header += ["申请日", "公开/公告日", "授权日"] * 2
    header += [f"扩展字段{i}" for i in range(75 - len(header))]
    invention = cn("202310000001")
    values = {
        "序号": "1",
        "公开/公告号": "CN116000001B",
        "标题": "一种真丝面料的染整方法",
        "申请号": invention,
        "申请日": "2023-01-05",
        "公开/公告日": "2023-11-10",
        "授权日": "2023-11-10",
        "申请人": "吴江甲纺织有限公司",
        "地址": "江苏省苏州市吴江区盛泽镇西二环路1号",
        "专利类型": "发明授权",
    }
    row = [values.get(h, "") for h in header]
    row[header.index("申请日", 5)] = second_filed  # the second 申请日
    return write_csv(folder / "patentics.csv", [header, row])


def test_identical_repeated_columns_are_fine(invoke, proj):
    result = invoke(["import", str(patentics(proj, "2023-01-05")), "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    row = ledger(proj, "patents")[0]
    assert (row["filed_on"], row["granted_on"]) == ("2023-01-05", "2023-11-10")


def test_differing_repeated_columns_are_that_rows_error(invoke, proj):
    before = snapshot(proj / "data")
    result = invoke(["import", str(patentics(proj, "2023-01-06")), "--lang", "en"], cwd=proj)
    assert result.exit_code == 1
    assert "patentics.csv:2: filed_on" in result.stderr
    assert re.search(
        r"columns \d+ \('申请日'\) and \d+ \('申请日'\) both give 申请日 and differ in this row", result.stderr
    )
    assert "2023-01-06" in result.stderr
    assert snapshot(proj / "data") == before
