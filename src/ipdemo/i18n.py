"""Every user-visible word, in Chinese (default) and English, side by side: the one place to
translate ipdemo.

Two tables of one shape, key: (中文, English):
- MESSAGES: errors, problems and notices, keyed by a stable code. Codes also appear in
  `validate --format json`, so scripts can key on them;
- LABELS: the words of the views, keyed "group.name": column headers, status and kind names,
  titles, chart labels, the 自查报告 (docx.*), the group-robot digest (digest.*), file and folder
  names of the archive, and the words load_plan uses to explain a wrong value (plan_type.*).
Lookups: message(code, lang, **params), label(key, lang, **params), count_of(n, what, lang),
localized(zh, en, lang) for the plan's own bilingual texts (name / name_en), sentences() and
numeral() for the little grammar that differs.

Invariants (tests/test_i18n.py):
- every key has a non-empty Chinese and English text, and both use the same {placeholders}
  (the few that differ on purpose are listed in the test with the reason);
- templates are str.format templates; `{area!c}` capitalises the value's first letter (an
  English sentence starting with a plan's word); a parameter given as a Term is worded in the
  reader's language (core code raises before it knows the language);
- no other module of src/ipdemo holds Chinese words for users (the test scans them; data such as
  recognised header aliases, town names, regexes that read exports, and font names are allowed
  explicitly), and renderers never branch on the language for wording.
This module imports nothing heavy: it is the bottom layer.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterable
from datetime import date

LANGS = ("zh", "en")

# code: (中文, English). Templates use str.format with the params of the Problem / error.
MESSAGES: dict[str, tuple[str, str]] = {
    # --- polish ---
    "secret_in_option": (
        "{option} 含有{robot}机器人 webhook 地址（{url}）中的密钥，会被发到群里，因此没有写入或发送任何内容。"
        "{option} 应给出周报全文的网址或文件名，而不是机器人的 webhook 地址",
        "{option} holds the key of the {robot} robot's webhook ({url}), which would be posted in the group, so "
        "nothing was written or sent. Give {option} the address or file name of the full summary, not the "
        "robot's webhook",
    ),
    "secret_in_message": (
        "要发送的内容含有{robot}机器人 webhook 地址（{url}）中的密钥，没有发送。"
        "请检查 targets.yaml 和台账中的名称、备注是否误粘了 webhook 地址",
        "what would be posted holds the key of the {robot} robot's webhook ({url}), so it was not sent. "
        "Check names and notes in targets.yaml and the ledgers for a pasted webhook address",
    ),
    "ledger_lines_not_utf8": (
        "{path} 第 {lines} 行不是 UTF-8 编码（其余各行是；共 {count} 行），常见于从旧的导出文件粘贴了整行。"
        "修复：在文本编辑器中改正这些行（重新输入其中的中文）后以 UTF-8 保存，或删去它们再用 ipdemo import 导入原数据",
        "{path} is not UTF-8 on line{count!p} {lines} (the other lines are; {count} in all), as when a row is "
        "pasted from an old export. Fix: correct those lines in a text editor (retype their Chinese text) "
        "and save as UTF-8, or delete them and bring the original data in with ipdemo import",
    ),
    "robot_retry": (
        "{robot}暂未收下消息：{reason}；{seconds} 秒后重试（第 {attempt} 次，共 {attempts} 次）",
        "{robot} has not taken the message yet: {reason}; trying again in {seconds} s (attempt {attempt} of "
        "{attempts})",
    ),
    "robot_rate_limited": (
        "{robot}（{url}）限流，这条消息没有发送（错误码 {errcode}：{said}；已尝试 {attempts} 次）。{when}",
        "{robot} ({url}) is rate-limiting: this message was not sent (error {errcode}: {said}; {attempts} "
        "attempt{attempts!p}). {when}",
    ),
    "attach_not_sent": (
        "周报摘要已发送到{robot}群，但全文文件 {name} 没有发送：{reason}。请不要重发摘要（群里会收到两次）；"
        "把 {name} 直接发到群里，或以后用 --link 给出全文的网址",
        "the digest was sent to the {robot} group, but the file {name} was not: {reason}. Do not send the digest "
        "again (the group would get it twice); post {name} in the group yourself, or give the summary's address "
        "with --link",
    ),
    "attach_unconfirmed": (
        "周报摘要已发送到{robot}群，但无法确认全文文件 {name} 是否送达：{reason}。请不要重发摘要（群里会收到两次）；"
        "先查看群消息，文件没有出现时再把 {name} 直接发到群里",
        "the digest was sent to the {robot} group, but it is not known whether the file {name} arrived: {reason}. "
        "Do not send the digest again (the group would get it twice); look in the group and post {name} yourself "
        "if it is not there",
    ),
    # --- field values -------------------------------------------------------------------
    "required": ("必填字段为空", "required field is empty"),
    "bad_date": (
        "日期 {value!r} 无效，应为 YYYY-MM-DD（如 2021-06-01）",
        "date {value!r} is not valid; write it as YYYY-MM-DD (e.g. 2021-06-01)",
    ),
    "date_out_of_range": (
        "日期 {value} 不在合理范围（{earliest}至{latest}）内",
        "date {value} is outside the sane range {earliest} .. {latest}",
    ),
    "date_in_future": ("日期 {value} 晚于今天", "date {value} is after today"),
    "bad_number": ("{value!r} 不是数字", "{value!r} is not a number"),
    "negative": ("{value} 不能为负数", "{value} must not be negative"),
    "bad_integer": ("{value!r} 不是整数", "{value!r} is not a whole number"),
    "bad_nice_class": (
        "尼斯分类 {value!r} 应为 1..45 的整数",
        "Nice class {value!r} must be a whole number 1..45",
    ),
    "bad_enum": (
        "{value!r} 不是允许的取值；可用：{allowed}",
        "{value!r} is not an allowed value; use one of: {allowed}",
    ),
    "unknown_town": (
        "未知{area} {value!r}；最接近的有：{suggestions}（可在 targets.yaml 的 towns.aliases 中添加别名）",
        "unknown {area} {value!r}; closest known: {suggestions} (add an alias under towns in targets.yaml)",
    ),
    "town_alias": (
        "{area}应写规范名称 {canonical!r}，而不是别名 {value!r}",
        "write the canonical {area} name {canonical!r}, not the alias {value!r}",
    ),
    "bad_cnipa_no": (
        "专利申请号 {value!r} 格式不对，应为 YYYYTNNNNNNN.C（如 202110182616.5）或旧式 YYTNNNNN.C",
        "patent application number {value!r} is malformed; expected YYYYTNNNNNNN.C "
        "(e.g. 202110182616.5) or the pre-2003 YYTNNNNN.C",
    ),
    "cnipa_check": (
        "专利申请号 {value!r} 校验位应为 {expected}",
        "patent application number {value!r}: the check character should be {expected}",
    ),
    "cnipa_type_mismatch": (
        "申请号 {value!r} 的类型位 {digit} 表示{number_label}，与专利类型“{type_label}”不符",
        "application number {value!r} has type digit {digit} ({number_type}), which disagrees with type {type!r}",
    ),
    "bad_uscc": (
        "统一社会信用代码 {value!r} 格式不对：应为 18 位，由 0-9 和除 I、O、S、V、Z 外的大写字母组成",
        "credit code {value!r} is malformed: 18 characters of 0-9 and A-Y without I, O, S, V, Z",
    ),
    "uscc_check": (
        "统一社会信用代码 {value!r} 校验位应为 {expected}（早期部分代码如此，请核实）",
        "credit code {value!r}: the check character should be {expected} (some early codes fail this; please verify)",
    ),
    "bad_software_no": (
        "软著登记号 {value!r} 格式不对，应为 年份+SR+流水号（2019 年前 6 位，之后 7 位），如 2021SR0805085",
        "software copyright number {value!r} is malformed; expected year + SR + serial "
        "(6 digits before 2019, 7 from 2019), e.g. 2021SR0805085",
    ),
    "bad_trademark_no": (
        "商标申请号 {value!r} 格式不对：应为数字，分割申请以 A 结尾，马德里国际注册以 G 开头",
        "trademark number {value!r} is malformed: digits, a divisional ends in A, a Madrid designation starts with G",
    ),
    "not_before": (
        "{field} {value} 早于 {other} {other_value}",
        "{field} {value} is earlier than {other} {other_value}",
    ),
    "duplicate_key": (
        "主键 {key} 重复，另见第 {other_line} 行",
        "duplicate key {key}, also on line {other_line}",
    ),
    "bad_text": ("{value!r} 含有控制字符", "{value!r} contains control characters"),
    # --- codes ---
    "unknown_value": (
        "{value!r} 不在 targets.yaml 列出的取值中，已按原文保留，记录仍然有效"
        "（如需归类，请在 targets.yaml 中把它加为某个取值的标签）",
        "{value!r} is not one of the values targets.yaml lists; kept as written, the record stands "
        "(to classify it, add it to targets.yaml as a label of one of the values)",
    ),
    # --- ledger files -----------------------------------------------------------------
    "ledger_missing": (
        "台账文件不存在：{path}（ipdemo init 可创建空台账）",
        "ledger file missing: {path} (ipdemo init creates empty ledgers)",
    ),
    "ledger_double_bom": (
        "{path} 开头有两个 UTF-8 字节顺序标记（BOM），常见于两个程序先后各加了一个：表头的第一列因此认不出，"
        "每一行都会缺少该列。修复：在 Excel 中另存为“CSV UTF-8（逗号分隔）”，或在文本编辑器中删去开头多余的标记后保存",
        "{path} starts with two UTF-8 byte order marks (BOM), as when two programs each added one: the header's "
        "first column cannot be recognised, so every row would lack it. Fix: re-save it in Excel as "
        "'CSV UTF-8 (Comma delimited)', or delete the extra mark at the start in a text editor and save",
    ),
    "ledger_not_utf8": (
        "{path} 不是 UTF-8 编码（看起来是 {encoding}，Excel 另存为“CSV”时常见）。"
        "修复：用 ipdemo import 导入，或在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
        "{path} is not UTF-8 (it looks like {encoding}, as Excel saves 'CSV'). "
        "Fix: bring it in with ipdemo import, or re-save it in Excel as 'CSV UTF-8 (Comma delimited)'",
    ),
    "ledger_binary": (
        "{path} 不是文本文件（看起来是二进制数据，例如改了扩展名的 Excel 工作簿）。"
        "修复：用 ipdemo import 导入原文件，或在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
        "{path} is not a text file (it looks like binary data, e.g. an Excel workbook renamed to .csv). "
        "Fix: bring the original in with ipdemo import, or save it in Excel as 'CSV UTF-8 (Comma delimited)'",
    ),
    "ledger_unreadable": ("无法读取 {path}：{reason}", "cannot read {path}: {reason}"),  # a ledger CSV
    "file_unreadable": ("无法读取 {path}：{reason}", "cannot read {path}: {reason}"),  # a file given to import
    "missing_column": (
        "缺少列 {column}（应有：{expected}）",
        "column {column} is missing (expected: {expected})",
    ),
    "unknown_column": (
        "未知列 {column}（targets.yaml 中没有定义，将被忽略）",
        "unknown column {column} (not defined in targets.yaml; ignored)",
    ),
    "duplicate_column": ("列名 {column} 重复", "column {column} appears twice"),
    "ragged_row": (
        "本行有 {found} 个字段，表头有 {expected} 个",
        "this row has {found} fields, the header has {expected}",
    ),
    "empty_file": ("文件为空（没有表头）", "the file is empty (no header row)"),
    # --- import ---------------------------------------------------------------------------
    "sheet_for_csv": ("{path} 是 CSV 文件，没有工作表；去掉 --sheet", "{path} is CSV and has no sheets; drop --sheet"),
    "bad_encoding": (
        "无法按 {encoding} 读取 {path}：{reason}。去掉 --encoding 让 ipdemo 自动识别",
        "cannot read {path} as {encoding}: {reason}. Drop --encoding to let ipdemo detect it",
    ),
    "binary_file": (
        "{path} 不是文本 CSV（含二进制内容）。请导出为 CSV 或 XLSX",
        "{path} is not a text CSV (binary content). Export it as CSV or XLSX",
    ),
    "undecodable": (
        "无法识别 {path} 的编码（猜测：{guess}）。请另存为 UTF-8 CSV，或用 --encoding 指定",
        "cannot tell the encoding of {path} (guess: {guess}). Save it as UTF-8 CSV or pass --encoding",
    ),
    "bad_csv": (
        "{path} 第 {line} 行无法按 CSV 读取：{reason}",
        "{path} line {line} cannot be read as CSV: {reason}",
    ),
    "too_many_columns": (
        "{path} 第 {line} 行有超过 {limit} 列，不像表格导出。请检查文件",
        "{path} line {line} has more than {limit} columns; this is not a table export. Check the file",
    ),
    "unknown_ledger_option": (
        "--ledger {ledger!r} 不存在；可用：{known}",
        "--ledger {ledger!r} does not exist; use one of: {known}",
    ),
    "bad_xlsx": ("无法打开 Excel 文件 {path}：{reason}", "cannot open the Excel file {path}: {reason}"),
    "unknown_sheet": (
        "{path} 中没有工作表 {sheet!r}；已有：{known}",
        "{path} has no sheet {sheet!r}; it has: {known}",
    ),
    "empty_input": ("{path} 是空的（没有表头）", "{path} is empty (no header row)"),
    "ledger_unknown": (
        "无法判断 {path} 属于哪个台账（缺少主键列）。用 --ledger 指定：{known}",
        "cannot tell which ledger {path} belongs to (no key column found). Pass --ledger, one of: {known}",
    ),
    "missing_key_column": (
        "{path} 缺少台账 {ledger} 的主键列 {columns}（可用的列名：{accepted}）",
        "{path} lacks the key column {columns} of ledger {ledger} (accepted headers: {accepted})",
    ),
    "ambiguous_date": (
        "日期 {value!r} 有歧义（日/月顺序不明），请写成 YYYY-MM-DD",
        "date {value!r} is ambiguous (day/month order); write it as YYYY-MM-DD",
    ),
    "ledger_ragged_rows": (
        "台账 {path} 第 {line} 行字段数不对（{problem}），共 {count} 行；导入会重写台账并丢失这些行，"
        "未写入任何数据。先按表头修正这些行（ipdemo validate 列出全部）后再导入",
        "ledger {path} line {line} has the wrong number of fields ({problem}), {count} row{count!p} in all; "
        "importing would rewrite the ledger and lose them, so nothing was written. Fix them to match "
        "the header (ipdemo validate lists every one), then import again",
    ),
    "ledger_duplicate_keys": (
        "台账 {path} 中有重复主键，先运行 ipdemo validate 修复后再导入",
        "ledger {path} has duplicate keys; run ipdemo validate and fix them before importing",
    ),
    "rows_rejected": (
        "{path} 中有 {count} 行无效，未写入任何数据。修正后重新导入，或用 --skip-invalid 只导入有效行",
        "{path}: {count} invalid row{count!p}; nothing was written. Fix them and import again, "
        "or use --skip-invalid to import the valid rows only",
    ),
    # --- place -----------------------------------------------------------------------------
    "suggested_by_register": (
        "企业名录中的“{name}”（仅公司形式、括号或空格写法不同，请核对后将建议区镇填入所属区镇）",
        "the enterprise register's '{name}' (differs only in company form, brackets or spacing; check it, "
        "then copy the suggested town into the town column)",
    ),
    "suggested_by_ledger": (
        "“{name}”在台账中其他记录的区镇（请核对后将建议区镇填入所属区镇）",
        "the town of '{name}' in its other records in the ledgers (check it, then copy the suggested town "
        "into the town column)",
    ),
    "suggested_by_name": (
        "企业名称“{name}”中的地名，仅为推测（名称不能证明所在地，请核实后再填入所属区镇）",
        "a place word in the name '{name}', a guess only (a name does not prove where a firm is: verify "
        "before copying it into the town column)",
    ),
    # --- targets.yaml ------------------------------------------------------------------
    "plan_missing": (
        "找不到 {path}。在项目目录中运行，或用 --targets 指定；ipdemo init DIR 可新建项目",
        "{path} not found. Run in the project folder or pass --targets PATH; ipdemo init DIR creates a project",
    ),
    "yaml_syntax": ("YAML 语法错误：{reason}", "YAML syntax error: {reason}"),
    "yaml_tag": (
        "不允许的 YAML 标签 {tag}（targets.yaml 只能包含普通数据）",
        "YAML tag {tag} is not allowed (targets.yaml holds plain data only)",
    ),
    "yaml_too_big": (
        "YAML 别名展开过大（超过 {limit} 个节点），疑似“亿笑”攻击",
        "YAML aliases expand to more than {limit} nodes (a billion-laughs file?)",
    ),
    "yaml_not_mapping": ("顶层应为映射（键: 值）", "the top level must be a mapping (key: value)"),
    "yaml_duplicate_key": ("重复的键 {key!r}", "duplicate key {key!r}"),
    "plan_unreadable": ("无法读取 {path}：{reason}", "cannot read {path}: {reason}"),
    "plan_not_utf8": (
        "{path} 不是 UTF-8 编码。请在编辑器中另存为 UTF-8",
        "{path} is not UTF-8. Save it as UTF-8 in an editor",
    ),
    "phase_gap": (
        "阶段 {prev} 结束于 {prev_end}，阶段 {next} 应从次日开始，实际为 {next_start}",
        "phase {prev} ends {prev_end}; phase {next} must start the day after, not {next_start}",
    ),
    "phase_bounds": (
        "阶段应覆盖整个计划期 {start} .. {end}（实际 {first} .. {last}）",
        "the phases must cover the plan period {start} .. {end} exactly (they cover {first} .. {last})",
    ),
    "phase_order": ("阶段 {phase} 的开始日期晚于结束日期", "phase {phase} starts after it ends"),
    "duplicate_id": ("{what} {id!r} 重复", "duplicate {what} {id!r}"),
    "unknown_ledger": (
        "指标 {indicator} 引用了不存在的台账 {ledger!r}；已有：{known}",
        "indicator {indicator} names ledger {ledger!r}, which does not exist; known: {known}",
    ),
    "unknown_field": (
        "{where} 引用了台账 {ledger} 中不存在的字段 {field!r}；已有：{known}",
        "{where} names field {field!r}, which ledger {ledger} does not have; known: {known}",
    ),
    "field_type": (
        "{where} 要求字段 {field} 为 {expected} 类型，实际为 {actual}",
        "{where} needs field {field} to be of type {expected}, not {actual}",
    ),
    "unknown_unit": ("未知单位 {unit!r}；已有：{known}", "unknown unit {unit!r}; known: {known}"),
    "unit_mismatch": (
        "指标 {indicator} 的单位 {unit} 无法由字段 {field} 的单位 {field_unit} 换算",
        "indicator {indicator}: unit {unit} cannot be converted from {field}'s unit {field_unit}",
    ),
    "allocation_exceeds": (
        "指标 {indicator} 的{part}分解合计 {total} 超过{whole}目标 {target}",
        "indicator {indicator}: allocations by {part} add up to {total}, more than the {whole} target {target}",
    ),
    "allocation_unknown_town": (
        "指标 {indicator} 的分解中有未知{area} {town!r}",
        "indicator {indicator} allocates to unknown {area} {town!r}",
    ),
    "enum_value_unknown": (
        "{where} 的取值 {value!r} 不在字段 {field} 的允许值中：{allowed}",
        "{where} filters on {value!r}, not an allowed value of {field}: {allowed}",
    ),
    "alias_clash": (
        "别名 {alias!r} 同时指向 {first} 和 {second}",
        "alias {alias!r} points at both {first} and {second}",
    ),
    "key_not_field": (
        "台账 {ledger} 的主键 {field!r} 不是其字段",
        "ledger {ledger}: key {field!r} is not one of its fields",
    ),
    "ledger_file_not_csv": (
        "台账 {ledger} 的文件 {file!r} 不是 .csv 文件：台账须为 CSV 文件，请改为以 .csv 结尾的文件名",
        "ledger {ledger}: file {file!r} is not a .csv file; a ledger is a CSV file, name one ending in .csv",
    ),
    "ledger_file_twice": (
        "台账 {ledger} 的文件 {file!r} 也是台账 {other} 的文件：导入时会覆盖另一台账的记录，请为每个台账指定不同的文件",
        "ledger {ledger}: file {file!r} is the file of ledger {other} too; each import would replace the other's "
        "records: give each ledger its own file",
    ),
    "due_outside": (
        "指标 {indicator} 的截止日期 {due} 不在计划期内",
        "indicator {indicator}: due date {due} is outside the plan period",
    ),
    "population_missing": (
        "指标 {indicator} 按人口计算，但 plan.population 未设置",
        "indicator {indicator} is per population, but plan.population is not set",
    ),
    # --- plancheck ---
    "plan_bad_date": (
        "{where}：{value} 不是存在的日期。请写成真实的日期，年-月-日（如 2021-06-01）",
        "{where}: {value} is not a date that exists. Write a real day as year-month-day (2021-06-01)",
    ),
    "plan_bad_number": (
        "{where}：{value} 无法作为数字读取（位数过多）。请写一个合理的数字",
        "{where}: {value} cannot be read as a number (too many digits). Write a plausible number",
    ),
    "plan_bad_value": (
        "{where}：{value} 无法按其 YAML 标签（!!…）读取。请去掉标签，写一个普通的值",
        "{where}: {value} cannot be read as its YAML tag (!!…) says. Remove the tag and write a plain value",
    ),
    "plan_value_too_long": (
        "{where}：取值长 {length} 个字符，超过上限 {limit}",
        "{where}: the value is {length} characters long, over the limit of {limit}",
    ),
    "plan_bad_char": (
        "{where}：第 {position} 个字符 {char} 无法写入 Excel 或 Word 文件。请删去它（引号里的 \\u 或 \\x 转义）",
        "{where}: character {position} ({char}) cannot be written to an Excel or Word file. "
        "Remove it (a \\u or \\x escape in quotes)",
    ),
    "plan_date_range": (
        "{where}：日期 {value} 不在 {earliest} 至 {latest} 之间",
        "{where}: the date {value} is not between {earliest} and {latest}",
    ),
    "plan_period_order": (
        "{where}：开始日期 {start} 晚于结束日期 {end}",
        "{where}: the start {start} is after the end {end}",
    ),
    "plan_too_big": (
        "{path} 超过 {limit}，不像计划文件（targets.yaml 通常只有几十 KB）",
        "{path} is over {limit}: not a plan file (targets.yaml is usually tens of kB)",
    ),
    "text_xml_char": (
        "第 {position} 个字符是不可见的 {char}，Excel 和 Word 文件无法容纳它（归档和报告会失败）。"
        "请在源文件或台账中删去它",
        "character {position} is an invisible {char}, which Excel and Word files cannot hold (the archive and "
        "reports would fail). Delete it in the source file or the ledger",
    ),
    "plan_max_length_type": (
        "{where}：max_length 只适用于文本和编号字段（text、title、name、address、remark、id），不适用于 {type}",
        "{where}: max_length applies to text and id fields only (text, title, name, address, remark, id), "
        "not to {type}",
    ),
    "yaml_recursive": (
        "{where}：YAML 别名引用了它自己（如 x: &r [*r]），无法展开。请去掉这个别名",
        "{where}: a YAML alias refers to itself (like x: &r [*r]) and cannot be expanded. Remove the alias",
    ),
    "yaml_too_deep": (
        "YAML 嵌套超过 {limit} 层。计划文件只有几层，请检查括号和缩进",
        "YAML nested more than {limit} levels deep. A plan has a few; check the brackets and indentation",
    ),
    "yaml_complex_key": (
        "{where}：键必须是简单的文本，不能是列表或映射",
        "{where}: a key must be plain text, not a list or a mapping",
    ),
    # --- commands -----------------------------------------------------------------------
    "unknown_town_option": (
        "未知{area} {value!r}；最接近的有：{suggestions}。ipdemo towns 列出全部{area}",
        "unknown {area} {value!r}; closest known: {suggestions}. ipdemo towns lists them all",
    ),
    "unknown_phase": (
        "阶段 {phase} 不存在；可用：{known}",
        "there is no phase {phase}; use one of: {known}",
    ),
    "as_of_before_start": (
        "--as-of {as_of} 早于计划开始日期 {start}",
        "--as-of {as_of} is before the plan starts ({start})",
    ),
    "bad_date_option": (
        "{option} {value!r} 不是日期，应为 YYYY-MM-DD",
        "{option} {value!r} is not a date; write YYYY-MM-DD",
    ),
    "format_needs_output": (
        "--format {format} 需要 --output FILE",
        "--format {format} needs --output FILE",
    ),
    "output_protected": (
        "拒绝覆盖 {path}：它是台账、导入日志、targets.yaml 或机器人密钥文件。请换一个输出文件名",
        "refusing to overwrite {path}: it is a ledger, the journal, targets.yaml or the robots' secrets file. "
        "Choose another output file",
    ),
    "write_failed": (
        "无法写入 {path}：{reason}。未做任何修改",
        "cannot write {path}: {reason}. Nothing was changed",
    ),
    "lock_timeout": (
        "另一个 ipdemo 进程正在写入 {path}（等待 {seconds} 秒后超时）。稍后重试",
        "another ipdemo process is writing {path} (gave up after {seconds} s). Try again shortly",
    ),
    "strict_invalid_rows": (
        "台账中有 {count} 行无效（--strict）。运行 ipdemo validate 查看",
        "invalid ledger rows (--strict): {count}. Run ipdemo validate to see them",
    ),
    "invalid_rows_left_out": (
        "有 {count} 行无效数据未计入统计（{where}）。运行 ipdemo validate 查看详情",
        "invalid rows left out of the figures: {count} ({where}). Run ipdemo validate for details",
    ),
    "bad_week": ("--week {value!r} 应为 YYYY-Www，如 2023-W39", "--week {value!r} must be YYYY-Www, e.g. 2023-W39"),
    "week_and_as_of": ("--week 与 --as-of 只能用一个", "use --week or --as-of, not both"),
    # --- readers ---
    "exported_on_guessed": (
        "文件名、标题行和数据中都没有导出日期，已按今天（{date}）记录。新旧数据以导出日期判断，"
        "请用 --exported-on 指明实际导出日期后重新导入",
        "the export date is stated neither in the file name, nor in a title line, nor in the data: today "
        "({date}) is recorded. Newer data wins by this date: give the real one with --exported-on and import again",
    ),
    # --- import of real exports -----------------------------------------------------------
    "town_unassigned": (
        "区镇未划分（来源只表明在本区，未写明区镇）：计入全区合计；在导入文件中补上区镇后重新导入，或直接在台账中填写",
        "town not assigned (the source places the record in the district but names no town): counted in "
        "district totals; add the town in the file and import it again, or fill it in the ledger",
    ),
    "empty_field": ("字段为空", "field is empty"),
    "excel_scientific": (
        "{value!r} 是 Excel 改写的科学计数法：编号的后几位数字已丢失，无法还原。请用原始导出文件导入，"
        "或在 Excel 中先把该列设为“文本”格式再粘贴/导出（不要用 Excel 打开 CSV 后再保存）",
        "{value!r} is Excel's scientific notation: the identifier's last digits are gone and cannot be "
        "recovered. Import the original export, or format the column as text in Excel before pasting or "
        "exporting (do not open the CSV in Excel and save it again)",
    ),
    "required_column_missing": (
        "文件中没有“{label}”列，{count} 条新记录因此缺少必填值：补上该列，或用 --set {field}=… "
        "为整个文件指定同一个值，或与含该列的文件一起导入（ipdemo import A.csv B.csv）",
        "the file has no {label} ({field}) column, so new records lack a required value ({count}): add the "
        "column, or give one value for the whole file with --set {field}=…, or import it together with "
        "the file that has it (ipdemo import A.csv B.csv)",
    ),
    "excel_serial_date": (
        "{value} 是 Excel 的日期序列号，已按 Excel 1900 日期系统换算为 {date}；请核对（最好导入原始文件）",
        "{value} is an Excel date serial number, read as {date} (Excel's 1900 date system); please check "
        "it (better: import the original file)",
    ),
    "probable_duplicate": (
        "与第 {other_line} 行可能是同一条记录（{fields} 相同，编号不同）：核实后删除一行，或保留（确为两笔）",
        "probably the same record as line {other_line} ({fields} agree, the keys differ): check and delete "
        "one, or keep both if they really are two",
    ),
    "row_counter_key": (
        "台账 {ledger} 的主键 {field} 不能对应“序号”之类的行号列：序号只是行号，不是记录的编号",
        "the key {field} of ledger {ledger} must not map to a row counter such as 序号: it numbers rows, "
        "it identifies nothing",
    ),
    "set_unknown_field": (
        "--set 的字段 {field!r} 不属于台账 {ledger}（可用：{known}）",
        "--set field {field!r} is not a field of ledger {ledger} (known: {known})",
    ),
    "bad_set_option": (
        "--set {value!r} 应写成 字段=值，如 --set owner=吴江某某科技有限公司",
        "--set {value!r} must be FIELD=VALUE, e.g. --set owner=Some Co., Ltd.",
    ),
    "held_no_address": (
        "无地址，企业名录中也查不到该权利人：请填写所属区镇后重新导入",
        "no address, and the owner is not in the enterprise register: fill in the town and import again",
    ),
    "held_address_unplaced": (
        "地址无法判断是否在本区：请填写所属区镇（区外的行可删除）后重新导入",
        "the address does not tell whether it is in the district: fill in the town (delete rows that "
        "are outside) and import again",
    ),
    "init_done": (
        "已创建 {folder}，下一步：cd {folder} && ipdemo import 导出文件.xlsx",
        "created {folder}; next: cd {folder} && ipdemo import EXPORT.xlsx",
    ),
    "validate_valid": ("有效：{errors}，{warnings}", "valid: {errors}, {warnings}"),
    "validate_invalid": ("无效：{errors}，{warnings}", "invalid: {errors}, {warnings}"),
    "init_not_empty": (
        "{path} 已存在且非空；请指定新的或空的目录",
        "{path} exists and is not empty; choose a new or empty folder",
    ),
    # --- choose ---
    "ledger_ambiguous": (
        "{path} 可能属于多个台账：{candidates}，它们读取的列一样多。用 --ledger 指定其中一个",
        "{path} could belong to several ledgers: {candidates}, which read as many of its columns. "
        "Pass --ledger with one of them",
    ),
    "ledger_would_drop": (
        "{path} 未导入：最接近的台账 {ledger} 不读取列 {columns}，而台账 {other} 读取这些列，导入 {ledger} 会丢失它们。"
        "用 --ledger 指定：{candidates}",
        "{path} not imported: the closest ledger, {ledger}, does not read the columns {columns}, which ledger "
        "{other} reads; importing into {ledger} would lose them. Pass --ledger, one of: {candidates}",
    ),
    "duplicate_mapping": (
        "第 {first_at} 列 {first!r} 与第 {second_at} 列 {second!r} 都是{label}，本行两列的值不同（{a!r} 与 {b!r}），"
        "无法判断哪个正确。请核对后改正或删去其中一列",
        "columns {first_at} ({first!r}) and {second_at} ({second!r}) both give {label} and differ in this row "
        "({a!r}, {b!r}); which is right would be a guess. Correct one of them or remove it",
    ),
    "unmapped_columns": (
        "未导入的列 {columns}：像是其他台账（{ledgers}）的数据。若文件应导入那个台账，请用 --ledger 指定后重新导入",
        "columns not imported: {columns}; they look like data of another ledger ({ledgers}). If the file "
        "belongs there, import it again with --ledger",
    ),
    # --- readers ----------------------------------------------------------------------------
    "sheet_for_html": (
        "{path} 是网页表格（HTML），没有工作表；去掉 --sheet",
        "{path} is a web-page table (HTML) and has no sheets; drop --sheet",
    ),
    "unsupported_format": (
        "无法读取 {path}：{format} 格式不受支持。请在 Excel/WPS 中另存为 .xlsx 或 CSV",
        "cannot read {path}: the {format} format is not supported. Save it as .xlsx or CSV in Excel/WPS",
    ),
    "zip_not_workbook": (
        "无法打开 Excel 文件 {path}：这是 zip 压缩包，不是工作簿",
        "cannot open the Excel file {path}: it is a zip archive, not a workbook",
    ),
    "workbook_is_text": (
        "{path} 的扩展名是 Excel 工作簿，但内容是纯文本（CSV？）。请把扩展名改为 .csv 后再导入",
        "{path} is named as an Excel workbook but holds plain text (CSV?). Rename it to .csv and import it",
    ),
    "workbook_truncated": (
        "无法打开 Excel 文件 {path}：文件不完整（下载或复制中断？）。请重新下载或导出",
        "cannot open the Excel file {path}: it ends too early (an interrupted download or copy?). "
        "Download or export it again",
    ),
    "workbook_encrypted": (
        "无法打开 Excel 文件 {path}：文件设有打开密码。请在 Excel/WPS 中取消密码后另存",
        "cannot open the Excel file {path}: it is password-protected. Remove the password in Excel/WPS and save again",
    ),
    "workbook_too_large": (
        "拒绝读取 {path}：解压后有 {size}，超过上限 {limit}，不像表格导出",
        "refusing {path}: it unpacks to {size}, over the limit of {limit}; this is not a table export",
    ),
    "workbook_bomb": (
        "拒绝读取 {path}：其中 {member} 压缩比异常（{ratio}:1，解压后 {size}），疑似压缩炸弹",
        "refusing {path}: member {member} is compressed {ratio}:1 ({size} unpacked), a likely zip bomb",
    ),
    "workbook_dtd": (
        "拒绝读取 {path}：其中的 XML 含有 DTD（<!DOCTYPE>/<!ENTITY>），正常工作簿不会有。请重新导出",
        "refusing {path}: its XML contains a DTD (<!DOCTYPE>/<!ENTITY>), which real workbooks never have. "
        "Export it again",
    ),
    "workbook_bad_cells": (
        "无法打开 Excel 文件 {path}：单元格地址（r=…）无法识别。请在 Excel/WPS 中另存后再导入",
        "cannot open the Excel file {path}: its cell references (r=…) are unreadable. Save it again in Excel/WPS",
    ),
    "too_many_rows": (
        "{path} 超过 {limit} 行，不像表格导出。请分批导出",
        "{path} has more than {limit} rows; this is not a table export. Export it in parts",
    ),
    "sheet_too_large": (
        "{path} 的数据区域有 {rows} 行 × {columns} 列，超过 {limit} 个单元格的上限（远处是否有零散内容？）",
        "{path} spans {rows} rows × {columns} columns, over the limit of {limit} cells "
        "(is there a stray value far from the table?)",
    ),
    "html_too_large": (
        "拒绝读取 {path}：网页表格有 {size}，超过上限 {limit}",
        "refusing {path}: the web-page table is {size}, over the limit of {limit}",
    ),
    "html_no_table": (
        "{path} 是网页（HTML），但其中没有表格。请重新导出，或另存为 .xlsx / CSV",
        "{path} is a web page (HTML) with no table in it. Export it again, or save it as .xlsx / CSV",
    ),
    # --- streams ---
    "input_too_large": (
        "拒绝读取 {path}：文件超过 {limit} 的上限，不像表格导出（是管道、设备或仍在增长的文件吗？）。"
        "请分批导出后逐个导入",
        "refusing {path}: it is over the limit of {limit}; this is not a table export (a pipe, a device or a file "
        "still growing?). Export it in parts and import each",
    ),
    "line_too_long": (
        "拒绝读取 {path}：第 {line} 行超过 {limit} 的上限，不像表格导出（缺少换行，或不是 CSV？）。"
        "请检查文件或重新导出",
        "refusing {path}: line {line} is over the limit of {limit}; this is not a table export (no line breaks, "
        "or not a CSV?). Check the file or export it again",
    ),
    "field_too_large": (
        "{path} 第 {line} 行有一个字段超过 {limit} 个字符的上限（引号不成对？）。"
        "请检查该行的引号，或删去这一列后再导入",
        "{path} line {line} has a field over the limit of {limit} characters (an unbalanced quote?). "
        "Check the quotes on that line, or delete that column and import again",
    ),
    "too_many_cells": (
        "{path} 到第 {line} 行已超过 {limit} 个单元格或 {row_limit} 行的上限，不像表格导出。请分批导出",
        "{path} passes the cell limit ({limit}) or the row limit ({row_limit}) by line {line}; this is not a table "
        "export. Export it in parts",
    ),
    "workbook_text_too_large": (
        "拒绝读取 {path}：工作簿中有一段超过 {limit} 的文本（一个单元格？），不像表格导出。"
        "请在 Excel/WPS 中找到并删去这段内容后另存，再导入",
        "refusing {path}: the workbook holds a text over the limit of {limit} (one cell?); this is not a table "
        "export. Find and delete it in Excel/WPS, save, and import again",
    ),
    "html_text_too_large": (
        "拒绝读取 {path}：网页表格第 {line} 行有一个单元格超过 {limit} 个字符的上限，不像表格导出。"
        "请检查文件或重新导出",
        "refusing {path}: row {line} of the web-page table has a cell over the limit of {limit} characters; "
        "this is not a table export. Check the file or export it again",
    ),
    "workbook_bad_shared_string": (
        "无法读取 Excel 文件 {path}：工作表 {sheet} 的单元格 {cell} 引用了不存在的共享字符串 {value}"
        "（工作簿共有 {count} 个）。文件已损坏或被改动：请在 Excel/WPS 中打开，另存后再导入",
        "cannot read the Excel file {path}: cell {cell} of sheet {sheet} refers to shared string {value}, which "
        "does not exist (the workbook has {count}). The file is damaged or was altered: open it in Excel/WPS, "
        "save it again and import that",
    ),
    # --- trial22 ---
    "evidence_changed": (
        "佐证材料 {file} 在归档期间被替换（换成了链接或另一个文件），未写入归档。请检查该文件后重新运行",
        "the evidence file {file} was replaced while the archive was made (by a link or another file); the "
        "archive was not written. Check that file and run again",
    ),
    "workbook_strings_elsewhere": (
        "无法读取 Excel 文件 {path}：工作簿的共享字符串不在通常的位置，导入读到的文字会与 Excel 显示的不同。"
        "请在 Excel/WPS 中打开，另存后再导入",
        "cannot read the Excel file {path}: its shared strings are not where workbooks keep them, so the import "
        "would read other texts than Excel shows. Open it in Excel/WPS, save it again and import that",
    ),
    "ledger_too_large": (
        "台账 {path} 超过 {limit} 的上限，未读取（是管道、设备或异常增长的文件吗？）。请检查该文件，必要时从备份恢复",
        "ledger {path} is over the limit of {limit} and was not read (a pipe, a device or a file growing "
        "without end?). Check the file; restore it from a backup or git if needed",
    ),
    # --- cold ---
    "ledger_too_large_whole": (
        "台账 {path} 有 {size}，超过整体读取的上限 {limit}，而它又必须整体读取（位置不对或不成对的引号、"
        "单独的回车符、字段数不符的行、空缺或重复的编号、非 UTF-8 编码的字节或表头问题），未读取。请在文本编辑器"
        "或 Excel 中改正这些行（去掉多余的引号、逗号或回车，补全或删去重复的编号），或把台账拆成小于 {limit} 的"
        "几个文件",
        "ledger {path} is {size}, over the {limit} up to which a ledger is read whole, and it must be read whole "
        "(a quote out of place or left open, a lone carriage return, a line with the wrong number of fields, a "
        "key that is empty or repeated, bytes that are not UTF-8, or a header problem); it was not read. Fix "
        "those lines in a text editor or Excel (no stray quotes, commas or carriage returns, every key present "
        "once), or split the ledger into files under {limit}",
    ),
    "ledger_too_large_identify": (
        "台账 {path} 有 {size}，超过整体读取的上限 {limit}，未读取：targets.yaml 要求在这本台账中查找编号不同的"
        "同一记录（identify），每条记录都要与其他记录比较，所以必须整体读取。请把它按年度拆成小于 {limit} 的几个台账",
        "ledger {path} is {size}, over the {limit} up to which a ledger is read whole; it was not read: "
        "targets.yaml asks to find the same record under two keys in it (identify), which compares every record "
        "with every other, so it must be read whole. Split it into ledgers under {limit} (by year, say)",
    ),
    "ledger_over_any_cap": (
        "台账 {path} 有 {size}，超过任何台账的上限 {limit}，未读取。请把它按年度拆成小于 {limit} 的几个台账；"
        "这样的规模应改用数据库",
        "ledger {path} is {size}, over the limit of {limit} for any ledger; it was not read. Split it into files "
        "under {limit} (by year, say); data of this size belongs in a database",
    ),
    "ledger_line_too_long": (
        "台账 {path} 第 {line} 行超过 {limit} 的上限，未读取。请用文本编辑器检查该行，必要时从备份恢复",
        "ledger {path} line {line} is over the limit of {limit}; the ledger was not read. Check that line in a "
        "text editor; restore the file from a backup or git if needed",
    ),
    "ledger_field_too_large": (
        "台账 {path} 第 {line} 行有一个字段超过 {limit} 个字符的上限（引号不成对？），未读取。"
        "请用文本编辑器检查该行的引号",
        "ledger {path} line {line} has a field over the limit of {limit} characters (an unbalanced quote?); the "
        "ledger was not read. Check the quotes on that line in a text editor",
    ),
    "ledger_bad_csv": (
        "台账 {path} 第 {line} 行无法按 CSV 读取：{reason}。请用文本编辑器检查该行，必要时从备份恢复",
        "ledger {path} line {line} cannot be read as CSV: {reason}. Check that line in a text editor; restore "
        "the file from a backup or git if needed",
    ),
    # --- hard to break ---
    "lock_lost": (
        "数据锁 {path} 在写入期间被删除或替换，另一个进程可能同时在写。未做任何修改，请重新运行",
        "the data lock {path} was removed or replaced while held; another process may be writing. "
        "Nothing was changed; run it again",
    ),
    "data_changed": (
        "{path} 在本次导入读取之后被其他进程修改（数据锁文件被删除了吗？）。未做任何修改，请重新导入",
        "{path} was changed by another process after this import read it (was the lock file removed?). "
        "Nothing was changed; run the import again",
    ),
    "data_dir_not_folder": (
        "数据文件夹 {path} 不是文件夹（见 targets.yaml 的 plan.data_dir）",
        "the data folder {path} is not a folder (see plan.data_dir in targets.yaml)",
    ),
    "stdout_failed": ("无法写入标准输出：{reason}", "cannot write to standard output: {reason}"),
    "os_failed": ("无法完成：{reason}{path}", "could not finish: {reason}{path}"),
    "number_too_large": (
        "{value} 超出合理范围（上限 {limit}）",
        "{value} is beyond any plausible value (limit {limit})",
    ),
    "text_too_long": (
        "文本长 {length} 个字符，超过该字段的上限 {limit}。请核对是否误把多个单元格粘在一起；"
        "确需更长，在 targets.yaml 中调大该字段的 max_length",
        "text is {length} characters long, over this field's limit of {limit}. Check that cells were not run together; "
        "if it must be longer, raise the field's max_length in targets.yaml",
    ),
    "ledger_left_out": (
        "{problem}；报告按空台账计算（加 --strict 则报错）",
        "{problem}; the report counts it as empty (--strict makes this an error)",
    ),
    "strict_ledger_left_out": ("{problem}（--strict）", "{problem} (--strict)"),
    # --- robot ---
    "webhook_space": (
        "{robot}机器人的 webhook 地址 {url}（来自 {source}）第 {position} 个字符是空格、制表符或不可见字符；"
        "常见原因是同一行地址后面的注释（… # 说明）：请把注释放到单独一行",
        "the {robot} robot's webhook {url} (from {source}) has a space, tab or invisible character at position "
        "{position}; usually a comment after the address on the same line (… # note): put it on a line of its own",
    ),
    "webhook_userinfo": (
        "{robot}机器人的 webhook 地址 {url}（来自 {source}）在主机名前含用户名或密码（…@）；"
        "机器人的密钥写在地址的查询参数中，请删去 @ 及其前面的部分",
        "the {robot} robot's webhook {url} (from {source}) has a user name or password before the host (…@); "
        "a robot's key goes in the query: remove the part up to and including @",
    ),
    "webhook_bad_port": (
        "{robot}机器人的 webhook 地址 {url}（来自 {source}）的端口不是 1 到 65535 之间的数字",
        "the {robot} robot's webhook {url} (from {source}) has a port that is not a number from 1 to 65535",
    ),
    "webhook_bad_host": (
        "{robot}机器人的 webhook 地址 {url}（来自 {source}）的主机名无效（方括号不配对，或含无法编码的字符）",
        "the {robot} robot's webhook {url} (from {source}) has no valid host name "
        "(unmatched [ ], or characters a domain name cannot hold)",
    ),
    "secrets_file_open": (
        "{path} 的权限是 {mode}，其他用户可以读取或改写其中的机器人地址和密钥；请运行 chmod 600 {path}",
        "{path} has mode {mode}: other users can read or change the robots' addresses and keys in it; "
        "run chmod 600 {path}",
    ),
    "robot_redirected": (
        "{robot}的地址 {url} 答复重定向（{status}）到 {location}；发送请求不跟随重定向，消息没有发到那里。"
        "请核对 webhook 地址",
        "{robot} at {url} answered with a redirect ({status}) to {location}; a message is never re-sent to "
        "another address. Check the webhook",
    ),
    "robot_proxy_bad": (
        "无法把周报发送到{robot}（{url}）：环境变量中的代理设置（HTTP_PROXY、HTTPS_PROXY、ALL_PROXY）无法使用：{reason}",
        "could not deliver the summary to {robot} ({url}): the proxy set in the environment (HTTP_PROXY, "
        "HTTPS_PROXY, ALL_PROXY) cannot be used: {reason}",
    ),
    "robot_unconfirmed": (
        "无法确认{robot}（{url}）是否收到了周报：{reason}。消息可能已经送达：请先查看群消息，再决定是否重发",
        "cannot confirm that {robot} ({url}) received the summary: {reason}. It may have been delivered: "
        "look in the group before sending it again",
    ),
    # --- page ---
    "attach_needs_send": ("--attach 要与 --send wecom 一起使用", "--attach goes with --send wecom"),
    "attach_not_supported": (
        "{robot}的群机器人不能发送文件：去掉 --attach，用 --link 给出全文的网址",
        "{robot} group robots cannot send files: drop --attach and give the summary's address with --link",
    ),
    "attach_size": (
        "{path} 有 {size} 字节，企业微信群机器人只接收 5 字节到 20 MB 的文件：用 --link 给出全文的网址",
        "{path} is {size} bytes; a WeCom group robot takes files of 5 bytes to 20 MB: give the summary's "
        "address with --link instead",
    ),
    "attach_no_media": (
        "{robot}（{url}）收下了文件，但答复中没有 media_id，无法发送文件消息；周报摘要没有发送",
        "{robot} ({url}) took the file but its answer has no media_id, so it cannot be sent; the digest was not sent",
    ),
    "summary_attached": (
        "全文 {name} 已作为文件发送到{robot}群",
        "the full summary {name} was sent to the {robot} group as a file",
    ),
    # --- any plan ---
    "plan_missing_key": ("{where}：缺少必填项", "{where}: field required"),
    "plan_unknown_key": (
        "{where}：未知的键（拼写错误？docs/targets.md 列出全部键）",
        "{where}: unknown key (typo? docs/targets.md lists every key)",
    ),
    "plan_wrong_type": ("{where}：应为{expected}，而不是 {value!r}", "{where}: should be {expected}, not {value!r}"),
    "plan_bound": ("{where}：应{op} {limit}（现为 {value}）", "{where}: must be {op} {limit} (it is {value})"),
    "plan_too_short": ("{where}：至少需要 {min} 项", "{where}: needs at least {min} item(s)"),
    "plan_pattern": ("{where}：{value!r} 格式不对（应匹配 {pattern}）", "{where}: {value!r} does not match {pattern}"),
    "plan_kind_needs": ("{where}：kind {kind} 需要 {missing}", "{where}: kind {kind} needs {missing}"),
    "plan_min_max": ("{where}：min {min} 大于 max {max}", "{where}: min {min} is greater than max {max}"),
    "plan_measure_needs": (
        "{where}：aggregate {aggregate} 需要 {missing}",
        "{where}: aggregate {aggregate} needs {missing}",
    ),
    "plan_population": ("{where}：人口应大于 0", "{where}: a population must be greater than 0"),
    "plan_enum_needs_values": ("{where}：enum 类型的字段需要 values", "{where}: an enum needs `values`"),
    "plan_invalid": ("{where}：取值不符合要求（{type}）", "{where}: not a valid value ({type})"),
    "plan_towns_per_town": (
        "指标 {indicator}：towns 只用于 per_town 的节点（milestone）指标",
        "indicator {indicator}: towns applies to per_town milestones only",
    ),
    "plan_until_flow": (
        "指标 {indicator}（kind: {kind}）是流量："
        "until/until_where 只用于存量（kind: stock 或 trend，或 aggregate: stock）",
        "indicator {indicator} (kind: {kind}) is a flow: until/until_where apply to levels only "
        "(kind: stock or trend, or aggregate: stock)",
    ),
    "plan_density_needs_population": (
        "指标 {indicator}：单位 {unit} 是密度单位（dimension: density），measure 需要 per_population",
        "indicator {indicator}: {unit} is a density unit (dimension: density); the measure needs per_population",
    ),
    "plan_population_needs_density": (
        "指标 {indicator} 按人口计算（per_population），单位 {unit} 应为密度单位（dimension: density）",
        "indicator {indicator} is per population (per_population): its unit {unit} must be a density unit "
        "(dimension: density)",
    ),
    "plan_unit_not_count": (
        "指标 {indicator} 统计记录数，单位 {unit}（dimension: {dimension}）不适用；应为计数单位（dimension: count）",
        "indicator {indicator} counts records: unit {unit} (dimension: {dimension}) cannot apply; "
        "use a count unit (dimension: count)",
    ),
    "plan_town_name": (
        "{where} 中的 {value!r} 不是本计划的规范名称；最接近的是 {closest!r}",
        "{where}: {value!r} is not a name of this plan's towns; the closest is {closest!r}",
    ),
    "no_phases": (
        "本计划未划分阶段，不能使用 {option}；可用 --as-of 指定日期",
        "this plan has no phases, so {option} cannot be used; use --as-of DATE",
    ),
    "report_share_column": ("占{whole}%", "share of {whole} %"),
    "area_unassigned_column": ("未划分{area}", "{area!c} unassigned"),
    "report_by_area": ("按{area}", "by {area}"),
    "report_area_count": ("（{count} 个{areas}）", " ({count} {areas})"),
    "report_baseline_title": (
        "基期：计划开始（{start}）前，截至 {as_of}",
        "baseline before the plan starts ({start}), as of {as_of}",
    ),
    "milestone_done_before_start": (
        "{date} 已完成（计划开始前），计为完成；如应在计划期内完成，请核对日期",
        "done {date}, before the plan started: counted as done; check the date if it belongs in the plan period",
    ),
    "chart_share_axis": ("占{whole} %", "% of {whole}"),
    "chart_areas_title": ("各{areas}对比", "{areas!c} side by side"),
    "chart_share_caption": ("各{area}占{whole}比例", "each {area}'s share of the {whole}"),
    "listing_every_area": ("各{area}", "every {area}"),
    # --- goals ---
    "plan_goal_key_kind": (
        "指标 {indicator}（kind: {kind}）不能设置 {key}：基期值 baseline 用于有数量的指标；季节进度 pace: seasonal "
        "用于 cumulative、annual、range；路径 path 用于存量（stock）和设 due 的年度指标（annual，按目标年考核）",
        "indicator {indicator} (kind: {kind}) cannot have {key}: baseline applies to indicators with an amount; "
        "pace: seasonal to cumulative, annual and range; path to stocks and to annual indicators with a due date "
        "(judged in their target year)",
    ),
    "plan_path_needs_baseline": (
        "指标 {indicator}：路径 path 从基期值出发，请同时写 baseline: {{value: 基期值, year: 基期年份}}",
        "indicator {indicator}: a path starts from the baseline; add baseline: {{value: VALUE, year: YEAR}}",
    ),
    "plan_baseline_year": (
        "指标 {indicator}：基期年份 {year} 须早于目标年份 {final}，且不晚于计划开始的年份 {start}",
        "indicator {indicator}: the base year {year} must come before the target year {final} "
        "and no later than the plan's first year {start}",
    ),
    "plan_compound_positive": (
        "指标 {indicator}：按年均增速（path: compound）推算须基期值和目标值都大于 0；否则请用 path: linear",
        "indicator {indicator}: a compound path needs a baseline and a target above 0; use path: linear otherwise",
    ),
    # --- rules ---
    "plan_unknown_rule": (
        "检查规则 {rule}（字段 {field}）不存在；可用的规则：{known}",
        "the check rule {rule} (field {field}) does not exist; known rules: {known}",
    ),
    # --- statistic ---
    "plan_statistic_needs": (
        "指标 {indicator}（kind statistic，公布的统计数）的 measure 需要 {missing}："
        "date 为公布日期，period 为数据所属年度",
        "indicator {indicator} (kind statistic, a published figure): its measure needs {missing} "
        "(date: the day published, period: the year the figure is for)",
    ),
    "plan_statistic_only": (
        "指标 {indicator} 的 measure 键 {key} 只用于 kind statistic（公布的统计数）",
        "indicator {indicator}: the measure key {key} is for kind statistic (published figures) only",
    ),
    "plan_statistic_per_population": (
        "指标 {indicator}（kind statistic，公布的统计数）的 measure 不能用 per_population：公布数按公布值计。"
        "请在台账中记录公布的每万人口数本身，或把人口记为台账字段并用 denominator 指定（比率 = field / denominator）",
        "indicator {indicator} (kind statistic, a published figure): its measure cannot use per_population, "
        "a published figure counts as published. Record the published per-population figure itself, or "
        "record the population as a ledger field and name it as denominator (a ratio: field / denominator)",
    ),
    "plan_ratio_unit": (
        "指标 {indicator} 是比率（field / denominator），"
        "单位 {unit} 应为 dimension ratio 的单位（如 %: {{dimension: ratio, factor: 0.01}}）",
        "indicator {indicator} is a ratio (field / denominator): its unit {unit} must have dimension ratio "
        "(e.g. %: {{dimension: ratio, factor: 0.01}})",
    ),
    "plan_ratio_units": (
        "指标 {indicator} 的分子 {field} 与分母 {other} 单位量纲不同，无法相除",
        "indicator {indicator}: numerator {field} and denominator {other} have units of different dimensions",
    ),
    # --- phase 3 ---
    "evidence_missing": (
        "佐证材料 {value!r} 不存在（记录 {key}）；请把文件放到佐证材料文件夹 {folders} 中，或改写为文号",
        "evidence file {value!r} does not exist (record {key}); "
        "put it in the evidence folder {folders} or write a document number",
    ),
    "evidence_outside": (
        "佐证材料 {value!r} 是绝对路径或含“..”（可能指向项目文件夹之外），拒绝归档（记录 {key}）；"
        "请把文件复制到佐证材料文件夹 {folders} 中，并写相对于项目文件夹、不含“..”的路径",
        "evidence file {value!r} is an absolute path or has a '..' step (it may lead outside the project folder), "
        "refused for the archive (record {key}); "
        "copy the file into the evidence folder {folders} and write its path relative to the project folder",
    ),
    "archive_written": (
        "已写入 {path}：台账 {ledgers} 个，佐证材料文件 {files} 个，文号等依据 {references} 条，缺失 {missing} 条，"
        "拒绝 {refused} 条",
        "wrote {path}: {ledgers} ledger{ledgers!p}, {files} evidence file{files!p}, {references} document "
        "reference{references!p}, {missing} missing, {refused} refused",
    ),
    "webhook_missing": (
        '未配置{robot}机器人：请设置环境变量 {variable}，或在 targets.yaml 旁的 {file} 中写入 [{target}] webhook = "…"',
        'no {robot} robot configured: set the environment variable {variable}, or write [{target}] webhook = "…" '
        "in {file} beside targets.yaml",
    ),
    "webhook_bad_url": (
        "{robot}机器人的 webhook 地址 {url}（来自 {source}）不是 http(s):// 地址",
        "the {robot} robot's webhook {url} (from {source}) is not an http(s):// address",
    ),
    "secrets_file_bad": ("无法读取 {path}：{reason}", "cannot read {path}: {reason}"),
    "robot_refused": (
        "{robot}机器人拒绝了消息：错误码 {errcode}，{reason}（地址 {url}）",
        "the {robot} robot refused the message: error {errcode}, {reason} (address {url})",
    ),
    "robot_unreachable": (
        "无法把周报发送到{robot}（{url}），已尝试 {attempts} 次：{reason}",
        "could not deliver the summary to {robot} ({url}) after {attempts} attempt{attempts!p}: {reason}",
    ),
    "digest_too_large": ("周报摘要无法压缩到{robot}的长度限制内", "the digest cannot be made to fit {robot}'s limit"),
    "summary_written": ("周报已写入 {path}", "summary written to {path}"),
    "summary_sent": ("已发送到{robot}群（{size} 字节{cut}）", "sent to the {robot} group ({size} bytes{cut})"),
    "summary_sent_cut": ("，已截断", ", cut to fit"),
    # --- evidence ---
    "evidence_protected": (
        "佐证材料 {value!r} 指向项目自身的受保护文件（数据文件夹、台账、导入日志、机器人密钥文件、版本库、"
        "隐藏文件或缓存），拒绝归档（记录 {key}）；"
        "请把佐证文件本身放到佐证材料文件夹 {folders} 中，并写它的路径",
        "evidence file {value!r} names a protected file of the project (the data folder, a ledger, the journal, the "
        "robots' secrets file, the repository, a hidden file or the cache), refused for the archive (record {key}); "
        "put the document itself in the evidence folder {folders} and write its path",
    ),
    "evidence_not_in_folder": (
        "佐证材料 {value!r} 不在佐证材料文件夹 {folders} 中，拒绝归档（记录 {key}）；请把文件移入该文件夹，并写其路径",
        "evidence file {value!r} is not in the evidence folder {folders}, refused for the archive (record {key}); "
        "move the file into that folder and write its path",
    ),
    "evidence_symlink": (
        "佐证材料 {value!r} 是指向佐证材料文件夹 {folders} 以外的链接，拒绝归档（记录 {key}）；请用文件本身替换链接",
        "evidence file {value!r} is a link that leads out of the evidence folder {folders}, refused for the archive "
        "(record {key}); replace the link with the file itself",
    ),
    "evidence_ignored": (
        "佐证材料 {value!r} 被版本库的忽略规则排除，拒绝归档（记录 {key}）；请从忽略规则中移除它，或换一个文件",
        "evidence file {value!r} is ignored by git (.gitignore), refused for the archive (record {key}); "
        "remove it from the ignore rules or use another file",
    ),
    "plan_evidence_dir": (
        "{where}：佐证材料文件夹 {value!r} 须是项目文件夹内的一个子文件夹（相对路径，不含 ..，不以 . 开头）",
        "{where}: the evidence folder {value!r} must be a folder inside the project (a relative path, no .., "
        "not starting with .)",
    ),
    # --- tasks ---
    "plan_task_phase": (
        "任务 {task} 的 due_phase {phase} 不是本计划的阶段；可用：{known}",
        "task {task}: due_phase {phase} is not a phase of this plan; use one of: {known}",
    ),
    "plan_task_indicator": (
        "任务 {task} 关联的指标 {indicator!r} 不存在；最接近的有：{closest}",
        "task {task} links indicator {indicator!r}, which does not exist; closest: {closest}",
    ),
    "plan_task_field_no_tasks": (
        "台账 {ledger} 的字段 {field} 为 task 类型，但 targets.yaml 中没有 tasks",
        "ledger {ledger}: field {field} is of type task, but targets.yaml has no tasks",
    ),
    "plan_task_statuses": (
        "台账 {ledger} 的 status 取值应为 {expected}，实际为 {values}",
        "ledger {ledger}: status must have the values {expected}, not {values}",
    ),
    # --- docx ---
    "docx_no_cjk_font": (
        "找不到能显示中文的字体，无法绘制自查报告的图表（未写入文件）。请安装中文字体（如 Debian/Ubuntu 的 "
        "fonts-noto-cjk 软件包）后重试，或用 --lang en 生成英文报告",
        "No font that can draw Chinese was found, so the report's charts cannot be drawn (nothing was written). "
        "Install a CJK font (e.g. the fonts-noto-cjk package on Debian/Ubuntu) and try again, or use --lang en",
    ),
}


# The words of the views: "group.name": (中文, English). Groups follow the layers: words shared
# by several views first, then one group per view (cli, listing, report, summary, imports,
# charts, the docx 自查报告, the group-robot digest, the archive), then the words load_plan uses.
LABELS: dict[str, tuple[str, str]] = {
    # --- the README `ipdemo init` writes into a new data repository ------------------------------
    "init.readme": (
        "# {plan} — 数据仓库\n\n"
        "- `targets.yaml`：工作计划（阶段、{areas}、台账、指标）\n"
        "- `data/*.csv`：各台账（UTF-8 带 BOM，日期 YYYY-MM-DD）\n\n"
        "常用命令：\n\n"
        "    ipdemo import 导出文件.xlsx       # 导入导出数据（自动识别台账、编码、表头）\n"
        "    ipdemo validate                   # 检查数据\n"
        "    ipdemo report --phase 2           # 进度报告\n"
        "    ipdemo summary --format html -o 周报.html\n",
        "# {plan} — data repository\n\n"
        "- `targets.yaml`: the plan (phases, {areas}, ledgers, targets)\n"
        "- `data/*.csv`: the ledgers (UTF-8 with a BOM, dates YYYY-MM-DD)\n\n"
        "Common commands:\n\n"
        "    ipdemo import EXPORT.xlsx         # import an export (ledger, encoding and header recognised)\n"
        "    ipdemo validate                   # check the data\n"
        "    ipdemo report --phase 2           # progress report\n"
        "    ipdemo summary --format html -o weekly.html\n",
    ),
    # --- punctuation and small grammar ------------------------------------------------------
    "punct.list": ("、", ", "),  # names in a row: 盛泽镇、七都镇 / A, B
    "punct.comma": ("，", ", "),
    "punct.semicolon": ("；", "; "),
    "punct.labelled": ("{name}：{text}", "{name}: {text}"),
    "punct.paren": ("（{text}）", " ({text})"),
    # --- statuses and kinds (engine values) ---------------------------------------------------
    "status.achieved": ("已完成", "achieved"),
    "status.on_track": ("正常推进", "on track"),
    "status.at_risk": ("有风险", "at risk"),
    "status.behind": ("滞后", "behind"),
    "status.none": ("—", "—"),  # no status (nothing to measure yet)
    "task_status.not_started": ("未开始", "not started"),
    "task_status.in_progress": ("推进中", "in progress"),
    "task_status.done": ("已完成", "done"),
    "kind.cumulative": ("累计", "cumulative"),
    "kind.annual": ("年度", "annual"),
    "kind.range": ("区间", "range"),
    "kind.milestone": ("节点", "milestone"),
    "kind.trend": ("趋势", "trend"),
    "kind.stock": ("存量", "stock"),
    "kind.statistic": ("统计数", "statistic"),
    "trend.rising": ("上升", "rising"),
    "trend.falling": ("下降", "falling"),
    "severity.error": ("错误", "error"),
    "severity.warning": ("警告", "warning"),
    # --- cli ------------------------------------------------------------------------------------
    "cli.error": ("错误", "Error"),  # 错误: … on stderr
    "cli.warning": ("警告", "Warning"),
    "cli.importing": ("正在导入…", "importing…"),  # the spinner of a big import
    "cli.summary_file": ("周报-{week}.{ext}", "summary-{week}.{ext}"),  # summary --send without --output
    "xlsx.progress_sheet": ("进度", "progress"),
    "xlsx.about_sheet": ("说明", "about"),
    "xlsx.plan": ("计划", "plan"),
    "xlsx.window": ("统计区间", "window"),
    # --- ipdemo indicators / towns ------------------------------------------------------------
    "listing.id": ("编号", "id"),
    "listing.indicator": ("指标", "indicator"),
    "listing.kind": ("类型", "kind"),
    "listing.target": ("目标", "target"),
    "listing.ledger": ("台账", "ledger"),
    "listing.name_en": ("英文名", "English"),
    "listing.aliases": ("别名", "aliases"),
    "listing.per_year": ("{text} / 年", "{text} a year"),
    "listing.more_than": ("突破 {text}", "more than {text}"),
    # --- ipdemo report ----------------------------------------------------------------------------
    "report.id": ("编号", "id"),
    "report.name": ("指标", "indicator"),
    "report.target": ("目标", "target"),
    "report.actual": ("实际", "actual"),
    "report.percent": ("完成率%", "percent"),
    "report.expected": ("序时目标", "expected"),
    "report.status": ("状态", "status"),
    "report.phase_increment": ("本阶段新增", "phase increment"),
    "report.needed_per_week": ("尚需完成", "still needed"),
    "report.note": ("说明", "note"),
    "report.unit": ("单位", "unit"),
    "report.total": ("累计", "total"),
    "report.window": ("统计区间：{range}", "{range}"),
    "report.phase": ("第{id}阶段（{name}）", "phase {id} ({name})"),
    "report.due_by": ("{due}前", "by {due}"),
    "report.range": ("{low}至{high} {unit}", "{low}–{high} {unit}"),  # a range target (2至4 个)
    "report.per_year": ("{text}/年", "{text}/yr"),
    "report.done": ("已完成", "done"),
    "report.not_done": ("未完成", "not done"),
    "report.done_on": ("{date} 完成", "done {date}"),
    "report.late": ("（逾期）", " (late)"),
    "report.towns_missing": ("未完成：{towns}", "missing: {towns}"),
    "report.start_level": ("期初 {value}", "start {value}"),
    "report.above_max": ("超过上限", "above max"),
    "report.phase_increment_n": ("第{phase}阶段新增", "phase {phase} increment"),
    "report.phase_total_n": ("第{phase}阶段末累计", "phase {phase} total"),
    "report.by_phase": ("按阶段", "by phase"),
    "report.by_year": ("按年度", "by year"),
    "report.by_month": ("按月", "by month"),
    "report.baseline": ("基期值", "baseline"),
    "report.binding": ("属性", "attribute"),
    "report.plan_text": ("规划表述", "the plan's words"),
    "report.baseline_value": ("{value}（{year}年）", "{value} ({year})"),
    "report.in_year": ("{text}（{year}年）", "{text} in {year}"),
    "report.year_span": ("{first}—{last}", "{first}–{last}"),
    "report.pace_seasonal": ("按季节进度（{years}年各月占比）", "seasonal pace (months' shares in {years})"),
    "report.pace_fallback": (
        "计划开始前不足一整年数据，按线性进度",
        "less than a full year of records before the plan start: linear pace",
    ),
    "binding.expected": ("预期性", "expected"),
    "binding.binding": ("约束性", "binding"),
    "report.not_published": ("尚未公布", "not yet published"),  # a statistic with no figure yet
    "report.period": ("{year}年", "{year}"),  # the period of a published figure
    "report.period_figure": ("{year}年数据", "{year} figure"),
    # the plan's tasks (report, summary, docx)
    "task.title": ("重点任务推进情况（逾期在前）", "Tasks (overdue first)"),
    "task.id": ("编号", "id"),
    "task.ref": ("条目", "item"),
    "task.task": ("任务", "task"),
    "task.lead": ("牵头单位", "lead unit"),
    "task.due": ("完成时限", "due"),
    "task.status": ("状态", "status"),
    "task.updated_on": ("最近报送", "last report"),
    "task.latest": ("最新进展", "latest progress"),
    "task.overdue": ("（逾期）", " (overdue)"),
    "task.late": ("（逾期完成）", " (done late)"),
    "task.from": ("据指标：{items}", "from indicators: {items}"),
    "task.percent": ("完成率{percent}%", "{percent}% of target"),
    "task.counts": (
        "共{total}项：已完成{done}项，推进中{in_progress}项，未开始{not_started}项；逾期{overdue}项。",
        "{total} task{total!p}: {done} done, {in_progress} in progress, {not_started} not started; {overdue} overdue.",
    ),
    "task.sheet": ("重点任务", "tasks"),
    # --- ipdemo summary -----------------------------------------------------------------------------
    "summary.heading": ("知识产权工作周报（{week}）", "IP weekly summary ({week})"),
    "summary.records": ("本周新增记录", "Records this week"),
    "summary.ledger": ("台账", "ledger"),
    "summary.total": ("合计", "total"),
    "summary.movement": ("指标变动", "Movement"),
    "summary.indicator": ("指标", "indicator"),
    "summary.before": ("上周末", "last week"),
    "summary.after": ("本周末", "this week"),
    "summary.delta": ("变动", "change"),
    "summary.percent": ("完成率%", "percent"),
    "summary.status": ("状态", "status"),
    "summary.changed": ("状态变化", "Status changes"),
    "summary.risky": ("需关注（有风险 / 滞后）", "Needs attention (at risk / behind)"),
    "summary.needed": ("尚需完成", "still needed"),
    "summary.stale": ("台账更新滞后", "Stale ledgers"),
    "summary.town": ("区镇", "town"),
    "summary.last": ("最近记录", "last record"),
    "summary.days": ("天数", "days"),
    "summary.limit": ("允许天数", "limit"),
    "summary.problems": ("数据问题", "Data problems"),
    "summary.imports": ("本周导入", "Imports this week"),
    "summary.time": ("时间", "time"),
    "summary.source": ("来源", "source"),
    "summary.added": ("新增", "added"),
    "summary.updated": ("更新", "updated"),
    "summary.none": ("无", "none"),
    "summary.never": ("从未", "never"),
    "summary.tasks": ("本周任务进展", "Task progress this week"),
    "summary.item": ("条目", "item"),
    "summary.task": ("任务", "task"),
    "summary.date": ("日期", "date"),
    "summary.task_status": ("进展状态", "status"),
    "summary.done": ("工作进展", "progress"),
    "summary.evidence": ("佐证材料", "evidence"),
    "summary.problem_line": (
        "共 {errors}，{warnings}",
        "{errors}, {warnings}",
    ),
    "summary.waiting": (
        "{ledger}：{n} 条记录待确认区镇（见导入时生成的 .unplaced.csv 文件，填写所属区镇后重新导入）",
        "{ledger}: {n} record{n!p} waiting for a town (in the .unplaced.csv files written by the imports: "
        "fill in the town and import them again)",
    ),
    # --- ipdemo import ------------------------------------------------------------------------------
    "imports.head": (
        "{source} → {name}台账：新增 {added}，更新 {updated}，未变 {unchanged}，拒绝 {rejected}",
        "{source} → {name}: added {added}, updated {updated}, unchanged {unchanged}, rejected {rejected}",
    ),
    "imports.dry": ("（试运行，未写入）", " (dry run, nothing written)"),
    "imports.exported": ("  导出日期 {date}（{how}）", "  exported on {date} ({how})"),
    "imports.how.option": ("--exported-on", "--exported-on"),
    "imports.how.file_name": ("取自文件名", "from the file name"),
    "imports.how.title": ("取自标题行", "from a title line"),
    "imports.how.latest_in_file": ("取自文件中最晚的日期", "the latest date in the file"),
    "imports.how.today": ("文件未注明，按今天", "not stated: today"),
    "imports.folded_publications": (
        "  同一申请的多条公开（公告）记录已合并：{n} 行",
        "  publications of one application folded into one record: {n} row{n!p}",
    ),
    "imports.outside": ("  区外 {n} 行未导入", "  outside the district: {n} row{n!p} not imported"),
    "imports.recognised": (
        "  与台账中已有记录为同一笔（另一来源、另一编号）：{n} 行，未重复计数",
        "  the same record as one already stored (another source, another number): {n} row{n!p}, not counted twice",
    ),
    "imports.same_record": (
        "  同一记录的重复行已合并（如同一人多日签到）：{n} 行",
        "  repeated rows of one record folded (e.g. one person signing on two days): {n} row{n!p}",
    ),
    "imports.other_office": (
        "  其他专利局（WO/US/PCT 等）{n} 行未导入",
        "  other patent offices (WO/US/PCT…): {n} row{n!p} not imported",
    ),
    "imports.unassigned": (
        "  区内但未写明区镇 {n} 行：已导入，计入全区合计，区镇待划分（未划分区镇）",
        "  inside the district with no town named: {n} row{n!p} imported, counted in district totals, town unassigned",
    ),
    "imports.held": (
        "  无法判断归属 {n} 行未导入，已写入 {file}：补上所属区镇后重新导入",
        "  cannot be placed: {n} row{n!p} not imported, written to {file}: fill in the town and import it again",
    ),
    "imports.held_dry": (
        "  无法判断归属 {n} 行（正式导入时写入 *.unplaced.csv 供补全）",
        "  cannot be placed: {n} row{n!p} (a real import writes them to *.unplaced.csv to complete)",
    ),
    "imports.skipped": (
        "  跳过表格中的非数据行 {n} 行：{items}",
        "  lines of the sheet that are not records skipped: {n} row{n!p}: {items}",
    ),
    "imports.skipped_kind.total": ("合计行 {rows}", "totals {rows}"),
    "imports.skipped_kind.note": ("注释/来源说明 {rows}", "notes and sources {rows}"),
    "imports.skipped_kind.footer": ("签字/表尾 {rows}", "signatures and footer {rows}"),
    "imports.kept": (
        "  较早的导出不覆盖较新的数据：{n} 个值保持不变",
        "  an older export does not overwrite newer data: {n} value{n!p} kept",
    ),
    "imports.kept_guess": (
        "  （导出日期是推断的；若文件实际导出得更晚，请用 --exported-on 指明后重新导入）",
        "  (the export date was inferred; if the file is newer, import it again with --exported-on)",
    ),
    "imports.transfers": ("  权利人变更 {n} 件", "  change of applicant/owner: {n}"),
    "imports.register": ("  企业名录新增 {n} 家", "  enterprise register: {n} organisation{n!p} added"),
    "imports.conflicts": (
        "  企业名录冲突 {n} 处（未修改名录，请核实）：{items}",
        "  enterprise register conflicts: {n} (register unchanged, please check): {items}",
    ),
    "imports.rejects": ("无效行已写入 {file}", "invalid rows written to {file}"),
    "imports.suggested": (
        "  其中 {n} 行已预填建议区镇（建议区镇列，仅供核对；确认后填入所属区镇再导入）",
        "  {n} of them carry a suggested town (建议区镇 column, a suggestion only: copy it into the town "
        "column to confirm, then import)",
    ),
    "imports.chosen": (
        "  按表头选定台账：读取列 {columns}（其中金额、数量、日期：{measures}）",
        "  ledger chosen by the headers: it reads {columns} (amounts, counts, dates: {measures})",
    ),
    "imports.chosen_others": (
        "  其他可能的台账读取得更少：{others}",
        "  other ledgers that could take the file read less of it: {others}",
    ),
    "imports.chosen_option": (
        "  台账由 --ledger 指定；读取列 {columns}",
        "  ledger given by --ledger; it reads {columns}",
    ),
    "imports.set_over": (
        "  --set {field}={value} 取代了文件中的列 {columns}",
        "  --set {field}={value} replaces the file's column {columns}",
    ),
    # --- charts (render/charts.py: the HTML pages' SVG and the docx's PNG) --------------------------------------------
    "chart.actual": ("实际", "actual"),
    "chart.pro_rata": ("序时目标", "pro-rata target"),
    "chart.year_target": ("年度目标", "year target"),
    "chart.burnup_title": ("{name}（{unit}）", "{name} ({unit})"),
    "chart.burnup_caption": ("{name}：截至{end}完成{percent}%", "{name}: {percent}% by {end}"),
    "chart.annual_title": ("{name}（{unit}/年）", "{name} per year"),
    # --- the 自查报告 (render/docx.py), GB/T 9704 ---------------------------------------------------
    # {area}, {areas}, {whole}: the plan's words (区镇 / 全区 by default; town, towns, district).
    "docx.title": (
        "{office}关于{subject}的自查报告",
        "Self-inspection report of {office} on {subject}",
    ),  # GB/T 9704 7.3.1: 发文机关 + 事由 + 文种
    "docx.as_of": ("（统计截至{date}）", "(figures as of {date})"),
    "docx.town_as_of": ("（{town}）{as_of}", "({town}) {as_of}"),  # report --town
    "docx.intro": (
        "根据{plan}{called}要求，{office}对照{ref}开展自查，现将有关情况报告如下。",
        "As {plan}{called} requires, {office} has checked its work against {ref}. This report sets out the findings.",
    ),
    "docx.office": ("{region}知识产权局", "the {whole} IP office"),
    "docx.date": ("{y}年{m}月{d}日", "{y:04}-{m:02}-{d:02}"),
    "docx.heading_basic": ("一、基本情况", "1. Overview"),
    "docx.heading_targets": ("二、主要目标完成情况", "2. Main targets"),
    "docx.heading_areas": ("三、各{areas}完成情况", "3. {areas!c}"),
    "docx.heading_tasks": ("四、重点任务推进情况", "4. Key tasks"),
    "docx.heading_problems": ("五、存在的问题", "5. Problems"),
    "docx.heading_next": ("六、下一步工作", "6. Next steps"),
    "docx.basic_plan": (
        "{ref}实施期为{start}至{end}，分{phases}{count}个阶段开展。",
        "{ref!c} runs from {start} to {end} in {count} phase{count!p}: {phases}.",
    ),
    "docx.basic_plan_phase": ("{name}（{start}至{end}）", "{name} ({start} to {end})"),
    "docx.basic_window": ("本报告统计{start}至{end}{phase}的工作情况。", "This report covers {start} to {end}{phase}."),
    "docx.basic_phase": ("（第{id}阶段：{name}）", " (phase {id}: {name})"),
    "docx.basic_sources": (
        "数据来源：{sources}台账。以上台账均经逐条校验，未通过校验的记录不计入统计。",
        "Data sources: the ledgers of {sources}. "
        "Every record was checked; records that fail the checks are not counted.",
    ),
    "docx.source": ("{name}（有效记录{rows}条）", "{name} (valid records: {rows})"),
    "docx.no_source": ("数据来源：尚无台账数据。", "Data sources: no ledger data yet."),
    "docx.summary": (
        "{ref}共设{total}项指标。截至{end}，{counts}。各项指标完成情况见表1。",
        "{ref!c} sets {total} target{total!p}. By {end}: {counts}. Table 1 lists them.",
    ),
    "docx.table1": ("表1  主要目标完成情况", "Table 1  Main targets"),
    "docx.table2": ("表2  各{areas}主要指标完成情况", "Table 2  {areas!c}"),
    "docx.col_no": ("序号", "No."),
    "docx.col_indicator": ("指标", "Indicator"),
    "docx.col_target": ("目标", "Target"),
    "docx.col_actual": ("完成", "Actual"),
    "docx.col_percent": ("完成率（%）", "Percent"),
    "docx.col_status": ("状态", "Status"),
    "docx.col_district": ("{whole}", "{whole!c}"),
    "docx.col_task": ("任务", "Task"),
    "docx.col_lead": ("牵头单位", "Lead unit"),
    "docx.col_latest": ("最新进展", "Latest progress"),
    "docx.notes": ("注：{notes}。", "Notes: {notes}."),
    "docx.indicator_unit": ("{name}（{unit}）", "{name} ({unit})"),
    "docx.towns_intro": (
        "{ref}未向各{area}分解目标，下表列示各{area}实际完成数（单位同表1）{extra}。",
        "{ref!c} sets no {area} targets; the table shows what each {area} achieved (units as in Table 1){extra}.",
    ),
    "docx.towns_unassigned": (
        "；“{unassigned}”为尚未确定所属{area}的记录",
        '; "{unassigned}" counts records whose {area} is not yet known',
    ),
    "docx.towns_none": ("暂无可按{area}统计的指标。", "No indicator can be broken down by {area} yet."),
    "docx.tasks_intro": (
        "{ref}重点任务推进情况如下（逾期任务列前）。",
        "Progress on the tasks of {ref} (overdue tasks first):",
    ),
    "docx.tasks_none": (
        "{ref}重点任务的推进情况尚未纳入台账跟踪，请各牵头单位对照{ref}逐项补充推进情况及佐证材料。",
        "The tasks of {ref} are not tracked in the ledgers yet; "
        "each lead unit should report its progress and evidence.",
    ),
    "docx.tasks_town": (
        "重点任务、特色任务和保障措施按{whole}跟踪，推进情况见{whole}自查报告。",
        "The Plan's tasks are followed for the {whole}; see the {whole}'s report.",
    ),
    "docx.p_behind": ("（{n}）部分指标进度滞后。", "({n}) Some indicators are behind schedule. "),
    "docx.p_milestones": ("（{n}）部分节点任务未按期完成。", "({n}) Some milestones were missed or late. "),
    "docx.p_tasks": ("（{n}）部分重点任务尚未完成。", "({n}) Some tasks are not done. "),
    "docx.p_data": ("（{n}）台账数据质量有待提高。", "({n}) Ledger data needs attention. "),
    "docx.missed": ("{name}要求于{due}前完成，目前尚未完成。", "{name} was due by {due} and is not done."),
    "docx.missed_towns": (
        "{name}要求于{due}前完成，目前{towns}尚未完成。",
        "{name} was due by {due}; not done in {towns}.",
    ),
    "docx.late": (
        "{name}要求于{due}前完成，实际于{done}完成，晚于要求时间。",
        "{name} was due by {due} and was done on {done}, late.",
    ),
    "docx.task_overdue": (
        "{ref}“{title}”要求于{due}前完成，目前{status}。",
        '{ref} "{title}" was due by {due} and is {status}.',
    ),
    "docx.invalid": (
        "共有{count}条记录未通过校验，未计入统计（{where}），需核实更正。",
        "Records that fail the checks are not counted: {count} ({where}).",
    ),
    "docx.invalid_part": ("{name}{count}条", "{name}: {count}"),
    "docx.p_none": (
        "经自查，各项指标均按序时进度推进，节点任务按期完成，台账数据均通过校验，未发现明显问题。",
        "No problems found: every indicator is on schedule, milestones were met, and every record passes the checks.",
    ),
    "docx.figure": ("图{n}  {caption}", "Figure {n}  {caption}"),
    "docx.fig_percent": ("主要指标完成率", "Percent of target"),
    "docx.fig_burnup": ("主要数量指标累计完成情况", "Main volume targets over time"),
    "docx.fig_towns": ("各{area}占{whole}比例", "Each {area}'s share of the {whole}"),
    "docx.chart_percent_axis": (
        "完成率（%），虚线为目标，点线为序时进度",
        "percent of target (dashed: target; dotted: time elapsed)",
    ),
    "docx.chart_burnup_title": ("{name}（{unit}）", "{name}"),
    # --- docx ---
    "docx.month_tick": ("{y}年{m}月", "{y:04}-{m:02}"),  # the date axis of the Word report's charts
    "docx.plan_full": ("《{name}》", "the {name}"),
    "docx.plan_short": ("《{short}》", "the {short}"),
    "docx.called": ("（以下简称{ref}）", " ({ref})"),
    "docx.work_word": ("工作", "work"),
    "docx.subject_default": ("{plan}实施情况", "the implementation of {plan}"),
    "docx.recipients": ("{names}：", "To: {names}"),
    "docx.amount": ("{value}{unit}", "{value} {unit}"),
    "docx.count_part": ("{what}{n}项", "{what}: {n}"),
    "docx.not_assessable": ("暂无法评价", "not yet assessable"),
    "docx.basic_plan_no_phases": ("{ref}实施期为{start}至{end}。", "{ref!c} runs from {start} to {end}."),
    "docx.due_by": ("{due}前", "by {due}"),
    "docx.towns_count": ("（{n}个{areas}）", " ({n} {areas})"),
    "docx.range": ("{min}至{max}{unit}", "{min} to {max} {unit}"),
    "docx.more_than": ("超过{text}", "more than {text}"),
    "docx.per_year": ("每年{text}", "{text} a year"),
    "docx.note_year": ("{year}年完成{actual}（目标{target}）", "{year}: {actual} (target {target})"),
    "docx.note_annual": ("{name}{years}", "{name}: {years}"),
    "docx.note_level": ("{year}年{value}", "{year}: {value}"),
    "docx.note_trend": ("{name}期初为{start}，{years}", "{name}: {start} at the start, {years}"),
    "docx.note_above_max": ("{name}已超过目标上限", "{name} is above the maximum"),
    "docx.note_in_range": ("{name}在目标区间内", "{name} is within the target range"),
    "docx.note_below_range": ("{name}尚未达到目标下限", "{name} is below the minimum"),
    "docx.note_towns_missing": ("{name}尚未完成：{towns}", "{name} not done in {towns}"),
    "docx.note_done": ("{name}于{date}完成{late}", "{name} done on {date}{late}"),
    "docx.note_late": ("，晚于要求时间", ", late"),
    "docx.note_before_start": ("，早于实施期开始", ", before the plan started"),
    "docx.tasks_counts": (
        "{ref}确定的{total}项重点任务中，{counts}{overdue}。推进情况如下（逾期任务列前）。",
        "{ref!c} sets {total} task{total!p}: {counts}{overdue}. Overdue tasks come first:",
    ),
    "docx.tasks_overdue": ("，其中逾期{n}项", ", {n} overdue"),
    "docx.derived": ("相关指标{items}", "Linked indicators: {items}"),
    "docx.derived_done": (
        "“{name}”已于{date}完成",
        '"{name}" done on {date}',
    ),
    "docx.derived_percent": (
        "“{name}”完成率{percent}%，{status}",
        '"{name}" {percent}%, {status}',
    ),
    "docx.derived_status": (
        "“{name}”{status}",
        '"{name}" {status}',
    ),
    "docx.target_in_year": ("{text}（{year}年）", "{text} in {year}"),
    "docx.baseline_is": ("基期值{value}，{year}年", "baseline {value} in {year}"),
    "docx.goal_note": ("（{text}）", " ({text})"),
    "docx.pace_days": ("须在{days}天内完成", "to be done within {days} day{days!p}"),
    "docx.pace_within": ("须在{weeks}周内完成", "to be done within {weeks} week{weeks!p}"),
    "docx.pace_weekly": ("剩余{weeks}周，平均每周需完成{rate}", "{weeks} week{weeks!p} left: {rate} a week"),
    "docx.p_at_risk": ("（{n}）部分指标存在滞后风险。", "({n}) Some indicators are at risk. "),
    "docx.problem_item": (
        "{name}完成{actual}，完成率{percent}%，低于序时进度（应完成{expected}）。",
        "{name}: {actual}, {percent}% of the target, below the expected {expected}.",
    ),
    "docx.problem_past_due": (
        "{name}要求于{due}前完成{target}，目前完成{actual}，完成率{percent}%。",
        "{name}: {target} was due by {due}; {actual} so far ({percent}%).",
    ),
    "docx.problem_annual": (
        "{name}{year}年完成{actual}，低于年度目标{target}。",
        "{name}: {actual} in {year}, below the year's target of {target}.",
    ),
    "docx.problem_plain": ("{name}{status}。", "{name}: {status}."),
    "docx.tasks_open": (
        "截至{end}，{total}项重点任务中尚有{open}项未完成（{counts}）。",
        "By {end}, {open} of the {total} task{total!p} are not done ({counts}).",
    ),
    "docx.step_lead": ("{n}.{lead}", "{n}. {lead}"),
    "docx.step_past_due": ("尽快完成已逾期的目标。", "Finish the targets past their due date. "),
    "docx.step_past_due_item": (
        "{due}前应完成的以下指标已逾期：{items}。须尽快完成并补充佐证材料。",
        "Due by {due} and past due: {items}. Finish them and file the evidence.",
    ),
    "docx.short_by": ("{name}尚差{gap}", "{name} ({gap} short)"),
    "docx.step_due_today": ("确保到期目标按时完成。", "Meet the targets due today. "),
    "docx.step_due_today_item": (
        "{due}到期的以下指标尚未完成：{items}。须在期限内全力完成，确实无法完成的须说明原因。",
        "Due on {due} and not met yet: {items}. Finish them in time, or explain why they cannot be.",
    ),
    "docx.step_behind": ("加快推进进度滞后的指标。", "Speed up the indicators behind schedule. "),
    "docx.step_at_risk": ("加强有滞后风险指标的跟踪调度。", "Follow the indicators at risk closely. "),
    "docx.step_pace_item": ("{name}距目标尚差{gap}，{pace}", "{name}: {gap} short, {pace}"),
    "docx.step_items": ("{items}。", "{items}."),
    "docx.step_milestone_item": ("{name}须于{due}前完成", "{name} is due by {due}"),
    "docx.step_tasks": ("推进逾期的重点任务。", "Move the overdue tasks forward. "),
    "docx.task_ref": (
        "{ref}“{title}”",
        '{ref} "{title}"',
    ),
    "docx.step_tasks_text": (
        "{tasks}已超过要求完成时间，牵头单位须制定措施、加快推进。",
        "{tasks}: past due; the lead units are to act now.",
    ),
    "docx.step_evidence": ("补齐佐证材料。", "Complete the evidence. "),
    "docx.step_evidence_text": (
        "{tasks}的最新进展尚无佐证材料，请牵头单位补充。",
        "{tasks}: the latest report names no evidence; the lead units are to file it.",
    ),
    "docx.step_data": ("核实更正台账数据。", "Correct the ledger data. "),
    "docx.step_data_text": (
        "对未通过校验的{count}条记录逐条核实更正，确保统计数据准确。",
        "Check and correct the {count} record{count!p} that fail the checks.",
    ),
    "docx.step_continue": ("持续推进各项工作。", "Keep the work going. "),
    "docx.step_continue_text": (
        "各项指标进度正常，将继续按{ref}推进各项工作，巩固已取得的成效。",
        "Every indicator is on schedule; work continues as {ref} sets out.",
    ),
    "docx.step_close": ("做好{acceptance}准备工作。", "Prepare for {acceptance}. "),
    "docx.step_close_text": (
        "收集整理各项工作佐证材料并归档，全面总结工作成效。",
        "Collect and file the evidence for every task and sum up the results.",
    ),
    "docx.acceptance_default": ("{ref}实施情况检查评估", "the review of {ref}"),
    # --- the group-robot digest (deliver/notify.py) ---------------------------------------------
    "robot.wecom": ("企业微信", "WeCom"),
    "robot.dingtalk": ("钉钉", "DingTalk"),
    "robot.feishu": ("飞书", "Feishu"),
    "digest.title": ("知识产权工作周报（{week}）", "IP weekly summary ({week})"),
    "digest.headline": ("主要指标", "Headline figures"),
    "digest.headline_item": (
        "{name}：{actual}/{target} {unit}{delta}，{percent}%，{status}",
        "{name}: {actual}/{target} {unit}{delta}, {percent}%, {status}",
    ),
    "digest.records": ("本周新增记录", "Records this week"),
    "digest.changed": ("状态变化", "Status changes"),
    "digest.risky": ("需关注（有风险 / 滞后）", "Needs attention (at risk / behind)"),
    "digest.problems": ("数据问题：{errors}，{warnings}", "Data problems: {errors}, {warnings}"),
    "digest.none": ("无", "none"),
    "digest.full": ("全文：{full}", "Full summary: {full}"),
    "digest.cut": ("……（内容过长已截断，{full}）", "… (cut to fit; {full})"),
    "robot_reason.deadline": ("{seconds} 秒内没有收到完整的答复", "no complete answer within {seconds} s"),
    "robot_reason.too_large": ("答复超过 {limit} MB，未读完", "the answer is over {limit} MB"),
    "robot_reason.unreadable": (
        "答复（{status}）不是机器人的答复格式：{said}",
        "the answer ({status}) is not the robot's: {said}",
    ),
    "robot_reason.limited": ("限流（错误码 {errcode}：{said}）", "rate-limited (error {errcode}: {said})"),
    "robot_reason.try_after": ("请在 {seconds} 秒后再发送", "Send it again in {seconds} s or later"),
    "robot_reason.try_later": (
        "请过几分钟再发送（每个机器人每分钟最多收 20 条消息）",
        "Send it again in a few minutes (a robot takes about 20 messages a minute)",
    ),
    # --- page ---
    "pace.per_week": ("每周需完成{amount}{unit}", "{amount} {unit} a week"),
    "pace.in_weeks": ("{weeks}周内还需{amount}{unit}", "{amount} {unit} within {weeks} week{weeks!p}"),
    "pace.in_days": ("{days}天内还需{amount}{unit}", "{amount} {unit} within {days} day{days!p}"),
    "pace.overdue": ("已到期，尚差{amount}{unit}", "{amount} {unit} short, past due"),
    "chart.annual_item": ("{year}年{actual}/{target}", "{year}: {actual}/{target}"),
    "overview.head": ("{total}项指标", "{total} indicator{total!p}"),
    "overview.achieved": ("已完成{n}项", "{n} achieved"),
    "overview.on_track": ("正常推进{n}项", "{n} on track"),
    "overview.at_risk": ("有风险{n}项", "{n} at risk"),
    "overview.behind": ("滞后{n}项", "{n} behind"),
    "overview.line": ("{head}：{parts}", "{head}: {parts}"),
    "dates.day": ("{y}年{m}月{d}日", "{y:04}-{m:02}-{d:02}"),
    "dates.range_year": ("{y}年{m}月{d}日至{m2}月{d2}日", "{y:04}-{m:02}-{d:02} to {y:04}-{m2:02}-{d2:02}"),
    "dates.range": ("{y}年{m}月{d}日至{y2}年{m2}月{d2}日", "{y:04}-{m:02}-{d:02} to {y2:04}-{m2:02}-{d2:02}"),
    "summary.clerk": ("附：台账管理员事项", "Appendix: for the ledger keeper"),
    "summary.clerk_validate": (
        "运行 ipdemo validate 查看全部数据问题（文件、行、字段）",
        "Run ipdemo validate to list every data problem (file, line, field)",
    ),
    "summary.imports_clerk": ("附：本周导入", "Appendix: imports this week"),
    "digest.stale_item": ("{ledger}：{towns}", "{ledger}: {towns}"),
    "digest.stale_all": ("{ledger}：全部{n}个{areas}", "{ledger}: all {n} {areas}"),
    "digest.stale_head": ("台账更新滞后", "Stale ledgers"),
    "digest.full_attached": ("全文见随后发送的文件 {full}", "Full summary: the file {full} sent next"),
    "digest.full_ask": ("全文（{full}）可向台账管理员索取", "Full summary ({full}): ask the ledger keeper"),
    # --- the archive (deliver/archive.py): names inside the zip -----------------------------------
    "archive.report_file": ("自查报告.docx", "self-inspection-report.docx"),
    "archive.ledgers_folder": ("台账", "ledgers"),
    "archive.evidence_folder": ("佐证材料", "evidence"),
    # --- workbook ---
    # the report workbook (render/report_book.py, render/workbook.py)
    "xlsx.date_format": ('yyyy"年"m"月"d"日"', "yyyy-mm-dd"),  # an Excel number format for date cells
    "xlsx.day": ("{y}年{m}月{d}日", "{y:04}-{m:02}-{d:02}"),
    "xlsx.span": ("{start}至{end}", "{start} – {end}"),
    "xlsx.month": ("{y}年{m}月", "{y:04}-{m:02}"),
    "xlsx.year": ("{y}年", "{y}"),
    "xlsx.page_footer": ("第 &P 页，共 &N 页", "page &P of &N"),  # Excel header codes: &P page, &N pages
    "xlsx.item": ("项目", "item"),
    "xlsx.value": ("内容", "value"),
    "xlsx.region": ("地区", "region"),
    "xlsx.as_of": ("截至日期", "as of"),
    "xlsx.phase": ("阶段", "phase"),
    "xlsx.reading": ("阅读说明", "how to read"),
    "xlsx.reading_text": (
        "数值的计量单位见“单位”列；完成率 = 实际 ÷ 目标；序时目标为按时间进度截至统计日应完成的数量；"
        "区间目标不计完成率。",
        "Figures are in the unit of the unit column; percent = actual ÷ target; expected is what the time "
        "elapsed calls for by the as-of date; a range target has no percent.",
    ),
    "xlsx.name": ("指标", "indicator"),
    "xlsx.unit": ("单位", "unit"),
    "xlsx.target": ("目标", "target"),
    "xlsx.binding": ("属性", "attribute"),
    "xlsx.baseline": ("基期值", "baseline"),
    "xlsx.actual": ("实际", "actual"),
    "xlsx.percent": ("完成率", "percent"),
    "xlsx.expected": ("序时目标", "expected"),
    "xlsx.status": ("状态", "status"),
    "xlsx.phase_increment": ("本阶段新增", "phase increment"),
    "xlsx.share": ("占{whole}比例", "share of {whole}"),
    "xlsx.needed_per_week": ("尚需完成", "still needed"),
    "xlsx.note": ("说明", "note"),
    "xlsx.id": ("编号", "id"),
    "xlsx.due_by": ("{due}前", "by {due}"),
    "xlsx.range": ("{min}至{max}", "{min} to {max}"),
    "xlsx.range_note": ("目标为区间，不计完成率", "a range target: no percent"),
    "xlsx.more_than": ("须突破{target}", "must pass {target}"),
    "xlsx.year_note": ("{year}年{actual}/{target}", "{year}: {actual}/{target}"),
    "xlsx.year_value": ("{year}年{value}", "{year}: {value}"),
    "xlsx.done_on": ("{date}完成", "done {date}"),
    "xlsx.named_status": ("{name}{status}", "{name} {status}"),
    # the archive's 清单 and 台账 (deliver/archive_list.py, deliver/archive.py)
    "archive.list_file": ("清单.xlsx", "list.xlsx"),
    "archive.files_sheet": ("文件清单", "files"),
    "archive.indicators_sheet": ("指标佐证", "indicator evidence"),
    "archive.list_title": ("归档文件清单（截至{date}）", "Files in the archive (as of {date})"),
    "archive.indicators_title": (
        "各指标数值及佐证材料（截至{date}）",
        "Each indicator's figure and evidence (as of {date})",
    ),
    "archive.file": ("文件", "file"),
    "archive.kind": ("类别", "kind"),
    "archive.rows": ("条数", "rows"),
    "archive.note": ("说明", "note"),
    "archive.kind_report": ("自查报告", "report"),
    "archive.kind_ledger": ("台账", "ledger"),
    "archive.kind_evidence": ("佐证材料", "evidence"),
    "archive.kind_manifest": ("机器清单", "manifest"),
    "archive.kind_list": ("清单", "list"),
    "archive.report_note": ("截至{date}的自查报告", "the self-inspection report as of {date}"),
    "archive.ledger_note": (
        "截至{date}计入{each}；计入的共{counted}条（见“是否计入”列）",
        "as of {date}, counted in {each}; counted in all: {counted} (column counted)",
    ),
    "archive.counted_each": ("{name}{count}条", "{name}: {count}"),
    "archive.ledger_not_counted": ("不直接计入指标", "not counted by any indicator"),
    "archive.manifest_note": (
        "供程序核对：每个文件的校验值，每条佐证材料对应的记录及其状态",
        "for programs: each file's checksum, each evidence value with its record and status",
    ),
    "archive.list_note": ("本清单", "this list"),
    "archive.supports": ("支撑：{items}", "supports: {items}"),
    "archive.ind_name": ("指标", "indicator"),
    "archive.ind_unit": ("单位", "unit"),
    "archive.ind_target": ("目标", "target"),
    "archive.ind_actual": ("数值", "figure"),
    "archive.ind_status": ("状态", "status"),
    "archive.ind_counted": ("计入记录（条）", "records counted"),
    "archive.ind_with_evidence": ("有佐证的记录（条）", "records with evidence"),
    "archive.ind_evidence": ("佐证材料", "evidence"),
    "archive.ind_id": ("编号", "id"),
    "archive.and_more": ("等，共{count}项", "… {count} in all"),
    "archive.no_evidence": ("无佐证", "no evidence"),
    "archive.counted": ("是否计入", "counted"),
    "archive.counted_in": ("计入指标", "counted in"),
    "archive.yes": ("是", "yes"),
    "archive.no": ("否", "no"),
    "archive.with_unit": ("{name}（{unit}）", "{name} ({unit})"),
    # --- what load_plan expected, in plan_wrong_type and plan_bound -------------------------------
    "plan_type.whole_number": ("整数", "a valid whole number"),
    "plan_type.number": ("数字", "a valid number"),
    "plan_type.bool": ("布尔值 true 或 false", "true or false"),
    "plan_type.text": ("文本", "text"),
    "plan_type.list": ("列表 [..]", "a list [..]"),
    "plan_type.mapping": ("映射（键: 值）", "a mapping (key: value)"),
    "plan_type.date": ("日期 YYYY-MM-DD", "a date YYYY-MM-DD"),
    "plan_type.one_of": ("以下之一：{allowed}", "one of {allowed}"),
    "plan_bound.gt": ("大于", "greater than"),
    "plan_bound.ge": ("大于或等于", "greater than or equal to"),
    "plan_bound.lt": ("小于", "less than"),
    "plan_bound.le": ("小于或等于", "less than or equal to"),
    "plan_type.finite_number": (
        "有限的数字（不能是 .inf、.nan 或超出范围的数）",
        "a finite number (not .inf, .nan or out of range)",
    ),
    "plan_part.years": ("年度", "year"),
}

# Counted nouns: Chinese takes a measure word, English a plural s ("1 error", "2 errors").
COUNTED: dict[str, tuple[str, str]] = {"error": ("个错误", "error"), "warning": ("个警告", "warning")}

CHINESE_NUMERALS = "一二三四五六七八九十"


class Term:
    """A LABELS key given as a message parameter, worded in the reader's language when the message
    is: core code raises before it knows the language (robot=Term("robot.wecom") → 企业微信 / WeCom)."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params

    def text(self, lang: str) -> str:
        return label(self.key, lang, **self.params)

    def __repr__(self) -> str:
        return f"Term({self.key!r})"


def in_both(zh: str, en: str) -> dict[str, str]:
    """A message parameter given in both languages (the plan's own words: 省（区、市） / province),
    worded in the reader's language when the message is. A plain mapping, so that it survives the
    ledger cache's JSON, which a Term would not."""
    return {"zh": zh, "en": en}


def day_words(day: date | str) -> object:
    """A date as a message parameter: 2024年1月1日 in Chinese, 2024-01-01 in English (in_both); a
    text that is no ISO date is given as it is."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            return day
    return in_both(*(label("dates.day", lang, y=day.year, m=day.month, d=day.day) for lang in ("zh", "en")))


def _param(value: object, lang: str) -> object:
    if isinstance(value, Term):
        return value.text(lang)
    if isinstance(value, dict) and set(value) == {"zh", "en"}:  # in_both
        return value["en" if lang == "en" else "zh"]
    return value


class _Formatter(string.Formatter):
    """str.format plus `!c`: the value with its first letter capitalised ({area!c} → Town), and
    `!p`: an English plural ending for a count ({n} row{n!p} → 1 row, 2 rows)."""

    def convert_field(self, value: object, conversion: str | None) -> object:
        if conversion == "c":
            text = str(value)
            return text[:1].upper() + text[1:]
        if conversion == "p":
            return "" if value == 1 else "s"
        return super().convert_field(value, conversion)


_FORMATTER = _Formatter()


def _fill(template: str, lang: str, params: dict[str, object]) -> str:
    values = {k: _param(v, lang) for k, v in params.items()}
    if "!c" in template or "!p" in template:
        return _FORMATTER.vformat(template, (), values)
    return template.format(**values)


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def message(code: str, lang: str = "zh", **params: object) -> str:
    """The message for `code` in `lang`, formatted with `params`."""
    return _fill(_pick(MESSAGES[code], lang), lang, params)


def label(key: str, lang: str = "zh", **params: object) -> str:
    """The words of a view for `key` in `lang`, formatted with `params` (LABELS)."""
    return _fill(_pick(LABELS[key], lang), lang, params)


def localized(zh: str, en: str | None, lang: str = "zh") -> str:
    """One of the plan's own texts in `lang`: its English (name_en …) when asked for and given,
    else its Chinese."""
    return en if lang == "en" and en else zh


def count_of(n: int, what: str, lang: str = "zh") -> str:
    zh, en = COUNTED[what]
    if lang == "en":
        return f"{n} {en}" + ("" if n == 1 else "s")
    return f"{n} {zh}"


def sentences(parts: Iterable[str], lang: str = "zh") -> str:
    """Sentences one after another: Chinese runs them together, English puts a space between."""
    return (" " if lang == "en" else "").join(parts)


def numeral(n: int, lang: str = "zh") -> str:
    """The number of a list item: 一 … 十 in Chinese (（一）, （二）), digits in English."""
    return CHINESE_NUMERALS[n - 1] if lang != "en" and 1 <= n <= len(CHINESE_NUMERALS) else str(n)


def default_lang() -> str:
    """The language when --lang is not given: $IPDEMO_LANG, else Chinese."""
    lang = os.environ.get("IPDEMO_LANG", "zh")
    return lang if lang in LANGS else "zh"
