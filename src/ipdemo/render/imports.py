"""What `ipdemo import` prints: a summary per ledger, what was set aside and why, the changes
on a dry run (transfers of ownership first), or JSON. Personal fields are masked everywhere."""

from __future__ import annotations

import json
from pathlib import Path

from ipdemo.data.ledger import display_path
from ipdemo.ingest.importer import Change, ImportResult
from ipdemo.plan.model import Plan

SHOW_CHANGES = 50

# Labels of the summary, per language (the numbers go in their order).
TEXT = {
    "zh": {
        "head": "{source} → {ledger}（{name}）：新增 {added}，更新 {updated}，未变 {unchanged}，拒绝 {rejected}",
        "dry": "（试运行，未写入）",
        "exported": "  导出日期 {date}（{how}）",
        "how": {"option": "--exported-on", "file_name": "取自文件名", "title": "取自标题行",
                "latest_in_file": "取自文件中最晚的日期", "today": "文件未注明，按今天"},
        "folded": "  同一申请的多条公开（公告）记录已合并：{n} 行",
        "outside": "  区外 {n} 行未导入",
        "recognised": "  与台账中已有记录为同一笔（另一来源、另一编号）：{n} 行，未重复计数",
        "same_record": "  同一记录的重复行已合并（如同一人多日签到）：{n} 行",
        "other_office": "  其他专利局（WO/US/PCT 等）{n} 行未导入",
        "unassigned": "  区内但未写明区镇 {n} 行：已导入，计入全区合计，区镇待划分（未划分区镇）",
        "held": "  无法判断归属 {n} 行未导入，已写入 {file}：补上所属区镇后重新导入",
        "held_dry": "  无法判断归属 {n} 行（正式导入时写入 *.unplaced.csv 供补全）",
        "skipped": "  跳过表格中的合计/表尾 {n} 行：{rows}",
        "kept": "  较早的导出不覆盖较新的数据：{n} 个值保持不变",
        "kept_guess": "  （导出日期是推断的；若文件实际导出得更晚，请用 --exported-on 指明后重新导入）",
        "transfers": "  权利人变更 {n} 件",
        "register": "  企业名录新增 {n} 家",
        "conflicts": "  企业名录冲突 {n} 处（未修改名录，请核实）：{items}",
        "rejects": "无效行已写入 {file}",
    },
    "en": {
        "head": "{source} → {ledger} ({name}): added {added}, updated {updated}, unchanged {unchanged}, "
                "rejected {rejected}",
        "dry": " (dry run, nothing written)",
        "exported": "  exported on {date} ({how})",
        "how": {"option": "--exported-on", "file_name": "from the file name", "title": "from a title line",
                "latest_in_file": "the latest date in the file", "today": "not stated: today"},
        "folded": "  publications of one application folded into one record: {n} rows",
        "outside": "  outside the district: {n} rows not imported",
        "recognised": "  the same record as one already stored (another source, another number): {n} rows, "
                      "not counted twice",
        "same_record": "  repeated rows of one record folded (e.g. one person signing on two days): {n} rows",
        "other_office": "  other patent offices (WO/US/PCT…): {n} rows not imported",
        "unassigned": "  inside the district with no town named: {n} rows imported, counted in district "
                      "totals, town unassigned",
        "held": "  cannot be placed: {n} rows not imported, written to {file}: fill in the town and import it again",
        "held_dry": "  cannot be placed: {n} rows (a real import writes them to *.unplaced.csv to complete)",
        "skipped": "  totals/footer lines of the sheet skipped: {n} rows: {rows}",
        "kept": "  an older export does not overwrite newer data: {n} values kept",
        "kept_guess": "  (the export date was inferred; if the file is newer, import it again with --exported-on)",
        "transfers": "  change of applicant/owner: {n}",
        "register": "  enterprise register: {n} organisations added",
        "conflicts": "  enterprise register conflicts: {n} (register unchanged, please check): {items}",
        "rejects": "invalid rows written to {file}",
    },
}


def as_text(result: ImportResult, plan: Plan, lang: str) -> str:
    words = TEXT["en" if lang == "en" else "zh"]
    spec = plan.ledgers[result.ledger]
    name = spec.name if lang != "en" else (spec.name_en or result.ledger)
    line = words["head"].format(source=result.source, ledger=result.ledger, name=name, added=result.added,
                                updated=result.updated, unchanged=result.unchanged, rejected=result.rejected)
    lines = [line + (words["dry"] if result.dry_run else "")]
    if result.exported_on:
        lines.append(words["exported"].format(date=result.exported_on, how=words["how"][result.exported_how]))
    counts = [("folded", result.folded), ("other_office", result.other_office), ("outside", result.outside),
              ("unassigned", result.unassigned), ("recognised", result.recognised),
              ("same_record", result.same_record), ("kept", len(result.kept_newer)),
              ("transfers", len(result.transfers)), ("register", result.register_added)]
    lines += [words[label].format(n=n) for label, n in counts if n]
    if result.kept_newer and result.exported_how in ("latest_in_file", "today"):
        lines.append(words["kept_guess"])
    if result.held:
        held = words["held_dry"] if result.dry_run else words["held"]
        lines.append(held.format(n=result.held, file=result.held_file or "—"))
    if result.skipped_rows:
        rows = "、".join(str(s["row"]) for s in result.skipped_rows[:10])
        lines.append(words["skipped"].format(n=len(result.skipped_rows), rows=rows))
    if result.register_conflicts:
        items = "；".join(str(c.get("name", "")) for c in result.register_conflicts[:5])
        lines.append(words["conflicts"].format(n=len(result.register_conflicts), items=items))
    personal = _personal(plan, result.ledger)
    if result.dry_run:
        lines += _changes(result, personal, _Words(plan, result.ledger, lang))
    if result.reject_file:
        lines.append(words["rejects"].format(file=result.reject_file))
    return "\n".join(lines) + "\n"


def _personal(plan: Plan, ledger: str) -> tuple[str, ...]:
    return tuple(f for f, spec in plan.ledgers[ledger].fields.items() if spec.personal)


class _Words:
    """How a change names a field and an enum value: the ledger's Chinese label and the value's
    first Chinese label in zh; the canonical names in en."""

    def __init__(self, plan: Plan, ledger: str, lang: str):
        self.fields = plan.ledgers[ledger].fields
        self.zh = lang != "en"

    def field(self, name: str) -> str:
        spec = self.fields.get(name)
        return spec.label if self.zh and spec is not None and spec.label else name

    def value(self, name: str, value: str) -> str:
        spec = self.fields.get(name)
        if self.zh and spec is not None and spec.values and spec.values.get(value):
            return spec.values[value][0]
        return value


def _shown(change: Change, personal: tuple[str, ...], words: _Words) -> str:
    label = words.field(change.field)
    if change.field in personal:
        return f"{change.key} {label}: *** → ***"
    return f"{change.key} {label}: {words.value(change.field, change.old)!r} → {words.value(change.field, change.new)!r}"


def _changes(result: ImportResult, personal: tuple[str, ...], words: _Words) -> list[str]:
    transfers = result.transfers
    others = [c for c in result.changes if c not in transfers]
    lines = [f"  ⇄ {_shown(c, personal, words)}" for c in transfers[:SHOW_CHANGES]]
    lines += [f"  ~ {_shown(c, personal, words)}" for c in others[:SHOW_CHANGES]]
    lines += [f"  + {key}" for key in result.new_keys[:SHOW_CHANGES]]
    for k in result.kept_newer[:SHOW_CHANGES]:
        stored, incoming = words.value(k.field, k.stored), words.value(k.field, k.incoming)
        lines.append(f"  = {k.key} {words.field(k.field)}: {stored!r} ({k.stored_on}) ≠ {incoming!r}")
    hidden = sum(max(0, n - SHOW_CHANGES) for n in (len(transfers), len(others), len(result.new_keys),
                                                    len(result.kept_newer)))
    if hidden:
        lines.append(f"  … (+{hidden})")
    return lines


def as_json(results: list[ImportResult], plan: Plan, lang: str) -> str:
    """One import: the object itself; several ledgers at once: a list of them."""
    payload = [r.as_dict(lang, _personal(plan, r.ledger)) for r in results]
    return json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2) + "\n"


def rejected_json(exc, file: Path, lang: str) -> str:
    """The import JSON when nothing was written because rows were invalid."""
    errors = [p.as_dict(lang) for p in exc.problems]
    return json.dumps({"ledger": exc.params.get("ledger"), "source": display_path(file), "added": 0, "updated": 0, "unchanged": 0,
                       "rejected": exc.params.get("count", len(errors)), "written": False,
                       "message": exc.render(lang), "errors": errors}, ensure_ascii=False, indent=2) + "\n"


def failed_json(exc, files: list[Path], lang: str) -> str:
    """The import JSON when a file could not be read or mapped: nothing written, and why."""
    return json.dumps({"ledger": None, "sources": [display_path(f) for f in files], "written": False,
                       "code": exc.code, "message": exc.render(lang), "errors": []},
                      ensure_ascii=False, indent=2) + "\n"
