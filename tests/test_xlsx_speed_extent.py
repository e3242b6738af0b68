"""The quick bound on a sheet's used area (readers._QuickExtent) decides as it did before one search
replaced the findall of every cell's column letters for sheets no wider than column O (issue 26
item 4): piece by piece, narrow and wide pieces in either order, six-digit rows, odd and prefixed
tags. The decision is whether calamine may read the sheet without the exact pass."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from ipdemo.ingest import readers
from ipdemo.ingest.readers import MAX_CELLS, MAX_COLUMNS, _QuickExtent, column_number


@dataclass
class Before:
    """The bound as it was computed before (the reference of this differential test)."""

    columns: int = 0
    six_digits: bool = False
    unknown: bool = False
    odd: bool = False

    def add(self, chunk: bytes) -> None:
        if self.odd:
            return
        if re.search(rb'<c(?! r="[A-Z]{1,3}\d{1,6}"|[a-z])', chunk) or re.search(rb":c[\s>/]", chunk):
            self.odd = True
            return
        letters = set(re.findall(rb'<c r="([A-Z]{1,3})', chunk))
        if not letters:
            return
        self.columns = max(self.columns, max(column_number(x) for x in letters))
        if self.columns * 999_999 > MAX_CELLS:
            self.six_digits = self.six_digits or re.search(rb'<c r="[A-Z]{1,3}\d{6}"', chunk) is not None
        else:
            self.unknown = True

    def extent(self):
        if self.odd:
            return None
        return readers.Extent(rows=999_999 if self.six_digits or self.unknown else 99_999, columns=self.columns)


def accepted(bound) -> bool:
    """check_xlsx_extent's test: the quick bound lets calamine read without the exact pass."""
    return bound is not None and bound.columns <= MAX_COLUMNS and bound.rows * bound.columns <= MAX_CELLS


def piece(*refs: str, extra: str = "") -> bytes:
    cells = "".join(f'<c r="{ref}" t="n"><v>1</v></c>' for ref in refs)
    return f'<row r="1">{cells}</row>{extra}'.encode()


NARROW = piece("A1", "G1", "O99999")
NARROW_SIX = piece("A100000", "O123456")
WIDE = piece("A1", "P2", "T3")
WIDE_SIX = piece("A1", "T123456")
EDGE = piece("ET5")  # column 150
PAST = piece("EU5")  # column 151
THREE = piece("AAA1")
ODD = piece("A1", extra='<c r="a1"><v>1</v></c>')
PREFIXED = b'<x:c r="A1"><x:v>1</x:v></x:c>'
NO_CELLS = b'<cols><col min="1" max="30" width="9"/></cols><row r="1"/>'
OTHER_ELEMENTS = piece("B2", extra='<conditionalFormatting><cfRule type="x"/></conditionalFormatting>')

SEQUENCES = [
    [NARROW],
    [NARROW_SIX],
    [NARROW, NARROW_SIX],
    [WIDE],
    [WIDE_SIX],
    [WIDE, NARROW_SIX],
    [WIDE, NARROW],
    [NARROW, WIDE],
    [NARROW_SIX, WIDE],
    [EDGE],
    [EDGE, NARROW_SIX],
    [PAST],
    [THREE],
    [NARROW, ODD],
    [ODD, NARROW],
    [PREFIXED],
    [NARROW, PREFIXED],
    [NO_CELLS],
    [NO_CELLS, NARROW_SIX],
    [OTHER_ELEMENTS, WIDE],
    [],
]


@pytest.mark.parametrize("pieces", SEQUENCES, ids=[str(i) for i in range(len(SEQUENCES))])
def test_the_quick_bound_decides_as_before(pieces):
    now, before = _QuickExtent(), Before()
    for chunk in pieces:
        now.add(chunk)
        before.add(chunk)
    assert accepted(now.extent()) == accepted(before.extent())
    assert (now.extent() is None) == (before.extent() is None)


def test_a_wide_piece_then_narrow_six_digit_rows_still_go_to_the_exact_pass():
    bound = _QuickExtent()
    for chunk in (WIDE, NARROW_SIX):
        bound.add(chunk)
    assert not accepted(bound.extent())
