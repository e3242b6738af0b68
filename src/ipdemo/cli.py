"""The command line: parse options, call the core, render, map errors to exit codes.

Heavy libraries (pandas, pyarrow) are imported inside commands so `ipdemo --help` stays fast.
Stdout carries data; stderr carries messages. Exit 0 good, 1 invalid data, 2 bad command line.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

from . import __version__
from .errors import IpdemoError, UsageError
from .i18n import default_lang

app = typer.Typer(
    name="ipdemo",
    help="知识产权强省建设区域示范创建工作计划 KPI 跟踪 — track the IP plan's targets from CSV ledgers.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Lang(str, Enum):
    zh = "zh"
    en = "en"


class ListFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"


class ValidateFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


# Options shared by every command, defined once.
TargetsOpt = Annotated[Path, typer.Option("--targets", "-t", help="targets.yaml of the plan (default: ./targets.yaml).",
                                          dir_okay=False, show_default=False)]
LangOpt = Annotated[Optional[Lang], typer.Option("--lang", help="Output language (default zh, or $IPDEMO_LANG).",
                                                 show_default=False)]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to FILE instead of stdout (atomically).",
                                                   dir_okay=False)]

ERROR_LABEL = {"zh": "错误", "en": "Error"}


def _lang(lang: Lang | None) -> str:
    return lang.value if lang else default_lang()


def _say(text: str) -> None:
    """A message for the user (stderr), never mixed into data."""
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


@contextmanager
def user_errors(lang: str) -> Iterator[None]:
    """Turn IpdemoError into `错误: …` on stderr and its exit code; no traceback."""
    from .render.problems import as_text

    try:
        yield
    except IpdemoError as exc:
        _say(f"{ERROR_LABEL[lang]}: {exc.render(lang)}")
        if exc.problems:
            shown = exc.problems[:200]
            _say(as_text(shown, lang))
            if len(exc.problems) > len(shown):
                _say(f"… (+{len(exc.problems) - len(shown)})")
        raise typer.Exit(exc.exit_code) from None


def _load(targets: Path):
    from .plan import load_plan

    return load_plan(targets)


def _write(text: str, output: Path | None, plan=None) -> None:
    """Data to stdout, or atomically to --output (never over a ledger or targets.yaml)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .store import atomic_write_bytes, refuse_protected

    if plan is not None:
        refuse_protected(plan, output)
    atomic_write_bytes(output, text.encode("utf-8"))


def _print_table(renderable) -> None:
    from rich.console import Console

    tty = sys.stdout.isatty()
    Console(width=None if tty else 1000, soft_wrap=not tty).print(renderable)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ipdemo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", help="Show the version and exit.",
                                          callback=_version, is_eager=True)] = False,
) -> None:
    """知识产权强省建设区域示范创建工作计划 KPI 跟踪 — track the IP plan's targets from CSV ledgers."""


@app.command()
def validate(
    format: Annotated[ValidateFormat, typer.Option("--format", "-f", help="text, json, github (annotations) or junit (XML).")] = ValidateFormat.text,
    targets: TargetsOpt = Path("targets.yaml"),
    lang: LangOpt = None,
) -> None:
    """Check targets.yaml and every ledger; list every problem with file, line and field.

    Exit 0 when valid (warnings allowed), 1 when anything is invalid.
    """
    from .errors import PlanError
    from .render import problems as R

    lg = _lang(lang)
    problems = []
    files: list[str] = []
    try:
        plan = _load(targets)
    except PlanError as exc:
        if not exc.problems:
            with user_errors(lg):
                raise
        problems = exc.problems
        plan = None
    if plan is not None:
        from .ledger import display_path
        from .validate import validate_project

        with user_errors(lg):
            result = validate_project(plan)
        problems = result.problems
        files = [display_path(plan.source)] + [display_path(plan.ledger_path(n)) for n in plan.ledgers]
    else:
        files = [str(targets)]
    render = {
        ValidateFormat.text: lambda: R.as_text(problems, lg),
        ValidateFormat.json: lambda: R.as_json(problems, lg),
        ValidateFormat.github: lambda: R.as_github(problems, lg),
        ValidateFormat.junit: lambda: R.as_junit(problems, files, lg),
    }[format]
    sys.stdout.write(render())
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if format == ValidateFormat.text:
        if lg == "zh":
            _say(f"{'有效' if not errors else '无效'}：{errors} 个错误，{warnings} 个警告")
        else:
            _say(f"{'valid' if not errors else 'invalid'}: {errors} errors, {warnings} warnings")
    raise typer.Exit(1 if errors else 0)


@app.command()
def indicators(
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table, markdown, csv or json.")] = ListFormat.table,
    targets: TargetsOpt = Path("targets.yaml"),
    lang: LangOpt = None,
) -> None:
    """List the plan's indicators: id, name, kind, target and what they count."""
    from .render import listing

    lg = _lang(lang)
    with user_errors(lg):
        plan = _load(targets)
    _show(listing.indicators_grid(plan, lg), format, {"indicators": listing.indicators_json(plan)})


@app.command()
def towns(
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table, markdown, csv or json.")] = ListFormat.table,
    targets: TargetsOpt = Path("targets.yaml"),
    lang: LangOpt = None,
) -> None:
    """List the towns (区镇) with their aliases."""
    from .render import listing

    lg = _lang(lang)
    with user_errors(lg):
        plan = _load(targets)
    _show(listing.towns_grid(plan, lg), format, {"towns": listing.towns_json(plan)})


def _show(grid, format: ListFormat, payload: dict) -> None:
    from .render import grid as G

    if format == ListFormat.table:
        _print_table(G.to_rich(grid))
    elif format == ListFormat.markdown:
        _write(G.to_markdown(grid), None)
    elif format == ListFormat.csv:
        _write(G.to_csv(grid), None)
    else:
        _write(G.to_json(payload), None)


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `ipdemo report | head`: not an error
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)


__all__ = ["app", "main", "UsageError"]
