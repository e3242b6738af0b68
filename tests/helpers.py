"""Helpers shared by several test modules (fixtures that need pytest live in conftest.py).

- cn(): a valid CNIPA application number for a 12-digit body (check character computed);
- ROWS: small ledgers whose figures tests/test_progress.py computes by hand (and other modules reuse);
- export() / ledger_rows(): a received CSV export written as Excel writes it, and a ledger read back;
- assert_self_contained(): an HTML page that fetches nothing;
- write_csv() / write_xlsx() / ledger(): a received file written from rows (header first) as Excel
  would save it, and a ledger read back as dicts ([] when it does not exist)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from ipdemo.checks.field_checks import cnipa_check_char

from .conftest import VALID_ROWS


def cn(body: str) -> str:
    """A valid application number (check character computed) for a 12-digit body."""
    return body + "." + cnipa_check_char(pd.Series([body]), 12)[0]


def patent(body, filed, granted="", town="吴江开发区", kind="invention"):
    return {
        **VALID_ROWS["patents"],
        "application_no": cn(body),
        "filed_on": filed,
        "granted_on": granted,
        "town": town,
        "type": kind,
    }


ROWS = {
    "patents": [
        patent("202110000001", "2021-06-01", "2022-01-01"),  # first day of the plan
        patent("202110000002", "2021-05-31", "2021-12-31"),  # filed before; granted on phase-1 end
        patent("201910000003", "2019-03-01", "2022-06-01"),  # a 2019 application granted in 2022
        patent("202320000004", "2023-12-31", kind="utility_model"),  # last day of the plan
        patent("202420000005", "2024-02-29", kind="utility_model"),  # leap day outside the period
        patent("202320000006", "2023-09-30", town="七都镇", kind="utility_model"),  # phase-2 end
    ],
    "pledge_loans": [
        {**VALID_ROWS["pledge_loans"], "contract_no": "L1", "amount": "25000", "issued_on": "2021-07-01"},
        {**VALID_ROWS["pledge_loans"], "contract_no": "L2", "amount": "30000.5", "issued_on": "2023-01-01"},
    ],
    "events": [
        {**VALID_ROWS["events"], "event_id": f"E{i}", "held_on": d, "kind": k}
        for i, (d, k) in enumerate(
            [
                ("2021-06-18", "plaza_promotion"),
                ("2021-09-15", "plaza_promotion"),
                ("2021-11-20", "plaza_promotion"),
                ("2022-03-15", "plaza_promotion"),
                ("2022-04-26", "plaza_promotion"),
                ("2022-08-16", "plaza_promotion"),
                ("2022-10-01", "publicity"),
                ("2023-03-15", "plaza_promotion"),
                ("2023-04-26", "plaza_promotion"),
                ("2023-06-01", "plaza_promotion"),
                ("2023-10-20", "plaza_promotion"),
            ]
        )
    ],
    "outputs": [
        {**VALID_ROWS["outputs"], "output_id": "O1", "kind": "leading_group", "achieved_on": "2022-01-15"},  # late
        {
            **VALID_ROWS["outputs"],
            "output_id": "O2",
            "kind": "town_ip_staff",
            "town": "平望镇",
            "achieved_on": "2021-10-01",
        },
        {
            **VALID_ROWS["outputs"],
            "output_id": "O3",
            "kind": "town_ip_staff",
            "town": "七都镇",
            "achieved_on": "2021-11-01",
        },
        *[
            {**VALID_ROWS["outputs"], "output_id": f"R{i}", "kind": "industry_report", "achieved_on": "2022-05-01"}
            for i in range(5)
        ],
    ],
    "trainees": [],
}


HEADER_ZH = ["申请号", "发明名称", "申请人", "申请日", "专利类型", "授权公告日", "所属区镇"]


def export(path: Path, rows: list[list[str]], header=HEADER_ZH, encoding="utf-8", title: str | None = None):
    with open(path, "w", encoding=encoding, newline="") as fh:
        if title:
            fh.write(title + "\n")
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def ledger_rows(project: Path, name: str = "patents") -> list[dict]:
    with open(project / "data" / f"{name}.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def assert_self_contained(html: str) -> None:
    """Nothing is fetched: no external src/href, stylesheet links, imports or url() loads."""
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and not re.search(r"url\(\s*['\"]?https?:", html)
    assert "<script" not in html


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    """Rows (header first) as a CSV that Excel would save (CRLF, BOM unless `encoding` says otherwise)."""
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]], merged: tuple[str, ...] = ()) -> Path:
    """Rows (title lines and header first) as a one-sheet workbook, with cells merged (`A1:F1`)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for area in merged:
        sheet.merge_cells(area)
    book.save(path)
    return path


def ledger(project: Path, name: str) -> list[dict[str, str]]:
    """A ledger of the project read back as dicts ([] when it does not exist)."""
    path = project / "data" / f"{name}.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))
