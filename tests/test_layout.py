"""The package's folders are layers: each imports only from the folders below it.

    i18n, errors          every user-visible string, and the error tree (below everything)
    plan/                 the plan: models, YAML loading, plan checks
    data/                 files on disk: Arrow helpers, ledger reading, lock, atomic writes, journal
    checks/               field types, the fast screen, worded rules, validation
    ingest/  engine/      imports of received files | figures from the checked ledgers
    render/               one renderer per output format
    deliver/              what leaves the office: the archive, the group-robot messages
    project, sample       `ipdemo init` and the synthetic sample data
    cli                   the command line on top

A test rather than a convention: an import that points upwards (a renderer reaching into the
command line, a check reaching into the importer) fails here with the line that does it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "ipdemo"
LAYERS = {
    "__init__": 0,
    "__version__": 0,
    "i18n": 0,
    "errors": 1,
    "plan": 2,
    "data": 3,
    "checks": 4,
    "ingest": 5,
    "engine": 5,
    "render": 6,
    "deliver": 7,
    "project": 8,
    "sample": 8,
    "cli": 9,
    "__main__": 10,
}


def layer_of(module: str) -> str:
    """'ipdemo.checks.screen' -> 'checks'; 'ipdemo' -> '__init__'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "ipdemo":  # from ipdemo import cli
            found += [(node.lineno, f"ipdemo.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "ipdemo":
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: relative import; write `from ipdemo.… import …`")
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "ipdemo"]
    return found


def test_every_module_belongs_to_a_layer():
    for path in PACKAGE.rglob("*.py"):
        name = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        assert name in LAYERS, f"{path}: add its folder to LAYERS in {__file__} and to README's layout map"


def upward_imports(package: Path) -> list[str]:
    upward = []
    for path in package.rglob("*.py"):
        own = path.relative_to(package).parts[0].removesuffix(".py")
        for line, module in imports_of(path):
            other = layer_of(module)
            if other != own and LAYERS[other] >= LAYERS[own]:
                upward.append(f"{path.relative_to(package)}:{line} imports {module} ({own} may not use {other})")
    return upward


def test_each_folder_imports_only_from_the_folders_below_it():
    upward = upward_imports(PACKAGE)
    assert not upward, "\n".join(upward)


def test_the_layer_check_can_fail(tmp_path):
    """The whole check on a small package: upward imports in both spellings are seen, a downward
    one and a version import are not."""
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "bad.py").write_text("def f():\n    from ipdemo.cli import app\n", encoding="utf-8")
    (tmp_path / "checks" / "worse.py").write_text("from ipdemo import __version__, render\n", encoding="utf-8")
    (tmp_path / "render").mkdir()
    (tmp_path / "render" / "fine.py").write_text("from ipdemo.checks import screen\n", encoding="utf-8")
    assert sorted(upward_imports(tmp_path)) == [
        "checks/bad.py:2 imports ipdemo.cli (checks may not use cli)",
        "checks/worse.py:1 imports ipdemo.render (checks may not use render)",
    ]
