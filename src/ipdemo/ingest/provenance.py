"""When an export was made, and which export last set each stored value.

Newer data wins: every import knows its export's date (`--exported-on`, else a date in the file
name, else a date in a title line, else the latest date in the file) and the journal records it.
A stored value set by a newer export is never replaced by an older one: a grant, a legal status,
an applicant stay as the newer export said.

Invariants: the journal is the only memory (no hidden column in a ledger); an entry without an
export date (written before this existed) protects nothing; equal dates do not block (a corrected
re-export of the same day may fix a value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ipdemo.data.store import read_journal

# 20231015, 2023-10-15, 2023_10_15, 2023.10.15, 2023年10月15日 inside a file name or title.
DATE_IN_TEXT = re.compile(r"(?<![0-9])(20[0-9]{2})(?:([01][0-9])([0-3][0-9])|[-_.年/]([01]?[0-9])[-_.月/]([0-3]?[0-9])日?)(?![0-9])")
TITLE_DATE_WORDS = ("导出", "截至", "截止", "统计日期", "数据日期", "检索日期", "下载")


@dataclass(frozen=True)
class ExportDate:
    day: date
    how: str  # option | file_name | title | latest_in_file | today

    def iso(self) -> str:
        return self.day.isoformat()


def date_in_text(text: str) -> date | None:
    """The first real date written in `text` (a file name or a title line), else None."""
    for match in DATE_IN_TEXT.finditer(text):
        year = int(match.group(1))
        month = int(match.group(2) or match.group(4))
        day = int(match.group(3) or match.group(5))
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


def export_date(name: str, title_lines: list[str], dated_columns: list[pd.Series],
                option: date | None = None, today: date | None = None) -> ExportDate:
    """The export's date: the option, a date in the file name, a dated title line (导出日期：…),
    the latest date in the file, or today."""
    if option is not None:
        return ExportDate(option, "option")
    found = date_in_text(Path(name).stem)
    if found is not None:
        return ExportDate(found, "file_name")
    for line in title_lines:
        if any(word in line for word in TITLE_DATE_WORDS):
            found = date_in_text(line)
            if found is not None:
                return ExportDate(found, "title")
    today = today or date.today()
    iso = [column[column.str.match(r"^\d{4}-\d{2}-\d{2}$")] for column in dated_columns]
    candidates = pd.unique(pd.concat(iso, ignore_index=True)) if iso else []
    for value in sorted(candidates, reverse=True):  # the latest real date not after today
        try:
            day = date.fromisoformat(value)
        except ValueError:  # 2021-02-30: validation reports it
            continue
        if day <= today:
            return ExportDate(day, "latest_in_file")
    return ExportDate(today, "today")


def value_dates(folder: Path, ledger: str, keys: set[str]) -> dict[tuple[str, str], str]:
    """(key, field) → the date of the newest export that set or confirmed that stored value, for
    the given keys. Keys are written as the journal writes them (parts joined by '/'); '*' as
    field means every field (an export added the record)."""
    out: dict[tuple[str, str], str] = {}
    if not keys:
        return out

    def saw(key: str, field: str, when: str) -> None:
        if when > out.get((key, field), ""):
            out[(key, field)] = when

    for entry in read_journal(folder):
        if entry.get("event") != "import" or entry.get("ledger") != ledger:
            continue
        when = entry.get("exported_on")
        if not when:
            continue
        for key in entry.get("new_keys", []):
            if key in keys:
                saw(key, "*", when)
        for change in entry.get("changes", []):
            if change.get("key") in keys:
                saw(change["key"], change["field"], when)
        for field, confirmed in (entry.get("confirmed") or {}).items():
            for key in confirmed:
                if key in keys:
                    saw(key, field, when)
    return out


def set_on(dates: dict[tuple[str, str], str], key: str, field: str) -> str | None:
    """The export date of a stored value: the newest export that added the record, changed the
    value or said it again."""
    return max(dates.get((key, field), ""), dates.get((key, "*"), "")) or None
