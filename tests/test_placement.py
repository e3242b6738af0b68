"""placement.py: addresses, credit codes and the enterprise register, against the shipped plan.

Expected values are worked out by hand from targets.yaml (towns.places, placement) and the
traps real exports hold (postcodes, old 吴江市, misleading firm names, co-applicants).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.ingest.placement import (
    BY_ADDRESS,
    BY_CREDIT_CODE,
    BY_REGISTER,
    INSIDE,
    OUTSIDE,
    UNKNOWN,
    Conflict,
    Placed,
    Register,
    credit_located,
    first_address,
    first_party,
    is_organisation,
    organisation_key,
    place_addresses,
    place_credit_codes,
)
from ipdemo.plan.model import load_plan

TARGETS = Path(__file__).resolve().parent.parent / "targets.yaml"

KAIFA = "吴江开发区"
FENHU = "汾湖高新区（黎里镇）"
SHENGZE = "吴江高新区（盛泽镇）"
TAIHU = "东太湖度假区（太湖新城）"

INSIDE_CODE = "91320509MA1MK3YW4P"  # region 320509
OUTSIDE_CODE = "91320507MA1MK3YW4P"  # region 320507 (相城区)


@pytest.fixture(scope="module")
def plan():
    return load_plan(TARGETS)


def place_one(plan, address: str) -> tuple[str, str]:
    placed = place_addresses(plan, pd.Series([address]))
    return placed.located[0], placed.town.iloc[0]


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address, located, town",
    [
        # the traps of exports.md
        ("215228 江苏省苏州市吴江区盛泽镇西二环路1号", INSIDE, SHENGZE),  # postcode prefix
        ("215228江苏省苏州市吴江区盛泽镇西二环路1号", INSIDE, SHENGZE),
        ("江苏省苏州市相城区黄埭镇春兴路8号", OUTSIDE, ""),  # 苏州盛泽科技有限公司's address
        ("江苏省吴江市盛泽镇东方丝绸市场", INSIDE, SHENGZE),  # old 吴江市
        ("苏州市吴江区中山北路2288号", INSIDE, ""),  # inside, no town named
        ("苏州市吴江经济技术开发区云梨路1号", INSIDE, KAIFA),
        ("苏州市汾湖高新区汾湖大道558号", INSIDE, FENHU),
        ("江苏省苏州市吴江区松陵镇同里湖路1号", INSIDE, TAIHU),
        ("江苏省吴江市松陵镇鲈乡南路", INSIDE, TAIHU),  # old town name, pre-2012 city
        ("上海市浦东新区张江路1号", OUTSIDE, ""),
        ("浙江省嘉兴市秀洲区", OUTSIDE, ""),
        ("苏州工业园区星湖街328号", OUTSIDE, ""),
        ("California, USA", OUTSIDE, ""),
        ("日本国东京都千代田区丸之内1-1", OUTSIDE, ""),
        ("美国加利福尼亚州圣克拉拉", OUTSIDE, ""),
        ("中山北路1号", UNKNOWN, ""),
        ("苏州市人民路1号", UNKNOWN, ""),
        ("", UNKNOWN, ""),
        # a place keyword at the start, after parents only
        ("盛泽镇舜湖西路", INSIDE, SHENGZE),
        ("江苏省苏州市盛泽镇", INSIDE, SHENGZE),
        ("苏州吴江盛泽镇市场路", INSIDE, SHENGZE),  # district stem + place
        ("苏州吴江中山北路1号", INSIDE, ""),  # parent + district stem: inside, no town
        ("吴江路1号", UNKNOWN, ""),  # no parent: could be Shanghai's 吴江路
        ("苏州吴江路1号", UNKNOWN, ""),
        ("江苏省苏州市吴江区经济技术开发区长安路", INSIDE, KAIFA),  # 吴江区 + 经济技术开发区
        ("中国江苏省苏州市吴江区汾湖高新区黎里镇", INSIDE, FENHU),
        ("吴江区平望镇梅堰", INSIDE, "平望镇"),
        # full-width, spaces, invisible characters
        ("江苏省 苏州市 吴江区 七都镇", INSIDE, "七都镇"),
        ("\ufeff江苏省苏州市吴江区\u200b震泽镇", INSIDE, "震泽镇"),
        ("(215228)江苏省苏州市吴江区桃源镇", INSIDE, "桃源镇"),
        # other units, not Wujiang's
        ("苏州市高新区", OUTSIDE, ""),
        ("江苏省南京市玄武区", OUTSIDE, ""),
        ("湖南省常德市桃源县", OUTSIDE, ""),
        ("桃源县漳江镇", OUTSIDE, ""),  # bare 桃源 followed by 县: another county
        ("中国(江苏)自由贸易试验区苏州片区", OUTSIDE, ""),
        ("中国台湾新竹市", OUTSIDE, ""),
        ("上海市静安区吴江路1号", OUTSIDE, ""),  # Shanghai's 吴江路 is no district name
        # only parents, roads, buildings: unknown, never guessed
        ("苏州市红旗路1号", UNKNOWN, ""),  # 旗 inside a road name
        ("苏州市某某小区3幢", UNKNOWN, ""),  # 小区 is no district
        ("苏州市227省道", UNKNOWN, ""),
        ("江陵西路1号", UNKNOWN, ""),  # a bare place inside a road name does not place
        ("同里湖路188号", UNKNOWN, ""),
        ("Wujiang District, Suzhou, Jiangsu, China", UNKNOWN, ""),  # Latin, names China: cannot tell
        ("12345", UNKNOWN, ""),
    ],
)
def test_place_address(plan, address, located, town):
    assert place_one(plan, address) == (located, town)


@pytest.mark.parametrize(
    "address, town",
    [
        # explicit (镇/街道/区/新城) beats bare, wherever it stands
        ("江苏省苏州市吴江区松陵镇同里湖路", TAIHU),
        ("江苏省苏州市吴江区同里湖路188号松陵镇", TAIHU),
        # a bare name in a road name does not place; inside with no town
        ("江苏省苏州市吴江区同里湖路188号", ""),
        ("苏州市吴江区盛泽大道1号", ""),
        # a bare name that is not a road's places
        ("苏州市吴江区盛泽东方丝绸市场", SHENGZE),
        ("江苏省吴江市同里古镇", KAIFA),
        # at one position the longest keyword: 同里镇 over 同里, 汾湖高新区 over 汾湖
        ("吴江区同里镇", KAIFA),
        ("吴江区汾湖高新区", FENHU),
        # two towns' areas named: which is meant would be a guess (issue 21, item 8)
        ("吴江区黎里镇盛泽镇", ""),
        ("吴江区横扇街道", TAIHU),
    ],
)
def test_town_precedence(plan, address, town):
    assert place_one(plan, address) == (INSIDE, town)


def test_first_applicant_address_decides(plan):
    addresses = pd.Series(
        [
            "上海市浦东新区张江路1号;江苏省苏州市吴江区盛泽镇",
            "江苏省苏州市吴江区七都镇 | 上海市浦东新区",
            "；江苏省苏州市吴江区七都镇",
        ]
    )
    placed = place_addresses(plan, first_address(addresses))
    assert list(placed.located) == [OUTSIDE, INSIDE, UNKNOWN]
    assert list(placed.town) == ["", "七都镇", ""]
    assert list(placed.how) == [BY_ADDRESS, BY_ADDRESS, ""]


def test_place_addresses_keeps_index_and_types(plan):
    addresses = pd.Series(["苏州市吴江区七都镇", None, "上海市"], index=[10, 20, 30], dtype=object)
    placed = place_addresses(plan, addresses)
    assert list(placed.town.index) == [10, 20, 30]
    assert isinstance(placed.located, np.ndarray) and placed.located.dtype == object
    assert list(placed.located) == [INSIDE, UNKNOWN, OUTSIDE]
    assert len(placed) == 3


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(st.text(), st.text(alphabet="江苏省苏州市吴江区盛泽镇同里路湖县旗0123456789 ;|（）()、"), st.none()),
        max_size=30,
    )
)
def test_place_addresses_never_raises(plan, values):
    series = pd.Series(values, dtype=object)
    placed = place_addresses(plan, series)
    assert len(placed.located) == len(placed.how) == len(placed.town) == len(values)
    assert set(placed.located) <= {INSIDE, OUTSIDE, UNKNOWN}
    towns = set(plan.town_index.names) | {""}
    assert set(placed.town) <= towns
    assert all(t == "" for t, loc in zip(placed.town, placed.located) if loc != INSIDE)


def test_scale_200k_from_few_thousand_distinct(plan):
    rng = np.random.default_rng(7)
    kinds = [
        ("215228 江苏省苏州市吴江区盛泽镇西二环路{}号", INSIDE, SHENGZE),
        ("江苏省苏州市相城区黄埭镇春兴路{}号", OUTSIDE, ""),
        ("苏州市吴江区中山北路{}号", INSIDE, ""),
        ("苏州市人民路{}号", UNKNOWN, ""),
        ("江苏省吴江市松陵镇鲈乡南路{}号", INSIDE, TAIHU),
    ]
    which = rng.integers(0, len(kinds), 200_000)
    number = rng.integers(1, 800, 200_000)
    addresses = pd.Series([kinds[k][0].format(n) for k, n in zip(which, number)])
    assert addresses.nunique() < 5000
    placed = place_addresses(plan, addresses)
    expected_located = np.array([k[1] for k in kinds], dtype=object)[which]
    expected_town = np.array([k[2] for k in kinds], dtype=object)[which]
    assert (placed.located == expected_located).all()
    assert (placed.town.to_numpy(dtype=object) == expected_town).all()


# --- co-applicants ------------------------------------------------------------------------------


def test_first_party():
    values = pd.Series(
        [
            "A公司;B公司",
            "A公司；B公司",
            "A公司 | B公司",
            "A公司|B公司",
            " A公司 ",
            "",
            "苏州甲、乙科技有限公司",
            ";B公司",
            "王建国",
        ]
    )
    assert first_party(values).tolist() == [
        "A公司",
        "A公司",
        "A公司",
        "A公司",
        "A公司",
        "",
        "苏州甲、乙科技有限公司",
        "",
        "王建国",
    ]


def test_first_address_keeps_enumerations():
    # '、' lists house numbers inside one address: not a separator
    assert first_address(pd.Series(["吴江区盛泽镇1号、3号;上海市"])).tolist() == ["吴江区盛泽镇1号、3号"]


# --- organisations ------------------------------------------------------------------------------


def test_organisation_key():
    keys = organisation_key(
        pd.Series(
            [
                "苏州（吴江）光电有限公司",
                "苏州(吴江)光电 有限公司",
                "ACME　Inc.",
                "acme inc.",
                "吴江\u200b恒力有限公司",
                "吴江恒力有限公司",
                "",
            ]
        )
    )
    assert keys[0] == keys[1]
    assert keys[2] == keys[3]
    assert keys[4] == keys[5]
    assert keys[6] == ""


def test_organisation_key_is_only_a_key():
    names = pd.Series(["苏州（吴江）光电有限公司"])
    organisation_key(names)
    first_party(names)
    assert names[0] == "苏州（吴江）光电有限公司"
    assert first_party(names)[0] == "苏州（吴江）光电有限公司"


@pytest.mark.parametrize(
    "name",
    [
        "苏州盛泽科技有限公司",
        "吴江恒力股份有限公司",
        "吴江市第一丝织厂",
        "苏州大学",
        "苏州大学应用技术学院",
        "江苏省吴江中学",
        "吴江区实验小学",
        "苏州市职业学校",
        "中国科学院苏州纳米技术与纳米仿生研究所",
        "吴江区疾病预防控制中心",
        "苏州大学附属第一医院",
        "恒力集团",
        "吴江区盛泽镇东风村农业专业合作社",
        "江苏某某律师事务所",
        "吴江区丝绸协会",
        "吴江区总商会",
        "苏州市吴江区市场监督管理局",
        "吴江区科学技术委员会",
        "吴江区人民政府",
        "吴江农村商业银行",
        "吴江区盛泽镇张三纺织品经营部",
        "新华书店",
        "吴江区农业技术推广站",
        "吴江区图书馆",
        "某某投资合伙企业（有限合伙）",
        "トヨタ自動車株式会社",
        "Acme Inc.",
        "Siemens AG",
        "Stanford University",
        "Foo Technologies Co., Ltd.",
    ],
)
def test_is_organisation(name):
    assert is_organisation(pd.Series([name]))[0]


@pytest.mark.parametrize(
    "name",
    [
        "王建国",
        "欧阳小明",
        "李四",
        "John Smith",
        "李四；张三",
        "王园",
        "张德行",
        "张学会",
        "迪丽热巴·迪力木拉提",
        "",
        "吴江恒力",
    ],
)
def test_is_not_organisation(name):
    assert not is_organisation(pd.Series([name]))[0]


# --- credit codes -------------------------------------------------------------------------------


def test_credit_located(plan):
    codes = pd.Series(
        [
            INSIDE_CODE,
            "913205096829757874",
            "91 3205-09MA1MK3YW4P",
            "91320509ma1mk3yw4p",
            OUTSIDE_CODE,
            "91310115MA1MK3YW4P",  # 相城区, 上海浦东
            "91320500MA1MK3YW4P",
            "91320000MA1MK3YW4P",
            "91100000MA1MK3YW4P",  # city, province, national
            "",
            "9132050",
            "91320509MA1MK3YW4",
            "91ABCDEFMA1MK3YW4P",
            "91320509MA1MK3YW4I",
        ]
    )
    assert list(credit_located(plan, codes)) == [
        INSIDE,
        INSIDE,
        INSIDE,
        INSIDE,
        OUTSIDE,
        OUTSIDE,
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
    ]


def test_credit_region_default_from_plan(plan):
    bare = plan.model_copy(update={"placement": plan.placement.model_copy(update={"region_codes": []})})
    assert list(credit_located(bare, pd.Series([INSIDE_CODE, OUTSIDE_CODE]))) == [INSIDE, OUTSIDE]


def test_place_credit_codes(plan):
    placed = place_credit_codes(plan, pd.Series([INSIDE_CODE, "", OUTSIDE_CODE]))
    assert list(placed.located) == [INSIDE, UNKNOWN, OUTSIDE]
    assert list(placed.how) == [BY_CREDIT_CODE, "", BY_CREDIT_CODE]
    assert list(placed.town) == ["", "", ""]


# --- the register -------------------------------------------------------------------------------


def register_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    columns = ["name", "credit_code", "located", "town", "address", "former_names", "evidence", "seen_on"]
    return pd.DataFrame([{c: row.get(c, "") for c in columns} for row in rows], columns=columns)


@pytest.fixture(scope="module")
def register(plan):
    return Register.from_frame(
        plan,
        register_frame(
            [
                {"name": "苏州（吴江）光电有限公司", "credit_code": INSIDE_CODE, "located": "inside", "town": KAIFA},
                {
                    "name": "吴江恒力有限公司",
                    "located": "inside",
                    "town": "盛泽",  # an alias: stored canonical
                    "former_names": "吴江恒力化纤有限公司、吴江老恒力有限公司;恒力丝绸厂",
                },
                {"name": "王建国", "located": "inside", "town": "平望镇"},  # a natural person: never matched
                {"name": "苏州双重有限公司", "located": "inside", "town": "平望镇", "evidence": "a.xlsx"},
                {"name": "苏州双重有限公司", "located": "inside", "town": "七都镇", "evidence": "b.xlsx"},
                {"name": "上海远方有限公司", "credit_code": "91310115MA1MK3YW4P", "located": "区外"},
                {"name": "苏州无名有限公司", "located": ""},  # not placed: not indexed
            ]
        ),
    )


def test_register_lookup(register):
    names = pd.Series(
        [
            "苏州(吴江)光电 有限公司",  # brackets and spaces normalised
            "吴江恒力化纤有限公司",  # former name
            "恒力丝绸厂",  # former name after ';'
            "吴江恒力",  # no fuzzy match
            "王建国",  # listed, but a person
            "苏州新名字有限公司",  # unknown name: the code decides
            "王建国",  # a person with a listed code: still no match
            "苏州双重有限公司",  # conflicting entries
            "",  # no name: the code decides
            "上海远方有限公司；吴江恒力有限公司",  # first party only
            "苏州无名有限公司",
        ]
    )
    codes = pd.Series(["", "", "", "", "", INSIDE_CODE, INSIDE_CODE, "", "91 310115MA1MK3YW4P", "", ""])
    placed = register.lookup(names, codes)
    assert list(placed.located) == [
        INSIDE,
        INSIDE,
        INSIDE,
        UNKNOWN,
        UNKNOWN,
        INSIDE,
        UNKNOWN,
        UNKNOWN,
        OUTSIDE,
        OUTSIDE,
        UNKNOWN,
    ]
    assert list(placed.town) == [KAIFA, SHENGZE, SHENGZE, "", "", KAIFA, "", "", "", "", ""]
    assert list(placed.how) == [BY_REGISTER] * 3 + [""] * 2 + [BY_REGISTER] + [""] * 2 + [BY_REGISTER] * 2 + [""]


def test_register_lookup_without_codes(register):
    placed = register.lookup(pd.Series(["吴江老恒力有限公司", "无此公司"], index=[5, 6]))
    assert list(placed.located) == [INSIDE, UNKNOWN]
    assert list(placed.town.index) == [5, 6]


def test_register_reports_its_conflicts(register):
    assert register.conflicts() == [Conflict("苏州双重有限公司", INSIDE, "平望镇", INSIDE, "七都镇", "b.xlsx")]


def test_register_learn(plan, register):
    names = pd.Series(
        [
            "苏州新甲有限公司",  # new, placed by address
            "苏州新甲有限公司",  # same, second row: one entry
            "苏州(吴江)光电 有限公司",  # stored at 吴江开发区; the import says 七都镇: a conflict
            "张三",  # a person: never learned
            "苏州新乙有限公司",  # two towns in one import: a conflict, no entry
            "苏州新乙有限公司",
            "苏州新丙有限公司",  # by the register: not learned again
            "苏州新丁有限公司",  # first row names no town, second does
            "苏州新丁有限公司",
            "吴江恒力有限公司",  # agrees with the register: nothing
            "上海新戊有限公司",  # outside: learned as outside
            "苏州新己有限公司",  # placed by credit code
            "苏州未知有限公司",  # unknown: nothing
        ]
    )
    codes = pd.Series(["", "", "", "", "", "", "", "", "", "", "", INSIDE_CODE, ""])
    addresses = pd.Series(
        [
            "江苏省苏州市吴江区平望镇1号",
            "江苏省苏州市吴江区平望镇2号",
            "吴江区七都镇",
            "吴江区七都镇",
            "吴江区震泽镇",
            "吴江区桃源镇",
            "",
            "苏州市吴江区中山北路1号",
            "吴江区七都镇8号",
            "吴江区盛泽镇",
            "上海市浦东新区",
            "",
            "苏州市人民路1号",
        ]
    )
    placed = place_addresses(plan, addresses)
    by_code = place_credit_codes(plan, codes)
    via_register = register.lookup(pd.Series(["吴江恒力有限公司"] * 13))
    placed = placed.fill(by_code)
    # row 6 placed by the register (pretend): must not be learned
    located = placed.located.copy()
    town = placed.town.copy()
    how = placed.how.copy()
    located[6], town[6], how[6] = via_register.located[0], via_register.town[0], BY_REGISTER
    placed = Placed(located, town, how)

    learned = register.learn(names, codes, addresses, placed, evidence="export.xlsx", seen_on="2023-10-01")
    entries = learned.entries
    assert list(entries.columns) == [
        "name",
        "credit_code",
        "located",
        "town",
        "address",
        "former_names",
        "evidence",
        "seen_on",
    ]
    assert entries["name"].tolist() == ["苏州新甲有限公司", "苏州新丁有限公司", "上海新戊有限公司", "苏州新己有限公司"]
    assert entries["located"].tolist() == [INSIDE, INSIDE, OUTSIDE, INSIDE]
    assert entries["town"].tolist() == ["平望镇", "七都镇", "", ""]
    assert entries["address"].tolist() == ["江苏省苏州市吴江区平望镇1号", "吴江区七都镇8号", "上海市浦东新区", ""]
    assert entries["credit_code"].tolist() == ["", "", "", INSIDE_CODE]
    assert set(entries["evidence"]) == {"export.xlsx"} and set(entries["seen_on"]) == {"2023-10-01"}
    assert learned.conflicts == [
        Conflict("苏州(吴江)光电 有限公司", INSIDE, KAIFA, INSIDE, "七都镇", "export.xlsx", "吴江区七都镇"),
        Conflict("苏州新乙有限公司", INSIDE, "震泽镇", INSIDE, "桃源镇", "export.xlsx", "吴江区桃源镇"),
    ]
    # the register itself is unchanged
    assert register.lookup(pd.Series(["苏州（吴江）光电有限公司"])).town.iloc[0] == KAIFA


def test_register_learn_keeps_first_spelling(plan):
    register = Register.from_frame(plan, register_frame([]))
    names = pd.Series(["苏州（新）科技有限公司", "苏州(新)科技 有限公司"])
    addresses = pd.Series(["吴江区七都镇", "吴江区七都镇"])
    learned = register.learn(names, None, addresses, place_addresses(plan, addresses), "f.xlsx", "2023-01-01")
    assert learned.entries["name"].tolist() == ["苏州（新）科技有限公司"]
    assert learned.conflicts == []
