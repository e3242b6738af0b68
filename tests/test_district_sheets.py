"""District spreadsheets as they circulate: titles, a unit line, 合计 rows and signature footers,
no key column (序号 only counts rows), one loan from two sources, a sign-in sheet, Excel damage."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ipdemo.checks.field_checks import uscc_check_char

from .conftest import make_project
from .helpers import ledger, write_csv, write_xlsx


def uscc(body17: str) -> str:
    return body17 + uscc_check_char(pd.Series([body17]))[0]


FIRM_A, FIRM_B, FIRM_C, FIRM_D = (
    uscc("91320509MA1MK3YW4"),
    uscc("91320509MA1NNNNN1"),
    uscc("91320509MA1PPPPP2"),
    uscc("91320509MA1QQQQQ3"),
)


def run_import(invoke, project: Path, *args: str) -> dict:
    result = invoke(["import", *args, "--format", "json"], cwd=project)
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def loans_total(invoke, project: Path) -> float:
    report = json.loads(invoke(["report", "--as-of", "2023-12-31", "--format", "json"], cwd=project).stdout)
    return next(i["actual"] for i in report["indicators"] if i["id"] == "pledge_loans")


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p")


DISTRICT_LOANS = [
    ["吴江区知识产权质押贷款统计表（2023年第三季度）"],
    ["填报单位：吴江区市场监督管理局", "", "", "", "", "", "", "", "单位：万元"],
    [
        "序号",
        "区镇",
        "企业名称",
        "统一社会信用代码",
        "质押物类型",
        "质押专利（商标）号",
        "质押登记号",
        "贷款银行",
        "贷款金额",
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
        "ZL202110182616.5、ZL201710601862.3",
        "Y2023320000101",
        "江苏银行吴江支行",
        500,
        "2023.7.12",
        "2024.7.11",
        "是",
    ],
    [
        2,
        "黎里镇",
        "吴江乙光电有限公司",
        FIRM_B,
        "商标",
        "56781234",
        "Y2023320000102",
        "中国银行吴江分行",
        300,
        "2023.8.1",
        "2024.7.31",
        "否",
    ],
    [],
    [
        3,
        "七都镇",
        "吴江丙电缆有限公司",
        FIRM_C,
        "专利",
        "ZL202120000002.1",
        "Y2023320000103",
        "农商行",
        1000,
        "2023.9.5",
        "2024.9.4",
        "是",
    ],
    ["合计", "", "", "", "", "", "", "", 1800, "", "", ""],
    ["填表人：张三", "", "审核人：李四", "", "联系电话：0512-63000000"],
]


def test_titled_ledger_skips_totals_and_footer_and_uses_the_unit_line(invoke, proj):
    src = write_xlsx(proj / "质押贷款统计表.xlsx", DISTRICT_LOANS)
    out = run_import(invoke, proj, str(src), "--ledger", "pledge_loans")
    assert out["added"] == 3
    assert [(s["kind"], s["row"]) for s in out["skipped_rows"]] == [("total", 8), ("footer", 9)]
    rows = ledger(proj, "pledge_loans")
    assert [r["amount"] for r in rows] == ["500", "300", "1000"]  # 万元, as the unit line says
    assert rows[0]["contract_no"].startswith("auto-") and rows[0]["pledge_no"] == "Y2023320000101"
    assert rows[0]["pledged_rights"] == "ZL202110182616.5、ZL201710601862.3"  # kept as written
    assert loans_total(invoke, proj) == pytest.approx(0.18)
    again = run_import(invoke, proj, str(src), "--ledger", "pledge_loans")
    assert (again["added"], again["updated"], again["recognised"]) == (0, 0, 3)


def test_bank_statement_after_the_district_ledger_counts_each_loan_once(invoke, proj):
    run_import(invoke, proj, str(write_xlsx(proj / "质押贷款统计表.xlsx", DISTRICT_LOANS)), "--ledger", "pledge_loans")
    bank = write_csv(
        proj / "银行放款明细.csv",
        [
            ["借款合同编号", "借款人名称", "统一社会信用代码", "放款机构", "放款金额（元）", "放款日"],
            ["JSYH-2023-0712-01", "吴江甲纺织有限公司", FIRM_A, "江苏银行吴江支行", "5,000,000.00", "2023-07-12"],
            ["ZGYH-2023-0801-07", "吴江乙光电有限公司", FIRM_B, "中国银行吴江分行", "3000000", "2023-08-01"],
            ["ZGYH-2023-1010-02", "吴江丁机械有限公司", FIRM_D, "中国银行吴江分行", "2000000", "2023-10-10"],
        ],
    )
    out = run_import(invoke, proj, str(bank), "--ledger", "pledge_loans")
    assert (out["added"], out["recognised"]) == (1, 2)
    rows = {r["credit_code"]: r for r in ledger(proj, "pledge_loans")}
    assert rows[FIRM_A]["contract_no"] == "JSYH-2023-0712-01"  # the bank's number linked to the loan
    assert rows[FIRM_A]["pledge_no"] == "Y2023320000101" and rows[FIRM_A]["town"] == "吴江高新区（盛泽镇）"
    assert rows[FIRM_C]["contract_no"].startswith("auto-")  # not in the statement
    assert rows[FIRM_D]["town"] == ""  # a Wujiang credit code, no town known: unassigned
    assert loans_total(invoke, proj) == pytest.approx(0.20)  # 1800 + 200 万元, not 1800 + 1000
    # The district sheet again, after the link: still the same three loans.
    again = run_import(invoke, proj, str(proj / "质押贷款统计表.xlsx"), "--ledger", "pledge_loans")
    assert (again["added"], again["recognised"]) == (0, 3)
    assert loans_total(invoke, proj) == pytest.approx(0.20)


def test_sign_in_sheet_one_trainee_per_person_date_from_the_title(invoke, proj):
    src = write_xlsx(
        proj / "培训签到表.xlsx",
        [
            ["吴江区企业知识产权工程师培训班签到表"],
            ["培训时间：2023年9月12日—14日"],
            ["序号", "姓名", "工作单位", "人员类别", "联系电话", "所在区镇", "备注"],
            [1, "王伟", "吴江甲纺织有限公司", "知识产权工程师", "138****1234", "盛泽镇", ""],
            [2, "李娜", "吴江乙光电有限公司", "专利专员", "139****5678", "黎里镇", ""],
            [3, "王伟", "吴江甲纺织有限公司", "知识产权工程师", "138****1234", "盛泽镇", "第二天"],
        ],
    )
    out = run_import(invoke, proj, str(src), "--ledger", "trainees")
    assert (out["added"], out["same_record"]) == (2, 1)
    rows = ledger(proj, "trainees")
    assert [(r["role"], r["trained_on"]) for r in rows] == [("engineer", "2023-09-12"), ("manager", "2023-09-12")]
    assert all(r["trainee_id"].startswith("auto-") and "王伟" not in r["trainee_id"] for r in rows)
    again = run_import(invoke, proj, str(src), "--ledger", "trainees")
    assert again["added"] == 0


def test_sign_in_sheet_role_from_set_when_the_title_is_not_a_category(invoke, proj):
    src = write_csv(
        proj / "签到.csv",
        [
            ["姓名", "工作单位", "职务", "联系电话", "所在区镇"],
            ["赵六", "吴江丙电缆有限公司", "总经理", "137****0000", "七都镇"],
        ],
    )
    result = invoke(["import", str(src), "--ledger", "trainees", "--set", "trained_on=2023-09-12"], cwd=proj)
    # 职务 is a job title, not the training category: not read as the role (issue 21.9).
    assert result.exit_code == 1 and "--set role=" in result.stderr and "总经理" not in result.stderr
    out = run_import(
        invoke, proj, str(src), "--ledger", "trainees", "--set", "trained_on=2023-09-12", "--set", "role=manager"
    )
    assert out["added"] == 1


def test_excel_scientific_notation_is_named_as_excel_damage(invoke, proj):
    src = write_csv(
        proj / "专利清单.csv",
        [
            ["申请号", "发明名称", "申请人", "申请日", "专利类型", "所属区镇"],
            ["2.02321E+11", "一种装置", "吴江甲纺织有限公司", "2023/3/14", "实用新型", "盛泽镇"],
        ],
        encoding="gbk",
    )
    before = (proj / "data" / "patents.csv").read_bytes()
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "Excel" in result.stderr and "scientific" in result.stderr and "text" in result.stderr
    assert (proj / "data" / "patents.csv").read_bytes() == before


def test_a_date_excel_saved_as_a_serial_is_converted_and_said(invoke, proj):
    src = write_csv(
        proj / "专利清单.csv",
        [
            ["申请号", "发明名称", "申请人", "申请日", "专利类型", "所属区镇"],
            ["202320000031.2", "一种装置", "吴江甲纺织有限公司", "45123", "实用新型", "盛泽镇"],
        ],
    )
    from ipdemo.checks.field_checks import cnipa_check_char

    number = "202320000031." + cnipa_check_char(pd.Series(["202320000031"]), 12)[0]
    src.write_text(src.read_text(encoding="utf-8-sig").replace("202320000031.2", number), encoding="utf-8-sig")
    result = invoke(["import", str(src), "--lang", "en"], cwd=proj)
    assert result.exit_code == 0, result.stderr
    assert "45123 is an Excel date serial number, read as 2023-07-16" in result.stderr
    assert ledger(proj, "patents")[0]["filed_on"] == "2023-07-16"


def test_validate_warns_about_one_loan_stored_twice(invoke, proj):
    from .conftest import VALID_ROWS, write_ledger

    loan = dict(VALID_ROWS["pledge_loans"], credit_code=FIRM_A, amount="500", issued_on="2023-07-12")
    twin = dict(loan, contract_no="JSYH-2023-0712-01", enterprise="吴江甲纺织有限公司（银行口径）")
    write_ledger(proj / "data" / "pledge_loans.csv", [loan, twin])
    report = json.loads(invoke(["validate", "--format", "json"], cwd=proj).stdout)
    found = [w for w in report["warnings"] if w["code"] == "probable_duplicate"]
    assert [(w["line"], w["field"]) for w in found] == [(3, "contract_no")] and "2" in found[0]["message"]
