"""Patent exports as they come: publications, kind codes, other offices, the type digit.

Patent search systems list *publications*, not applications: an invention appears as its A
publication (application published) and, once granted, its B publication, two rows with one
申请号. CNIPA kind codes: A = invention application published (not a grant); B = invention
granted (C before 2010); U = utility model granted; S = design granted (Y and D in older numbers).
The date beside a grant publication is the grant announcement date (授权公告日).

Invariants: nothing here guesses. A number that is neither CNIPA-shaped nor clearly another
office's is left for validation to reject; a row without a kind code is not a grant.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ipdemo.checks.codes import CNIPA_NEW, CNIPA_OLD
from ipdemo.checks.cross_rules import type_from_number as type_from_number  # the cnipa_type rule's fill
from ipdemo.data import arrays

GRANT_KINDS = frozenset("BCUSYD")
# CN + serial + kind letter (+ an optional digit: B1, A8); older numbers may carry no CN.
KIND_CODE = r"^(?:CN)?[0-9]{6,12}([A-Z])[0-9]?$"
# Another office's number: a PCT international application ('PCT/CN2022/123456'), or an office
# code (two letters that are not CN or ZL) before the number, with up to two more letters where
# the database writes them: US…, EP…, JP…, KR…, 'US18/123,456', incoPat's WO numbers with the
# receiving office and year (WOCN19082039 = PCT/CN2019/082039), Brazil's kinds (BRPI0909960,
# BRMU…), Taiwan's TWI…. A CNIPA number never starts with a letter once CN or ZL is gone
# (checks/field_checks.normalise_cnipa), and NULL, N/A or a word have no digit where one is needed.
# Two letters other than CN and ZL, spelled without a lookahead so that Arrow's RE2 matches the
# column at once (a lookahead sends pandas to Python's re, a call per row).
OTHER_OFFICE = r"^(?:PCT/|(?:[ABD-Y][A-Z]|C[A-MO-Z]|Z[A-KM-Z])[A-Z]{0,2}[0-9/])"


def _plain(values: pd.Series) -> pd.Series:
    """Upper case, half-width, no spaces: for matching only, never stored."""
    codes, uniques = pd.factorize(values)
    plain = np.array(["".join(unicodedata.normalize("NFKC", str(v)).split()).upper() for v in uniques], dtype=object)
    return pd.Series(plain[codes] if len(codes) else [], index=values.index, dtype="str")


def grant_mask(numbers: pd.Series) -> np.ndarray:
    """True where a publication number's kind code is a grant (B, C, U, S, Y, D)."""
    kinds = _plain(numbers).str.extract(KIND_CODE, expand=False).fillna("")
    return kinds.isin(GRANT_KINDS).to_numpy(dtype=bool)


def other_office_mask(numbers: pd.Series) -> np.ndarray:
    """True for application numbers of another patent office (WO, US, EP, PCT/…). The numbers
    are normalised already (checks/field_checks.normalise_cnipa: upper case, no spaces)."""
    return numbers.str.match(OTHER_OFFICE).to_numpy(dtype=bool)


@dataclass
class Collapsed:
    """Publication rows folded into one record per application."""

    frame: pd.DataFrame  # one row per key, canonical text columns
    first: np.ndarray  # position, in the input, of each record's first row (for row numbers)
    folded: int  # rows that were another publication of an application already listed


def fold_publications(
    frame: pd.DataFrame, key: list[str], numbers: pd.Series, dates: pd.Series, grant_field: str
) -> Collapsed:
    """One record per application: values from its latest publication (earlier rows fill what the
    latest leaves empty); the grant field from the earliest grant publication's date unless the
    export states it in its own column (that column agrees or wins)."""
    n = len(frame)
    grant = grant_mask(numbers) & (dates != "").to_numpy(dtype=bool)
    work = frame.copy()
    stated = work[grant_field] != ""
    from_publication = pd.Series(np.where(grant, dates.to_numpy(dtype=object), ""), index=work.index, dtype="str")
    work[grant_field] = work[grant_field].where(stated, from_publication)
    keys = work[key].astype("str").agg(arrays.KEY_JOIN.join, axis=1) if len(key) > 1 else work[key[0]]
    # Only well-formed application numbers fold: an empty or Excel-mangled number (2.02321E+11)
    # says nothing about which application a row is, so each such row stays alone (and fails).
    usable = keys.str.match(f"(?:{CNIPA_NEW})|(?:{CNIPA_OLD})").to_numpy(dtype=bool)
    keys = keys.where(usable, pd.Series([f"\x00row{i}" for i in range(n)], index=keys.index, dtype="str"))
    if not keys.duplicated().any():
        return Collapsed(work, np.arange(n), 0)
    order = np.lexsort((dates.to_numpy(dtype=object).astype(str), keys.to_numpy(dtype=object).astype(str)))
    sorted_frame = work.iloc[order].replace("", np.nan)
    sorted_keys = keys.iloc[order].to_numpy()
    latest = sorted_frame.groupby(sorted_keys, sort=False).last()  # last non-empty per column
    grants = work[grant_field].where(work[grant_field] != "").iloc[order]
    latest[grant_field] = grants.groupby(sorted_keys, sort=False).min()
    first_position = pd.Series(np.arange(n)).groupby(keys.to_numpy(), sort=False).min()
    latest = latest.reindex(first_position.index)  # records in the order the export lists them
    result = latest.fillna("").astype("str").reset_index(drop=True)[list(frame.columns)]
    return Collapsed(result, first_position.to_numpy(), n - len(result))
