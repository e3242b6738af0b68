"""Validation problems as text, JSON, GitHub annotations or JUnit XML."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from ipdemo.errors import Problem
from ipdemo.i18n import label, localized

if TYPE_CHECKING:
    from ipdemo.plan.model import Plan


def where(p: Problem) -> str:
    return f"{p.file}:{p.line}" if p.line else p.file


@dataclass(frozen=True)
class FieldNames:
    """How text output names a problem's field: in Chinese its ledger's label (授权公告日), in
    English its id. The ledger is `ledger` (an import's), else the one whose file the problem is
    in; with neither, a label every ledger gives that field, else the id."""

    labels: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)  # ledger → field → words
    files: dict[str, str] = dataclasses.field(default_factory=dict)  # a ledger's path as shown → ledger
    ledger: str | None = None

    def of(self, problem: Problem) -> str:
        field = problem.field or ""
        ledger = self.ledger or self.files.get(problem.file)
        if ledger in self.labels:
            return self.labels[ledger].get(field, field)
        words = {names[field] for names in self.labels.values() if field in names}
        return words.pop() if len(words) == 1 else field


def field_names(plan: Plan | None, lang: str, ledger: str | None = None) -> FieldNames:
    """The fields' names for as_text, from the plan's labels (none without a plan)."""
    if plan is None:
        return FieldNames()
    from ipdemo.data.ledger import display_path

    labels = {
        name: {f: localized(spec.label or f, f, lang) for f, spec in ledger_spec.fields.items()}
        for name, ledger_spec in plan.ledgers.items()
    }
    files = {display_path(plan.ledger_path(name)): name for name in plan.ledgers}
    return FieldNames(labels, files, ledger)


def as_text(problems: list[Problem], lang: str, fields: FieldNames | None = None) -> str:
    """One line a problem, compiler style: file:line: field: severity: message. `fields` names
    the fields in the reader's language (field_names); without it a field is shown by its id."""
    names = fields or FieldNames()
    lines = []
    for p in problems:
        field = f" {names.of(p)}:" if p.field else ""
        lines.append(f"{where(p)}:{field} {label('severity.' + p.severity, lang)}: {p.message(lang)}")
    return "\n".join(lines) + ("\n" if lines else "")


def as_json(problems: list[Problem], lang: str) -> str:
    from ipdemo.checks.validate import Validation  # its JSON shape; pyarrow only when asked for

    return json.dumps(Validation(problems, []).as_dict(lang), ensure_ascii=False, indent=2, default=str) + "\n"


def _gh_escape(text: str, prop: bool = False) -> str:
    # GitHub workflow-command escaping: %, CR, LF always; ':' and ',' in properties.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def as_github(problems: list[Problem], lang: str) -> str:
    out = []
    for p in problems:
        props = f"file={_gh_escape(p.file, True)}"
        if p.line:
            props += f",line={p.line}"
        if p.field:
            props += f",title={_gh_escape(p.field, True)}"
        out.append(f"::{p.severity} {props}::{_gh_escape(p.message(lang))}")
    return "\n".join(out) + ("\n" if out else "")


def as_junit(problems: list[Problem], files: list[str], lang: str) -> str:
    """A testsuite per file, a testcase per check (code); failures name the lines."""
    by_file: dict[str, dict[str, list[Problem]]] = defaultdict(lambda: defaultdict(list))
    for p in problems:
        by_file[p.file][p.code].append(p)
    suites = ET.Element("testsuites", name="ipdemo validate")
    total = failures = 0
    for file in list(dict.fromkeys(files + list(by_file))):
        codes = by_file.get(file, {})
        suite = ET.SubElement(suites, "testsuite", name=file)
        cases = [("file", [])] if not codes else list(codes.items())
        suite_fail = 0
        for code, found in cases:
            case = ET.SubElement(suite, "testcase", classname=file, name=code)
            errors = [p for p in found if p.severity == "error"]
            if errors:
                suite_fail += 1
                failure = ET.SubElement(case, "failure", message=f"{len(errors)} × {code}", type=code)
                failure.text = "\n".join(f"{where(p)}: {p.field or ''}: {p.message(lang)}" for p in errors)
            warnings = [p for p in found if p.severity == "warning"]
            if warnings:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"{where(p)}: {p.message(lang)}" for p in warnings)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(suite_fail))
        total += len(cases)
        failures += suite_fail
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
