"""What `ipdemo import` prints: a summary per ledger, what was set aside and why, the changes
on a dry run (transfers of ownership first), or JSON. Personal fields are masked everywhere.
Words from i18n (LABELS imports.*)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ipdemo.data.ledger import display_path
from ipdemo.i18n import day_words, label, localized
from ipdemo.ingest.importer import Change, ImportResult
from ipdemo.plan.model import Plan
from ipdemo.render.dates import day_text

SHOW_CHANGES = 50
SHOW_SKIPPED = 10  # row numbers shown per kind of skipped line
SKIPPED_KINDS = ("total", "note", "footer")  # sources.SkippedRow.kind, in the order they are said
# The counted lines of the summary, in their order: a key of ImportResult.counts (the JSON's name)
# or of LISTED, each said by the label imports.<key>.
COUNTS = (
    "folded_publications",
    "other_office",
    "outside",
    "unassigned",
    "recognised",
    "same_record",
    "kept",
    "transfers",
    "register",
)
# Counts the summary says that the JSON gives as lists or objects (kept_newer, transfers, register).
LISTED = ("kept", "transfers", "register")


def as_text(result: ImportResult, plan: Plan, lang: str) -> str:
    def t(key: str, **params: object) -> str:
        return label(f"imports.{key}", lang, **params)

    spec = plan.ledgers[result.ledger]
    line = t(
        "head",
        source=result.source,
        name=localized(spec.name, spec.name_en or result.ledger, lang),
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
    )
    lines = [line + (t("dry") if result.dry_run else "")]
    lines += _why(result, plan, t, lang)
    if result.exported_on:
        day = day_text(date.fromisoformat(result.exported_on), lang)  # 2023年11月30日 in Chinese text
        lines.append(t("exported", date=day, how=t(f"how.{result.exported_how}")))
    counts = {
        **result.counts(),
        "kept": len(result.kept_newer),
        "transfers": len(result.transfers),
        "register": result.register_added,
    }
    lines += [t(key, n=counts[key]) for key in COUNTS if counts[key]]
    if result.kept_newer and result.exported_how in ("latest_in_file", "today"):
        lines.append(t("kept_guess"))
    if result.held:
        lines.append(t("held_dry" if result.dry_run else "held", n=result.held, file=result.held_file or "—"))
        if result.suggested:
            lines.append(t("suggested", n=result.suggested))
    if result.skipped_rows:
        lines.append(t("skipped", n=len(result.skipped_rows), items=_skipped(result.skipped_rows, lang)))
    if result.register_conflicts:
        items = "；".join(str(c.get("name", "")) for c in result.register_conflicts[:5])
        lines.append(t("conflicts", n=len(result.register_conflicts), items=items))
    personal = _personal(plan, result.ledger)
    if result.dry_run:
        lines += _changes(result, personal, _Words(plan, result.ledger, lang))
    if result.reject_file:
        lines.append(t("rejects", file=result.reject_file))
    return "\n".join(lines) + "\n"


def _skipped(rows: list[dict], lang: str) -> str:
    """Which lines were skipped and why: the row numbers of each kind (the first few of each)."""
    parts = []
    for kind in SKIPPED_KINDS:
        numbers = [str(s["row"]) for s in rows if s["kind"] == kind]
        if numbers:
            shown = label("punct.list", lang).join(numbers[:SHOW_SKIPPED]) + (
                "…" if len(numbers) > SHOW_SKIPPED else ""
            )
            parts.append(label(f"imports.skipped_kind.{kind}", lang, rows=shown))
    return label("punct.semicolon", lang).join(parts)


def _why(result: ImportResult, plan: Plan, t, lang: str) -> list[str]:
    """Which ledger and why (the columns that decided, or --ledger), and --set values that
    replaced a column of the file."""

    def listed(items: list[str]) -> str:
        return label("punct.list", lang).join(items) or "—"

    lines: list[str] = []
    for choice in result.choices:
        columns = listed(choice["columns"])
        if choice["by"] == "option":
            lines.append(t("chosen_option", columns=columns))
            continue
        lines.append(t("chosen", columns=columns, measures=listed(choice["measures"])))
        if choice["others"]:
            others = [
                localized(plan.ledgers[name].name, plan.ledgers[name].name_en or name, lang)
                for name in choice["others"]
            ]
            lines.append(t("chosen_others", others=listed(others)))
    for over in result.set_over:
        lines.append(t("set_over", field=over["field"], value=over["value"], columns=listed(over["columns"])))
    return lines


def _personal(plan: Plan, ledger: str) -> tuple[str, ...]:
    return tuple(f for f, spec in plan.ledgers[ledger].fields.items() if spec.personal)


class _Words:
    """How a change names a field and an enum value: the ledger's Chinese label and the value's
    first Chinese label in zh; the canonical names in en (the plan's data is Chinese only)."""

    def __init__(self, plan: Plan, ledger: str, lang: str):
        self.fields = plan.ledgers[ledger].fields
        self.lang = lang

    def field(self, name: str) -> str:
        spec = self.fields.get(name)
        return localized(spec.label if spec is not None and spec.label else name, name, self.lang)

    def value(self, name: str, value: str) -> str:
        spec = self.fields.get(name)
        if spec is not None and spec.type == "date":
            return self.day(value)
        chinese = spec.values[value][0] if spec is not None and spec.values and spec.values.get(value) else value
        return localized(chinese, value, self.lang)

    def day(self, value: object) -> str:
        """A date as the reader writes it: 2021年6月10日 / 2021-06-10 (other text as it is)."""
        shown = day_words(str(value))
        return localized(shown["zh"], shown["en"], self.lang) if isinstance(shown, dict) else str(shown)


def _shown(change: Change, personal: tuple[str, ...], words: _Words) -> str:
    name = words.field(change.field)
    if change.field in personal:
        return f"{change.key} {name}: *** → ***"
    return f"{change.key} {name}: {words.value(change.field, change.old)!r} → {words.value(change.field, change.new)!r}"


def _changes(result: ImportResult, personal: tuple[str, ...], words: _Words) -> list[str]:
    transfers = result.transfers
    others = [c for c in result.changes if c not in transfers]
    lines = [f"  ⇄ {_shown(c, personal, words)}" for c in transfers[:SHOW_CHANGES]]
    lines += [f"  ~ {_shown(c, personal, words)}" for c in others[:SHOW_CHANGES]]
    lines += [f"  + {key}" for key in result.new_keys[:SHOW_CHANGES]]
    for k in result.kept_newer[:SHOW_CHANGES]:
        stored, incoming = words.value(k.field, k.stored), words.value(k.field, k.incoming)
        lines.append(f"  = {k.key} {words.field(k.field)}: {stored!r} ({words.day(k.stored_on)}) ≠ {incoming!r}")
    hidden = sum(
        max(0, n - SHOW_CHANGES) for n in (len(transfers), len(others), len(result.new_keys), len(result.kept_newer))
    )
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
    chosen = exc.params.get("chosen") or []
    return (
        json.dumps(
            {
                "ledger": exc.params.get("ledger"),
                "ledger_chosen": chosen[0] if len(chosen) == 1 else chosen,
                "source": display_path(file),
                "added": 0,
                "updated": 0,
                "unchanged": 0,
                "rejected": exc.params.get("count", len(errors)),
                "written": False,
                "message": exc.render(lang),
                "errors": errors,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def failed_json(exc, files: list[Path], lang: str) -> str:
    """The import JSON when a file could not be read or mapped: nothing written, and why."""
    return (
        json.dumps(
            {
                "ledger": None,
                "sources": [display_path(f) for f in files],
                "written": False,
                "code": exc.code,
                "message": exc.render(lang),
                "errors": [],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
