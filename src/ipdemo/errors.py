"""The exception tree and the Problem record.

Core code raises these with a message code and parameters; the CLI renders them in the user's
language (i18n.MESSAGES) as `错误: …` / `Error: …` on stderr and exits with `exit_code`.
Validation never raises per problem: it returns Problem records that renderers turn into text,
JSON, GitHub annotations or JUnit.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ipdemo.i18n import message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (file, line, field) and what (code + params)."""

    file: str
    line: int | None
    field: str | None
    code: str
    severity: str = "error"  # "error" | "warning"
    # dataclasses.field: the attribute `field` above shadows the name inside the class body
    params: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)

    def message(self, lang: str = "zh") -> str:
        return message(self.code, lang, **self.params)

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "code": self.code,
            "message": self.message(lang),
        }


class IpdemoError(Exception):
    """Base of every error shown to a user as one line, never as a traceback."""

    exit_code = 1

    def __init__(self, code: str, problems: list[Problem] | None = None, **params: Any):
        self.code = code
        self.params = params
        self.problems = problems or []
        super().__init__(self.render("en"))

    def render(self, lang: str = "zh") -> str:
        return message(self.code, lang, **self.params)


class PlanError(IpdemoError):
    """targets.yaml cannot be read or does not describe a consistent plan."""


class LedgerError(IpdemoError):
    """A ledger CSV cannot be read (encoding, shape)."""


class InputFileError(IpdemoError):
    """A file given to import cannot be read or mapped to a ledger."""


class RowsRejected(IpdemoError):
    """Some incoming rows are invalid; the problems say which and why."""


class LockTimeout(IpdemoError):
    """Another ipdemo process holds the data lock for too long."""


class WriteError(IpdemoError):
    """A file could not be written (read-only folder, full disk); nothing was changed."""


class UsageError(IpdemoError):
    """The command line asks for something that cannot be done."""

    exit_code = 2


class RenderError(IpdemoError):
    """A document cannot be made as asked on this machine (no font to draw Chinese charts with);
    nothing is written."""
