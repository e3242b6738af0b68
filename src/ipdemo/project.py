"""`ipdemo init`: a fresh data repository from the shipped plan, with empty ledgers and CI files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ipdemo.data.ledger import BOM, display_path
from ipdemo.data.store import atomic_write_bytes
from ipdemo.errors import UsageError
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

README = """\
# 知识产权强省建设区域示范 — 数据仓库

- `targets.yaml`：工作计划（阶段、区镇、台账、指标）
- `data/*.csv`：各台账（UTF-8 带 BOM，日期 YYYY-MM-DD）

常用命令：

    ipdemo import 导出文件.xlsx       # 导入导出数据（自动识别台账、编码、表头）
    ipdemo validate                   # 检查数据
    ipdemo report --phase 2           # 进度报告
    ipdemo summary --format html -o 周报.html
"""


def init_project(folder: Path, plan_from: Path | None = None) -> list[Path]:
    """Create the project in `folder` (new or empty) for the shipped plan, or for the plan in
    `plan_from` (another district's or city's targets.yaml: checked before anything is
    written); return the files written."""
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
        folder / "README.md": README.encode("utf-8"),
    }
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    plan = load_plan(folder / "targets.yaml")
    plan.data_dir.mkdir(parents=True, exist_ok=True)
    for name, spec in plan.ledgers.items():
        path = plan.ledger_path(name)
        atomic_write_bytes(path, BOM + (",".join(spec.fields) + "\n").encode("utf-8"))
        files[path] = b""
    return sorted(files)
