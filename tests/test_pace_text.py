"""The needed pace in words (render/pace.py), and every renderer that states one uses it
(issue 24 item 4: "每周需完成 1 次" where 2 are due in 13 weeks)."""

from __future__ import annotations

import pytest

from ipdemo.render.pace import needed_pace


@pytest.mark.parametrize(
    ("remaining", "weeks", "unit", "quantum", "zh", "en"),
    [
        (2, 13.3, "次", 1.0, "13周内还需2次", "2 次 within 13 weeks"),  # a weekly rate would say 1
        (1, 13.0, "家", 1.0, "13周内还需1家", "1 家 within 13 weeks"),
        (17, 13.0, "件", 1.0, "13周内还需17件", "17 件 within 13 weeks"),  # 1.3 a week would say 2
        (680, 13.0, "件", 1.0, "每周需完成53件", "53 件 a week"),  # 52.3 a week: rounded up
        (65, 13.0, "件", 1.0, "每周需完成5件", "5 件 a week"),
        (64.5, 13.0, "件", 1.0, "13周内还需65件", "65 件 within 13 weeks"),  # a gap is whole records too
        (0.29, 13.0, "亿元", None, "13周内还需0.29亿元", "0.29 亿元 within 13 weeks"),  # a sum: never per week
        (0.291, 13.0, "亿元", None, "13周内还需0.3亿元", "0.3 亿元 within 13 weeks"),  # rounded up
        (2, 0.5, "次", 1.0, "3天内还需2次", "2 次 within 3 days"),
        (2, 1 / 7, "次", 1.0, "1天内还需2次", "2 次 within 1 day"),
        (2, 0, "次", 1.0, "已到期，尚差2次", "2 次 short, past due"),
        (2, -3, "次", 1.0, "已到期，尚差2次", "2 次 short, past due"),
        (0, 13, "次", 1.0, "", ""),  # nothing needed: nothing said
        (-1, 13, "次", 1.0, "", ""),
    ],
)
def test_needed_pace_words(remaining, weeks, unit, quantum, zh, en):
    assert needed_pace(remaining, weeks, unit, "zh", quantum) == zh
    assert needed_pace(remaining, weeks, unit, "en", quantum) == en


def test_a_pace_never_asks_for_less_than_is_needed():
    for remaining in range(1, 200):
        for weeks in (1, 2, 5, 13, 26, 52):
            text = needed_pace(remaining, weeks, "件", "en")
            amount = int(text.split(" ")[0].replace(",", ""))
            asked = amount * weeks if "a week" in text else amount
            assert asked >= remaining, text
            assert asked <= remaining * 1.25 + 1, text  # and never a nonsense overstatement


def test_the_report_and_the_summary_state_the_pace_the_same_way(invoke, shipped):
    """大型知识产权广场宣传 (plaza_promotions): 2 of the year's 4 left with 13 weeks to go."""
    report = invoke(["report", "--as-of", "2023-09-30", "--format", "markdown"], cwd=shipped).stdout
    row = next(line for line in report.splitlines() if "大型知识产权广场宣传" in line)
    assert "13周内还需2次" in row and "每周需完成1" not in report
    summary = invoke(["summary", "--as-of", "2023-09-30"], cwd=shipped).stdout
    risky = summary.split("## 需关注")[1].split("##")[0]
    assert "13周内还需2次" in risky and "每周需完成52件" in risky
    html = invoke(["report", "--as-of", "2023-09-30", "--format", "html"], cwd=shipped).stdout
    assert "13周内还需2次" in html
