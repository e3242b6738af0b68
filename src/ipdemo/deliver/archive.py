"""The acceptance archive (归档): ledgers as xlsx 台账, the self-inspection report, the evidence
files that records point to, and a manifest, in one zip.

Layout (zh; en uses ledgers/, evidence/, self-inspection-report.docx):
    manifest.csv                          file, sha256, ledger, key, indicator, evidence, status, reason
                                          (for machines: English fields, one row per file and evidence value)
    清单.xlsx                              for officials (archive_list.py): 文件清单, every file in Chinese;
                                          指标佐证, each indicator's figure and its evidence, or 无佐证
    自查报告.docx
    台账/<台账名称>.xlsx                     one sheet per ledger, Chinese headers (amounts with their unit),
                                          header styled with an autofilter, frozen header row; in a
                                          ledger an indicator counts, 是否计入 / 计入指标 (`counting`)
    佐证材料/<指标名称>/<path as recorded>   (or 佐证材料/<台账名称>/… when no indicator counts the row)
    佐证材料/<任务条目>/<path as recorded>   a task's progress entry (三（五）一是; en: the task id)

Evidence: a record's `evidence` field (in a ledger that some indicator counts, or the ledger of
task progress — its manifest rows name the task in `indicator`) is judged by checks/evidence.py:
a file under one of the plan's evidence folders is copied; a document reference (吴政办〔2021〕67号)
is listed; a missing file, or a path that module refuses (outside the evidence folders, a
protected or hidden file, a link out of the folder, a file git ignores), is a warning and a
manifest row (status `missing` / `refused`, `reason`), never opened.

Invariants:
- byte-for-byte reproducible: entries sorted, every entry (and every member of the xlsx and docx
  inside) stamped with the as-of date, permissions 0644, creator system fixed, OOXML core
  properties dated on the as-of day;
- written atomically (a temp file beside OUT, fsync, rename): OUT is the old file or the new one;
  the writer locks its temp file (flock) while it writes, and the next archive to OUT removes the
  temp files a killed one left (.OUT.<random>.tmp that nobody holds);
- an evidence file is copied only if it is still the file judged (its device and inode, opened
  without following a link): one swapped for a link after the verdict stops the archive;
- the core never prints: it returns data and Problem warnings, or raises ipdemo.errors exceptions;
- names inside the zip are i18n labels (archive.*); the ledgers' labels are the plan's own (zh);
  every name is safe to extract on Windows (`_safe`: no control or reserved characters, no device
  names, no trailing dot or space, bounded lengths) and unique as Windows sees it (`_unique`).
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ipdemo.checks.evidence import (
    FILE,
    MISSING,
    REFUSED,
    EvidenceRef,
    FileChangedError,
    Rules,
    evidence_refs,
    open_judged,
    problem,
    stored_ledger,
)
from ipdemo.data.ledger import display_path
from ipdemo.data.store import fsync_dir
from ipdemo.errors import Problem, WriteError
from ipdemo.i18n import label, localized
from ipdemo.plan.model import Indicator, Measure, Plan
from ipdemo.plan.text import escape_xml
from ipdemo.render.reproducible import FILE_MODE, restamp, zip_entry

if TYPE_CHECKING:
    from ipdemo.engine.progress import Progress

from ipdemo.render.workbook import AMOUNT, COUNT, HEADER_FILL, date_format, sheet_name, text_width, thin_border

NUMERIC_TYPES = ("integer", "decimal", "nice_class")
XLSX_MAX_ROWS = 1_048_576 - 1  # one header row
WIDTH_SAMPLE = 2000  # rows looked at to size a column
DATE_WIDTH = 13  # 2023年12月31日 (the column adds 2)
PAPER_A4 = "9"  # the page setup code of A4
COUNTED_COLUMN, COUNTED_IN_COLUMN = " counted", " counted in"  # never a field name (no spaces)
MANIFEST_FIELDS = ["file", "sha256", "ledger", "key", "indicator", "evidence", "status", "reason"]
# Names inside the zip, safe to extract on Windows: no control or reserved characters, no
# reserved device names, no trailing dot or space, bounded lengths (a component, the whole name).
UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"/\\|?*\u2028\u2029]')
RESERVED_NAMES = frozenset(
    {
        "con",
        "prn",
        "aux",
        "nul",
        "conin$",
        "conout$",
        *(f"{d}{n}" for d in ("com", "lpt") for n in [*"0123456789", "¹", "²", "³"]),
    }
)
MAX_COMPONENT = 80  # characters of one folder or file name
MAX_MEMBER = 200  # characters of a whole name: extracted paths stay under Windows' 260


# --- ledgers as xlsx ------------------------------------------------------------------------


@dataclass
class LedgerBook:
    """One ledger as its 台账 workbook, and which of its rows count (by line)."""

    data: bytes
    rows: int
    counted: dict[int, tuple[str, ...]]  # ledger line → ids of the indicators the row counts in
    counts_anywhere: bool  # some indicator counts this ledger: the workbook has 是否计入
    lines: frozenset[int] = frozenset()  # ledger lines of the rows it holds: those that existed on the date


def ledger_xlsx(plan: Plan, name: str, when: date, personal: bool = False, lang: str = "zh") -> bytes:
    return ledger_book(plan, name, when, personal, lang).data


def ledger_book(
    plan: Plan, name: str, when: date, personal: bool = False, lang: str = "zh", left_out: Iterable[int] = ()
) -> LedgerBook:
    """One ledger as a 台账 workbook: Chinese headers from the field labels (an amount's unit in its
    header: 金额（万元）), a styled header row with an autofilter, frozen under it, widths fitted
    to CJK text, numbers as numbers and dates as dates in number formats, enum codes as their
    first Chinese label (zh; import reads them back), other text verbatim (never a formula);
    in a ledger some indicator counts, a 是否计入 column: whether the row counts on `when` by the
    indicators' definitions, and in which (never a row left out as invalid: `left_out`, its
    lines, as the engine leaves it out). Personal fields (trainees' names, phones) only with
    personal=True."""
    spec = plan.ledgers[name]
    table = stored_ledger(plan, name)
    columns = [f for f, fs in spec.fields.items() if personal or not fs.personal]
    raw = table.arrow.to_pylist() if table is not None and table.arrow.num_columns else []
    lines = [int(x) for x in table.lines.tolist()] if raw and table is not None else []
    dated = [f for f, fs in spec.fields.items() if fs.type == "date"]
    kept = [existed(row, dated, when) for row in raw]  # the ledger as it stood on `when`
    lines = [line for line, keep in zip(lines, kept) if keep]
    raw = [row for row, keep in zip(raw, kept) if keep]
    measures = ledger_measures(plan, name)
    invalid = set(left_out)
    marks = [() if line in invalid else counting(plan, measures, row, when) for line, row in zip(lines, raw)]
    records = [{f: row.get(f) for f in columns} for row in raw]
    records = _enum_labels(plan, name, columns, records, lang)
    header = [_header_text(plan, name, f, lang) for f in columns]
    types: list[str] = [spec.fields[f].type for f in columns]
    if measures:
        header += [label("archive.counted", lang), label("archive.counted_in", lang)]
        types += ["text", "text"]
        names = {ind.id: localized(ind.name, ind.name_en, lang) for ind in plan.indicators}
        yes, no = label("archive.yes", lang), label("archive.no", lang)
        for record, mark in zip(records, marks):
            record[COUNTED_COLUMN] = yes if mark else no
            record[COUNTED_IN_COLUMN] = label("punct.list", lang).join(names[i] for i in mark)
        columns = [*columns, COUNTED_COLUMN, COUNTED_IN_COLUMN]
    data = _ledger_workbook(localized(spec.name, name, lang), header, columns, types, records, when, lang)
    return LedgerBook(data, len(records), dict(zip(lines, marks)), bool(measures), frozenset(lines))


def existed(row: dict, dated: list[str], when: date) -> bool:
    """Whether a stored row existed on `when` (Dataset.rows_by's rule): the earliest of its dates
    is on or before it; a row with no readable date (a register entry) is kept — nothing says it
    came later."""
    days = [d for d in (_day(row.get(f)) for f in dated) if d is not None]
    return not days or min(days) <= when


def _header_text(plan: Plan, name: str, fname: str, lang: str) -> str:
    fs = plan.ledgers[name].fields[fname]
    text = localized(fs.label or fname, fname, lang)
    return label("archive.with_unit", lang, name=text, unit=fs.unit) if fs.unit else text


def _enum_labels(plan: Plan, name: str, columns: list[str], records: list[dict], lang: str) -> list[dict]:
    """Enum codes shown as their first Chinese label (zh); English shows the codes themselves."""
    spec = plan.ledgers[name]
    labels: list[dict[Any, str]] = [
        {
            code: shown
            for code, words in (spec.fields[f].values or {}).items()
            if words and (shown := localized(words[0], code, lang)) != code
        }
        if spec.fields[f].type == "enum"
        else {}
        for f in columns
    ]
    if not any(labels):
        return records
    return [{f: labels[c].get(row.get(f), row.get(f)) for c, f in enumerate(columns)} for row in records]


def _ledger_workbook(
    title: str, header: list[str], columns: list[str], types: list[str], records: list[dict], when: date, lang: str
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    widths = [_first_line_width(h) for h in header]
    for row in records[:WIDTH_SAMPLE]:
        for c, f in enumerate(columns):
            widths[c] = max(widths[c], _first_line_width(str(row.get(f) or "")))
    widths = [max(w, DATE_WIDTH) if kind == "date" else w for w, kind in zip(widths, types)]
    book = Workbook(write_only=True)
    styles = _CellStyles.of(lang)
    chunks = [records[i : i + XLSX_MAX_ROWS] for i in range(0, len(records), XLSX_MAX_ROWS)] or [[]]
    last = get_column_letter(len(header))
    for n, chunk in enumerate(chunks):
        sheet = book.create_sheet(sheet_name(title + (f" ({n + 1})" if n else "")))
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{last}{len(chunk) + 1}"
        _print_setup(sheet)
        for c, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = min(60, max(8, width + 2))
        sheet.append([_header_cell(sheet, h) for h in header])
        for row in chunk:
            sheet.append([_cell(sheet, row.get(f), kind, styles) for f, kind in zip(columns, types)])
    stamp = datetime.combine(when, time())
    book.properties.creator = "ipdemo"
    book.properties.title = title
    book.properties.created = book.properties.modified = stamp
    out = io.BytesIO()
    book.save(out)
    return restamp(out.getvalue(), when)


def _print_setup(sheet) -> None:
    """Landscape A4, one page wide, the header row on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = PAPER_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:1"


def _header_cell(sheet, text: str):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.font = Font(bold=True)
    cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    cell.border = thin_border()
    cell.alignment = Alignment(horizontal="center", vertical="center")
    return cell


@dataclass(frozen=True)
class _CellStyles:
    """Number formats of a ledger's typed cells: dates in the language's format."""

    date: str

    @classmethod
    def of(cls, lang: str) -> _CellStyles:
        return cls(date_format(lang))

    def number_format(self, kind: str, value) -> str:
        if kind == "date":
            return self.date
        if kind == "decimal":
            return AMOUNT
        return "0" if kind == "nice_class" else COUNT


def _cell(sheet, value, kind: str, styles: _CellStyles):
    from openpyxl.cell import WriteOnlyCell

    text = _xml_safe("" if value is None else str(value))
    if text == "":
        return None
    typed = _typed(text, kind)
    if typed is not None:
        cell = WriteOnlyCell(sheet, value=typed)
        cell.number_format = styles.number_format(kind, typed)
        return cell
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # verbatim: '=…' stays text, never a formula
    return cell


def _typed(text: str, kind: str) -> int | float | date | None:
    """A number or a date, when the field is one and the text reads as one; else None."""
    if kind in NUMERIC_TYPES:
        return _number(text)
    if kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return None


def _number(text: str) -> int | float | None:
    cleaned = text.replace(",", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(value) if re.fullmatch(r"-?\d+", cleaned) and abs(value) < 2**53 else value


# --- which rows count -------------------------------------------------------------------------


def ledger_measures(plan: Plan, name: str) -> list[tuple[Indicator, Measure]]:
    """The indicators' measures that count rows of this ledger."""
    return [(ind, m) for ind in plan.indicators for m in ind.measures if m.ledger == name]


def counting(plan: Plan, measures: list[tuple[Indicator, Measure]], row: dict, when: date) -> tuple[str, ...]:
    """The indicators a stored row counts in on `when`, by their definitions (engine/progress.py):
    it matches the measure's `where`; a flow's date lies in the plan period up to `when`; a
    level's record started by `when` and has not ended (its `until`, on rows matching
    `until_where`, is after `when`); a milestone's record is dated by `when`, before the plan too.
    A row whose date does not read as one counts nowhere (validate flags it)."""
    out: list[str] = []
    for ind, m in measures:
        if ind.id not in out and _matches(row, m.where) and _dated_in(plan, ind, m, row, when):
            out.append(ind.id)
    return tuple(out)


def _matches(row: dict, where: dict) -> bool:
    return all(str(row.get(f) or "") in ([w] if isinstance(w, str) else list(w)) for f, w in where.items())


def _dated_in(plan: Plan, ind: Indicator, m: Measure, row: dict, when: date) -> bool:
    if not m.date:
        return True
    day = _day(row.get(m.date))
    if day is None or day > when:
        return False
    if ind.spec.done_on_date:
        return True
    if not ind.is_level:
        return day >= plan.plan.start
    if not m.until or not _matches(row, m.until_where):
        return True
    end = _day(row.get(m.until))
    return end is None or end > when


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


# --- the archive ----------------------------------------------------------------------------


@dataclass
class Entry:
    name: str  # path inside the zip
    data: bytes | None = None
    source: Path | None = None  # a file copied as it is
    identity: tuple[int, int] | None = None  # the source's (device, inode) when it was judged

    def open(self):
        """The source file, only if it is still the file judged (evidence.open_judged); a file
        swapped for a link in the meantime is an error, never followed."""
        if self.source is None:
            raise ValueError(f"archive entry {self.name} has no source file")
        try:
            return open_judged(self.source, self.identity)
        except OSError as exc:
            if isinstance(exc, FileChangedError) or exc.errno == errno.ELOOP:
                raise WriteError("evidence_changed", file=display_path(self.source)) from None
            raise

    def digest(self) -> str:
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        h = hashlib.sha256()
        with self.open() as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()


@dataclass
class Archive:
    when: date
    entries: list[Entry] = field(default_factory=list)
    manifest: list[dict[str, str]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    books: dict[str, tuple[str, LedgerBook]] = field(default_factory=dict)  # ledger → (member, book)
    evidence: list[tuple[EvidenceRef, str]] = field(default_factory=list)  # each value, its member ('' if none)

    def count(self, status: str) -> int:
        return sum(row["status"] == status for row in self.manifest)


def build_archive(
    plan: Plan,
    report: bytes | None,
    when: date,
    lang: str = "zh",
    personal: bool = False,
    progress: Progress | None = None,
    invalid: dict[str, list[int]] | None = None,
) -> Archive:
    """What goes in the zip, with the manifest and the warnings (nothing written yet); the 清单
    (archive_list.py) lists it in Chinese, with each indicator's figure in `progress` and its
    evidence. `invalid`: each ledger's lines the figures left out (Dataset.invalid): never counted."""
    from ipdemo.deliver.archive_list import list_workbook

    arc = Archive(when)
    if report is not None:
        _add(arc, Entry(label("archive.report_file", lang), data=report), ledger="", key="", status="report")
    ledgers = label("archive.ledgers_folder", lang)
    for name, spec in plan.ledgers.items():
        book = ledger_book(plan, name, when, personal, lang, (invalid or {}).get(name, ()))
        entry = Entry(f"{ledgers}/{_safe(localized(spec.name, name, lang))}.xlsx", data=book.data)
        arc.books[name] = (entry.name, book)
        _add(arc, entry, ledger=name, key="", status="ledger")
    _add_evidence(arc, plan, lang)
    listing = Entry(label("archive.list_file", lang), data=list_workbook(plan, arc, progress, lang))
    _add(arc, listing, ledger="", key="", status="list")
    arc.entries.sort(key=lambda e: e.name)
    return arc


def _add_evidence(arc: Archive, plan: Plan, lang: str) -> None:
    """Every evidence value: a file copied under 佐证材料/, a reference listed, a missing or refused
    one warned; each a manifest row."""
    evidence = label("archive.evidence_folder", lang)
    rules = Rules.of(plan, _guarded())
    members: dict[str, Path] = {}  # folded member name → the file it holds
    digests: dict[str, str] = {}
    for ref in evidence_refs(plan, rules=rules):
        book = arc.books.get(ref.ledger)
        if book is not None and ref.line not in book[1].lines:
            continue  # its record came after the archive's date: not in the 台账, nor its evidence
        row = {
            "ledger": ref.ledger,
            "key": ref.key,
            "indicator": ";".join(ref.indicators),
            "evidence": ref.value,
            "status": ref.status,
            "reason": ref.reason,
            "file": "",
            "sha256": "",
        }
        if ref.status == FILE and ref.path is not None and ref.relative is not None:
            member = _unique(
                members, evidence_member(evidence, _folder(plan, ref, lang), ref.relative), ref.path, ref.relative
            )
            if member not in digests:
                entry = Entry(member, source=ref.path, identity=ref.identity)
                arc.entries.append(entry)
                digests[member] = entry.digest()
            row["file"], row["sha256"] = member, digests[member]
        elif ref.status in (MISSING, REFUSED):
            arc.warnings.append(problem(plan, rules, ref))
        arc.manifest.append(row)
        arc.evidence.append((ref, row["file"]))


def _guarded() -> list[Path]:
    """Folders never to copy from besides the plan's own: the cache of checked ledgers."""
    from ipdemo.engine.cache import cache_dir

    folder = cache_dir()
    return [folder] if folder is not None else []


def _add(arc: Archive, entry: Entry, *, ledger: str, key: str, status: str) -> None:
    arc.entries.append(entry)
    arc.manifest.append(
        {
            "file": entry.name,
            "sha256": entry.digest(),
            "ledger": ledger,
            "key": key,
            "indicator": "",
            "evidence": "",
            "status": status,
            "reason": "",
        }
    )


def _folder(plan: Plan, ref: EvidenceRef, lang: str) -> str:
    if ref.indicators and any(ref.ledger == name for name, _ in plan.task_fields):
        task = plan.task(ref.indicators[0])
        return _safe(localized(task.ref or task.id, task.id, lang))
    if ref.indicators:
        ind = plan.indicator(ref.indicators[0])
        return _safe(localized(ind.name, ind.id, lang))
    spec = plan.ledgers[ref.ledger]
    return _safe(localized(spec.name, ref.ledger, lang))


def evidence_member(top: str, folder: str, relative: PurePosixPath) -> str:
    """佐证材料/<folder>/<path as recorded>, every part made safe; a name too long for Windows keeps
    its file name and folds the recorded folders into one short name derived from them."""
    parts = [_safe(p) for p in relative.parts]
    member = "/".join([top, folder, *parts])
    if len(member) > MAX_MEMBER:
        member = "/".join([top, folder, f"~{_hash(relative.as_posix())}", parts[-1]])
    return member


def _unique(members: dict[str, Path], member: str, source: Path, relative: PurePosixPath) -> str:
    """`member`, unless another file already holds that name as Windows sees it (case and Unicode
    form aside): then the name with a mark derived from the recorded path. Deterministic for the
    same records; the first file in ledger order keeps the plain name."""
    size = 8
    candidate = member
    while members.setdefault(_folded(candidate), source) != source:
        head, _, name = member.rpartition("/")
        stem, dot, ext = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
        candidate = f"{head}/{stem}~{_hash(relative.as_posix(), size)}{dot}{ext}"
        size += 4
    return candidate


def _folded(member: str) -> str:
    return unicodedata.normalize("NFC", member).casefold()


def _hash(text: str, size: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:size]


def _safe(name: str) -> str:
    """A name usable as one folder or file name on Windows as well: reserved and control
    characters → _, no trailing dot or space, no device name (CON, LPT1.txt), at most
    MAX_COMPONENT characters (a longer one keeps its extension and a mark derived from it)."""
    cleaned = UNSAFE_CHARS.sub("_", name).strip(" .") or "_"
    if cleaned.split(".")[0].rstrip(" ").casefold() in RESERVED_NAMES:
        cleaned = "_" + cleaned
    if len(cleaned) > MAX_COMPONENT:
        stem, dot, ext = cleaned.rpartition(".")
        ext = dot + ext if stem and len(ext) <= 16 else ""
        cleaned = cleaned[: MAX_COMPONENT - len(ext) - 9].rstrip(" .") + f"~{_hash(name)}" + ext
    return cleaned


def manifest_csv(arc: Archive) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in arc.manifest:
        writer.writerow({k: _csv_safe(row[k]) for k in MANIFEST_FIELDS})
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")  # BOM: Excel reads it as UTF-8


def _xml_safe(text: str) -> str:
    """Characters an XLSX cannot hold (plan/text.py): an invalid ledger row may carry one (validate
    flags it); the archive's sheet shows it as \x07 or \ufffe instead of failing."""
    return escape_xml(text)


def _first_line_width(text: str) -> int:
    return text_width(text.splitlines()[0] if text else "")


def _csv_safe(text: str) -> str:
    from ipdemo.render.grid import neutralise

    return neutralise(text)


TEMP_SUFFIX = ".tmp"  # a temp file is .OUT.<random>.tmp beside OUT
TEMP_RANDOM = 8  # the length of tempfile.mkstemp's random part


def _hold(fd: int) -> None:
    """An exclusive lock on the temp file for as long as it is open: its writer is alive."""
    if os.name == "posix":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_stale_temps(folder: Path, name: str) -> None:
    """The temp files an archive to `name` left when it was killed (.name.<random>.tmp, regular
    files that no running archive holds a lock on): removed. Others are left alone. POSIX only."""
    if os.name != "posix":  # pragma: no cover
        return
    import fcntl
    import glob
    import stat

    for path in folder.glob(f".{glob.escape(name)}.{'?' * TEMP_RANDOM}{TEMP_SUFFIX}"):  # not .name.bak.<random>.tmp
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:  # a link, gone, unreadable: not ours to remove
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError: a running archive writes it
                os.unlink(path)
        except OSError:
            pass
        finally:
            os.close(fd)


def write_archive(arc: Archive, output: Path) -> None:
    """Write the zip atomically: a temp file beside OUT (locked while written; those a killed
    archive left are removed first), fsync, rename over OUT."""
    output = Path(output)
    entries = sorted([*arc.entries, Entry("manifest.csv", data=manifest_csv(arc))], key=lambda e: e.name)
    folder = output.resolve().parent
    shown = display_path(output)
    remove_stale_temps(folder, output.name)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise WriteError("write_failed", path=shown, reason=exc.strerror or str(exc)) from None
    try:
        _hold(fd)  # until it is renamed, no other archive removes this temp file
        with os.fdopen(fd, "wb", closefd=False) as fh:
            with zipfile.ZipFile(fh, "w") as target:
                for entry in entries:
                    info = zip_entry(entry.name, arc.when)
                    if entry.data is not None:
                        target.writestr(info, entry.data, compresslevel=6)
                    elif entry.source is not None:
                        with entry.open() as src, target.open(info, "w", force_zip64=True) as dst:
                            for block in iter(lambda: src.read(1 << 20), b""):
                                dst.write(block)
            fh.flush()
            os.fsync(fh.fileno())
        if hasattr(os, "fchmod"):
            os.fchmod(fd, FILE_MODE)
        else:  # pragma: no cover - Windows
            os.chmod(temp, FILE_MODE)
        os.replace(temp, output)  # the lock is still held: closed only after the rename (below)
    except (OSError, WriteError) as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, WriteError):
            raise
        raise WriteError("write_failed", path=shown, reason=exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    fsync_dir(folder)
