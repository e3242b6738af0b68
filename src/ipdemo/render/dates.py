"""Dates as officials read them: 2023年9月30日, 2023年9月24日至9月30日 (English: ISO dates).

The words are i18n labels (dates.*); a range within one year names the year once.
"""

from __future__ import annotations

from datetime import date

from ipdemo.i18n import label


def day_text(day: date, lang: str) -> str:
    """2023年9月30日 / 2023-09-30."""
    return label("dates.day", lang, y=day.year, m=day.month, d=day.day)


def range_text(start: date, end: date, lang: str) -> str:
    """2023年9月24日至9月30日 (the year once within a year), 2023年12月25日至2024年1月1日."""
    key = "dates.range_year" if start.year == end.year else "dates.range"
    return label(key, lang, y=start.year, m=start.month, d=start.day, y2=end.year, m2=end.month, d2=end.day)
