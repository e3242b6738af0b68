"""Every indicator kind in one table: what a kind is and how each output treats it.

An indicator's `kind` (targets.yaml: cumulative, annual, range, milestone, trend, stock, statistic) has one
entry in KINDS, and everything that treats indicators by their kind reads it there through
`kind_spec`: the plan's checks (plan/model.py), the figures (engine/progress.py), the tables and
notes (render/report.py, render/docx.py, render/listing.py), the charts (render/charts.py) and the
robot's headlines (deliver/notify.py). None of them compares kind strings. Adding a kind means one
entry here, its `Kind` member, and, where it is a new way of counting, its figures in progress.py.

Invariants (tests/test_kinds.py):
- KINDS has exactly one entry per member of `Kind`, each under its own name.
- An unknown kind fails safe: `kind_spec` gives UNKNOWN, which claims nothing (no amount shared by
  area, no chart, no headline, no yearly target, no level). A plan cannot hold one (`Kind` refuses
  it on load), so UNKNOWN is only what a consumer sees if the two ever drift apart; the figures
  (engine/progress.py) raise rather than count it as some other kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["cumulative", "annual", "range", "milestone", "trend", "stock", "statistic"]


@dataclass(frozen=True)
class KindSpec:
    """One kind of indicator: its properties, each read by name where an output needs it."""

    name: str
    needs: tuple[str, ...]  # the keys targets.yaml must give an indicator of this kind
    amount: bool = False  # measured as an amount: a --phase increment, a town's share of the district
    # A level on a date (a stock, a trend), not a flow since the plan start: it has a baseline,
    # counts records from before the start, and a period shows its level, not an increment.
    level: bool = False
    yearly: bool = False  # judged year by year against a target per year (annual)
    done_on_date: bool = False  # done on the first matching record's date (or towns done), no amount
    bounded: bool = False  # a min..max band: achieved at the minimum, above the maximum said
    directional: bool = False  # judged by its direction (rising / falling), no target figure
    pace_to_due: bool = False  # the expected line reaches the target on the indicator's `due`
    # Towns add up to the whole (a volume: counts and sums, not ratios): a town's share is charted.
    shares_by_area: bool = False
    # Drawn as a burn-up: its running total (a level: its level, from its baseline) against the
    # straight line to its target (by `due` where pace_to_due).
    burns_up: bool = False
    headline: bool = False  # one of the robot message's headline figures
    # The plan's goals (engine/paths.py, engine/pace.py): a `due` that names the target year (a
    # yearly flow judged against its target in that year only, earlier years on the path from the
    # baseline); an expected line that may follow the ledger's season (`pace: seasonal`).
    target_year: bool = False
    seasonal: bool = False
    # A published figure (a statistic): the latest figure published by the as-of date, for its
    # period (a year), computed by engine/statistics.py. Not yet published is no figure (never 0);
    # its rows are publications, not new records; no pace per week; `--by year` shows each
    # year's figure, never a running total.
    published: bool = False


KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec(
            "cumulative",
            needs=("target",),
            amount=True,
            shares_by_area=True,
            burns_up=True,
            headline=True,
            seasonal=True,
        ),
        KindSpec("annual", needs=("target",), amount=True, yearly=True, target_year=True, seasonal=True),
        KindSpec("range", needs=("min", "max"), amount=True, bounded=True, seasonal=True),
        KindSpec("milestone", needs=("due",), done_on_date=True),
        KindSpec("trend", needs=("direction",), amount=True, level=True, directional=True),
        KindSpec(
            "stock", needs=("target",), amount=True, level=True, pace_to_due=True, shares_by_area=True, burns_up=True
        ),
        KindSpec("statistic", needs=("target",), published=True),
    )
}

# What a consumer sees for a kind the table does not know: nothing claimed, so nothing drawn,
# shared or headlined, rather than a figure of the wrong kind.
# engine/progress.py refuses to compute figures for it.
UNKNOWN = KindSpec("unknown", needs=())


def kind_spec(kind: str) -> KindSpec:
    """The table's entry for `kind`; UNKNOWN (claims nothing) for a kind it does not know."""
    return KINDS.get(kind, UNKNOWN)
