"""`ipdemo init`: a fresh data repository from the shipped plan, with empty ledgers and CI files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ipdemo.data.ledger import BOM, display_path
from ipdemo.data.store import atomic_write_bytes
from ipdemo.errors import UsageError
from ipdemo.i18n import label, localized
from ipdemo.plan.model import load_plan

PRE_COMMIT = """\
# Runs `ipdemo validate` before every commit that touches the plan or a ledger.
repos:
  - repo: local
    hooks:
      - id: ipdemo-validate
        name: ipdemo validate
        entry: ipdemo validate
        language: system
        pass_filenames: false
        files: ^(targets\\.yaml|data/.*\\.csv)$
"""


def init_project(folder: Path, plan_from: Path | None = None, lang: str = "zh") -> list[Path]:
    """Create the project in `folder` (new or empty) for the shipped plan, or for the plan in
    `plan_from` (another district's or city's targets.yaml: checked before anything is
    written); return the files written. Its README is in `lang` and names the plan."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError("init_not_empty", path=display_path(folder))
    templates = resources.files("ipdemo") / "templates"
    if plan_from is not None:
        load_plan(plan_from)  # a plan that does not load creates nothing
        plan_bytes = plan_from.read_bytes()
    else:
        plan_bytes = (templates / "targets.yaml").read_bytes()
    files: dict[Path, bytes] = {
        folder / "targets.yaml": plan_bytes,
        folder / ".gitignore": b"data/.ipdemo.lock\n*.rejected.csv\n*.unplaced.csv\n.ipdemo-secrets.toml\n",
        folder / ".github" / "workflows" / "ipdemo.yml": (templates / "project" / "github-actions.yml").read_bytes(),
        folder / ".gitlab-ci.yml": (templates / "project" / "gitlab-ci.yml").read_bytes(),
        folder / ".pre-commit-config.yaml": PRE_COMMIT.encode("utf-8"),
    }
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    plan = load_plan(folder / "targets.yaml")
    readme = label(
        "init.readme", lang, plan=localized(plan.plan.name, plan.plan.name_en, lang), areas=plan.words(lang).areas
    )
    files[folder / "README.md"] = readme.encode("utf-8")
    atomic_write_bytes(folder / "README.md", files[folder / "README.md"])
    plan.data_dir.mkdir(parents=True, exist_ok=True)
    for evidence in plan.plan.evidence_dirs:  # the archive copies evidence from these folders only
        keep = folder / evidence / ".gitkeep"  # an empty folder is not kept by git
        keep.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(keep, b"")
        files[keep] = b""
    for name, spec in plan.ledgers.items():
        path = plan.ledger_path(name)
        atomic_write_bytes(path, BOM + (",".join(spec.fields) + "\n").encode("utf-8"))
        files[path] = b""
    return sorted(files)
