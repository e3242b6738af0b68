"""Evidence (佐证材料): what each value of a record's `evidence` field names, and whether the
archive may copy it. `validate` words the refusals as warnings, and `import` for the records it
writes (written_problems); deliver/archive.py copies the files this module allows, and lists
every other value in the manifest.

A value names a file when it looks like a path (a separator, or a name ending in an extension);
anything else (吴政办〔2021〕67号, 营业执照) is a document reference. A named file is copied only
when every rule of REFUSALS lets it through; the first rule it fails is the reason it is refused:

    outside      absolute, a drive (C:), a share (\\\\server), or a `..` step: never looked at
    protected    a hidden name (.git, .ipdemo-secrets.toml, .env, .ipdemo-cache), the data folder
                 (ledgers, journal, lock), targets.yaml, a cache folder, or a hard link to one of
                 these files, to a hidden file at the top of the project or to a file directly in
                 one of its hidden folders (.git/config)
    not_in_folder  not under one of the plan's evidence folders (`plan.evidence_dirs`, default 佐证材料)
    symlink      a link (the file or a folder on its way) that leads out of that evidence folder
    ignored      ignored by git (.gitignore), when git is installed and the project is a work tree

A refused value is never opened: its status is `refused`, and its `reason` one of the above.
`missing` is a value that passes the rules but names no regular file.

Invariants: nothing outside an evidence folder's real path is ever copied; a refusal never
depends on whether the file exists; the classification is a pure function of the value, the plan
and the files on disk (git's verdict included), so two runs on the same project agree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ipdemo.data.ledger import display_path
from ipdemo.data.store import protected_paths
from ipdemo.errors import Problem
from ipdemo.plan.model import Plan

EVIDENCE_FIELDS = ("evidence",)
# A value that names a file: a path separator, or a name ending in an extension with a letter.
LOOKS_LIKE_PATH = re.compile(r"[\\/]|\.[A-Za-z][A-Za-z0-9]{0,7}$")
SPLIT = re.compile(r"[;；\n]+")
# Absolute in any system's reading: /x, \x, C:, \\server\share, //server/share.
ABSOLUTE = re.compile(r"^(?:[\\/]|[A-Za-z]:)")
GIT_TIMEOUT = 20  # seconds for one `git check-ignore` of every candidate path

# status of an EvidenceRef
FILE, REFERENCE, MISSING, REFUSED = "file", "reference", "missing", "refused"
# reason of a refusal → the warning's message code (i18n)
REFUSALS = {
    "outside": "evidence_outside",
    "protected": "evidence_protected",
    "not_in_folder": "evidence_not_in_folder",
    "symlink": "evidence_symlink",
    "ignored": "evidence_ignored",
}


@dataclass(frozen=True)
class EvidenceRef:
    """One value of a record's evidence field, and what it turned out to be."""

    ledger: str
    line: int | None
    key: str
    field: str
    value: str
    status: str  # file | reference | missing | refused
    indicators: tuple[str, ...]  # ids of the indicators (or the task) the record supports
    path: Path | None = None  # the file (its real path), when status == "file"
    reason: str = ""  # a key of REFUSALS, when status == "refused"
    relative: PurePosixPath | None = None  # the value as a clean relative path (file, missing)
    identity: tuple[int, int] | None = None  # (device, inode) of the file judged, when status == "file"


@dataclass(frozen=True)
class Rules:
    """What a project allows as evidence: its folder, its evidence folders, what is protected."""

    root: Path  # the project folder (of targets.yaml), real path
    folders: tuple[PurePosixPath, ...]  # the plan's evidence folders, relative to root
    protected: frozenset[Path]  # real paths of files and folders never copied
    protected_ids: frozenset[tuple[int, int]]  # (device, inode) of the protected files: hard links

    @classmethod
    def of(cls, plan: Plan, guarded: Iterable[Path] = ()) -> Rules:
        """The plan's rules; `guarded` adds folders never to copy from (the cache folder)."""
        root = plan.source.parent.resolve()
        folders = tuple(PurePosixPath(f.replace("\\", "/")) for f in plan.plan.evidence_dirs)
        protected = {p.resolve() for p in [*protected_paths(plan), plan.data_dir, *guarded]}
        ids = set()
        for path in [*protected, *_hidden_files(root)]:
            try:
                st = path.stat()
            except OSError:
                continue
            ids.add((st.st_dev, st.st_ino))
        return cls(root, folders, frozenset(protected), frozenset(ids))

    def shown_folders(self) -> str:
        return "、".join(f"{f}/" for f in self.folders)


def _hidden_files(root: Path) -> list[Path]:
    """The hidden files at the top of the project (.ipdemo-secrets.toml, .env) and the files
    directly in its hidden folders (.git/config, which may hold a remote's token): a hard link to
    one of them is refused like the file itself."""
    found = [Path(e.path) for e in _scan(root) if e.name.startswith(".") and e.is_file()]
    for folder in [e for e in _scan(root) if e.name.startswith(".") and e.is_dir(follow_symlinks=False)]:
        found += [Path(e.path) for e in _scan(Path(folder.path)) if e.is_file(follow_symlinks=False)]
    return found


def _scan(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


@dataclass(frozen=True)
class Verdict:
    status: str
    path: Path | None = None
    reason: str = ""
    relative: PurePosixPath | None = None
    identity: tuple[int, int] | None = None


def classify(rules: Rules, value: str) -> Verdict:
    """The verdict on one value, before git is asked (see `_git_ignored`): the first rule of
    REFUSALS it fails, in their order, else what it names on disk."""
    if not LOOKS_LIKE_PATH.search(value):
        return Verdict(REFERENCE)
    parts = _clean_parts(value)
    if parts is None:
        return Verdict(REFUSED, reason="outside")
    if any(p.startswith(".") for p in parts) or _within(rules.root.joinpath(*parts), rules.protected):
        return Verdict(REFUSED, reason="protected")
    relative = PurePosixPath(*parts)
    folder = _evidence_folder(rules, relative)
    if folder is None:
        return Verdict(REFUSED, reason="not_in_folder")
    return _on_disk(rules, relative, folder)


def _clean_parts(value: str) -> list[str] | None:
    """The value's steps as a relative path; None when it leads outside: absolute, or a `..`."""
    if ABSOLUTE.match(value):
        return None
    parts = [p for p in value.replace("\\", "/").split("/") if p not in ("", ".")]
    return None if not parts or ".." in parts else parts


def _within(path: Path, folders: Iterable[Path]) -> bool:
    return any(path == p or p in path.parents for p in folders)


def _evidence_folder(rules: Rules, relative: PurePosixPath) -> PurePosixPath | None:
    """The evidence folder the value lies in (strictly inside it), or None."""
    n = len(relative.parts)
    return next((f for f in rules.folders if relative.parts[: len(f.parts)] == f.parts and n > len(f.parts)), None)


def _on_disk(rules: Rules, relative: PurePosixPath, folder: PurePosixPath) -> Verdict:
    """A value inside an evidence folder as written: where it really leads, and what is there."""
    try:
        real = rules.root.joinpath(*relative.parts).resolve()
        real_folder = rules.root.joinpath(*folder.parts).resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop; a NUL in the name
        return Verdict(REFUSED, reason="symlink")
    if not real.is_relative_to(real_folder) or real == real_folder:
        return Verdict(REFUSED, reason="symlink")
    if _within(real, rules.protected):
        return Verdict(REFUSED, reason="protected")
    try:
        st = real.stat()
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return Verdict(MISSING, relative=relative)
    if (st.st_dev, st.st_ino) in rules.protected_ids:
        return Verdict(REFUSED, reason="protected")
    if not real.is_file():
        return Verdict(MISSING, relative=relative)
    return Verdict(FILE, path=real, relative=relative, identity=(st.st_dev, st.st_ino))


def open_judged(path: Path, identity: tuple[int, int] | None):
    """The file judged, opened for reading: without following a link at its name, and only if it
    is still the same file (device, inode) — a file swapped for a link to the secrets file (or a
    folder on its way swapped) between the verdict and the copy raises FileChangedError."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    st = os.fstat(fd)
    if identity is not None and (st.st_dev, st.st_ino) != identity:
        os.close(fd)
        raise FileChangedError(str(path))
    return os.fdopen(fd, "rb")


class FileChangedError(OSError):
    """An evidence file is no longer the file that was judged."""


def evidence_ledgers(plan: Plan) -> list[str]:
    """Ledgers that some indicator counts, or that record the progress of tasks, and that have an
    evidence field (the enterprise register's `evidence` names an import source, not a document:
    it is not counted)."""
    counted = {m.ledger for ind in plan.indicators for m in ind.measures} | {name for name, _ in plan.task_fields}
    return [
        name
        for name, spec in plan.ledgers.items()
        if name in counted and any(f in spec.fields for f in EVIDENCE_FIELDS)
    ]


def evidence_refs(plan: Plan, ledgers: list[str] | None = None, rules: Rules | None = None) -> list[EvidenceRef]:
    """Every evidence value of every record (valid or not), in ledger then line order, judged by
    `rules` (default: the plan's, Rules.of)."""
    rules = rules or Rules.of(plan)
    wanted = evidence_ledgers(plan)
    out = []
    for name in wanted if ledgers is None else [n for n in ledgers if n in wanted]:
        spec = plan.ledgers[name]
        table = stored_ledger(plan, name)
        if table is None:
            continue
        for line, row in zip(table.lines.tolist(), table.arrow.to_pylist()):
            key = "|".join(str(row.get(k) or "") for k in spec.key)
            indicators = _supports(plan, name, row)
            for fname in EVIDENCE_FIELDS:
                for value in _values(row.get(fname)):
                    v = classify(rules, value)
                    out.append(
                        EvidenceRef(
                            name,
                            int(line),
                            key,
                            fname,
                            value,
                            v.status,
                            indicators,
                            v.path,
                            v.reason,
                            v.relative,
                            v.identity,
                        )
                    )
    return _git_ignored(rules, out)


def _git_ignored(rules: Rules, refs: list[EvidenceRef]) -> list[EvidenceRef]:
    """Files that git ignores, refused: one `git check-ignore` for all of them. Without git, or
    outside a work tree, git ignores nothing (git is never required)."""
    files = sorted({ref.path for ref in refs if ref.status == FILE and ref.path is not None})
    if not files:
        return refs
    ignored = _ask_git(rules.root, [p.relative_to(rules.root).as_posix() for p in files])
    if not ignored:
        return refs
    return [
        EvidenceRef(r.ledger, r.line, r.key, r.field, r.value, REFUSED, r.indicators, None, "ignored", r.relative)
        if r.path is not None and r.path.relative_to(rules.root).as_posix() in ignored
        else r
        for r in refs
    ]


def _ask_git(root: Path, paths: list[str]) -> set[str]:
    git = shutil.which("git")
    if git is None:
        return set()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        done = subprocess.run(
            [git, "-C", str(root), "check-ignore", "-z", "--stdin"],
            input="".join(p + "\0" for p in paths).encode("utf-8", "surrogateescape"),
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    if done.returncode not in (0, 1):  # 128: not a work tree
        return set()
    return {p.decode("utf-8", "surrogateescape") for p in done.stdout.split(b"\0") if p}


def _values(cell) -> list[str]:
    if cell is None:
        return []
    return [part.strip() for part in SPLIT.split(str(cell)) if part.strip()]


def _supports(plan: Plan, ledger: str, row: dict) -> tuple[str, ...]:
    """The indicators whose measures on this ledger match the row's `where`; for a task's progress
    entry, the task it reports on."""
    tasks = {t.id for t in plan.tasks}
    out = [str(row.get(f) or "") for name, f in plan.task_fields if name == ledger and row.get(f) in tasks]
    for ind in plan.indicators:
        for m in ind.measures:
            if m.ledger != ledger:
                continue
            if all(str(row.get(f) or "") in ([w] if isinstance(w, str) else list(w)) for f, w in m.where.items()):
                out.append(ind.id)
                break
    return tuple(out)


def evidence_problems(plan: Plan, ledgers: list[str] | None = None, guarded: Iterable[Path] = ()) -> list[Problem]:
    """Warnings for `validate`: every evidence value that names a file the archive will not hold
    (refused or missing), with the ledger's line, field, and how to fix it."""
    rules = Rules.of(plan, guarded)
    return [
        problem(plan, rules, ref) for ref in evidence_refs(plan, ledgers, rules) if ref.status in (MISSING, REFUSED)
    ]


def written_problems(plan: Plan, ledger: str, keys: Iterable[str], guarded: Iterable[Path] = ()) -> list[Problem]:
    """The warnings of `evidence_problems` for the records an import just wrote (`keys` as the
    import names them, parts joined by '/'): the cells are kept as written, and flagged."""
    touched = set(keys)
    if not touched or ledger not in evidence_ledgers(plan):
        return []
    problems = evidence_problems(plan, [ledger], guarded)
    return [p for p in problems if str(p.params.get("key", "")).replace("|", "/") in touched]


def problem(plan: Plan, rules: Rules, ref: EvidenceRef) -> Problem:
    code = REFUSALS[ref.reason] if ref.status == REFUSED else "evidence_missing"
    return Problem(
        display_path(plan.ledger_path(ref.ledger)),
        ref.line,
        ref.field,
        code,
        "warning",
        {"value": ref.value, "key": ref.key, "folders": rules.shown_folders()},
    )


def stored_ledger(plan: Plan, name: str):
    """The ledger as stored (every row, with its line), or None when there is none."""
    from ipdemo.data.ledger import read_table
    from ipdemo.data.store import read_committed
    from ipdemo.errors import LedgerError

    path = plan.ledger_path(name)
    try:
        content = read_committed(path)
    except OSError:
        return None
    try:
        return read_table(path, content)
    except LedgerError:
        return None
