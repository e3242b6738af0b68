"""What `ipdemo import` prints: a summary line, the changes on a dry run, or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from ..importer import ImportResult
from ..ledger import display_path
from ..plan import Plan

SHOW_CHANGES = 50


def as_text(result: ImportResult, plan: Plan, lang: str) -> str:
    spec = plan.ledgers[result.ledger]
    name = spec.name if lang == "zh" else (spec.name_en or result.ledger)
    if lang == "zh":
        line = (f"{result.source} → {result.ledger}（{name}）：新增 {result.added}，更新 {result.updated}，"
                f"未变 {result.unchanged}，拒绝 {result.rejected}")
        if result.dry_run:
            line += "（试运行，未写入）"
    else:
        line = (f"{result.source} → {result.ledger} ({name}): added {result.added}, updated {result.updated}, "
                f"unchanged {result.unchanged}, rejected {result.rejected}")
        if result.dry_run:
            line += " (dry run, nothing written)"
    lines = [line]
    if result.dry_run:
        for change in result.changes[:SHOW_CHANGES]:
            lines.append(f"  ~ {change.key} {change.field}: {change.old!r} → {change.new!r}")
        for key in result.new_keys[:SHOW_CHANGES]:
            lines.append(f"  + {key}")
        hidden = max(0, len(result.changes) - SHOW_CHANGES) + max(0, len(result.new_keys) - SHOW_CHANGES)
        if hidden:
            lines.append(f"  … (+{hidden})")
    if result.reject_file:
        lines.append(("无效行已写入 " if lang == "zh" else "invalid rows written to ") + result.reject_file)
    return "\n".join(lines) + "\n"


def as_json(result: ImportResult, lang: str) -> str:
    return json.dumps(result.as_dict(lang), ensure_ascii=False, indent=2) + "\n"


def rejected_json(exc, file: Path, lang: str) -> str:
    """The SPEC's import JSON when nothing was written because rows were invalid."""
    errors = [p.as_dict(lang) for p in exc.problems]
    return json.dumps({"ledger": exc.params.get("ledger"), "source": display_path(file), "added": 0, "updated": 0, "unchanged": 0,
                       "rejected": exc.params.get("count", len(errors)), "written": False,
                       "message": exc.render(lang), "errors": errors}, ensure_ascii=False, indent=2) + "\n"
