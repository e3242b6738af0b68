"""Vectorised clean-up of incoming values, per field type, before they are checked and stored.

Every function takes and returns a str Series (empty string = no value) and never raises on bad
input: what cannot be normalised is left for validation to report with its line.
Values that are ambiguous (day-first dates like 01/06/2021) are flagged, not guessed.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from ipdemo.plan.model import FieldSpec, Plan

ZERO_WIDTH = "[\u200b\u200c\u200d\u2060\ufeff]"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (with its 1900 leap-year bug absorbed)


def nfkc(values: pd.Series) -> pd.Series:
    """Full-width → half-width, NBSP → space, zero-width characters removed, trimmed.

    ASCII is its own NFKC form: only the distinct values with other characters are normalised
    (an identifier column of 100k distinct ASCII numbers costs one vectorised test)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = np.asarray(pc.string_is_ascii(pa.array(values, type=pa.string())).to_numpy(zero_copy_only=False))
    out = values
    if not plain.all():
        other = values[~plain]
        table = {v: unicodedata.normalize("NFKC", v) for v in other.unique()}
        out = values.copy()
        out[~plain] = other.map(table)
    return out.str.replace(ZERO_WIDTH, "", regex=True).str.strip()


def tidy(values: pd.Series) -> pd.Series:
    """Free text (titles, names, addresses) is kept as written: only invisible characters go and
    the edges are trimmed (full-width brackets in an official name stay full-width)."""
    return values.str.replace(ZERO_WIDTH, "", regex=True).str.strip()


def cnipa(values: pd.Series) -> pd.Series:
    """'CN 202110182616.5', 'ZL2021101826165' → '202110182616.5'."""
    out = values.str.upper().str.replace(r"\s+", "", regex=True)
    out = out.str.replace(r"^(?:CN|ZL)", "", regex=True)
    out = out.str.replace(r"^(\d{12})([0-9X])$", r"\1.\2", regex=True)  # missing dot, new form
    return out.str.replace(r"^(\d{8})([0-9X])$", r"\1.\2", regex=True)  # missing dot, old form


def code(values: pd.Series) -> pd.Series:
    """Identifiers: upper case, no inner spaces or dashes (credit codes, SR numbers, trademarks)."""
    return values.str.upper().str.replace(r"[\s\-]+", "", regex=True)


def trademark(values: pd.Series) -> pd.Series:
    return code(values).str.replace(r"^(\d+)\.0$", r"\1", regex=True)


def number(values: pd.Series) -> pd.Series:
    """Thousands separators and a trailing '.0' from Excel go; the value stays text."""
    out = values.str.replace(r"(?<=\d)[,，](?=\d{3}(?:\D|$))", "", regex=True)
    return out.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def amount(values: pd.Series, factor: float, suffixes: dict[str, float]) -> pd.Series:
    """Decimal amounts into the field's unit.

    `factor` converts values written without a unit (a header 金额（元） into a 万元 field: 1e-4);
    a unit written after the number ('500万元', '3000000元') uses its own factor from `suffixes`.
    """
    out = number(values)
    names = "|".join(re.escape(u) for u in sorted(suffixes, key=len, reverse=True))
    parts = out.str.extract(rf"^(-?\d+(?:\.\d+)?)\s*({names})?$" if names else r"^(-?\d+(?:\.\d+)?)()$")
    numeric = pd.to_numeric(parts[0], errors="coerce")
    scale = parts[1].map(suffixes).astype("float64").fillna(factor)
    rewrite = (numeric.notna() & ((scale != 1.0) | (parts[1].fillna("") != ""))).to_numpy(dtype=bool)
    result = out.copy()
    if rewrite.any():
        result[rewrite] = (numeric[rewrite] * scale[rewrite]).map(_plain)
    return result


def _plain(x: float) -> str:
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nice_class(values: pd.Series) -> pd.Series:
    """'第9类', '09', '9.0' → '9'."""
    out = values.str.replace(r"^第?\s*0*(\d{1,2})(?:\.0+)?\s*类?$", r"\1", regex=True)
    return out


def _extract(values: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of a regex as text columns ('' where it does not match), via Arrow's RE2."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values, type=pa.string())
    found = pc.extract_regex(arr, pattern)
    if isinstance(found, pa.ChunkedArray):
        found = found.combine_chunks()
    valid = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    out = {f.name: pd.Series(found.field(f.name), dtype="str", index=values.index)
           for f in found.type}
    frame = pd.DataFrame(out, index=values.index)
    frame["_ok"] = valid
    return frame


def dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Many spellings → ISO. Returns (normalised, ambiguous mask).

    Accepted: 2021-06-01, 2021/6/1, 2021.6.1, 2021年6月1日, 20210601, '2021-06-01 00:00:00',
    Excel serial numbers (20000..80000). Day-first or two-digit years (01/06/2021, 6/1/21) are
    ambiguous: flagged so the row is rejected with a message, never guessed.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    iso_or_empty = pc.match_substring_regex(pa.array(values, type=pa.string()), r"^(?:\d{4}-\d{2}-\d{2})?$")
    if len(values) and pc.all(iso_or_empty).as_py():  # date cells and clean exports: nothing to do
        return values, np.zeros(len(values), dtype=bool)
    # Only a real time of day is dropped: '2022-01-01 25:61' keeps it and is rejected as a bad date.
    text = values.str.replace(r"[T\s](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?$", "", regex=True).str.strip()
    if text.str.match(r"^\d{4}-\d{2}-\d{2}$").all():  # already ISO: the usual case for clean exports
        return text, np.zeros(len(text), dtype=bool)
    ymd = _extract(text, r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?$")
    compact = _extract(text, r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
    use = np.where(ymd["_ok"].to_numpy(), True, False)
    out = text.copy()
    for parts, mask in ((ymd, use), (compact, ~use & compact["_ok"].to_numpy())):
        if mask.any():
            out[mask] = parts["y"][mask] + "-" + parts["m"][mask].str.zfill(2) + "-" + parts["d"][mask].str.zfill(2)
    serial = pd.to_numeric(text.where(text.str.match(r"^\d{5}(?:\.0+)?$")), errors="coerce")
    is_serial = serial.between(20000, 80000).to_numpy(dtype=bool)
    if is_serial.any():
        days = pd.to_timedelta(serial[is_serial], unit="D")
        out[is_serial] = (EXCEL_EPOCH + days).dt.strftime("%Y-%m-%d")
    ambiguous = text.str.match(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$").to_numpy(dtype=bool)
    return out, ambiguous


def mapping(values: pd.Series, table: dict[str, str]) -> pd.Series:
    """Replace known spellings (case- and width-insensitive keys) by their canonical value.

    A value listing several states or events ('公开;实质审查;授权;未缴年费专利权终止', as patent
    exports write a legal history) takes the last part that is known: the current one.
    Works on the distinct values (an enum or town column has a handful)."""
    codes, uniques = pd.factorize(values)
    out = np.empty(len(uniques), dtype=object)
    for i, value in enumerate(uniques):
        key = "".join(str(value).split()).casefold()
        found = table.get(key)
        if found is None and re.search(r"[;；,，|/、]", key):
            found = _last_known(key, table)
        out[i] = value if found is None else found
    result = out[codes] if len(codes) else np.array([], dtype=object)
    return pd.Series(result, index=values.index, dtype="str")


def _last_known(text: str, table: dict[str, str]) -> str | None:
    known = [table[part] for part in re.split(r"[;；,，|/、]", text) if part in table]
    return known[-1] if known else None


def enum_table(spec: FieldSpec) -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, labels in (spec.values or {}).items():
        for label in [canonical, *labels]:
            table[unicodedata.normalize("NFKC", label).replace(" ", "").casefold()] = canonical
    return table


def town_table(plan: Plan) -> dict[str, str]:
    return dict(plan.town_index.lookup)


def unit_suffixes(plan: Plan, unit: str | None) -> dict[str, float]:
    """Units that may follow a number of a field in `unit`, with their factor into it (万 = 万元)."""
    if unit is None or unit not in plan.units:
        return {}
    base = plan.units[unit]
    table = {name: u.factor / base.factor for name, u in plan.units.items() if u.dimension == base.dimension}
    if "万元" in table:
        table.setdefault("万", table["万元"])
    return table


def normalise_field(plan: Plan, spec: FieldSpec, values: pd.Series, factor: float = 1.0
                    ) -> tuple[pd.Series, np.ndarray]:
    """(normalised values, ambiguous mask) for one incoming column."""
    none = np.zeros(len(values), dtype=bool)
    kind = spec.type
    if kind == "text":
        return tidy(values), none
    values = nfkc(values)
    if kind == "date":
        return dates(values)
    if kind == "cnipa_application_no":
        return cnipa(values), none
    if kind in ("uscc", "software_copyright_no"):
        return code(values), none
    if kind == "trademark_no":
        return trademark(values), none
    if kind == "decimal":
        return amount(values, factor, unit_suffixes(plan, spec.unit)), none
    if kind == "integer":
        return number(values), none
    if kind == "nice_class":
        return nice_class(values), none
    if kind == "enum":
        return mapping(values, enum_table(spec)), none
    if kind == "town":
        return mapping(values, town_table(plan)), none
    return values, none
