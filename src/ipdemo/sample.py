"""Synthetic but realistic ledgers for the Wujiang plan (the shipped data/ and the benchmarks).

Deterministic for a given seed and NumPy version. Every identifier is well formed with a correct
check character; credit codes are in region 320509. Volumes follow the plan's scale; the
outcome is mixed on purpose (some targets met, some behind, a milestone missed, a milestone late)
so that reports have something to say. `scale` multiplies the volume ledgers (patents,
trademarks, software copyrights) for benchmarks.

Two random streams: `default_rng(seed)` draws every column the ledgers have always had, in the
same order, so their figures never move; `default_rng(seed + 1)` draws only what was added later
(addresses, legal status). New columns are otherwise derived from existing ones. Every company
is in the enterprise register (`organisations`) with an address in its own town.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ipdemo.checks.field_checks import cnipa_check_char, uscc_check_char

PLAN_START, PLAN_END = date(2021, 6, 1), date(2023, 12, 31)
TOWNS = [
    "吴江开发区",
    "汾湖高新区（黎里镇）",
    "吴江高新区（盛泽镇）",
    "东太湖度假区（太湖新城）",
    "平望镇",
    "七都镇",
    "震泽镇",
    "桃源镇",
]
TOWN_WEIGHTS = np.array([0.24, 0.16, 0.20, 0.12, 0.09, 0.06, 0.08, 0.05])
USCC_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))

_PREFIX = list("恒亨盛鼎永通华泰远宏博立新嘉创优德锦汇信瑞丰祥凯达晟昌源")
_MIDDLE = list("光电丝纺织机科智精联胜益晶澜帆越弘泽谷")
_TRADE = ["光电科技", "电缆", "丝绸", "纺织", "智能装备", "精密机械", "电子", "通信技术", "新材料", "化纤"]
_TITLE_A = [
    "光纤预制棒",
    "通信光缆",
    "电力电缆",
    "真丝面料",
    "化纤长丝",
    "喷气织机",
    "数控机床",
    "电子连接器",
    "散热模组",
    "5G天线",
    "印染废水",
    "丝绸印花",
    "无纺布",
    "绝缘护套",
    "伺服电机",
    "锂电池隔膜",
]
_TITLE_B = [
    "的制备方法",
    "生产装置",
    "检测系统",
    "及其加工工艺",
    "用冷却结构",
    "自动化生产线",
    "的回收方法",
    "张力控制装置",
    "用固定支架",
]
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁沈")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")
_BANKS = [
    "中国工商银行吴江分行",
    "中国农业银行吴江分行",
    "中国银行吴江分行",
    "中国建设银行吴江分行",
    "江苏银行吴江支行",
    "苏州银行吴江支行",
    "吴江农村商业银行",
]
# Address words per town: each is one of the town's `places` in targets.yaml, so an address
# places the company in its own town. Roads name no place.
_TOWN_PLACES = {
    "吴江开发区": ["吴江经济技术开发区", "江陵街道", "同里镇"],
    "汾湖高新区（黎里镇）": ["汾湖高新区", "黎里镇", "芦墟镇"],
    "吴江高新区（盛泽镇）": ["盛泽镇"],
    "东太湖度假区（太湖新城）": ["太湖新城", "松陵街道", "横扇街道"],
    "平望镇": ["平望镇"],
    "七都镇": ["七都镇"],
    "震泽镇": ["震泽镇"],
    "桃源镇": ["桃源镇"],
}
_ROADS = [
    "人民路",
    "中山路",
    "新华路",
    "兴业路",
    "创业路",
    "科技路",
    "工业大道",
    "长安路",
    "富民路",
    "友谊路",
    "振兴路",
]
DATA_CUTOFF = np.datetime64("2024-03-31")  # the date of the latest export: nothing later is known
_INSURERS = ["中国人民财产保险吴江支公司", "中国平安财产保险苏州分公司", "太平洋财产保险吴江支公司"]


def _dates(rng: np.random.Generator, n: int, start: date, end: date, growth: float = 0.0) -> np.ndarray:
    """n dates in [start, end]; growth > 0 makes later dates more likely (activity ramps up)."""
    span = (end - start).days + 1
    u = rng.random(n)
    offsets = (span * (u ** (1 / (1 + growth)))).astype(np.int64) if growth else (u * span).astype(np.int64)
    return np.datetime64(start, "D") + np.minimum(offsets, span - 1)


def _iso(days: np.ndarray) -> pd.Series:
    return pd.Series(np.datetime_as_string(days, unit="D"), dtype="str")


def _towns(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.array(TOWNS, dtype=object)[rng.choice(len(TOWNS), n, p=TOWN_WEIGHTS)]


def _pick(rng: np.random.Generator, words: list[str], n: int) -> np.ndarray:
    return np.array(words, dtype=object)[rng.integers(0, len(words), n)]


def _enterprises(rng: np.random.Generator, n: int) -> pd.DataFrame:
    names = (
        pd.Series(["吴江"] * n) + _pick(rng, _PREFIX, n) + _pick(rng, _MIDDLE, n) + _pick(rng, _TRADE, n) + "有限公司"
    )
    body = "91320509" + pd.Series(["".join(r) for r in USCC_CHARS[rng.integers(0, 31, (n, 9))]])
    codes = body + pd.Series(uscc_check_char(body), dtype="str")
    frame = pd.DataFrame({"enterprise": names, "credit_code": codes, "town": _towns(rng, n)})
    return frame.drop_duplicates("credit_code").drop_duplicates("enterprise").reset_index(drop=True)


def _addresses(extra: np.random.Generator, towns: pd.Series) -> pd.Series:
    """A registered address in each company's own town: 江苏省苏州市吴江区盛泽镇兴业路N号."""
    n = len(towns)
    pick = extra.random(n)
    places = [_TOWN_PLACES[t][int(u * len(_TOWN_PLACES[t]))] for t, u in zip(towns, pick)]
    roads = _pick(extra, _ROADS, n)
    numbers = extra.integers(1, 1000, n)
    return pd.Series([f"江苏省苏州市吴江区{p}{r}{k}号" for p, r, k in zip(places, roads, numbers)], dtype="str")


def _application_numbers(rng: np.random.Generator, filed: np.ndarray, type_digit: np.ndarray) -> pd.Series:
    years = filed.astype("datetime64[Y]").astype(int) + 1970
    n = len(filed)
    serial = rng.permutation(9_999_999)[:n] + 1 if n < 9_999_999 else np.arange(1, n + 1)
    body = pd.Series([f"{y}{t}{s:07d}" for y, t, s in zip(years, type_digit, serial)], dtype="str")
    return body + "." + pd.Series(cnipa_check_char(body, 12), dtype="str")


def patents(
    rng: np.random.Generator, companies: pd.DataFrame, scale: float, extra: np.random.Generator
) -> pd.DataFrame:
    in_plan = int(33_400 * scale)
    before = int(7_000 * scale)
    filed = np.concatenate(
        [
            _dates(rng, before, date(2019, 1, 1), date(2021, 5, 31)),
            _dates(rng, in_plan, PLAN_START, PLAN_END, growth=0.3),
        ]
    )
    n = len(filed)
    kind = rng.choice(3, n, p=[0.26, 0.55, 0.19])  # invention, utility model, design
    types = np.array(["invention", "utility_model", "design"], dtype=object)[kind]
    digit = np.array(["1", "2", "3"])[kind]
    pct = (kind == 0) & (rng.random(n) < 0.02)  # a few PCT national-phase inventions
    digit[pct] = "8"
    # Grant rates and lags by type; grants after the data cut-off are not yet known.
    rate = np.array([0.42, 0.62, 0.80])[kind]
    lag = np.array([700, 300, 190])[kind] + rng.normal(0, 70, n).astype(np.int64)
    granted = filed + np.maximum(lag, 90)
    grantable = rng.random(n) < rate
    known = grantable & (granted <= DATA_CUTOFF)
    who = companies.iloc[rng.integers(0, len(companies), n)].reset_index(drop=True)
    titles = "一种" + pd.Series(_pick(rng, _TITLE_A, n)) + pd.Series(_pick(rng, _TITLE_B, n))
    titles = titles.where(types != "design", pd.Series(_pick(rng, _TITLE_A, n)) + "（外观）")
    frame = pd.DataFrame(
        {
            "application_no": _application_numbers(rng, filed, digit),
            "title": titles,
            "applicant": who["enterprise"],
            "applicant_address": who["address"],
            "town": who["town"],
            "type": types,
            "filed_on": _iso(filed),
            "granted_on": _iso(granted).where(known, ""),
        }
    )
    status, status_on = _legal_status(extra, kind, granted, known, grantable)
    frame["legal_status"], frame["status_on"] = status, status_on
    return frame.sort_values("filed_on", kind="stable").reset_index(drop=True)


def _legal_status(
    extra: np.random.Generator, kind: np.ndarray, granted: np.ndarray, known: np.ndarray, grantable: np.ndarray
) -> tuple[np.ndarray, pd.Series]:
    """Legal status as of the data cut-off and the date it became known (status_on).

    Granted: valid since the grant, or — a few by type, most for unpaid annual fees — lapsed or
    abandoned 1..3 years after it. Not granted: refused or withdrawn where a grant would have
    come by the cut-off, else pending (no date)."""
    n = len(kind)
    ends = extra.random(n) < np.array([0.06, 0.10, 0.12])[kind]
    ended_on = granted + extra.integers(365, 1100, n)
    lapsed = known & ends & (ended_on <= DATA_CUTOFF)
    decided = ~grantable & (granted <= DATA_CUTOFF)
    status = np.full(n, "pending", dtype=object)
    status[known] = "valid"
    status[lapsed] = np.where(extra.random(int(lapsed.sum())) < 0.85, "lapsed", "abandoned")
    status[decided] = np.where(extra.random(int(decided.sum())) < 0.6, "refused", "withdrawn")
    dated = np.where(lapsed, ended_on, granted)
    return status, _iso(dated).where(known | decided, "")


def software_copyrights(rng: np.random.Generator, companies: pd.DataFrame, scale: float) -> pd.DataFrame:
    n = int(2_640 * scale)
    reg = _dates(rng, n, PLAN_START, PLAN_END, growth=0.2)
    years = reg.astype("datetime64[Y]").astype(int) + 1970
    serial = rng.permutation(9_000_000)[:n] + 100_000
    who = companies.iloc[rng.integers(0, len(companies), n)].reset_index(drop=True)
    product = pd.Series(_pick(rng, _TITLE_A, n)) + pd.Series(
        _pick(rng, ["管理系统", "监控平台", "控制软件", "数据分析软件"], n)
    )
    frame = pd.DataFrame(
        {
            "registration_no": [f"{y}SR{s:07d}" for y, s in zip(years, serial)],
            "title": product + "V1.0",
            "owner": who["enterprise"],
            "town": who["town"],
            "registered_on": _iso(reg),
        }
    )
    return frame.sort_values("registered_on", kind="stable").reset_index(drop=True)


def trademarks(rng: np.random.Generator, companies: pd.DataFrame, scale: float) -> pd.DataFrame:
    """Applications, one class each; the register's term (10 years from registration) and status
    words derived from the dates: 已注册, 驳回 (no registration by when it would have come), 申请中."""
    n = int(21_300 * scale)
    filed = _dates(rng, n, PLAN_START, PLAN_END, growth=0.1)
    numbers = (rng.permutation(20_000_000)[:n] + 50_000_000).astype(str)
    divisional = rng.random(n) < 0.01
    numbers = np.where(divisional, np.char.add(numbers, "A"), numbers)
    registered = filed + 270 + rng.integers(0, 120, n)
    registrable = rng.random(n) < 0.72
    known = registrable & (registered <= DATA_CUTOFF)
    classes = rng.choice(
        [25, 24, 9, 35, 7, 42, 11, 20, 3, 30], n, p=[0.2, 0.18, 0.14, 0.12, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03]
    )
    who = companies.iloc[rng.integers(0, len(companies), n)].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "application_no": numbers,
            "mark": pd.Series(_pick(rng, _PREFIX, n)) + pd.Series(_pick(rng, _MIDDLE, n)),
            "applicant": who["enterprise"],
            "applicant_address": who["address"],
            "town": who["town"],
            "nice_class": classes.astype(str),
            "filed_on": _iso(filed),
            "registered_on": _iso(registered).where(known, ""),
            "expires_on": _iso(_term_end(registered)).where(known, ""),
            "status": np.where(known, "已注册", np.where(registered <= DATA_CUTOFF, "驳回", "申请中")),
        }
    )
    return frame.sort_values("filed_on", kind="stable").reset_index(drop=True)


def _term_end(registered: np.ndarray) -> np.ndarray:
    """A registration's term ends the day before its tenth anniversary (29 Feb → 28 Feb)."""
    days = pd.to_datetime(pd.Series(registered))
    return ((days + pd.DateOffset(years=10)) - pd.Timedelta(days=1)).to_numpy().astype("datetime64[D]")


def organisations(companies: pd.DataFrame) -> pd.DataFrame:
    """The enterprise register: every generated company, inside the district, in its town."""
    n = len(companies)
    return pd.DataFrame(
        {
            "name": companies["enterprise"],
            "credit_code": companies["credit_code"],
            "located": ["inside"] * n,
            "town": companies["town"],
            "address": companies["address"],
            "former_names": [""] * n,
            "evidence": ["sample"] * n,
            "seen_on": [str(DATA_CUTOFF)] * n,
        }
    )


def enterprise_programs(rng: np.random.Generator, companies: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for program, count in (("standardization", 92), ("strategy_plan", 9), ("patent_database", 61)):
        who = companies.sample(count, random_state=rng.integers(1 << 31)).reset_index(drop=True)
        parts.append(
            pd.DataFrame(
                {
                    "credit_code": who["credit_code"],
                    "program": program,
                    "enterprise": who["enterprise"],
                    "town": who["town"],
                    "started_on": _iso(_dates(rng, count, PLAN_START, date(2023, 11, 30))),
                }
            )
        )
    return pd.concat(parts).sort_values("started_on", kind="stable").reset_index(drop=True)


def pledge_loans(rng: np.random.Generator, companies: pd.DataFrame) -> pd.DataFrame:
    n = 146
    issued = np.sort(_dates(rng, n, PLAN_START, PLAN_END, growth=0.2))
    who = companies.sample(n, random_state=rng.integers(1 << 31)).reset_index(drop=True)
    amount = np.round(rng.lognormal(np.log(300), 0.6, n) / 10) * 10
    years = issued.astype("datetime64[Y]").astype(int) + 1970
    return pd.DataFrame(
        {
            "contract_no": [f"WJZY{y}-{i + 1:04d}" for i, y in enumerate(years)],
            "enterprise": who["enterprise"],
            "credit_code": who["credit_code"],
            "town": who["town"],
            "lender": _pick(rng, _BANKS, n),
            "amount": [f"{a:.0f}" for a in amount],
            "issued_on": _iso(issued),
        }
    )


def industrialization_projects(rng: np.random.Generator, pats: pd.DataFrame) -> pd.DataFrame:
    n = 36
    approved = np.sort(_dates(rng, n, date(2021, 9, 1), date(2023, 11, 30)))
    granted = pats[(pats["type"] == "invention") & (pats["granted_on"] != "")]
    chosen = granted.sample(n, random_state=rng.integers(1 << 31)).reset_index(drop=True)
    return pd.DataFrame(
        {
            "project_id": [f"CYH-{i + 1:03d}" for i in range(n)],
            "name": chosen["title"].str.replace("一种", "", regex=False) + "产业化",
            "enterprise": chosen["applicant"],
            "town": chosen["town"],
            "application_no": chosen["application_no"],
            "approved_on": _iso(approved),
        }
    )


def events(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    # Plaza campaigns: 2021 meets its prorated target (3), 2022 meets 4, 2023 falls one short.
    plaza = {
        "2021": ["2021-06-18", "2021-09-15", "2021-11-20"],
        "2022": ["2022-03-15", "2022-04-26", "2022-08-16", "2022-11-09"],
        "2023": ["2023-03-15", "2023-04-26", "2023-10-20"],
    }
    for days in plaza.values():
        for d in days:
            title = {"03-15": "“3·15”知识产权广场宣传", "04-26": "“4·26”知识产权宣传周广场活动"}.get(
                d[5:], "知识产权大型广场宣传"
            )
            rows.append(("plaza_promotion", title, d))
    for d in _iso(_dates(rng, 40, PLAN_START, PLAN_END)):
        rows.append((str(rng.choice(["publicity", "training", "other"], p=[0.5, 0.35, 0.15])), "知识产权进企业宣传", d))
    rows.sort(key=lambda r: r[2])
    towns = _towns(rng, len(rows))
    return pd.DataFrame(
        {
            "event_id": [f"HD{r[2][:4]}-{i + 1:03d}" for i, r in enumerate(rows)],
            "kind": [r[0] for r in rows],
            "title": [r[1] for r in rows],
            "town": towns,
            "held_on": [r[2] for r in rows],
            "participants": rng.integers(30, 800, len(rows)).astype(str),
        }
    )


def trainees(rng: np.random.Generator, companies: pd.DataFrame) -> pd.DataFrame:
    n = 151
    trained = np.sort(_dates(rng, n, date(2021, 7, 1), date(2023, 11, 30)))
    who = companies.iloc[rng.integers(0, len(companies), n)].reset_index(drop=True)
    names = (
        pd.Series(_pick(rng, _SURNAMES, n))
        + pd.Series(_pick(rng, _GIVEN, n))
        + pd.Series(_pick(rng, _GIVEN + [""] * 10, n))
    )
    return pd.DataFrame(
        {
            "trainee_id": [f"PX{i + 1:04d}" for i in range(n)],
            "name": names,
            "employer": who["enterprise"],
            "town": who["town"],
            "role": rng.choice(["manager", "engineer"], n, p=[0.4, 0.6]),
            "trained_on": _iso(trained),
        }
    )


def insurance_policies(rng: np.random.Generator, companies: pd.DataFrame) -> pd.DataFrame:
    spans = [
        (date(2021, 6, 1), date(2021, 12, 31), 6),
        (date(2022, 1, 1), date(2022, 12, 31), 12),
        (date(2023, 1, 1), date(2023, 12, 31), 11),
    ]
    issued = np.sort(np.concatenate([_dates(rng, k, a, b) for a, b, k in spans]))
    n = len(issued)
    who = companies.sample(n, random_state=rng.integers(1 << 31)).reset_index(drop=True)
    return pd.DataFrame(
        {
            "policy_no": [f"PZ{d.replace('-', '')}{i:03d}" for i, d in enumerate(_iso(issued))],
            "enterprise": who["enterprise"],
            "credit_code": who["credit_code"],
            "town": who["town"],
            "insurer": _pick(rng, _INSURERS, n),
            "kind": _pick(rng, ["专利执行保险", "侵权责任保险", "海外侵权责任保险"], n),
            "issued_on": _iso(issued),
            "coverage": (rng.integers(5, 60, n) * 10).astype(str),
        }
    )


def outputs() -> pd.DataFrame:
    rows = [
        (
            "leading_group",
            "成立吴江区知识产权强省建设区域示范工作领导小组",
            "",
            "district",
            "2021-06-25",
            "吴政办〔2021〕67号",
        ),
        (
            "plan_submitted",
            "《吴江区江苏知识产权强省建设区域示范工作计划》上报省知识产权局",
            "",
            "district",
            "2021-08-10",
            "报送函",
        ),
        ("industry_report", "光电缆产业专利分析报告", "吴江开发区", "district", "2022-06-30", "评审意见"),
        ("industry_report", "丝绸纺织产业专利导航报告", "吴江高新区（盛泽镇）", "district", "2022-12-15", "评审意见"),
        (
            "industry_report",
            "装备制造产业知识产权分析报告",
            "汾湖高新区（黎里镇）",
            "district",
            "2023-08-31",
            "评审意见",
        ),
        (
            "high_value_center",
            "江苏省光通信高价值专利培育示范中心",
            "吴江开发区",
            "province",
            "2022-10-12",
            "苏知发〔2022〕",
        ),
        (
            "high_value_center",
            "苏州市丝绸纺织高价值专利培育中心",
            "吴江高新区（盛泽镇）",
            "city",
            "2022-05-20",
            "苏市监〔2022〕",
        ),
        (
            "high_value_center",
            "吴江区智能装备高价值专利培育中心",
            "汾湖高新区（黎里镇）",
            "district",
            "2023-06-08",
            "吴市监〔2023〕",
        ),
        ("agency_branch", "某知识产权代理有限公司吴江分公司", "东太湖度假区（太湖新城）", "", "2022-04-18", "营业执照"),
        ("credit_risk_product", "吴江区“知贷通”企业信贷风险补偿型金融产品", "", "district", "2022-09-28", "发布通知"),
    ]
    staffed = {t: "2021-11-30" for t in TOWNS}
    staffed["桃源镇"] = "2022-03-15"  # a milestone met late
    for town, day in staffed.items():
        rows.append(("town_ip_staff", f"{town}配齐知识产权管理人员", town, "", day, "人员名单"))
    # self_inspection (due 2023-12-31) has no record: the missed milestone.
    rows.sort(key=lambda r: r[4])
    return pd.DataFrame(
        {
            "output_id": [f"CG{i + 1:03d}" for i in range(len(rows))],
            "kind": [r[0] for r in rows],
            "title": [r[1] for r in rows],
            "town": [r[2] for r in rows],
            "level": [r[3] for r in rows],
            "achieved_on": [r[4] for r in rows],
            "evidence": [r[5] for r in rows],
        }
    )


def task_progress() -> pd.DataFrame:
    """A handful of progress reports on the plan's tasks (targets.yaml `tasks`), written by hand
    (no random stream: the other ledgers draw exactly as before). The story at the plan end: some
    done, some in progress, and 三（五）一是 (the information platform, due by the end of phase 2)
    still in progress: overdue. Tasks nobody reported on follow their indicators, or are not started."""
    rows = [
        ("t3_1_1", "2021-09-28", "in_progress", "印发知识产权综合管理改革试点工作方案", "吴市监〔2021〕52号", ""),
        (
            "t3_1_1",
            "2022-12-20",
            "done",
            "建立知识产权协调议事机构联席会议制度，多部门联合推进机制运行",
            "联席会议纪要",
            "",
        ),
        ("t3_6_1", "2022-01-20", "done", "印发2022年度全区知识产权宣传培训计划", "吴市监〔2022〕5号", ""),
        (
            "t3_3_3",
            "2022-03-15",
            "in_progress",
            "“正版正货”承诺活动启动，首批86家商户签署承诺书",
            "活动通知",
            "吴江高新区（盛泽镇）",
        ),
        ("t3_5_1", "2022-05-20", "in_progress", "知识产权信息公共服务平台升级方案通过专家论证", "专家论证意见", ""),
        ("t3_4_4", "2022-09-30", "in_progress", "开展知识产权密集型企业摸底，建立培育企业库", "培育企业名单", ""),
        ("t3_3_3", "2023-04-26", "in_progress", "承诺活动扩大到各区镇商业街区，累计签署承诺书312份", "工作台账", ""),
        (
            "t4_1_4",
            "2023-05-18",
            "in_progress",
            "推行“震泽蚕丝”地理标志产业化经营模式，授权使用企业增至15家",
            "工作台账",
            "震泽镇",
        ),
        ("t3_5_1", "2023-06-15", "in_progress", "平台升级改造完成招标，系统开发中", "招标文件", ""),
        ("t3_4_4", "2023-08-25", "done", "认定首批区级知识产权密集型培育企业", "吴市监〔2023〕41号", ""),
        ("t6_3", "2023-11-20", "in_progress", "对照工作计划开展自查，自查报告起草中", "自查工作通知", ""),
    ]
    rows.sort(key=lambda r: (r[1], r[0]))
    return pd.DataFrame(
        {
            "task": [r[0] for r in rows],
            "reported_on": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "done": [r[3] for r in rows],
            "evidence": [r[4] for r in rows],
            "town": [r[5] for r in rows],
        }
    )


def generate(seed: int = 20210601, scale: float = 1.0) -> dict[str, pd.DataFrame]:
    """All twelve ledgers as string frames with canonical columns."""
    rng = np.random.default_rng(seed)
    extra = np.random.default_rng(seed + 1)  # columns added later only: `rng` draws as it always did
    companies = _enterprises(rng, max(3000, int(3000 * scale)))
    companies["address"] = _addresses(extra, companies["town"])
    pats = patents(rng, companies, scale, extra)
    frames = {
        "patents": pats,
        "software_copyrights": software_copyrights(rng, companies, scale),
        "trademarks": trademarks(rng, companies, scale),
        "enterprise_programs": enterprise_programs(rng, companies),
        "pledge_loans": pledge_loans(rng, companies),
        "industrialization_projects": industrialization_projects(rng, pats),
        "events": events(rng),
        "trainees": trainees(rng, companies),
        "insurance_policies": insurance_policies(rng, companies),
        "outputs": outputs(),
        "task_progress": task_progress(),
        "organisations": organisations(companies),
    }
    for name, columns in OPTIONAL_EMPTY.items():  # fields the sample leaves blank, present as columns
        for column in columns:
            frames[name][column] = ""
    return frames


# Optional fields of targets.yaml the synthetic ledgers carry as empty columns (so validate sees
# every column it knows).
OPTIONAL_EMPTY = {
    "pledge_loans": ["pledge_no", "collateral", "pledged_rights", "due_on", "first_loan"],
    "trainees": ["phone"],
    "insurance_policies": ["premium", "ends_on", "patents_insured", "subsidy"],
}


def write(frames: dict[str, pd.DataFrame], folder: Path) -> None:
    """Write ledgers as the program does: UTF-8 with BOM, LF line ends."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
