"""When an export was made, and which export last set each stored value.

Newer data wins: every import knows its export's date (`--exported-on`, else a date in a title
line, else a date in the file name, else the latest date in the file, else today, with a warning
naming --exported-on) and the journal records it. A period written in a name or a title (1-10月,
2023Q4, 第四季度, 上半年, 2023.10.01-2023.10.31, 2023年10月) dates the export at its last day.
A stored value set by a newer export is never replaced by an older one: a grant, a legal status,
an applicant stay as the newer export said.

Invariants: the journal is the only memory (no hidden column in a ledger); an entry without an
export date (written before this existed) protects nothing; equal dates do not block (a corrected
re-export of the same day may fix a value).
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ipdemo.data.store import read_journal
from ipdemo.errors import Problem
from ipdemo.i18n import day_words

# Dates and periods written in a file name or a title line. A period means its last day: the
# export holds the figures up to then (专利清单_2023年1-10月 → 2023-10-31, 2023Q4 → 2023-12-31).
# One rule a spelling; in a text the earliest match wins, the longest at one place (2023年1-10月 is
# a month range, not 2023-01-10), and a match that is no real date gives way to the next.
_YEAR = r"(?<![0-9])(?P<y>20[0-9]{2})"
_RANGE = r"\s*(?:-|—|–|~|〜|至|到)\s*"
_DAY = r"(?:(?P<mc>[01][0-9])(?P<dc>[0-3][0-9])|[-_./年](?P<m>[01]?[0-9])[-_./月](?P<d>[0-3]?[0-9])日?)"
_DAY_END = (
    r"(?:(?P<y2c>20[0-9]{2})(?P<m2c>[01][0-9])(?P<d2c>[0-3][0-9])|(?:(?P<y2>20[0-9]{2})[-_./年])?"
    r"(?:(?P<m2>[01]?[0-9])[-_./月])?(?P<d2>[0-3]?[0-9])日?)"
)
_MONTH = r"(?P<m>1[0-2]|0?[1-9])"
PERIODS: dict[str, re.Pattern] = {
    # 2023.10.01-2023.10.31, 20231001-20231031, 2023年9月12日—14日, 2023年9月28日—10月8日
    "day_range": re.compile(_YEAR + _DAY + _RANGE + _DAY_END + r"(?![0-9])"),
    # 20231015, 2023-10-15, 2023_10_15, 2023.10.15, 2023年10月15日
    "day": re.compile(_YEAR + _DAY + r"(?![0-9])"),
    # 2023年1-10月, 2023年1月-10月, 2023.1-2023.10
    "month_range": re.compile(
        _YEAR
        + r"[-_./年]"
        + _MONTH
        + r"月?"
        + _RANGE
        + r"(?:(?P<y2>20[0-9]{2})[-_./年])?(?P<m2>1[0-2]|0?[1-9])(?P<yue>月)?(?![0-9])"
    ),
    # 2023年10月, 2023-10, 2023.10
    "month": re.compile(_YEAR + r"(?:年" + _MONTH + r"月|[-_.](?P<mm>1[0-2]|0?[1-9])(?![0-9]))"),
    # 2023年第四季度, 2023年4季度, 2023年前三季度, 第四季度 (the year elsewhere in the text)
    "quarter": re.compile(
        r"(?<![0-9])(?:(?P<y>20[0-9]{2})\s*(?:年度?)?\s*)?前?(?:[一二三四1-4](?:季度)?"
        + _RANGE
        + r")?(?:第)?(?P<q>[一二三四1-4])(?:季度?)"
    ),
    # 2023Q4, 2023-Q4, 2023年Q4, Q4 2023
    "quarter_q": re.compile(
        _YEAR + r"\s*[-_年]?\s*[Qq](?P<q>[1-4])(?![0-9])|(?<![A-Za-z])[Qq](?P<qq>[1-4])[-_\s]*"
        r"(?P<yy>20[0-9]{2})(?![0-9])"
    ),
    # 2023年上半年, 下半年 (the year elsewhere in the text)
    "half": re.compile(r"(?:(?<![0-9])(?P<y>20[0-9]{2})\s*(?:年度?)?\s*)?(?:(?P<first_half>上)|下)半年"),
    # 2023年度, 2023年全年, 2023年末 (not 2023年度第三季度; a bare 2023年 or 2021-2023年 names no period)
    "year": re.compile(_YEAR + r"\s*年(?:度|全年|末|底)(?!\s*(?:[0-9一二三四上下前第Qq]|全年))"),
}
DAYS = ("day",)  # rules that spell one day, not a period
QUARTER_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_ANY_YEAR = re.compile(r"(?<![0-9])(20[0-9]{2})(?![0-9])")
TITLE_DATE_WORDS = ("导出", "截至", "截止", "统计日期", "统计时间", "数据日期", "检索日期", "下载")


@dataclass(frozen=True)
class ExportDate:
    day: date
    how: str  # option | title | file_name | latest_in_file | today

    def iso(self) -> str:
        return self.day.isoformat()


def _month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def _number(match: re.Match, *names: str) -> int | None:
    for name in names:
        value = match.groupdict().get(name)
        if value:
            return int(value)
    return None


def _period_end(rule: str, match: re.Match, text: str) -> date | None:
    """The last day of what `match` (of PERIODS[rule]) spells; None when it is no real date.
    Raises ValueError for a month or day that does not exist."""
    groups = match.groupdict()
    year = _number(match, "y", "yy")
    if year is None:  # 第四季度, 下半年: the year written elsewhere in the text
        found = _ANY_YEAR.search(text)
        if found is None:
            return None
        year = int(found.group(1))
    if rule == "day":
        return date(year, _number(match, "mc", "m") or 0, _number(match, "dc", "d") or 0)
    if rule == "day_range":
        start = date(year, _number(match, "mc", "m") or 0, _number(match, "dc", "d") or 0)
        end = date(
            _number(match, "y2c", "y2") or year,
            _number(match, "m2c", "m2") or start.month,
            _number(match, "d2c", "d2") or 0,
        )
        return end if end >= start else None
    if rule == "month_range":
        if not groups["yue"] and not groups["y2"]:
            return None  # 2023-1-10 is a day
        first, last = _month_end(year, int(groups["m"])), _month_end(_number(match, "y2") or year, int(groups["m2"]))
        return last if last >= first else None
    if rule == "month":
        return _month_end(year, _number(match, "m", "mm") or 0)
    if rule in ("quarter", "quarter_q"):
        quarter = QUARTER_NUMERALS[groups.get("q") or groups["qq"]]
        return _month_end(year, quarter * 3)
    if rule == "half":
        return _month_end(year, 6 if groups["first_half"] else 12)
    return date(year, 12, 31)  # year


def date_in_text(text: str, periods_only: bool = False) -> date | None:
    """The date, or the last day of the period, first written in `text` (a file name or a title
    line), else None; with `periods_only`, single days are passed over."""
    text = unicodedata.normalize("NFKC", text)
    found = sorted(
        ((m.start(), -len(m.group(0)), rule, m) for rule, pattern in PERIODS.items() for m in pattern.finditer(text)),
        key=lambda item: item[:2],
    )
    passed = -1  # with periods_only: the end of the last single day passed over
    for start, _, rule, match in found:
        if start < passed:  # part of a day passed over: 2023年10月 in 2023年10月12日 is no period
            continue
        try:
            day = _period_end(rule, match, text)
        except ValueError:
            continue
        if day is not None and periods_only and rule in DAYS:
            passed = match.end()
            continue
        if day is not None:
            return day
    return None


def _title_date(title_lines: list[str]) -> date | None:
    """A title line's date: the one after an export word (导出日期：…, 截至…) first, else the
    first period a title line states (…统计表（2023年第四季度）, 2023.10.01-2023.10.31). A lone
    day without such a word is no export date (a search query's 申请日>=20230101)."""
    for line in title_lines:
        for word in TITLE_DATE_WORDS:
            at = line.find(word)
            if at >= 0 and (found := date_in_text(line[at:])) is not None:
                return found
    for line in title_lines:
        if (found := date_in_text(line, periods_only=True)) is not None:
            return found
    return None


def export_date(
    name: str,
    title_lines: list[str],
    dated_columns: list[pd.Series],
    option: date | None = None,
    today: date | None = None,
) -> ExportDate:
    """The export's date: the option, a dated title line (导出日期：…, …（2023年第四季度）), a date
    in the file name, the latest date in the file, or today. A period stated in a title or a name
    means its last day, or today when it has not ended yet (the export cannot be newer)."""
    if option is not None:
        return ExportDate(option, "option")
    today = today or date.today()
    found = _title_date(title_lines)
    if found is not None:
        return ExportDate(min(found, today), "title")
    found = date_in_text(Path(name).stem)
    if found is not None:
        return ExportDate(min(found, today), "file_name")
    days = pd.concat(dated_columns, ignore_index=True).drop_duplicates() if dated_columns else pd.Series([], dtype=str)
    candidates = days[days.str.match(r"^\d{4}-\d{2}-\d{2}$")].tolist()
    for value in sorted(candidates, reverse=True):  # the latest real date not after today
        try:
            day = date.fromisoformat(value)
        except ValueError:  # 2021-02-30: validation reports it
            continue
        if day <= today:
            return ExportDate(day, "latest_in_file")
    return ExportDate(today, "today")


def guessed(exported: ExportDate, shown: str) -> Problem | None:
    """A warning when nothing in the file dated it: newer data wins by this date, so the user is
    told to state it (--exported-on)."""
    if exported.how != "today":
        return None
    return Problem(
        shown, None, None, "exported_on_guessed", severity="warning", params={"date": day_words(exported.day)}
    )


def value_dates(folder: Path, ledger: str, keys: set[str]) -> dict[tuple[str, str], str]:
    """(key, field) → the date of the newest export that set or confirmed that stored value, for
    the given keys. Keys are written as the journal writes them (parts joined by '/'); '*' as
    field means every field (an export added the record)."""
    out: dict[tuple[str, str], str] = {}
    if not keys:
        return out
    for entry in read_journal(folder):
        when = entry.get("exported_on")
        if entry.get("event") != "import" or entry.get("ledger") != ledger or not when:
            continue
        for said in _values_said(entry, keys):
            if when > out.get(said, ""):
                out[said] = when
    return out


def _values_said(entry: dict, keys: set[str]) -> list[tuple[str, str]]:
    """(key, field) of every value of `keys` one import entry of the journal set or said again;
    '*' as field for a record it added."""
    said = [(key, "*") for key in entry.get("new_keys", []) if key in keys]
    said += [(c["key"], c.get("field", "")) for c in entry.get("changes", []) if c.get("key") in keys]
    confirmed = (entry.get("confirmed") or {}).items()
    return said + [(key, field) for field, values in confirmed for key in values if key in keys]


def set_on(dates: dict[tuple[str, str], str], key: str, field: str) -> str | None:
    """The export date of a stored value: the newest export that added the record, changed the
    value or said it again."""
    return max(dates.get((key, field), ""), dates.get((key, "*"), "")) or None
