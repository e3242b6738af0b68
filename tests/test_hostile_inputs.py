"""Hostile inputs that used to exhaust memory or be read as something else (issue 22, items 6 and 9).

Every file ipdemo reads is read piece by piece under caps (src/ipdemo/data/capped.py): a file
given to import, a pipe, /dev/zero, a file growing under us, a ledger. Each case here: exit 1, a
message naming the file (and the line, sheet or cell where there is one) and the cap, no
traceback, nothing changed, and — for the large ones, run in a child process — a bound on the
child's peak memory. An xlsx shared-string reference that is not an index into the shared
strings is an error naming file, sheet and cell, never silently string 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import VALID_ROWS, make_project, snapshot

HEADER = "申请号,发明名称,申请人,申请日,专利类型,授权公告日,所属区镇,备注\n"
ROW = "202410182616.9,一种装置,某公司,2024-01-05,发明,,平望,{note}\n"
RSS_BOUND_MB = 400  # a small import's child peaks near 150 MB; a 256 MB line took 2.4 GB before


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float  # the child's own peak resident memory


# Runs ipdemo and writes the child's peak RSS (KiB) to argv[1]. The measuring is done here, in a
# small process: a child forked from pytest would count pytest's own memory (Linux keeps the
# peak of the image exec replaced). The data limit is inherited by ipdemo.
WRAPPER = """
import resource, subprocess, sys
resource.setrlimit(resource.RLIMIT_DATA, (4 << 30, 4 << 30))
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as fh:
    fh.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def run_cli(args: list[str], cwd: Path, timeout: float = 120) -> Run:
    """ipdemo in a child process, with its own peak RSS. Its data segment is limited (4 GiB) and it
    is killed after `timeout`, so a regression fails the test instead of the machine."""
    with tempfile.TemporaryDirectory() as folder:
        peak = Path(folder) / "peak"
        child = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, str(peak), sys.executable, "-m", "ipdemo", *args, "--lang", "en"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "IPDEMO_LOCK_TIMEOUT": "10"},
        )
        try:
            out, err = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            out, err = child.communicate()
        kib = int(peak.read_text()) if peak.exists() else 0
        return Run(child.returncode, out.decode(), err.decode(), kib / 1024)


def refused(run: Run, *expected: str) -> None:
    assert run.returncode == 1, (run.returncode, run.stdout[-500:], run.stderr[-2000:])
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    for text in expected:
        assert text in run.stderr + run.stdout, (text, run.stderr[-2000:], run.stdout[-2000:])


@pytest.fixture
def proj(tmp_path):
    return make_project(tmp_path / "p", {k: [v] for k, v in VALID_ROWS.items()})


def feed_fifo(path: Path, head: bytes, body: bytes, repeat: int) -> threading.Thread:
    """A FIFO at `path` fed `head` then `body` `repeat` times (the reader may stop early)."""
    os.mkfifo(path)

    def write() -> None:
        try:
            with open(path, "wb") as fh:
                fh.write(head)
                for _ in range(repeat):
                    fh.write(body)
        except (BrokenPipeError, OSError):
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def unblock(path: Path, thread: threading.Thread) -> None:
    """A writer still blocked on a FIFO nobody reads: open it for reading once, so it ends."""
    if thread.is_alive():
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
    thread.join(5)


# --- CSV: one line, one field, the whole file ---------------------------------------------


def test_a_huge_line_through_a_fifo_stops_at_the_line_cap(proj):
    """The issue's case scaled down: a header and one 256 MB line through a FIFO (2.4 GB and
    11 s before; the 2 GB line of the issue took 8.1 GB)."""
    before = snapshot(proj / "data")
    fifo = proj / "big.csv"
    thread = feed_fifo(fifo, HEADER.encode(), b"x" * (1 << 20), 256)
    run = run_cli(["import", "big.csv"], proj)
    unblock(fifo, thread)
    refused(run, "big.csv", "line 2", "16 MiB")
    assert run.peak_mb < RSS_BOUND_MB, run.peak_mb
    assert snapshot(proj / "data") == before


def test_dev_zero_is_refused_from_its_first_bytes(proj):
    run = run_cli(["import", "/dev/zero"], proj, timeout=60)
    refused(run, "/dev/zero", "not a text CSV")
    assert run.peak_mb < RSS_BOUND_MB, run.peak_mb


def test_an_endless_stream_of_short_lines_stops_at_the_total_cap(proj, invoke, monkeypatch):
    """Lines that each pass the line cap, without end: the total cap stops them (lowered here to
    4 MiB so the test reads little; the shipped cap is readers.MAX_INPUT_BYTES)."""
    from ipdemo.ingest import readers

    monkeypatch.setattr(readers, "MAX_INPUT_BYTES", 4 << 20)
    fifo = proj / "endless.csv"
    thread = feed_fifo(fifo, HEADER.encode(), ROW.format(note="n").encode() * 1000, 10**9)
    result = invoke(["import", "endless.csv", "--lang", "en"], proj)
    unblock(fifo, thread)
    assert result.exit_code == 1
    assert "endless.csv" in result.stderr and "over the limit of 4 MiB" in result.stderr


def test_a_file_growing_while_it_is_read_is_capped(tmp_path, monkeypatch):
    """The size seen when the file is opened is not trusted: a file that grew (here: fstat reports
    less than there is) is read on in pieces, and the cap still holds."""
    from ipdemo.data import capped
    from ipdemo.data.capped import FileTooLarge, Limits, read_capped

    path = tmp_path / "growing.csv"
    path.write_bytes(b"a,b\n" * (3 << 20))  # 12 MiB
    real = os.fstat

    def shrunk(fd: int) -> os.stat_result:
        st = real(fd)
        return os.stat_result(
            (
                st.st_mode,
                st.st_ino,
                st.st_dev,
                st.st_nlink,
                st.st_uid,
                st.st_gid,
                1 << 20,
                st.st_atime,
                st.st_mtime,
                st.st_ctime,
            )
        )

    monkeypatch.setattr(capped.os, "fstat", shrunk)
    with pytest.raises(FileTooLarge) as caught:
        read_capped(path, Limits(8 << 20, 1 << 20))
    assert caught.value.limit == 8 << 20 and caught.value.line is None
    assert read_capped(path, Limits(16 << 20, 1 << 20)) == path.read_bytes()  # under the cap: all of it


def test_a_field_over_the_cap_in_short_lines(proj):
    """A quoted field of 2 million characters broken by newlines (every line short): refused with
    the line, where the old 64 MiB field limit let it in."""
    field = "长文本\n" * 500_000
    (proj / "a.csv").write_text(HEADER + ROW.format(note=f'"{field}"'), encoding="utf-8")
    before = snapshot(proj / "data")
    run = run_cli(["import", "a.csv"], proj)
    refused(run, "a.csv line ", "has a field over the limit of 1,048,576 characters")
    assert snapshot(proj / "data") == before


def test_a_csv_of_empty_cells_stops_at_the_cell_cap(proj):
    """Lines of 999 commas each pass the line and width caps, but 15,015 of them are 15 million
    cells (a byte a cell, 8 bytes a cell in memory): the parse stops at MAX_CELLS."""
    (proj / "a.csv").write_bytes(HEADER.encode() + (b"," * 999 + b"\n") * 15_015)
    run = run_cli(["import", "a.csv"], proj)
    refused(run, "a.csv", "passes the cell limit (15,000,000)")
    assert run.peak_mb < RSS_BOUND_MB + 200, run.peak_mb


def test_a_long_field_under_the_cap_imports(proj):
    """The caps leave room: a 500,000-character note (a patent's claims pasted whole) in a column
    the ledger does not use imports as before."""
    (proj / "a.csv").write_text(HEADER + ROW.format(note="权" * 500_000), encoding="utf-8")
    run = run_cli(["import", "a.csv"], proj)
    assert run.returncode == 0, run.stderr[-2000:]


# --- workbooks and web pages ---------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="专利明细" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
CELLS = [
    "申请号",
    "发明名称",
    "申请人",
    "申请日",
    "专利类型",
    "授权公告日",
    "所属区镇",
    "备注",
    "202410182616.9",
    "一种装置",
    "某公司",
    "2024-01-05",
    "发明",
    "",
    "平望",
    "无",
]


def shared_strings_xlsx(path: Path, title_ref: str = "9", strings: list[str] = CELLS) -> Path:
    """An xlsx as Excel writes it: every text a shared string; the title cell (B2) refers to `title_ref`."""

    def row(number: int, refs: list[str]) -> str:
        return (
            f'<row r="{number}">'
            + "".join(f'<c r="{chr(65 + i)}{number}" t="s"><v>{ref}</v></c>' for i, ref in enumerate(refs))
            + "</row>"
        )

    second = [str(i) for i in range(8, 16)]
    second[1] = title_ref
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main"><sheetData>{row(1, [str(i) for i in range(8)])}{row(2, second)}</sheetData></worksheet>'
    )
    table = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        f'main" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{s}</t></si>" if s else "<si/>" for s in strings)
        + "</sst>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", table)
    return path


@pytest.mark.parametrize("reference", ["abc", "1" + "0" * 30, "-1", " 9", "9.0", "16", "99999999999"])
def test_a_malformed_shared_string_reference_names_sheet_and_cell(proj, reference):
    """calamine reads `abc`, 10^30, -1, ` 9`, `9.0` as string 0 (the title became 申请号, exit 0); an
    index past the table was an error without the cell."""
    shared_strings_xlsx(proj / "a.xlsx", reference)
    before = snapshot(proj / "data")
    run = run_cli(["import", "a.xlsx"], proj)
    refused(run, "a.xlsx", "cell B2 of sheet 专利明细", f"shared string {reference!r}", "has 16")
    assert snapshot(proj / "data") == before


@pytest.mark.parametrize("reference", ["9", "009", "15"])
def test_good_shared_string_references_are_read(proj, reference):
    shared_strings_xlsx(proj / "a.xlsx", reference)
    run = run_cli(["import", "a.xlsx", "--dry-run"], proj)
    assert run.returncode == 0, run.stderr[-2000:]


def test_a_shared_string_reference_in_chinese(proj):
    shared_strings_xlsx(proj / "a.xlsx", "abc")
    result = subprocess.run(
        [sys.executable, "-m", "ipdemo", "import", "a.xlsx"], cwd=proj, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "工作表 专利明细 的单元格 B2 引用了不存在的共享字符串 'abc'（工作簿共有 16 个）" in result.stderr


def straddling_xlsx(cell: str, cut_after: str) -> bytes:
    """A workbook whose sheet XML is read in two pieces (readers.SCAN_CHUNK), `cell` cut by the
    boundary right after its text `cut_after`; every other cell a good shared-string reference."""
    from ipdemo.ingest.readers import SCAN_CHUNK

    rows = [
        f'<row r="{r}"><c r="A{r}" t="s"><v>{r % 16}</v></c><c r="B{r}"><v>{r * 7919}</v></c></row>'
        for r in range(1, SCAN_CHUNK // 100)
    ]
    head = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main"><sheetData>' + "".join(rows)
    ).encode()
    start = SCAN_CHUNK - len(cut_after.encode())
    assert start > len(head)
    sheet = (
        head + b" " * (start - len(head)) + f'<row r="{SCAN_CHUNK}">{cell}</row>'.encode() + b"</sheetData></worksheet>"
    )
    path = shared_strings_xlsx(Path(tempfile.mkdtemp()) / "a.xlsx")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/worksheets/sheet1.xml"] = sheet
    out = Path(tempfile.mkdtemp()) / "b.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.read_bytes()


def test_a_cell_cut_by_the_scan_pieces_is_judged_whole():
    """The pre-scan reads sheet XML in 16 MiB pieces: a cell cut by a boundary is carried over,
    so a good reference cut after <v> is not taken for an empty one, and a bad one cut before
    its <v> is still found."""
    from ipdemo.errors import InputFileError
    from ipdemo.ingest.readers import check_xlsx_extent

    good = '<c r="A1" t="s"><v>3</v></c>'.replace("A1", "C9")
    check_xlsx_extent(straddling_xlsx(good, '<c r="C9" t="s"><v>'), "good.xlsx")
    bad = '<c r="C9" t="s"><v>abc</v></c>'
    with pytest.raises(InputFileError) as caught:
        check_xlsx_extent(straddling_xlsx(bad, '<c r="C9" t="s">'), "bad.xlsx")
    assert caught.value.code == "workbook_bad_shared_string" and caught.value.params["cell"] == "C9"


def test_a_huge_cell_in_a_workbook_is_refused_before_calamine(proj):
    """A 9 MiB shared string (incompressible enough to pass the zip-bomb ratio) in a column the
    ledger does not use: imported before, whole; now refused by the pre-scan."""
    strings = [*CELLS[:-1], os.urandom(9 << 19).hex()]
    shared_strings_xlsx(proj / "a.xlsx", strings=strings)
    run = run_cli(["import", "a.xlsx"], proj)
    refused(run, "a.xlsx", "a text over the limit of 8 MiB")


def test_a_huge_inline_cell_in_a_workbook(proj):
    """The same text written in the sheet itself (t="inlineStr"; openpyxl would cut it at Excel's 32,767)."""
    path = shared_strings_xlsx(proj / "a.xlsx")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    huge = f'<c r="H2" t="inlineStr"><is><t>{os.urandom(9 << 19).hex()}</t></is></c>'.encode()
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(
        b'<c r="H2" t="s"><v>15</v></c>', huge
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    run = run_cli(["import", "a.xlsx"], proj)
    refused(run, "a.xlsx", "a text over the limit of 8 MiB")


def test_a_huge_cell_in_an_ods(proj):
    def row(cells: list[str]) -> str:
        return (
            "<table:table-row>"
            + "".join(
                f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>' for c in cells
            )
            + "</table:table-row>"
        )

    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
        'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="数据">{row(CELLS[:8])}'
        f"{row([*CELLS[8:15], os.urandom(9 << 19).hex()])}</table:table></office:spreadsheet>"
        "</office:body></office:document-content>"
    )
    with zipfile.ZipFile(proj / "a.ods", "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    run = run_cli(["import", "a.ods"], proj)
    refused(run, "a.ods", "a text over the limit of 8 MiB")


def test_a_huge_cell_in_a_web_page(proj):
    header = "".join(f"<th>{c}</th>" for c in CELLS[:8])
    cells = "".join(f"<td>{c}</td>" for c in CELLS[8:15])
    page = (
        f"<html><head><meta charset=utf-8></head><body><table><tr>{header}</tr>"
        f"<tr>{cells}<td>{'长' * 1_100_000}</td></tr></table></body></html>"
    )
    (proj / "a.xls").write_text(page, encoding="utf-8")
    run = run_cli(["import", "a.xls"], proj)
    refused(run, "a.xls", "row 2 of the web-page table has a cell over the limit of 1,048,576 characters")


# --- ledgers ------------------------------------------------------------------------------


def test_a_ledger_that_is_dev_zero(proj):
    """data/patents.csv pointing at /dev/zero: validate and report used to read without end."""
    ledger = proj / "data" / "patents.csv"
    ledger.unlink()
    ledger.symlink_to("/dev/zero")
    for command in (["validate"], ["report", "--strict"]):
        run = run_cli(command, proj, timeout=60)
        refused(run, "data/patents.csv")
        assert "over the limit of 16 MiB" in run.stderr + run.stdout, run.stderr[-2000:]
        assert run.peak_mb < RSS_BOUND_MB, (command, run.peak_mb)


def test_a_ledger_with_a_huge_line(proj):
    """One 40 MB line in a ledger: refused naming file, line and cap (the exact reader's csv.Error
    was a traceback before)."""
    ledger = proj / "data" / "patents.csv"
    with open(ledger, "ab") as fh:
        fh.write(b"x" * (40 << 20) + b"\n")
    run = run_cli(["validate"], proj)
    refused(run, "data/patents.csv", "line 3 is over the limit of 16 MiB")


def test_a_ledger_with_a_ragged_row_and_a_long_field(proj):
    """A ragged row sends the ledger to the exact reader: a 200,000-character value there (over
    Python's default field limit, under ipdemo's) is read and reported as too long, never a
    traceback; a value over ipdemo's field limit is an error naming the line."""
    ledger = proj / "data" / "patents.csv"
    good = ledger.read_text(encoding="utf-8-sig").splitlines()[1]
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write("a,b\n")  # ragged
        fh.write(
            good.replace("一种光纤预制棒的制备方法", "题" * 200_000).replace("202110182616.5", "202110182617.X") + "\n"
        )
    run = run_cli(["validate"], proj)
    refused(run, "data/patents.csv:3", "data/patents.csv:4")
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write(f'202110182618.3,"{"长" * 1_100_000}",x,,,,,,,\n')
    run = run_cli(["validate"], proj)
    refused(run, "data/patents.csv", "line 5 has a field over the limit of 1,048,576 characters")


def test_limits_are_what_the_docs_say():
    """docs/reliability.md states these values: keep them in step."""
    from ipdemo.data.capped import MAX_FIELD_CHARS, MAX_LINE_BYTES
    from ipdemo.data.ledger import MAX_LEDGER_BYTES
    from ipdemo.ingest.readers import MAX_HTML_BYTES, MAX_INPUT_BYTES, MAX_XML_TEXT

    docs = (Path(__file__).resolve().parent.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    section = docs.split("## Input size caps", 1)[1].split("\n## ", 1)[0]
    for name, value in {
        "MAX_INPUT_BYTES": MAX_INPUT_BYTES,
        "MAX_HTML_BYTES": MAX_HTML_BYTES,
        "MAX_LINE_BYTES": MAX_LINE_BYTES,
        "MAX_FIELD_CHARS": MAX_FIELD_CHARS,
        "MAX_XML_TEXT": MAX_XML_TEXT,
        "MAX_LEDGER_BYTES": MAX_LEDGER_BYTES,
    }.items():
        shown = f"{value:,}" if name == "MAX_FIELD_CHARS" else capped_size(value)
        assert f"`{name}`" in section and shown in section, (name, shown)


def capped_size(value: int) -> str:
    return f"{value >> 30} GiB" if value >= 1 << 30 else f"{value >> 20} MiB"
