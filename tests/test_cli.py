"""Properties every command shares: help text, documentation, version, exit codes, no tracebacks."""

import subprocess
import sys

import pytest
import typer.main

from ipdemo import __version__
from ipdemo.cli import app

from .conftest import ROOT

COMMANDS = sorted(c.name for c in typer.main.get_command(app).commands.values())


def test_there_are_commands():
    assert {"validate", "report", "indicators", "towns"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(invoke, name):
    result = invoke([name, "--help"])
    assert result.exit_code == 0
    command = typer.main.get_command(app).commands[name]
    assert command.help and len(command.help.strip()) > 20
    for param in command.params:
        if param.name not in ("help",):
            assert getattr(param, "help", None), f"{name} {param.name} has no help text"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_documented_in_readme(name):
    assert f"ipdemo {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_version(invoke):
    result = invoke(["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"ipdemo {__version__}"


def test_unknown_command_and_option_exit_2(invoke):
    assert invoke(["frobnicate"]).exit_code == 2
    assert invoke(["validate", "--frobnicate"]).exit_code == 2


def test_python_dash_m(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ipdemo", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"ipdemo {__version__}"


def test_user_errors_never_print_a_traceback(tmp_path):
    """Run the real console entry point on broken inputs: exit 1/2, one clear line, no traceback."""
    (tmp_path / "targets.yaml").write_text("plan: [unclosed\n", encoding="utf-8")
    cases = [
        (["validate"], 1),
        (["report"], 1),
        (["indicators"], 1),
        (["towns"], 1),
        (["report", "--targets", "missing.yaml"], 1),
        (["report", "--phase", "x"], 2),
    ]
    for args, code in cases:
        result = subprocess.run([sys.executable, "-m", "ipdemo", *args], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == code, (args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout, args


def test_broken_pipe_is_quiet():
    result = subprocess.run(
        f"{sys.executable} -m ipdemo indicators --format csv | head -1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.stdout.startswith("id,") and "Traceback" not in result.stderr
