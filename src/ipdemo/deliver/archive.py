"""The acceptance archive (归档): ledgers as xlsx 台账, the self-inspection report, the evidence
files that records point to, and a manifest, in one zip.

Layout (zh; en uses ledgers/, evidence/, self-inspection-report.docx):
    manifest.csv                          file, sha256, ledger, key, indicator, evidence, status
    自查报告.docx
    台账/<台账名称>.xlsx                     one sheet per ledger, Chinese headers, frozen header row
    佐证材料/<指标名称>/<path as recorded>   (or 佐证材料/<台账名称>/… when no indicator counts the row)
    佐证材料/<任务条目>/<path as recorded>   a task's progress entry (三（五）一是; en: the task id)

Evidence: a record's `evidence` field (in a ledger that some indicator counts, or the ledger of
task progress — its manifest rows name the task in `indicator`) names a file when
it looks like a path (a separator, or a name with an extension); it is then a path relative to
the project folder (the folder of targets.yaml) and, when it exists inside that folder, copied.
Anything else (吴政办〔2021〕67号, 营业执照) is a document reference: listed, not copied. A path that
is missing, absolute or leads outside the project folder is a warning and a manifest row.

Invariants:
- byte-for-byte reproducible: entries sorted, every entry (and every member of the xlsx and docx
  inside) stamped with the as-of date, permissions 0644, creator system fixed, OOXML core
  properties dated on the as-of day;
- written atomically (a temp file beside OUT, fsync, rename): OUT is the old file or the new one;
- the core never prints: it returns data and Problem warnings, or raises ipdemo.errors exceptions;
- names inside the zip are i18n labels (archive.*); the ledgers' labels are the plan's own (zh).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath

from ipdemo.data.ledger import display_path
from ipdemo.data.store import fsync_dir
from ipdemo.errors import Problem, WriteError
from ipdemo.i18n import label, localized
from ipdemo.plan.model import Plan
from ipdemo.plan.text import escape_xml
from ipdemo.render.document import sheet_name, text_width
from ipdemo.render.reproducible import FILE_MODE, restamp, zip_entry

EVIDENCE_FIELDS = ("evidence",)
NUMERIC_TYPES = ("integer", "decimal", "nice_class")
XLSX_MAX_ROWS = 1_048_576 - 1  # one header row
WIDTH_SAMPLE = 2000  # rows looked at to size a column
MANIFEST_FIELDS = ["file", "sha256", "ledger", "key", "indicator", "evidence", "status"]
# A value that names a file: a path separator, or a name ending in an extension with a letter.
LOOKS_LIKE_PATH = re.compile(r"[\\/]|\.[A-Za-z][A-Za-z0-9]{0,7}$")
SPLIT = re.compile(r"[;；\n]+")


# --- evidence -------------------------------------------------------------------------------

@dataclass(frozen=True)
class EvidenceRef:
    """One value of a record's evidence field, and what it turned out to be."""

    ledger: str
    line: int | None
    key: str
    field: str
    value: str
    status: str  # file | reference | missing | outside
    indicators: tuple[str, ...]  # ids of the indicators that count this record
    path: Path | None = None  # the file, when status == "file"


def evidence_ledgers(plan: Plan) -> list[str]:
    """Ledgers that some indicator counts, or that record the progress of tasks, and that have an
    evidence field (the enterprise register's `evidence` names an import source, not a document:
    it is not counted)."""
    counted = {m.ledger for ind in plan.indicators for m in ind.measures} | {name for name, _ in plan.task_fields}
    return [name for name, spec in plan.ledgers.items()
            if name in counted and any(f in spec.fields for f in EVIDENCE_FIELDS)]


def evidence_refs(plan: Plan, ledgers: list[str] | None = None) -> list[EvidenceRef]:
    """Every evidence value of every record, in ledger then line order."""
    root = plan.source.parent.resolve()
    wanted = evidence_ledgers(plan)
    out = []
    for name in wanted if ledgers is None else [n for n in ledgers if n in wanted]:
        spec = plan.ledgers[name]
        table = _raw(plan, name)
        if table is None:
            continue
        records = table.arrow.to_pylist()
        for line, row in zip(table.lines.tolist(), records):
            key = "|".join(str(row.get(k) or "") for k in spec.key)
            indicators = _supports(plan, name, row)
            for fname in EVIDENCE_FIELDS:
                for value in _values(row.get(fname)):
                    status, path = classify(root, value)
                    out.append(EvidenceRef(name, int(line), key, fname, value, status, indicators, path))
    return out


def classify(root: Path, value: str) -> tuple[str, Path | None]:
    """('file', path) | ('missing', None) | ('outside', None) | ('reference', None)."""
    if not LOOKS_LIKE_PATH.search(value):
        return "reference", None
    relative = Path(value.replace("\\", "/"))
    if relative.is_absolute() or re.match(r"^[A-Za-z]:", value):
        return "outside", None
    try:
        path = (root / relative).resolve()
    except (OSError, RuntimeError):
        return "missing", None
    if not path.is_relative_to(root):
        return "outside", None
    return ("file", path) if path.is_file() else ("missing", None)


def _values(cell) -> list[str]:
    if cell is None:
        return []
    return [part.strip() for part in SPLIT.split(str(cell)) if part.strip()]


def _supports(plan: Plan, ledger: str, row: dict) -> tuple[str, ...]:
    """The indicators whose measures on this ledger match the row's `where`; for a task's progress
    entry, the task it reports on."""
    tasks = {t.id for t in plan.tasks}
    out = [str(row.get(f) or "") for name, f in plan.task_fields if name == ledger and row.get(f) in tasks]
    for ind in plan.indicators:
        for m in ind.measures:
            if m.ledger != ledger:
                continue
            if all(str(row.get(f) or "") in ([w] if isinstance(w, str) else list(w)) for f, w in m.where.items()):
                out.append(ind.id)
                break
    return tuple(out)


def missing_evidence(plan: Plan, data) -> list[Problem]:
    """Warnings for records whose evidence names a file that is not there (or lies outside the
    project folder), for `validate`: one Problem per value, with the ledger's line."""
    ledgers = [name for name in data.tables if name in plan.ledgers] if data is not None else None
    out = []
    for ref in evidence_refs(plan, ledgers):
        if ref.status in ("missing", "outside"):
            out.append(_problem(plan, ref))
    return out


def _problem(plan: Plan, ref: EvidenceRef) -> Problem:
    code = "evidence_missing" if ref.status == "missing" else "evidence_outside"
    return Problem(display_path(plan.ledger_path(ref.ledger)), ref.line, ref.field, code, "warning",
                   {"value": ref.value, "key": ref.key})


def _raw(plan: Plan, name: str):
    """The ledger as stored (every row, with its line), or None when there is none."""
    from ipdemo.data.ledger import read_table
    from ipdemo.data.store import read_committed
    from ipdemo.errors import LedgerError

    path = plan.ledger_path(name)
    try:
        content = read_committed(path)
    except OSError:
        return None
    try:
        return read_table(path, content)
    except LedgerError:
        return None


# --- ledgers as xlsx ------------------------------------------------------------------------

def ledger_xlsx(plan: Plan, name: str, when: date, personal: bool = False, lang: str = "zh") -> bytes:
    """One ledger as a 台账 workbook: Chinese headers from the field labels, frozen header row,
    widths fitted to CJK text, numbers as numbers, dates as dates, enum codes as their first
    Chinese label (zh; import reads them back), other text verbatim (never a formula).
    Personal fields (trainees' names, phones) only with personal=True."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    spec = plan.ledgers[name]
    table = _raw(plan, name)
    columns = [f for f, fs in spec.fields.items() if personal or not fs.personal]
    records = table.arrow.select([c for c in columns if c in table.arrow.column_names]).to_pylist() \
        if table is not None and table.arrow.num_columns else []
    header = [localized(spec.fields[f].label or f, f, lang) for f in columns]
    types = [spec.fields[f].type for f in columns]
    # enum codes shown as their first Chinese label (zh); English shows the codes themselves
    labels = [{code: shown for code, words in (spec.fields[f].values or {}).items()
               if words and (shown := localized(words[0], code, lang)) != code}
              if spec.fields[f].type == "enum" else {} for f in columns]
    records = [{f: labels[c].get(row.get(f), row.get(f)) for c, f in enumerate(columns)} for row in records] \
        if any(labels) else records
    widths = [_first_line_width(h) for h in header]
    for row in records[:WIDTH_SAMPLE]:
        for c, f in enumerate(columns):
            widths[c] = max(widths[c], _first_line_width(str(row.get(f) or "")))
    book = Workbook(write_only=True)
    chunks = [records[i:i + XLSX_MAX_ROWS] for i in range(0, len(records), XLSX_MAX_ROWS)] or [[]]
    for n, chunk in enumerate(chunks):
        title = sheet_name(localized(spec.name, name, lang) + (f" ({n + 1})" if n else ""))
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        for c, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = min(60, max(8, width + 2))
        sheet.append([_header_cell(sheet, h) for h in header])
        for row in chunk:
            sheet.append([_cell(sheet, row.get(f), kind) for f, kind in zip(columns, types)])
    stamp = datetime.combine(when, time())
    book.properties.creator = "ipdemo"
    book.properties.title = spec.name
    book.properties.created = book.properties.modified = stamp
    out = io.BytesIO()
    book.save(out)
    return restamp(out.getvalue(), when)


def _header_cell(sheet, text: str):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.font = Font(bold=True)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    return cell


def _cell(sheet, value, kind: str):
    from openpyxl.cell import WriteOnlyCell

    text = _xml_safe("" if value is None else str(value))
    if text == "":
        return None
    if kind in NUMERIC_TYPES:
        number = _number(text)
        if number is not None:
            return number
    if kind == "date":
        try:
            return date.fromisoformat(text)  # a date cell, shown yyyy-mm-dd
        except ValueError:
            pass
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # verbatim: '=…' stays text, never a formula
    return cell


def _number(text: str) -> int | float | None:
    cleaned = text.replace(",", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(value) if re.fullmatch(r"-?\d+", cleaned) and abs(value) < 2 ** 53 else value


# --- the archive ----------------------------------------------------------------------------

@dataclass
class Entry:
    name: str  # path inside the zip
    data: bytes | None = None
    source: Path | None = None  # a file copied as it is

    def digest(self) -> str:
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        if self.source is None:
            raise ValueError(f"archive entry {self.name} has neither data nor a source file")
        h = hashlib.sha256()
        with open(self.source, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()


@dataclass
class Archive:
    when: date
    entries: list[Entry] = field(default_factory=list)
    manifest: list[dict[str, str]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(row["status"] == status for row in self.manifest)


def build_archive(plan: Plan, report: bytes | None, when: date, lang: str = "zh",
                  personal: bool = False) -> Archive:
    """What goes in the zip, with the manifest and the warnings (nothing written yet)."""
    arc = Archive(when)
    if report is not None:
        _add(arc, Entry(label("archive.report_file", lang), data=report), ledger="", key="", status="report")
    ledgers, evidence = label("archive.ledgers_folder", lang), label("archive.evidence_folder", lang)
    for name, spec in plan.ledgers.items():
        book = _safe(localized(spec.name, name, lang))
        _add(arc, Entry(f"{ledgers}/{book}.xlsx", data=ledger_xlsx(plan, name, when, personal, lang)),
             ledger=name, key="", status="ledger")
    root = plan.source.parent.resolve()
    copied: dict[str, str] = {}
    for ref in evidence_refs(plan):
        indicators = ";".join(ref.indicators)
        row = {"ledger": ref.ledger, "key": ref.key, "indicator": indicators, "evidence": ref.value,
               "status": ref.status, "file": "", "sha256": ""}
        if ref.status == "file" and ref.path is not None:
            folder = _folder(plan, ref, lang)
            member = f"{evidence}/{folder}/{PurePosixPath(*ref.path.relative_to(root).parts)}"
            if member not in copied:
                entry = Entry(member, source=ref.path)
                arc.entries.append(entry)
                copied[member] = entry.digest()
            row["file"], row["sha256"] = member, copied[member]
        elif ref.status in ("missing", "outside"):
            arc.warnings.append(_problem(plan, ref))
        arc.manifest.append(row)
    arc.entries.sort(key=lambda e: e.name)
    return arc


def _add(arc: Archive, entry: Entry, *, ledger: str, key: str, status: str) -> None:
    arc.entries.append(entry)
    arc.manifest.append({"file": entry.name, "sha256": entry.digest(), "ledger": ledger, "key": key,
                         "indicator": "", "evidence": "", "status": status})


def _folder(plan: Plan, ref: EvidenceRef, lang: str) -> str:
    if ref.indicators and any(ref.ledger == name for name, _ in plan.task_fields):
        task = plan.task(ref.indicators[0])
        return _safe(localized(task.ref or task.id, task.id, lang))
    if ref.indicators:
        ind = plan.indicator(ref.indicators[0])
        return _safe(localized(ind.name, ind.id, lang))
    spec = plan.ledgers[ref.ledger]
    return _safe(localized(spec.name, ref.ledger, lang))


def _safe(name: str) -> str:
    """A name usable as one folder or file name on Windows as well."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .")
    return cleaned or "_"


def manifest_csv(arc: Archive) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in arc.manifest:
        writer.writerow({k: _csv_safe(row[k]) for k in MANIFEST_FIELDS})
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")  # BOM: Excel reads it as UTF-8


def _xml_safe(text: str) -> str:
    """Characters an XLSX cannot hold (plan/text.py): an invalid ledger row may carry one (validate
    flags it); the archive's sheet shows it as \x07 or \uFFFE instead of failing."""
    return escape_xml(text)


def _first_line_width(text: str) -> int:
    return text_width(text.splitlines()[0] if text else "")


def _csv_safe(text: str) -> str:
    from ipdemo.render.grid import neutralise

    return neutralise(text)


def write_archive(arc: Archive, output: Path) -> None:
    """Write the zip atomically: a temp file beside OUT, fsync, rename over OUT."""
    output = Path(output)
    entries = sorted([*arc.entries, Entry("manifest.csv", data=manifest_csv(arc))], key=lambda e: e.name)
    folder = output.resolve().parent
    shown = display_path(output)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError("write_failed", path=shown, reason=exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w") as target:
                for entry in entries:
                    info = zip_entry(entry.name, arc.when)
                    if entry.data is not None:
                        target.writestr(info, entry.data, compresslevel=6)
                    elif entry.source is not None:
                        with open(entry.source, "rb") as src, target.open(info, "w", force_zip64=True) as dst:
                            for block in iter(lambda: src.read(1 << 20), b""):
                                dst.write(block)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, FILE_MODE)
        os.replace(temp, output)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise WriteError("write_failed", path=shown, reason=exc.strerror or str(exc)) from None
    fsync_dir(folder)
