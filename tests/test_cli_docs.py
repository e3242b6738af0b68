"""docs/cli.md is the commands' own --help, kept current; every command shows working examples.

A failure of test_docs_cli_md_is_current means a help text or an option changed without the
reference: run `python scripts/make_cli_docs.py` and commit docs/cli.md with the change.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import shlex
import subprocess
import sys
import typing

import pytest
import typer.main

from ipdemo.cli import app

from .conftest import ROOT

SCRIPT = ROOT / "scripts" / "make_cli_docs.py"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_cli_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs = _load_generator()
GROUP = typer.main.get_command(app)
COMMANDS = list(GROUP.commands)
EXAMPLE_HEADINGS = ("Examples:", "示例：", "示例:")

# A terminal as unlike the pinned one as possible: narrow, colour forced, CI detected.
HOSTILE_ENV = {
    "COLUMNS": "37",
    "LINES": "5",
    "TERMINAL_WIDTH": "61",
    "TERM": "xterm-256color",
    "FORCE_COLOR": "1",
    "PY_COLORS": "1",
    "GITHUB_ACTIONS": "true",
    "IPDEMO_LANG": "en",
}


def _versions() -> str:
    from importlib.metadata import version

    return f"typer {version('typer')}, rich {version('rich')}"


def test_docs_cli_md_is_current():
    expected = docs.generate()
    current = docs.DOC.read_text(encoding="utf-8") if docs.DOC.exists() else ""
    assert current == expected, (
        "docs/cli.md is stale: run `python scripts/make_cli_docs.py` and commit it "
        f"(rendered with {_versions()}; another typer or rich release may lay help out differently).\n"
        + docs.stale_diff(expected, current)
    )


def test_generation_does_not_depend_on_the_terminal(monkeypatch):
    first = docs.generate()
    assert docs.generate() == first
    for name, value in HOSTILE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_COLOR", raising=False)
    # As if typer had been imported in that terminal: the values it derives at import time.
    from typer import rich_utils

    monkeypatch.setattr(rich_utils, "MAX_WIDTH", 61)
    monkeypatch.setattr(rich_utils, "FORCE_TERMINAL", True)
    monkeypatch.setattr(rich_utils, "COLOR_SYSTEM", "truecolor")
    assert docs.generate() == first
    assert rich_utils.MAX_WIDTH == 61 and rich_utils.FORCE_TERMINAL is True  # put back afterwards
    assert "\x1b[" not in first and "\x08" not in first
    assert not [line for line in first.splitlines() if line != line.rstrip()]


def test_the_script_checks_in_any_terminal():
    """`--check` run as a program, in a hostile terminal, agrees with docs/cli.md (exit 0)."""
    env = {**os.environ, **HOSTILE_ENV}
    env.pop("NO_COLOR", None)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT.parent,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_check_fails_on_a_stale_reference(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "cli.md"
    stale.write_text(docs.generate().replace("Show this message and exit.", "Show help.", 1), encoding="utf-8")
    monkeypatch.setattr(docs, "DOC", stale)
    assert docs.main(["--check"]) == 1
    message = capsys.readouterr().err
    assert "docs/cli.md is stale" in message and "python scripts/make_cli_docs.py" in message
    assert "-│ --help" in message or "+│ --help" in message or "Show help." in message
    assert stale.read_text(encoding="utf-8").count("Show help.") == 1  # --check writes nothing
    monkeypatch.setattr(docs, "DOC", tmp_path / "missing.md")
    assert docs.main(["--check"]) == 1


def test_every_command_has_a_section():
    text = docs.DOC.read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"## `ipdemo {name}`" in text


def _examples(help: str) -> list[str]:
    """The lines of the help's `\\b` block headed Examples: (or 示例：)."""
    for paragraph in inspect.cleandoc(help).split("\n\n"):
        lines = paragraph.splitlines()
        if len(lines) > 2 and lines[0].strip() == "\b" and lines[1].strip() in EXAMPLE_HEADINGS:
            return [line.strip() for line in lines[2:] if line.strip()]
    return []


def _must_exist(name: str) -> set[str]:
    """The parameters of command `name` declared exists=True (paths the examples only name)."""
    for info in app.registered_commands:
        if (info.name or info.callback.__name__.replace("_", "-")) == name:
            hints = typing.get_type_hints(info.callback, include_extras=True)
            return {
                p
                for p, hint in hints.items()
                if any(getattr(meta, "exists", False) for meta in getattr(hint, "__metadata__", ()))
            }
    raise KeyError(name)


def _parse(example: str) -> None:
    """Parse an example as ipdemo would, without running it: options must exist, values must be
    of the option's type and choices, and nothing may be left over."""
    words = shlex.split(example, comments=True)
    for stop in (">", ">>", "|", "&&", ";"):
        if stop in words:
            words = words[: words.index(stop)]
    assert words[0] == "ipdemo" and words[1] in GROUP.commands, example
    command = GROUP.commands[words[1]]
    known = {opt for param in command.params for opt in [*param.opts, *getattr(param, "secondary_opts", [])]}
    unknown = [w for w in words[2:] if w.startswith("-") and w.split("=", 1)[0] not in known]
    assert not unknown, f"{example}: no such option {unknown}"
    ctx = command.make_context(f"ipdemo {words[1]}", words[2:], resilient_parsing=True)
    assert not ctx.args, f"{example}: extra arguments {ctx.args}"
    given = set(words[2:])
    for param in command.params:
        if param.name in _must_exist(words[1]):  # a file the example only names
            continue
        if getattr(param, "opts", None) and given & set(param.opts) and not getattr(param, "is_flag", False):
            assert ctx.params.get(param.name) not in (None, []), f"{example}: bad value for {param.opts[0]}"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_examples_that_parse(name):
    command = GROUP.commands[name]
    examples = _examples(command.help or "")
    assert 2 <= len(examples) <= 5, f"ipdemo {name}: a \\b block 'Examples:' with 2–5 lines, got {examples}"
    rendered = docs.help_text([name])
    assert any(heading in rendered for heading in EXAMPLE_HEADINGS)
    for example in examples:
        assert example.startswith(f"ipdemo {name}"), example
        assert example in rendered, f"not printed as written (wrapped at {docs.WIDTH} columns?): {example}"
        _parse(example)


def test_the_overview_examples_parse():
    examples = _examples(GROUP.help or "")
    assert examples
    for example in examples:
        _parse(example)
