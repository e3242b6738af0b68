"""The file readers (ipdemo.ingest.sources / ipdemo.ingest.readers): formats by content, hard limits, and
government spreadsheets as they circulate. Every fixture file is built here."""

from __future__ import annotations

import datetime as dt
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ipdemo.errors import InputFileError, UsageError
from ipdemo.ingest.sources import SkippedRow, read_source

KNOWN = {
    "申请号",
    "发明名称",
    "申请人",
    "申请日",
    "专利类型",
    "授权公告日",
    "所属区镇",
    "序号",
    "企业名称",
    "贷款金额",
    "放款日期",
    "合同编号",
    "统一社会信用代码",
    "贷款银行",
    "金额（元）",
}
HEADER = ["申请号", "发明名称", "申请人", "申请日", "专利类型", "授权公告日", "所属区镇"]


def score(cells: list[str]) -> int:
    return sum(1 for c in cells if c.strip() in KNOWN)


def read(path: Path, **options):
    return read_source(path, score, **options)


def refused(path: Path, code: str, **options) -> InputFileError:
    """Reading `path` fails with `code`, and the message names the file in both languages."""
    with pytest.raises(InputFileError) as caught:
        read(path, **options)
    assert caught.value.code == code, caught.value.render("en")
    assert path.name in caught.value.render("en") and path.name in caught.value.render("zh")
    return caught.value


def records(source) -> list[list[str]]:
    return source.frame.values.tolist()


# --- building workbooks by hand --------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
    'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S"'
    ' sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def sheet_xml(rows: str, dimension: str = "A1", prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def xlsx_from_xml(path: Path, sheet: str, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx(path: Path, rows: list[list[object]], build=None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if build:
        build(sheet)
    book.save(path)
    return path


# --- formats -------------------------------------------------------------------------------


def test_xlsx_dates_numbers_and_text_by_calamine(tmp_path):
    path = xlsx(
        tmp_path / "专利.xlsx",
        [
            HEADER,
            [202310182616, "  一种装置 ", "某公司", dt.datetime(2023, 5, 6), "发明", dt.date(2024, 1, 2), "盛泽"],
            [202320000001.0, "一种结构", "某公司", dt.datetime(2023, 5, 6, 10, 30), "实用新型", None, "平望"],
            [1.5, "=1+1", "某公司", "2023.7.18", "外观设计", "", "七都"],
        ],
    )
    source = read(path)
    assert source.format == "xlsx" and source.sheet == "Sheet" and source.encoding is None
    assert source.header == HEADER and source.header_row == 1
    assert records(source) == [
        ["202310182616", "  一种装置 ", "某公司", "2023-05-06", "发明", "2024-01-02", "盛泽"],
        ["202320000001", "一种结构", "某公司", "2023-05-06 10:30:00", "实用新型", "", "平望"],
        ["1.5", "", "某公司", "2023.7.18", "外观设计", "", "七都"],  # a formula: its cached value (none here)
    ]
    assert source.rows.tolist() == [2, 3, 4]


def test_content_decides_not_the_name(tmp_path):
    workbook = xlsx(tmp_path / "a.xlsx", [HEADER, ["202310182616", "t", "a", "2023-01-01", "发明", "", "盛泽"]])
    disguised = tmp_path / "导出.csv"
    disguised.write_bytes(workbook.read_bytes())
    assert read(disguised).format == "xlsx"
    csv_as_xls = tmp_path / "导出.xls"
    csv_as_xls.write_text(",".join(HEADER) + "\n202310182616,t,a,2023-01-01,发明,,盛泽\n", encoding="gbk")
    source = read(csv_as_xls)
    assert source.format == "csv" and source.encoding == "gb18030" and records(source)[0][1] == "t"
    csv_as_xlsx = tmp_path / "b.xlsx"
    csv_as_xlsx.write_bytes(csv_as_xls.read_bytes())
    refused(csv_as_xlsx, "workbook_is_text")


def test_real_biff_xls(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("著录项目")
    sheet.write_merge(0, 0, 0, 3, "专利检索结果")
    for col, name in enumerate(["申请号", "发明名称", "申请人", "申请日"]):
        sheet.write(1, col, name)
    sheet.write(2, 0, 202310182616.0)
    sheet.write(2, 1, "一种装置")
    sheet.write(2, 2, "某公司")
    sheet.write(2, 3, dt.date(2023, 7, 18), xlwt.easyxf(num_format_str="YYYY-MM-DD"))
    sheet.write(3, 0, "CN202320000001.5")
    path = tmp_path / "著录项目.xls"
    book.save(str(path))
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    source = read(path)
    assert source.format == "xls" and source.sheet == "著录项目"
    assert source.title_lines == ["专利检索结果"] and source.header_row == 2
    assert records(source) == [["202310182616", "一种装置", "某公司", "2023-07-18"], ["CN202320000001.5", "", "", ""]]
    assert source.rows.tolist() == [3, 4]


def test_ods_with_libreoffice_trailing_blank_area(tmp_path):
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    rows = (
        "<table:table-row>" + "".join(cell.format(h) for h in HEADER[:3]) + "</table:table-row>"
        '<table:table-row><table:table-cell office:value-type="float" office:value="202310182616"/>'
        + cell.format("一种装置")
        + cell.format("某公司")
        + "</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell '
        'table:number-columns-repeated="16384"/></table:table-row>'
    )
    path = _ods(tmp_path / "a.ods", rows)
    source = read(path)
    assert source.format == "ods" and records(source) == [["202310182616", "一种装置", "某公司"]]
    flood = _ods(
        tmp_path / "flood.ods",
        "<table:table-row>" + cell.format("申请号") + "</table:table-row>"
        '<table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="50" office:value-type="float" office:value="1"/>'
        "</table:table-row>",
    )
    refused(flood, "sheet_too_large")


def _ods(path: Path, rows: str) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
        'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="数据">{rows}</table:table></office:spreadsheet>'
        "</office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", MANIFEST)
    return path


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
    'xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
    'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
    'manifest:media-type="text/xml"/></manifest:manifest>'
)


GBK_PAGE = """<html><head><meta charset=gbk><title>导出</title></head><body>
<table><tr><td>导航</td><td>首页</td></tr></table>
<table border=1>
<tr><th colspan=7>吴江区专利申请明细（2023年）</th></tr>
<tr><th>申请号</th><th>发明名称</th><th>申请人</th><th>申请日</th><th>专利类型</th><th>授权公告日</th><th>所属区镇</th></tr>
<tr><td>202310182616.9</td><td>一种<br>光纤装置</td><td rowspan=2>苏州某某有限公司</td>\
<td>2023-01-05</td><td>发明</td><td>&nbsp;</td><td rowspan=2>盛泽</td></tr>
<tr><td>202320000001.5</td><td>一种&amp;结构</td><td>2023-02-01</td><td>实用新型</td><td>2023-08-01</td></tr>
<tr><td colspan=2>合计</td><td></td><td></td><td></td><td></td><td>2件</td></tr>
</table></body></html>"""


def test_html_saved_as_xls_in_gbk_with_colspan_title(tmp_path):
    path = tmp_path / "专利列表.xls"
    path.write_bytes(GBK_PAGE.encode("gbk"))
    source = read(path)
    assert source.format == "html" and source.encoding == "gb18030" and source.sheet is None
    assert source.title_lines == ["吴江区专利申请明细（2023年）"] and source.header == HEADER
    assert records(source) == [
        ["202310182616.9", "一种 光纤装置", "苏州某某有限公司", "2023-01-05", "发明", "", "盛泽"],
        ["202320000001.5", "一种&结构", "苏州某某有限公司", "2023-02-01", "实用新型", "2023-08-01", "盛泽"],
    ]
    assert source.rows.tolist() == [3, 4]
    assert source.skipped == [SkippedRow(5, "total", "合计 2件")]
    with pytest.raises(UsageError):
        read(path, sheet="Sheet1")


def test_html_utf8_without_meta_and_declared_gb2312(tmp_path):
    table = "<table><tr><td>申请号</td><td>发明名称</td></tr><tr><td>202310182616</td><td>一种装置</td></tr></table>"
    plain = tmp_path / "a.xls"
    plain.write_bytes(("\ufeff  \n<!DOCTYPE html>" + table).encode("utf-8"))
    assert records(read(plain)) == [["202310182616", "一种装置"]] and read(plain).encoding == "utf-8-sig"
    bare = tmp_path / "b.xls"
    bare.write_bytes(table.encode("utf-8"))
    assert read(bare).encoding == "utf-8"
    declared = tmp_path / "c.xlsx"
    declared.write_bytes(
        (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>'
            f"<body>{table}</body></html>"
        ).encode("gbk")
    )
    source = read(declared)
    assert source.encoding == "gb18030" and records(source) == [["202310182616", "一种装置"]]


def test_html_without_a_table(tmp_path):
    path = tmp_path / "页面.xls"
    path.write_text("<html><body><p>会话已过期，请重新登录</p></body></html>", encoding="utf-8")
    refused(path, "html_no_table")


# --- government spreadsheets ------------------------------------------------------------------


def test_titled_district_ledger(tmp_path):
    def merge(sheet):
        sheet.merge_cells("A1:F1")

    path = xlsx(
        tmp_path / "质押贷款台账.xlsx",
        [
            ["吴江区知识产权质押贷款统计表（2023年第三季度）"],
            ["填报单位：吴江区市场监管局  单位：万元"],
            ["序号", "企业名称", "统一社会信用代码", "贷款银行", "贷款金额", "放款日期"],
            [1, "吴江恒通光电科技有限公司", "913205096829757874", "吴江农村商业银行", 500, dt.date(2023, 7, 12)],
            [],
            [2, "苏州负责人科技有限公司", "91320509MA1MK3YW4P", "填表人银行", 300.5, dt.date(2023, 8, 1)],
            ["合  计", None, None, None, 800.5, None],
            [None, "小计", None, None, 800.5],
            ["填表人：张三  审核人：李四  联系电话：0512-63000000"],
            [None, None, None, None, "2023年10月8日"],
        ],
        merge,
    )
    source = read(path)
    assert source.title_lines == [
        "吴江区知识产权质押贷款统计表（2023年第三季度）",
        "填报单位：吴江区市场监管局  单位：万元",
    ]
    assert source.unit == "万元" and source.header_row == 3
    assert [r[1] for r in records(source)] == ["吴江恒通光电科技有限公司", "苏州负责人科技有限公司"]
    assert records(source)[1][4:] == ["300.5", "2023-08-01"]
    assert source.rows.tolist() == [4, 6]
    assert source.skipped == [
        SkippedRow(7, "total", "合  计 800.5"),
        SkippedRow(8, "total", "小计 800.5"),
        SkippedRow(9, "footer", "填表人：张三  审核人：李四  联系电话：0512-63000000"),
        SkippedRow(10, "footer", "2023年10月8日"),
    ]
    assert source.problems == []


@pytest.mark.parametrize(
    "line, unit",
    [
        ("单位:元", "元"),
        ("金额单位：万元", "万元"),
        ("（单位：万元）", "万元"),
        ("填报单位：某局", None),
        ("填报单位：吴江区市场监管局 单位：万元 2023年", "万元"),
        ("单位：吴江区某某局", None),
    ],
)
def test_unit_line(tmp_path, line, unit):
    path = tmp_path / "a.csv"
    path.write_text(f"统计表\n{line}\n申请号,发明名称\n1,x\n", encoding="utf-8")
    source = read(path)
    assert source.unit == unit and source.title_lines == ["统计表", line]


def test_footer_words_inside_records_are_data(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "序号,企业名称,申请号\n1,联系人有限公司,2023\n2,合计科技,2024\n备注：以上为初步数据,,\n", encoding="utf-8"
    )
    source = read(path)
    assert records(source) == [["1", "联系人有限公司", "2023"], ["2", "合计科技", "2024"]]
    assert source.skipped == [SkippedRow(4, "note", "备注：以上为初步数据")]


# --- limits: nothing a file says makes us allocate without bound --------------------------------


def test_lying_dimension_tag(tmp_path):
    rows = "".join(
        f'<row r="{i}">{text_cell(f"A{i}", "申请号" if i == 1 else f"v{i}")}<c r="B{i}"><v>{i}</v></c></row>'
        for i in range(1, 102)
    )
    path = xlsx_from_xml(tmp_path / "a.xlsx", sheet_xml(rows, dimension="A1:G2"))
    source = read(path)
    assert len(source.frame) == 100 and source.rows.tolist() == list(range(2, 102))
    assert records(source)[-1] == ["v101", "101"]


def test_format_on_the_last_cell_of_the_sheet(tmp_path):
    def far_format(sheet):
        sheet["XFD1048576"].number_format = "0.00"

    path = xlsx(tmp_path / "a.xlsx", [HEADER[:2], ["202310182616", "一种装置"]], far_format)
    assert b"XFD1048576" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    source = read(path)
    assert records(source) == [["202310182616", "一种装置"]]


def _read_in_child(path: Path) -> str:
    """Read in a child limited to 2 GiB of address space: a regression aborts the child, not pytest."""
    code = (
        "import resource, sys; from pathlib import Path; from ipdemo.ingest.sources import read_source\n"
        "from ipdemo.errors import IpdemoError\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "try:\n    read_source(Path(sys.argv[1]), lambda cells: 0); print('read')\n"
        "except IpdemoError as exc:\n    print(exc.code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


FAR_CELLS = {
    # values at both ends of the sheet: calamine would allocate 16384 x 1048576 cells (512 GiB)
    "XFD1048576": ('</row><row r="1048576"><c r="XFD1048576"><v>1</v></c>', "too_many_columns", "line 1048576"),
    "O1048576": ('</row><row r="1048576"><c r="O1048576"><v>1</v></c>', "sheet_too_large", "1,048,576 rows × 15"),
    "ALN1": ('<c r="ALN1"><v>1</v></c>', "too_many_columns", "line 1 has more than 1000 columns"),
    "A99999999": ('</row><row r="99999999"><c r="A99999999"><v>1</v></c>', "too_many_rows", "2,000,000 rows"),
    # written unusually: whitespace, single quotes, a namespace prefix, no reference at all
    "whitespace": ("</row><row r='1048576'><c\n r = 'AA1048576'><v>1</v></c>", "sheet_too_large", "× 27 columns"),
    "prefix": ('<x:c xmlns:x="urn:x" r="XFD1"><x:v>1</x:v></x:c>', "too_many_columns", "line 1 "),
    "no r": ('</row><row r="1048576">' + "<c><v>1</v></c>" * 20, "sheet_too_large", "rows"),
    "odd r": ('<c r="$B$1"><v>1</v></c>', "workbook_bad_cells", "cell references"),
}


@pytest.mark.parametrize("case", list(FAR_CELLS))
def test_far_cells_are_refused_before_calamine_allocates(tmp_path, case):
    cells, code, text = FAR_CELLS[case]
    path = xlsx_from_xml(tmp_path / "far.xlsx", sheet_xml(f'<row r="1">{text_cell("A1", "申请号")}{cells}</row>'))
    assert _read_in_child(path) == code
    assert text in refused(path, code).render("en")


def test_a_sheet_wherever_the_relationships_put_it(tmp_path):
    path = tmp_path / "moved.xlsx"
    far = sheet_xml(
        f'<row r="1">{text_cell("A1", "申请号")}</row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.replace("worksheets/sheet1.xml", "../media/x.png"))
        archive.writestr("media/x.png", far)
    assert _read_in_child(path) == "too_many_columns"


def test_unusual_but_harmless_cell_tags_are_read(tmp_path):
    rows = (
        "<row r='1'>" + text_cell("A1", "申请号") + "<c\tr='B1' t=\"inlineStr\"><is><t>发明名称</t></is></c></row>"
        '<row r="2"><c t="inlineStr"><is><t>x</t></is></c><c s="0" r="B2"><v>2</v></c></row>'
    )
    source = read(xlsx_from_xml(tmp_path / "a.xlsx", sheet_xml(rows)))
    assert source.header == ["申请号", "发明名称"] and records(source) == [["x", "2"]]


def test_declared_size_of_a_zip_bomb(tmp_path):
    path = xlsx_from_xml(tmp_path / "bomb.xlsx", sheet_xml(text_cell("A1", "申请号")))
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, 3 << 30)  # "uncompressed size: 3 GiB"
    path.write_bytes(bytes(data))
    error = refused(path, "workbook_too_large")
    assert "3,072 MiB" in error.render("en")


def test_compression_ratio_of_a_zip_bomb(tmp_path):
    filler = "<!-- " + "x" * (20 << 20) + " -->"
    path = xlsx_from_xml(tmp_path / "ratio.xlsx", sheet_xml(text_cell("A1", "申请号"), prolog=filler))
    error = refused(path, "workbook_bomb")
    assert "xl/worksheets/sheet1.xml" in error.render("en")


def test_member_bigger_than_it_declares(tmp_path):
    rows = "".join(f'<row r="{i}">{text_cell(f"A{i}", "申请号")}</row>' for i in range(1, 2000))
    path = xlsx_from_xml(tmp_path / "liar.xlsx", sheet_xml(rows))
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for magic, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = data.index(magic)
        while data[at + name_at : at + name_at + len(name)] != name:
            at = data.index(magic, at + 4)
        struct.pack_into("<I", data, at + size_at, 100)  # claims 100 bytes
    path.write_bytes(bytes(data))
    refused(path, "bad_xlsx")


def test_dtd_with_entity_expansion(tmp_path):
    entities = (
        '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + "]>"
    )
    path = xlsx_from_xml(tmp_path / "lol.xlsx", sheet_xml(text_cell("A1", "&i;"), prolog=entities))
    refused(path, "workbook_dtd")
    page = tmp_path / "lol.xls"
    page.write_text(
        entities.replace("worksheet", "html") + "<table><tr><td>申请号</td></tr><tr><td>&i;</td></tr></table>",
        encoding="utf-8",
    )
    assert records(read(page)) == [["&i;"]]  # lxml's HTML parser never expands them


def test_truncated_and_corrupt_workbooks(tmp_path):
    whole = xlsx(tmp_path / "whole.xlsx", [HEADER, ["202310182616"] * 7]).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    refused(cut, "workbook_truncated")
    ole = tmp_path / "broken.xls"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    refused(ole, "bad_xlsx")
    xlsb = tmp_path / "a.xlsb"
    with zipfile.ZipFile(xlsb, "w") as archive:
        archive.writestr("xl/workbook.bin", b"\x00")
    refused(xlsb, "unsupported_format")


def test_too_many_columns_in_html(tmp_path):
    path = tmp_path / "wide.xls"
    path.write_text("<table><tr><td>申请号</td><td colspan=5000>x</td></tr></table>", encoding="utf-8")
    refused(path, "too_many_columns")


def test_cli_import_of_a_titled_ledger_skips_totals_and_footer(invoke, tmp_path):
    from .conftest import VALID_ROWS, make_project

    proj = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    path = xlsx(
        proj / "贷款.xlsx",
        [
            ["2023年吴江区知识产权质押贷款台账"],
            ["填报单位：吴江区市场监管局  单位：元"],
            ["合同编号", "企业名称", "统一社会信用代码", "所属区镇", "贷款银行", "金额（元）", "放款日期"],
            ["HT-1", "某公司", "91320509MA1MK3YW4P", "七都", "某银行", 5000000, dt.datetime(2023, 5, 6)],
            ["合计", None, None, None, None, 5000000, None],
            ["填表人：张三", None, None, "联系电话：0512-63000000"],
        ],
    )
    result = invoke(["import", str(path), "--format", "json"], cwd=proj)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["added"] == 1
