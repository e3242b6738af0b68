"""One translation layer (issue 16): every user-visible word lives in src/ipdemo/i18n.py.

- every message and label has a non-empty Chinese and English text, both with the same
  {placeholders} (the few that differ on purpose are listed with the reason);
- every code or key the source names exists (a typo would be a KeyError in front of a user), and
  every value the engine hands a renderer (statuses, kinds, task statuses, …) has its label;
- no string literal in src/ipdemo outside i18n.py holds Chinese words, except data: regular
  expressions that read exports (recognised by their syntax), and what is listed below with the
  reason (headers ipdemo recognises, words that read exports, font names, …);
- renderers, delivery and the CLI never compare the language for wording; the few comparisons
  left choose layout (fonts, bold, indents) and are listed with the reason.
"""

from __future__ import annotations

import ast
import re
import string
import typing
from pathlib import Path

import pytest

from ipdemo import i18n
from ipdemo.i18n import COUNTED, LABELS, MESSAGES, Term, label, localized, message, numeral, sentences

SRC = Path(__file__).resolve().parent.parent / "src" / "ipdemo"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")  # Chinese characters

# English texts that use other placeholders than the Chinese one, on purpose.
PLACEHOLDER_EXCEPTIONS = {
    "docx.office": "the English default says 'the district IP office' (its whole_word_en): the region is the plan's "
    "Chinese name",
    "docx.chart_burnup_title": "a small chart of four: the English title has no room for the unit",
    "chart.annual_title": "the English title says 'per year' instead of the unit per year",
    "cnipa_type_mismatch": "the Chinese text names patent types by the plan's Chinese labels (发明), the English "
    "one by their canonical values (invention)",
}

# Files that are data, not messages: every Chinese literal in them is allowed.
DATA_FILES = {
    "sample.py": "the synthetic data generator: Chinese company names, titles and addresses are its data",
    "ingest/placement.py": "address words, districts and countries that place a record by its address",
}
# Module-level names whose value is data.
DATA_NAMES = {
    ("render/docx.py", "FONTS"): "font names (方正小标宋简体, 仿宋_GB2312) of GB/T 9704",
    ("render/docx.py", "CJK_PROBE"): "characters a font must cover to draw Chinese charts",
    ("render/docx.py", "TITLE_BREAKS"): "words after which a Chinese title may break a line",
    ("plan/model.py", "PLAN_WORDS"): "the words a Chinese plan's name ends in (规划, 计划, 方案): its short name",
    ("plan/model.py", "ROW_COUNTERS"): "headers that number rows (序号), never a key",
    ("ingest/provenance.py", "TITLE_DATE_WORDS"): "the words before an export's date in a title line (导出, 截至)",
    ("ingest/provenance.py", "PERIODS"): "how file names and titles spell dates and periods (2023年第四季度, 上半年)",
    ("ingest/provenance.py", "QUARTER_NUMERALS"): "the numerals of quarters in titles (第四季度)",
    ("ingest/sources.py", "_MARK_INITIALS"): "first characters of the totals and footer rows of exports (合计, 填表人)",
}
# Single literals that are data, by file and value.
DATA_LITERALS = {
    ("plan/model.py", "区镇"): "the default of plan.area_word: the plan's own word for its areas",
    ("plan/model.py", "全区"): "the default of plan.whole_word: the plan's own word for its whole",
    ("plan/model.py", "个"): "the default unit of an indicator (the plan's data)",
    ("checks/field_checks.py", "万元"): "a unit name of the plan (万元) that also reads amounts written with 万",
    ("checks/field_checks.py", "万"): "an amount's unit as exports write it (5万)",
    ("ingest/importer.py", "列"): "header of an unnamed column in the .rejected/.unplaced file beside an import",
    ("ingest/incoming.py", "原行号"): "a column of the .rejected/.unplaced files, recognised when they come back",
    ("ingest/incoming.py", "原因"): "a column of the .rejected/.unplaced files, recognised when they come back",
}
# A regular expression that reads exports (\d, \s, \w, (?:, (?P<, lookarounds): data, never prose.
PATTERN = re.compile(r"\\[dsSwWb]|\(\?[:=!<P]")
# The allow-lists above may name files that others own and move; only entries in the files of the
# translation layer are checked for staleness (test_data_allow_lists_are_still_needed).
LAYER_FILES = ("render/", "deliver/", "cli.py", "project.py", "plan/")

# Comparisons with the language that choose layout, not words: (file, function) → why.
LAYOUT_LANG_CHECKS = {
    ("render/docx.py", "_setup"): "Heading 1 is bold in English (Chinese headings use 黑体)",
    ("render/docx.py", "_para"): "a lead-in run is 楷体 in Chinese, bold in English",
    ("render/docx.py", "_title"): "the title is bold in English",
    ("render/docx.py", "title_lines"): "only a Chinese title is split at a word boundary (GB/T 9704: 回行时词意完整)",
    ("render/docx.py", "_heading"): "a Chinese heading is indented two characters; an English one is bold",
    ("render/docx.py", "_table"): "the header row is bold in English",
    ("render/docx.py", "chart_font"): "only Chinese charts need a CJK font (English ones draw without one)",
}
LANG_CHECKED = ("render", "deliver", "cli.py")  # where no comparison with the language may choose words


def placeholders(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def conversions(template: str) -> set[str]:
    return {conv for _, name, _, conv in string.Formatter().parse(template) if name is not None and conv}


TABLES = {"MESSAGES": MESSAGES, "LABELS": LABELS, "COUNTED": COUNTED}


@pytest.mark.parametrize("table", list(TABLES))
def test_every_key_has_both_languages(table):
    empty = [key for key, (zh, en) in TABLES[table].items() if not zh.strip() or not en.strip()]
    assert not empty, f"{table}: keys without a Chinese or English text: {empty}"


@pytest.mark.parametrize("table", ["MESSAGES", "LABELS"])
def test_both_languages_use_the_same_placeholders(table):
    wrong = {
        key: (sorted(placeholders(zh)), sorted(placeholders(en)))
        for key, (zh, en) in TABLES[table].items()
        if placeholders(zh) != placeholders(en) and key not in PLACEHOLDER_EXCEPTIONS
    }
    assert not wrong, f"{table}: zh and en use different placeholders: {wrong}"
    for key, (zh, en) in TABLES[table].items():  # only str.format's conversions, and !c !p (i18n._Formatter)
        assert conversions(zh) | conversions(en) <= {"r", "s", "a", "c", "p"}, key


def test_placeholder_exceptions_are_still_needed():
    for key in PLACEHOLDER_EXCEPTIONS:
        zh, en = LABELS[key] if key in LABELS else MESSAGES[key]
        assert placeholders(en) != placeholders(zh), key


def test_lookups():
    assert message("bad_number", "zh", value="x") == "'x' 不是数字"
    assert message("bad_number", "en", value="x") == "'x' is not a number"
    assert message("area_unassigned_column", "en", area="county") == "County unassigned"  # {area!c}
    assert message("area_unassigned_column", "zh", area="县（市、区）") == "未划分县（市、区）"
    assert (
        message("robot_refused", "zh", robot=Term("robot.wecom"), errcode=1, reason="x", url="u")
        == "企业微信机器人拒绝了消息：错误码 1，x（地址 u）"
    )
    assert (
        message("plan_wrong_type", "en", where="a", expected=Term("plan_type.one_of", allowed="x, y"), value=1)
        == "a: should be one of x, y, not 1"
    )
    assert label("docx.date", "zh", y=2023, m=6, d=3) == "2023年6月3日"
    assert label("docx.date", "en", y=2023, m=6, d=3) == "2023-06-03"
    assert localized("专利", "Patents", "en") == "Patents" and localized("专利", "", "en") == "专利"
    assert localized("专利", "Patents", "zh") == "专利"
    assert sentences(["一。", "二。"], "zh") == "一。二。" and sentences(["One.", "Two."], "en") == "One. Two."
    assert numeral(3, "zh") == "三" and numeral(11, "zh") == "11" and numeral(3, "en") == "3"


# --- the source names only codes and keys that exist --------------------------------------------


def modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(SRC).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SRC.rglob("*.py"))
    ]


ERRORS = {
    "IpdemoError",
    "PlanError",
    "LedgerError",
    "InputFileError",
    "RowsRejected",
    "LockTimeout",
    "WriteError",
    "UsageError",
    "NotifyError",
}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def wrappers(tree: ast.AST) -> dict[str, tuple[str, str]]:
    """Local shorthands such as `def t(key, **params): return label(f"docx.{key}", lang, **params)`:
    name → (the lookup they call, the key prefix they add)."""
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or not node.args.args:
            continue
        for inner in ast.walk(node):
            if not (isinstance(inner, ast.Return) and isinstance(inner.value, ast.Call) and inner.value.args):
                continue
            call, first = inner.value, inner.value.args[0]
            if (
                _name(call.func) in ("label", "message")
                and isinstance(first, ast.JoinedStr)
                and len(first.values) == 2
                and isinstance(first.values[0], ast.Constant)
                and isinstance(first.values[1], ast.FormattedValue)
                and isinstance(first.values[1].value, ast.Name)
                and first.values[1].value.id == node.args.args[0].arg
            ):
                found[node.name] = (_name(call.func), first.values[0].value)
    return found


def named_keys(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, table, key) for every constant code or label key a call names, also through wrappers."""
    shorthands = wrappers(tree)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name, first = _name(node.func), node.args[0]
        code, prefix = None, ""
        function = isinstance(node.func, ast.Name)  # message(…), not a Problem's .message("zh")
        if function and name in shorthands:
            lookup, prefix = shorthands[name]
            code, name = first, lookup
        elif function and name in ("message", "label", "Term") or name in ERRORS:
            code = first
        elif name == "Problem" and len(node.args) >= 4:
            code = node.args[3]
        if isinstance(code, ast.Constant) and isinstance(code.value, str):
            out.append((node.lineno, "labels" if name in ("label", "Term") else "messages", prefix + code.value))
    return out


def test_every_code_and_key_named_in_the_source_exists():
    missing = []
    for rel, tree in modules():
        for line, table, key in named_keys(tree):
            if key not in (LABELS if table == "labels" else MESSAGES):
                missing.append(f"{rel}:{line}: {key}")
    assert not missing, "codes or label keys that i18n does not have:\n" + "\n".join(missing)


def test_keys_named_through_a_shorthand_are_checked_too():
    """The check above can fail for a misspelt key given to a local shorthand."""
    tree = ast.parse(
        "def render(lang):\n"
        "    def t(key, **params):\n"
        "        return label(f'docx.{key}', lang, **params)\n"
        "    return t('heading_basik')\n"
    )
    assert named_keys(tree) == [(4, "labels", "docx.heading_basik")]
    assert "docx.heading_basik" not in LABELS
    shipped = [ast.parse((SRC / "render" / name).read_text(encoding="utf-8")) for name in ("docx.py", "docx_text.py")]
    assert sum(key.startswith("docx.") for tree in shipped for _, _, key in named_keys(tree)) > 40  # t(...) calls


def test_every_value_shown_by_name_has_a_label():
    """Renderers build these keys from engine values (status.<status>, kind.<kind>, …)."""
    from ipdemo.deliver.notify import ROBOTS
    from ipdemo.engine.progress import RANK
    from ipdemo.engine.tasks import STATUSES
    from ipdemo.plan.model import Kind
    from ipdemo.render.report import COLUMNS, PERIOD_TITLES, TASK_COLUMNS

    keys = [f"status.{s}" for s in [*RANK, "none"]] + [f"task_status.{s}" for s in STATUSES]
    keys += [f"kind.{k}" for k in typing.get_args(Kind)] + ["trend.rising", "trend.falling"]
    keys += [f"severity.{s}" for s in ("error", "warning")] + [f"robot.{r}" for r in ROBOTS]
    keys += [f"report.{c}" for c in COLUMNS] + [f"task.{c}" for c in TASK_COLUMNS] + list(PERIOD_TITLES.values())
    provenance = ast.parse((SRC / "ingest" / "provenance.py").read_text(encoding="utf-8"))
    hows = {
        n.args[1].value
        for n in ast.walk(provenance)
        if isinstance(n, ast.Call)
        and _name(n.func) == "ExportDate"
        and len(n.args) > 1
        and isinstance(n.args[1], ast.Constant)
    }
    assert hows >= {"option", "file_name", "title", "latest_in_file", "today"}
    keys += [f"imports.how.{h}" for h in hows]
    assert [k for k in keys if k not in LABELS] == []
    from ipdemo.ingest.incoming import HELD_REASONS

    assert [f"held_{r}" for r in HELD_REASONS if f"held_{r}" not in MESSAGES] == []


# --- no Chinese words outside i18n.py -------------------------------------------------------------


def _docstrings(tree: ast.Module) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _exempt_nodes(rel: str, tree: ast.Module) -> set[int]:
    """Literals under a module-level data name, or given as help= to the CLI (help is English,
    with the Chinese names of things and files as users know them, and is generated into
    docs/cli.md: --lang comes too late to choose its language)."""
    out = set()
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        names = {t.id for t in targets if isinstance(t, ast.Name)} | {
            e.id for t in targets if isinstance(t, ast.Tuple) for e in t.elts if isinstance(e, ast.Name)
        }
        if any((rel, name) in DATA_NAMES for name in names):
            out |= {id(n) for n in ast.walk(node)}
    if rel == "cli.py":
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "help":
                out |= {id(n) for n in ast.walk(node.value)}
    return out


def chinese_literals() -> list[tuple[str, int, str]]:
    found = []
    for rel, tree in modules():
        if rel == "i18n.py" or rel in DATA_FILES:
            continue
        skip = _docstrings(tree) | _exempt_nodes(rel, tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in skip
                and HAN.search(node.value)
                and not PATTERN.search(node.value)
            ):
                found.append((rel, node.lineno, node.value))
    return found


def test_no_chinese_words_outside_i18n():
    found = [
        f"src/ipdemo/{rel}:{line}: {value[:60]!r}"
        for rel, line, value in chinese_literals()
        if (rel, value) not in DATA_LITERALS
    ]
    assert not found, (
        "Chinese words belong in src/ipdemo/i18n.py (LABELS or MESSAGES); data goes in the "
        "allow-lists of tests/test_i18n.py with the reason:\n" + "\n".join(found)
    )


def test_data_allow_lists_are_still_needed():
    """An entry whose literal is gone should go too, so the lists stay short and true (checked for
    the files of the translation layer; the others' owners move code around)."""
    seen = {(rel, value) for rel, _, value in chinese_literals()}
    assert [pair for pair in DATA_LITERALS if pair not in seen and pair[0].startswith(LAYER_FILES)] == []
    assert [rel for rel in DATA_FILES if not (SRC / rel).is_file()] == []
    names = set()
    for rel, tree in modules():
        for node in tree.body:
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            names |= {(rel, t.id) for t in targets if isinstance(t, ast.Name)}
            names |= {
                (rel, e.id) for t in targets if isinstance(t, ast.Tuple) for e in t.elts if isinstance(e, ast.Name)
            }
    assert [pair for pair in DATA_NAMES if pair not in names and pair[0].startswith(LAYER_FILES)] == []


# --- no wording chosen by comparing the language ------------------------------------------------


def _compares_language(node: ast.Compare) -> bool:
    operands = [node.left, *node.comparators]
    values = [e for o in operands for e in (o.elts if isinstance(o, (ast.Tuple, ast.List, ast.Set)) else [o])]
    return any(isinstance(v, ast.Constant) and v.value in i18n.LANGS for v in values)


def _comparisons(node: ast.AST, function: str) -> list[tuple[str, int]]:
    """(enclosing function, line) of each comparison with "zh" or "en" under `node`."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        function = node.name
    found = [(function, node.lineno)] if isinstance(node, ast.Compare) and _compares_language(node) else []
    for child in ast.iter_child_nodes(node):
        found += _comparisons(child, function)
    return found


def lang_comparisons() -> list[tuple[str, str, int]]:
    """(file, enclosing function, line) of every comparison with "zh" or "en" in LANG_CHECKED."""
    return [
        (rel, function, line)
        for rel, tree in modules()
        if rel.startswith(LANG_CHECKED)
        for function, line in _comparisons(tree, "<module>")
    ]


def test_no_wording_chosen_by_comparing_the_language():
    found = [
        f"src/ipdemo/{rel}:{line} (in {func})"
        for rel, func, line in lang_comparisons()
        if (rel, func) not in LAYOUT_LANG_CHECKS
    ]
    assert not found, (
        "words differ by language through i18n (label, message, localized), not through "
        '`lang == "zh"`; a layout-only check goes in LAYOUT_LANG_CHECKS with the reason:\n' + "\n".join(found)
    )


def test_layout_allow_list_is_still_needed():
    used = {(rel, func) for rel, func, _ in lang_comparisons()}
    assert [entry for entry in LAYOUT_LANG_CHECKS if entry not in used] == []


def test_english_counts_agree_with_their_nouns():
    """{n} row{n!p}: one row, two rows; Chinese has no plural and ignores it."""
    assert message("rows_rejected", "en", count=1, path="x.csv").startswith("x.csv: 1 invalid row;")
    assert message("rows_rejected", "en", count=2, path="x.csv").startswith("x.csv: 2 invalid rows;")
    assert label("imports.outside", "en", n=1).strip() == "outside the district: 1 row not imported"
    assert label("imports.outside", "en", n=3).strip() == "outside the district: 3 rows not imported"
    assert label("imports.outside", "zh", n=1).strip() == "区外 1 行未导入"
    nouns = "rows|values|records|ledgers|tasks|phases|targets|indicators|attempts|weeks|days|files|organisations"
    pattern = re.compile(r"\{(\w+)\} (\w+ ){0,2}(" + nouns + r")\b")  # 3 rows, 3 invalid rows, 3 new ledger rows
    not_counts = {
        "too_many_rows": "a limit far above 1",
        "sheet_too_large": "a sheet's size over a limit",
        "docx.towns_intro": "{area} is the plan's word for its areas, not a count",
        "plan_unit_not_count": "{indicator} is a name ('counts records')",
        "webhook_missing": "{file} is a file name ('beside targets.yaml')",
    }
    left = {
        key: en
        for table in (MESSAGES, LABELS)
        for key, (_, en) in table.items()
        if pattern.search(en) and key not in not_counts
    }
    assert not left, f"counts before a plural noun without {{n!p}}: {sorted(left)}"
