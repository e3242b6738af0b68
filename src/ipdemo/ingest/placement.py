"""Placing records that carry no town: by address, by credit code, by the enterprise register.

Pure and vectorised (pandas/numpy, no I/O): every function takes whole columns and does its
string work once per *distinct* value (exports repeat values a lot), then spreads the results
back with the factorised codes.

Invariants:
- Names are never rewritten. `organisation_key` is a matching key only; what the register stores
  is the first spelling as written.
- Only an address (the first applicant's, as CNIPA statistics do) or a credit code places a
  record; a firm's name never does (苏州盛泽科技有限公司 may sit in 相城区), and a natural
  person's name is never used at all.
- Unknown is never guessed: an address naming only parents or roads, a malformed code, an
  ambiguous register entry stay UNKNOWN ('') for the user to complete.
- Nothing about a particular district is in code: districts, parents, places and region codes
  come from the plan (targets.yaml).

Address rules (see `place_addresses`), in order:
1. Normalise for matching: NFKC, no spaces or invisible characters, casefolded; a leading
   6-digit postcode is dropped; then a leading run of `placement.parents` (中国, 江苏省, 苏州市…).
2. Inside when the address names a district name (吴江区, 吴江市…) anywhere, or, after the
   parents, begins with a place keyword of some town, or with the district's stem (吴江) then
   a keyword (吴江盛泽镇…) or — when a parent preceded it — anything but a road (苏州吴江中山北路…;
   a bare 吴江路 is Shanghai's).
3. The town is chosen among the keywords from the district's name on (or from the start):
   a. explicit keywords (ending in 镇/乡/街道/区/新城: 松陵镇, 汾湖高新区, 东太湖度假区) beat
      bare names (同里, 盛泽); at one position the longest wins; when the keywords of the winning
      kind name two different towns (吴江区松陵镇…盛泽镇…) the town stays '' (unassigned);
   b. a bare name is void when it is part of a road (up to 3 characters then 路/街/道/巷/弄/桥:
      同里湖路, 江陵西路, 盛泽大道) or of another unit (桃源县);
   c. right after the district's name, a keyword with the district's stem dropped also counts
      (吴江区经济技术开发区 → 吴江经济技术开发区).
   No usable keyword: inside with town ''.
4. Outside when not inside and, after the parents, the address begins with an administrative
   unit (a name then 省/市/区/县/旗/州/盟/自治区/特别行政区 before any road or number: 相城区,
   工业园区, 上海市, 浙江省嘉兴市), or it is foreign: starts or ends with a country's name, or
   is written in Latin letters only (unless it names China: then unknown, as the plan's place
   names are Chinese).
5. Otherwise unknown.

Postcodes and region codes (`place_postcodes`; evidence where the address places nothing and the
register does not know the organisation): a postcode in the district's block (placement.postcodes)
is inside, in a town only when one town alone lists it (towns[].postcodes); a shared postcode
(the city's general one) decides nothing; any other well-formed postcode is outside. Without a
postcode, a province / city / district code: the district's own is inside, one above it decides
nothing, another (or a foreign country code) is outside. Without either, the province / city / county
names an export gives beside the address (incoPat's 中国申请人地市 / 中国申请人区县), joined and read
as an address: inside / outside, never a town. A row placed so teaches the register
nothing (a postcode is the row's, not proof of where the firm is).

Applicant / owner lists (`same_parties`) are compared as ordered lists of names, blind to the
separator, spacing and width: 'A; B' and 'A；B' are the same parties, no transfer.

Suggestions for held rows (`suggest_towns`) are only ever written beside the import for the
clerk to confirm: the register on a looser key (`loose_key`: company form and brackets aside),
the one town the firm's other records carry, a place word in the firm's name. None of them is
applied to a record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ipdemo.checks.codes import USCC_SHAPE
from ipdemo.plan.model import Plan

INSIDE, OUTSIDE, UNKNOWN = "inside", "outside", ""
BY_ADDRESS, BY_CREDIT_CODE, BY_REGISTER, NOT_PLACED = "address", "credit_code", "register", ""
BY_POSTCODE = "postcode"  # the applicant's postcode or province / city code (no address)

REGISTER_COLUMNS = ["name", "credit_code", "located", "town", "address", "former_names", "evidence", "seen_on"]

# Co-applicants / owners and their addresses: ';' '；' '|' '｜' (NFKC-equal forms). '、' is NOT a
# separator: CNIPA lists parties with ';', while '、' occurs inside addresses (1号、3号) and in
# some organisation names.
_PARTY_SEPARATOR = re.compile(r"\s*[;；|｜]\s*")
# Comparing two lists of parties (is this a transfer?): '、' too, since both sides split alike.
_LIST_SEPARATOR = re.compile(r"[;；|｜、]")
_INVISIBLE = re.compile(
    r"[\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u206f\ufeff\ufff9-\ufffb]+"
)
_POSTCODE = re.compile(r"^[(\[]?\d{6}[)\]]?(?!\d)")
_PARENT_GLUE = re.compile(r"^[,.:;·・\-/()\[\]]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_LATIN = re.compile(r"[a-z]")
_CHINA_LATIN = re.compile(r"\bchina\b|\bp\.?\s?r\.?\s?c\b|\bpeople'?s\s+republic\b")

# A keyword ending in one of these names a unit explicitly; others are bare names (同里, 盛泽).
_EXPLICIT_ENDINGS = ("镇", "乡", "街道", "区", "新城")
# After a bare name: a road (同里湖路, 江陵西路, 盛泽大道) or another unit (桃源县) → void.
_ROAD = re.compile(r"[路街道巷弄桥]")
_BARE_VOID_AFTER = re.compile(r"[^\d镇乡区市县]{0,3}?[路街道巷弄桥]|[省市区县旗州盟]")
# An administrative unit at the start: a name (no digits, no road words) then a unit word that
# is not part of a common non-unit word (小区, 社区, 工业区, 市场, 区域, 红旗路…).
_UNIT_AT_START = re.compile(
    r"^[^\d路街道巷弄号幢栋楼室层#]{1,15}?"
    r"(?:自治区|特别行政区|自治州|自治县|盟|旗|州|省"
    r"|(?<![超门夜菜集花股])市"
    r"|(?<![小社校厂景街片业宅活公])区"
    r"|县)"
    r"(?![路街道巷弄桥场政域])"
)
# Countries and regions outside the mainland, as Chinese addresses write them.
_COUNTRIES = (
    "中国香港",
    "中国澳门",
    "中国台湾",
    "香港",
    "澳门",
    "台湾",
    "美国",
    "美利坚合众国",
    "日本",
    "德国",
    "德意志联邦共和国",
    "韩国",
    "大韩民国",
    "朝鲜",
    "英国",
    "法国",
    "意大利",
    "瑞士",
    "瑞典",
    "荷兰",
    "比利时",
    "卢森堡",
    "加拿大",
    "澳大利亚",
    "新西兰",
    "新加坡",
    "以色列",
    "芬兰",
    "丹麦",
    "挪威",
    "奥地利",
    "西班牙",
    "葡萄牙",
    "爱尔兰",
    "冰岛",
    "波兰",
    "捷克",
    "匈牙利",
    "希腊",
    "土耳其",
    "印度",
    "俄罗斯",
    "俄罗斯联邦",
    "乌克兰",
    "巴西",
    "阿根廷",
    "墨西哥",
    "智利",
    "南非",
    "埃及",
    "马来西亚",
    "泰国",
    "越南",
    "印度尼西亚",
    "菲律宾",
    "列支敦士登",
    "沙特阿拉伯",
    "阿联酋",
    "阿拉伯联合酋长国",
)
_COUNTRY_AT_EDGE = re.compile(
    "^(?:" + "|".join(sorted(_COUNTRIES, key=len, reverse=True)) + ")(?![路街道巷弄桥])"
    "|(?:" + "|".join(sorted(_COUNTRIES, key=len, reverse=True)) + r")[()\[\].,]*$"
)

# Organisations: words that occur in no person's name anywhere, then suffixes (after trailing
# bracketed parts such as （普通合伙） are dropped). Single-character suffixes need 4+ characters:
# a Chinese person's name has 2–4 (欧阳小明), and none of these end one in practice.
_ORG_CONTAINS = re.compile(
    r"公司|集团|株式会社|有限|合伙|企业|大学|学院|研究院|研究所|研究中心|实验室|委员会|合作社|事务所|"
    r"医院|银行|协会|商会|基金会|联合会|工作室|经营部|门市部|个体工商户|政府|办事处|管理处|"
    r"幼儿园|学校|中心"
)
_ORG_SUFFIX_SHORT = "厂局所站馆店部社院校处队场室会行园"
_ORG_SUFFIX_PAIR = ("中学", "小学", "会社")
_ORG_LATIN = re.compile(
    r"\b(?:inc|incorporated|corp|corporation|co|company|ltd|limited|llc|llp|lp|plc|gmbh|mbh|ag|kg|"
    r"sa|s\.a|sas|sarl|srl|spa|s\.p\.a|bv|b\.v|nv|n\.v|ab|oy|oyj|as|a/s|kk|k\.k|pte|pty|"
    r"university|universit[aäéy]t?|college|institute|institut|school|hospital|foundation|"
    r"association|society|laborator(?:y|ies)|labs?|group|holdings?|technolog(?:y|ies)|systems|"
    r"industries|gesellschaft|bank|trust|fund|center|centre|council|department|agency|office)\b\.?"
)
_TRAILING_BRACKETS = re.compile(r"(?:\([^()]*\))+$")
_CODE_JUNK = re.compile(r"[\s\-]+")
_USCC = re.compile(USCC_SHAPE)
_FORMER_SEPARATOR = re.compile(r"[、;；|｜]")


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Placed:
    """Where each row is: located (INSIDE/OUTSIDE/UNKNOWN), its canonical town ('' when none or
    not inside) and how it was placed (BY_ADDRESS, BY_CREDIT_CODE, BY_REGISTER or '')."""

    located: np.ndarray
    town: pd.Series
    how: np.ndarray

    def __len__(self) -> int:
        return len(self.located)

    @property
    def known(self) -> np.ndarray:
        return self.located != UNKNOWN

    def fill(self, other: Placed) -> Placed:
        """Rows this left unknown, taken from `other` (same length and order)."""
        take = ~self.known & other.known
        located = np.where(take, other.located, self.located).astype(object)
        how = np.where(take, other.how, self.how).astype(object)
        town = pd.Series(
            np.where(take, other.town.to_numpy(dtype=object), self.town.to_numpy(dtype=object)),
            index=self.town.index,
            dtype=object,
        )
        return Placed(located, town, how)


@dataclass(frozen=True)
class Conflict:
    """Two pieces of evidence that disagree about where an organisation is."""

    name: str
    stored_located: str
    stored_town: str
    new_located: str
    new_town: str
    evidence: str
    address: str = ""


@dataclass(frozen=True)
class Learned:
    """What an import teaches the register: new entries (register columns) and conflicts."""

    entries: pd.DataFrame
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    name: str
    located: str
    town: str
    evidence: str

    @property
    def where(self) -> tuple[str, str]:
        return self.located, self.town


# ---------------------------------------------------------------------------------------------
# Per-distinct-value helpers


def _per_value(values: pd.Series | Iterable, fn: Callable[[str], object]) -> np.ndarray:
    """fn over the distinct values, spread back over all rows (object array)."""
    codes, uniques = _factorize(_as_str(values))
    results = np.empty(len(uniques), dtype=object)
    for i, value in enumerate(uniques):
        results[i] = fn(value)
    return results[codes]


def _factorize(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)


def _as_str(values: pd.Series | Iterable) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if series.dtype == object:
        series = series.where(series.notna(), "")
        series = series.map(lambda v: v if isinstance(v, str) else str(v))
    else:
        series = series.fillna("").astype(str)
    return series


def _match_form(text: str) -> str:
    """NFKC, no spaces or invisible characters, casefolded: for matching only."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _first(text: str) -> str:
    return _PARTY_SEPARATOR.split(text, maxsplit=1)[0].strip()


# ---------------------------------------------------------------------------------------------
# Co-applicants


def first_party(values: pd.Series) -> pd.Series:
    """The first of several co-applicants/owners (split on ';' '；' '|' '｜'), trimmed, as
    written. Not split on '、' (used inside names and addresses). '' stays ''; a leading
    separator gives '' (the first party is missing, and the second must not stand in)."""
    series = _as_str(values)
    return pd.Series(_per_value(series, _first), index=series.index, dtype=object)


def first_address(values: pd.Series) -> pd.Series:
    """The first of several addresses listed one per co-applicant (same separators)."""
    return first_party(values)


def _party_list(text: str) -> tuple[str, ...]:
    return tuple(k for k in (_match_form(part) for part in _LIST_SEPARATOR.split(text)) if k)


def same_parties(old: pd.Series | Iterable, new: pd.Series | Iterable) -> np.ndarray:
    """True where two lists of applicants/owners name the same parties in the same order, blind
    to the separator ('; ' ';' '；' '|' '、'), spacing and full/half width: 'A; B' = 'A；B' =
    'A、B'. A reordering or another name is a difference (the first party is the one counted)."""
    before, after = _as_str(old), _as_str(new)
    keys_before = _per_value(before, _party_list)
    keys_after = _per_value(after, _party_list)
    return np.fromiter((a == b for a, b in zip(keys_before, keys_after)), dtype=bool, count=len(before))


# ---------------------------------------------------------------------------------------------
# Addresses


@dataclass(frozen=True)
class _Keyword:
    town: str
    explicit: bool


class _Gazetteer:
    """The plan's district names, parents and place keywords, compiled for matching."""

    def __init__(self, plan: Plan):
        spec = plan.placement
        self.parents = sorted({_match_form(p) for p in spec.parents if p.strip()}, key=len, reverse=True)
        districts = sorted({_match_form(d) for d in spec.district if d.strip()}, key=len, reverse=True)
        self.keywords: dict[str, _Keyword] = {}
        for town in plan.towns:
            for place in town.places:
                key = _match_form(place)
                if key and key not in self.keywords:  # check_plan reports clashes; first wins
                    self.keywords[key] = _Keyword(town.name, key.endswith(_EXPLICIT_ENDINGS))
        stems = sorted({d[:-1] for d in districts if len(d) >= 3 and d[-1] in "区市县旗"}, key=len, reverse=True)
        # Keywords with a district's stem dropped (吴江经济技术开发区 → 经济技术开发区): valid right
        # after the district's name only, and only when explicit.
        self.remainders: dict[str, _Keyword] = {}
        for key, kw in self.keywords.items():
            for stem in stems:
                rest = key[len(stem) :]
                if key.startswith(stem) and len(rest) >= 2 and kw.explicit:
                    self.remainders.setdefault(rest, kw)
        self.district = _alternation(districts, r"(?![路街道巷弄桥场政域])")
        self.stem_place = _alternation(stems) if stems else None
        self.keyword_at = _lookahead(self.keywords)
        self.remainder = _alternation(list(self.remainders))

    def strip_parents(self, text: str) -> str:
        changed = True
        while changed and text:
            changed = False
            text = _PARENT_GLUE.sub("", text)
            for parent in self.parents:
                if text.startswith(parent):
                    text = text[len(parent) :]
                    changed = True
                    break
        return text

    def town_from(self, text: str, start: int, district_end: int | None) -> tuple[bool, str]:
        """(a keyword was found, the town) among the keywords of text[start:] (rules 3a–c)."""
        explicit: list[str] = []
        bare: list[str] = []
        if district_end is not None and self.remainder is not None:
            hit = self.remainder.match(text, district_end)
            if hit:
                explicit.append(self.remainders[hit.group(0)].town)
        for hit in self.keyword_at.finditer(text, start):
            key = hit.group(1)
            kw = self.keywords[key]
            if kw.explicit:
                explicit.append(kw.town)
            elif not _BARE_VOID_AFTER.match(text, hit.start() + len(key)):
                bare.append(kw.town)
        named = explicit or bare
        if not named:
            return False, ""
        # Two towns' areas named (吴江区松陵镇…盛泽镇…): which is meant would be a guess.
        return True, named[0] if len(set(named)) == 1 else ""

    def place(self, address: str) -> tuple[str, str]:
        """(located, town) of one address."""
        text = _POSTCODE.sub("", _match_form(address))
        if not text:
            return UNKNOWN, ""
        hit = self.district.search(text) if self.district is not None else None
        if hit:
            return INSIDE, self.town_from(text, hit.start(), hit.end())[1]
        rest = self.strip_parents(text)
        start = len(text) - len(rest)
        if self._keyword_starts(text, start):
            return INSIDE, self.town_from(text, start, None)[1]
        stem = self.stem_place.match(rest) if self.stem_place is not None else None
        if stem:
            after = start + stem.end()
            # 苏州吴江盛泽镇…; 苏州吴江中山北路… (after a parent, not a road: Shanghai has a 吴江路)
            if self._keyword_starts(text, after) or (start > 0 and not _ROAD.match(text, after)):
                return INSIDE, self.town_from(text, after, after)[1]
        return (OUTSIDE if _names_elsewhere(rest, address) else UNKNOWN), ""

    def _keyword_starts(self, text: str, at: int) -> bool:
        """A usable keyword (explicit, or bare and not void) begins exactly at `at`."""
        hit = self.keyword_at.match(text, at)
        if hit is None:
            return False
        key = hit.group(1)
        return self.keywords[key].explicit or not _BARE_VOID_AFTER.match(text, at + len(key))


def _alternation(words: list[str], guard: str = "") -> re.Pattern | None:
    if not words:
        return None
    ordered = sorted(words, key=len, reverse=True)  # at one position, the longest wins
    return re.compile("(?:" + "|".join(map(re.escape, ordered)) + ")" + guard)


def _lookahead(words: Iterable[str]) -> re.Pattern:
    """Every position where a keyword starts (overlaps too), the longest keyword there."""
    ordered = sorted(words, key=len, reverse=True)
    if not ordered:
        return re.compile(r"(?!)()")
    return re.compile("(?=(" + "|".join(map(re.escape, ordered)) + "))")


def _names_elsewhere(rest: str, address: str) -> bool:
    """Rule 4: another administrative unit at the start, or a foreign address."""
    if _UNIT_AT_START.match(rest) or _COUNTRY_AT_EDGE.search(rest):
        return True
    if _CJK.search(rest) or not _LATIN.search(rest):
        return False
    latin = " ".join(unicodedata.normalize("NFKC", address).split()).casefold()
    return not _CHINA_LATIN.search(latin)


def place_addresses(plan: Plan, addresses: pd.Series) -> Placed:
    """Place each (first applicant's) address: INSIDE with its town (or ''), OUTSIDE, UNKNOWN.
    Never raises on odd input; one evaluation per distinct address."""
    series = _as_str(addresses)
    gazetteer = _Gazetteer(plan)
    codes, uniques = _factorize(series)
    located = np.empty(len(uniques), dtype=object)
    towns = np.empty(len(uniques), dtype=object)
    for i, address in enumerate(uniques):
        located[i], towns[i] = gazetteer.place(address)
    how = np.where(located != UNKNOWN, BY_ADDRESS, NOT_PLACED).astype(object)
    return Placed(located[codes], pd.Series(towns[codes], index=series.index, dtype=object), how[codes])


# ---------------------------------------------------------------------------------------------
# Postcodes and province / city codes (evidence where the address is missing)

_POSTCODE_SHAPE = re.compile(r"^[0-8]\d{5}$")
_LEADING_POSTCODE = re.compile(r"^[(\[]?(\d{6})[)\]]?(?!\d)")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def _postcode_of(text: str) -> str:
    """The first party's 6-digit postcode (215228, '215228;310012'), or ''."""
    value = _INVISIBLE.sub("", unicodedata.normalize("NFKC", _first(text)))
    value = value[:-2] if value.endswith(".0") else value  # a number a spreadsheet wrote as 215228.0
    return value if _POSTCODE_SHAPE.match(value) and value != "000000" else ""


def leading_postcode(addresses: pd.Series) -> pd.Series:
    """The postcode some exports write before the address ('215228 江苏省…'), or ''."""

    def lead(text: str) -> str:
        hit = _LEADING_POSTCODE.match(_INVISIBLE.sub("", unicodedata.normalize("NFKC", _first(text))))
        return hit.group(1) if hit else ""

    series = _as_str(addresses)
    return pd.Series(_per_value(series, lead), index=series.index, dtype=object)


def _town_postcodes(plan: Plan) -> dict[str, str]:
    """Postcode → town, for postcodes exactly one town lists (one listed twice places no town)."""
    owners: dict[str, set[str]] = {}
    for town in plan.towns:
        for code in town.postcodes:
            owners.setdefault(code.strip(), set()).add(town.name)
    return {code: next(iter(towns)) for code, towns in owners.items() if len(towns) == 1}


def _postcode_place(plan: Plan) -> Callable[[str], tuple[str, str]]:
    spec = plan.placement
    inside = tuple(p.strip() for p in spec.postcodes if p.strip())
    shared = {p.strip() for p in spec.shared_postcodes}
    towns = _town_postcodes(plan)

    def place(text: str) -> tuple[str, str]:
        code = _postcode_of(text)
        if not code or not inside or code in shared:
            return UNKNOWN, ""
        if code.startswith(inside):
            return INSIDE, towns.get(code, "")
        return OUTSIDE, ""

    return place


def _region_place(region_codes: list[str]) -> Callable[[str], str]:
    """A province / city / district code (国省代码 32, 3205, 320509; '江苏;32'): inside when it is
    the district's, unknown when it is an area above it (the province, the city), outside for
    another area or a foreign country code (US, JP)."""

    def located(text: str) -> str:
        value = _INVISIBLE.sub("", unicodedata.normalize("NFKC", _first(text))).upper()
        if _COUNTRY_CODE.match(value):
            return UNKNOWN if value == "CN" else OUTSIDE
        digits = "".join(re.findall(r"\d+", value))
        if len(digits) not in (2, 4, 6) or not region_codes:
            return UNKNOWN
        return region_verdict(digits.ljust(6, "0"), region_codes)

    return located


def place_postcodes(
    plan: Plan, postcodes: pd.Series, regions: pd.Series | None = None, names: pd.Series | None = None
) -> Placed:
    """Rows placed by their postcode (the district's block → inside; the city's shared code →
    unknown; any other → outside), else by a province / city code, else by the region's names
    (苏州市吴江区 → inside, 苏州市相城区 → outside, read as an address). A postcode names a town
    only when one town alone lists it; a region code or name names none."""
    codes = _as_str(postcodes)
    by_code = _per_value(codes, _postcode_place(plan))
    located = np.array([r[0] for r in by_code], dtype=object) if len(by_code) else np.empty(0, dtype=object)
    town = np.array([r[1] for r in by_code], dtype=object) if len(by_code) else np.empty(0, dtype=object)
    if regions is not None:
        by_region = _per_value(_as_str(regions), _region_place(_region_codes(plan)))
        take = (located == UNKNOWN) & (by_region != UNKNOWN)
        located = np.where(take, by_region, located).astype(object)
    if names is not None:
        by_name = np.asarray(place_addresses(plan, names).located, dtype=object)
        located = np.where((located == UNKNOWN) & (by_name != UNKNOWN), by_name, located).astype(object)
    how = np.where(located != UNKNOWN, BY_POSTCODE, NOT_PLACED).astype(object)
    return Placed(located, pd.Series(town, index=codes.index, dtype=object), how)


# ---------------------------------------------------------------------------------------------
# Organisations and credit codes


def _organisation_key(name: str) -> str:
    return _match_form(name)


def organisation_key(names: pd.Series) -> pd.Series:
    """Matching key: NFKC (full- and half-width brackets alike), no spaces or invisible
    characters, casefolded. Only a key: names are stored as written."""
    series = _as_str(names)
    return pd.Series(_per_value(series, _organisation_key), index=series.index, dtype=object)


def _is_organisation(name: str) -> bool:
    key = _match_form(name)
    if not key:
        return False
    if _CJK.search(key):
        if _ORG_CONTAINS.search(key):
            return True
        core = _TRAILING_BRACKETS.sub("", key)
        if len(core) < 4 or "·" in core:
            return False
        return core[-1] in _ORG_SUFFIX_SHORT or core.endswith(_ORG_SUFFIX_PAIR)
    spaced = " ".join(unicodedata.normalize("NFKC", name).split()).casefold()
    return bool(_ORG_LATIN.search(spaced))


def is_organisation(names: pd.Series) -> np.ndarray:
    """True for organisations (公司, 厂, 大学, 研究所, 合作社, 中心, 'Acme Inc.'…), False for
    natural persons (王建国, 欧阳小明, 'John Smith') and ''."""
    return _per_value(names, _is_organisation).astype(bool)


def _credit_code(code: str) -> str:
    """A well-formed credit code in canonical form, or ''."""
    text = _CODE_JUNK.sub("", unicodedata.normalize("NFKC", code)).upper()
    return text if _USCC.match(text) and text[2:8].isdigit() else ""


def _is_ancestor(region: str, of: str) -> bool:
    """320500 (city) and 320000 (province) are ancestors of 320509; 100000 is national."""
    if region == "100000":
        return True
    return any(region == of[:n] + "0" * (6 - n) and region != of for n in (2, 4))


def region_verdict(region: str, region_codes: list[str]) -> str:
    """Inside for the district's own six-digit region code; unknown for an area above it (a city,
    province or national authority: could be anywhere below it); outside for any other."""
    if region in region_codes:
        return INSIDE
    if any(_is_ancestor(region, mine) for mine in region_codes):
        return UNKNOWN
    return OUTSIDE


def _code_located(region_codes: list[str]) -> Callable[[str], str]:
    def located(code: str) -> str:
        canonical = _credit_code(code)
        if not canonical:
            return UNKNOWN
        return region_verdict(canonical[2:8], region_codes)

    return located


def _region_codes(plan: Plan) -> list[str]:
    codes = list(plan.placement.region_codes)
    if not codes and plan.plan.region_code:
        codes = [plan.plan.region_code]
    return codes


def credit_located(plan: Plan, codes: pd.Series) -> np.ndarray:
    """统一社会信用代码 → INSIDE when characters 3..8 are one of the district's region codes,
    OUTSIDE for another region, UNKNOWN when malformed, empty, or issued by an authority above
    the district (city 320500, province 320000, national 100000: the firm may be anywhere)."""
    return _per_value(codes, _code_located(_region_codes(plan)))


def place_credit_codes(plan: Plan, codes: pd.Series) -> Placed:
    """credit_located as a Placed (town '': a code names no town)."""
    series = _as_str(codes)
    located = credit_located(plan, series)
    how = np.where(located != UNKNOWN, BY_CREDIT_CODE, NOT_PLACED).astype(object)
    return Placed(located, pd.Series("", index=series.index, dtype=object), how)


# ---------------------------------------------------------------------------------------------
# The enterprise register


class Register:
    """The enterprise register (ledger `plan.placement.register_ledger`: name, credit_code, located,
    town, address, former_names ('、' or ';' separated), evidence, seen_on) as a lookup.

    Exact matches only: the organisation key of the name or a former name, else the credit
    code. Natural persons are never indexed nor matched. A key whose entries disagree (located
    or town) is ambiguous: it places nothing and is listed by `conflicts()`."""

    def __init__(self, plan: Plan, columns: list[str]):
        self.plan = plan
        self.columns = columns
        self._by_name: dict[str, _Entry | None] = {}  # None: conflicting entries
        self._by_code: dict[str, _Entry | None] = {}
        self._conflicts: list[Conflict] = []

    @classmethod
    def from_frame(cls, plan: Plan, frame: pd.DataFrame) -> Register:
        register = cls(plan, _register_columns(plan))
        located_of = _located_spellings(plan)
        frame = frame.fillna("")
        rows = frame.to_dict("records")
        for row in rows:
            name = str(row.get("name", "")).strip()
            located = located_of.get(_match_form(str(row.get("located", ""))), UNKNOWN)
            if not name or located == UNKNOWN or not _is_organisation(name):
                continue
            town = str(row.get("town", "")).strip()
            town = (plan.town_index.canonical(town) or town) if town and located == INSIDE else ""
            entry = _Entry(name, located, town, str(row.get("evidence", "")))
            formers = [f.strip() for f in _FORMER_SEPARATOR.split(str(row.get("former_names", "")))]
            for spelling in [name, *formers]:
                if spelling:
                    register._index(register._by_name, _organisation_key(spelling), entry, spelling)
            code = _credit_code(str(row.get("credit_code", "")))
            if code:
                register._index(register._by_code, code, entry, name)
        return register

    def _index(self, index: dict[str, _Entry | None], key: str, entry: _Entry, spelling: str) -> None:
        if key not in index:
            index[key] = entry
            return
        known = index[key]
        if known is None or known.where == entry.where:
            return
        index[key] = None
        self._conflicts.append(Conflict(spelling, known.located, known.town, entry.located, entry.town, entry.evidence))

    def loose_towns(self) -> dict[str, dict[str, str]]:
        """loose_key → {town: a name as the register writes it} of the inside entries with a town
        (for suggestions only; several towns under one key suggest nothing)."""
        out: dict[str, dict[str, str]] = {}
        for key, entry in self._by_name.items():
            if entry is not None and entry.located == INSIDE and entry.town:
                loose = loose_key(key)
                if loose:
                    out.setdefault(loose, {}).setdefault(entry.town, entry.name)
        return out

    def conflicts(self) -> list[Conflict]:
        """Names (or codes) the register lists with disagreeing places: they place nothing."""
        return list(self._conflicts)

    def _find(self, name: str, code: str) -> _Entry | None:
        """The entry for one (first) name and code, or None (no match or ambiguous)."""
        if name and not _is_organisation(name):
            return None  # a natural person is never matched, not even by a code beside it
        key = _organisation_key(name)
        if key and key in self._by_name:
            return self._by_name[key]
        canonical = _credit_code(code)
        return self._by_code.get(canonical) if canonical else None

    def lookup(self, names: pd.Series, codes: pd.Series | None = None) -> Placed:
        """Place rows by the register: exact name or former name, else exact credit code."""
        first = first_party(names)
        code_col = _as_str(codes) if codes is not None else pd.Series("", index=first.index, dtype=object)
        name_codes, name_values = _factorize(first)
        code_codes, code_values = _factorize(code_col)
        pairs, firsts = np.unique(name_codes * len(code_values) + code_codes, return_index=True, return_inverse=False)
        codes = np.searchsorted(pairs, name_codes * len(code_values) + code_codes)
        located = np.full(len(pairs), UNKNOWN, dtype=object)
        town = np.full(len(pairs), "", dtype=object)
        for i, row in enumerate(firsts):
            entry = self._find(name_values[name_codes[row]], code_values[code_codes[row]])
            if entry is not None:
                located[i], town[i] = entry.located, entry.town
        how = np.where(located != UNKNOWN, BY_REGISTER, NOT_PLACED).astype(object)
        return Placed(located[codes], pd.Series(town[codes], index=first.index, dtype=object), how[codes])

    def learn(
        self,
        names: pd.Series,
        codes: pd.Series | None,
        addresses: pd.Series | None,
        placed: Placed,
        evidence: str,
        seen_on: str,
    ) -> Learned:
        """New register entries from rows placed by address or credit code (organisations only),
        and the conflicts found. Nothing stored is changed; a conflicted organisation gets no entry."""
        first = first_party(names).to_numpy(dtype=object)
        n = len(first)
        code_col = _as_str(codes).to_numpy(dtype=object) if codes is not None else np.full(n, "", dtype=object)
        addr_col = (
            first_address(addresses).to_numpy(dtype=object) if addresses is not None else np.full(n, "", dtype=object)
        )
        usable = np.isin(placed.how, [BY_ADDRESS, BY_CREDIT_CODE]) & np.isin(placed.located, [INSIDE, OUTSIDE])
        usable &= is_organisation(pd.Series(first, dtype=object))
        keys = organisation_key(pd.Series(first, dtype=object)).to_numpy(dtype=object)
        towns = placed.town.to_numpy(dtype=object)
        groups: dict[str, _Candidate] = {}
        for i in np.flatnonzero(usable):
            town = towns[i] if placed.located[i] == INSIDE else ""
            cand = groups.get(keys[i])
            if cand is None:
                groups[keys[i]] = _Candidate(first[i], placed.located[i], town, _credit_code(code_col[i]), addr_col[i])
            else:
                cand.add(placed.located[i], town, _credit_code(code_col[i]), addr_col[i])
        conflicts: list[Conflict] = []
        rows: list[dict[str, str]] = []
        for key, cand in groups.items():
            if cand.other is not None:  # one import, two places
                conflicts.append(
                    Conflict(cand.name, cand.located, cand.town, *cand.other, evidence, cand.other_address)
                )
                continue
            stored, known = self._stored(key, cand.code)
            if known and stored is not None and not _agrees(stored.where, cand.where):
                conflicts.append(
                    Conflict(cand.name, stored.located, stored.town, cand.located, cand.town, evidence, cand.address)
                )
                continue
            if known and (key in self._by_name or stored is None):
                continue  # already registered, or ambiguous (reported by conflicts())
            # New name (a code already known under another name, in agreement: a renamed firm).
            rows.append(
                {
                    "name": cand.name,
                    "credit_code": cand.code,
                    "located": cand.located,
                    "town": cand.town,
                    "address": cand.address,
                    "former_names": "",
                    "evidence": evidence,
                    "seen_on": seen_on,
                }
            )
        entries = pd.DataFrame(rows, columns=self.columns, dtype=object).fillna("")
        return Learned(entries, conflicts)

    def _stored(self, key: str, code: str) -> tuple[_Entry | None, bool]:
        """The stored entry for a name key, else for its code: (entry or None if ambiguous, found)."""
        if key in self._by_name:
            return self._by_name[key], True
        if code and code in self._by_code:
            return self._by_code[code], True
        return None, False


@dataclass
class _Candidate:
    """One organisation as an import places it."""

    name: str  # the first spelling, as written
    located: str
    town: str
    code: str
    address: str
    other: tuple[str, str] | None = None  # a second, disagreeing place
    other_address: str = ""

    @property
    def where(self) -> tuple[str, str]:
        return self.located, self.town

    def add(self, located: str, town: str, code: str, address: str) -> None:
        self.code = self.code or code
        if self.other is not None or _agrees(self.where, (located, town)):
            if located == self.located and not self.town and town:  # an address that names the town
                self.town, self.address = town, address
            return
        self.other, self.other_address = (located, town), address


def _agrees(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Same located, and the same town unless one of them names none (inside, town '')."""
    return a[0] == b[0] and (a[1] == b[1] or not a[1] or not b[1])


def _register_columns(plan: Plan) -> list[str]:
    name = plan.placement.register_ledger
    spec = plan.ledgers.get(name) if name else None
    return list(spec.fields) if spec is not None else list(REGISTER_COLUMNS)


def _located_spellings(plan: Plan) -> dict[str, str]:
    """'inside', '区内', '本区'… → INSIDE; 'outside', '区外'… → OUTSIDE (from the ledger's enum)."""
    out = {_match_form(INSIDE): INSIDE, _match_form(OUTSIDE): OUTSIDE}
    name = plan.placement.register_ledger
    spec = plan.ledgers.get(name) if name else None
    located = spec.fields.get("located") if spec is not None else None
    if located is not None and located.values:
        for canonical in (INSIDE, OUTSIDE):
            for spelling in located.values.get(canonical, []):
                out.setdefault(_match_form(spelling), canonical)
    return out


# ---------------------------------------------------------------------------------------------
# Suggestions for held rows (never applied: the clerk confirms by copying them)

# Columns of the FILE.unplaced.csv that ipdemo writes: a suggested town and where it came from.
# Neither is read back as a town: the clerk copies a suggestion into the town column to confirm it.
SUGGESTED_COLUMN, BASIS_COLUMN = "建议区镇", "建议依据"
SUGGESTED_BY_REGISTER, SUGGESTED_BY_LEDGER, SUGGESTED_BY_NAME = "register", "ledger", "name"

_BRACKETS = re.compile(r"[()\[\]{}<>]")
_FIRM_FORM = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|股份公司|公司)$")


def loose_key(name: str) -> str:
    """A looser matching key than `organisation_key`, for suggestions only: brackets dropped and
    the company form (有限公司, 股份有限公司, 有限责任公司…) cut off the end. '' when too short."""
    key = _FIRM_FORM.sub("", _BRACKETS.sub("", _match_form(name)))
    return key if len(key) >= 2 else ""


@dataclass(frozen=True)
class Suggestion:
    """A town to suggest for a held row, and where it came from (a SUGGESTED_BY_* and the name
    matched, or the place word found)."""

    town: str
    basis: str
    detail: str


def firm_towns(names: pd.Series, towns: pd.Series) -> dict[str, set[str]]:
    """loose key of each (first) organisation → the towns its records carry."""
    out: dict[str, set[str]] = {}
    first = first_party(names)
    for name, town in zip(first.to_numpy(dtype=object), _as_str(towns).to_numpy(dtype=object)):
        key = loose_key(name) if town and _is_organisation(name) else ""
        if key:
            out.setdefault(key, set()).add(town)
    return out


def suggest_towns(
    plan: Plan, names: pd.Series, register: Register | None, known: dict[str, set[str]]
) -> list[Suggestion | None]:
    """For each held row's (first) organisation, in order of trust: the register entry whose name
    differs only in company form, brackets or spacing; the one town the same firm's other records
    carry in the ledgers; a place word of exactly one town in the firm's name. A name that lists
    owners with '、' (not a party separator: it occurs inside names) gets its first owner's
    suggestion when the whole gets none. None when there is no single answer, and always for
    natural persons."""
    loose = register.loose_towns() if register is not None else {}
    gazetteer = _Gazetteer(plan)
    first = first_party(names)

    def one(name: str) -> Suggestion | None:
        found = alone(name)
        if found is None and "、" in name:  # 'A、B' (版权中心's owners): what A alone would suggest
            found = alone(name.split("、", 1)[0].strip())
        return found

    def alone(name: str) -> Suggestion | None:
        if not _is_organisation(name):
            return None
        key = loose_key(name)
        found = loose.get(key, {})
        if len(found) == 1:
            town, matched = next(iter(found.items()))
            return Suggestion(town, SUGGESTED_BY_REGISTER, matched)
        towns = known.get(key, set())
        if len(towns) == 1:
            return Suggestion(next(iter(towns)), SUGGESTED_BY_LEDGER, name)
        named, town = gazetteer.town_from(_match_form(name), 0, None)
        if named and town:
            return Suggestion(town, SUGGESTED_BY_NAME, name)
        return None

    return list(_per_value(first, one))
