"""The command line: parse options, call the core, render, map errors to exit codes.

Heavy libraries (pandas, pyarrow) are imported inside commands so `ipdemo --help` stays fast.
Stdout carries data; stderr carries messages. Exit 0 good, 1 invalid data, 2 bad command line,
3 `summary --send --attach` sent the digest but not the file after it.
Messages and labels come from i18n; help texts are English (with the Chinese names of things).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

from ipdemo import __version__
from ipdemo.errors import IpdemoError, UsageError
from ipdemo.i18n import default_lang, label, message

app = typer.Typer(
    name="ipdemo",
    help="""知识产权强省建设区域示范创建工作计划 KPI 跟踪 — track the IP plan's targets from CSV ledgers.

    Run it in the folder that holds targets.yaml (or give --targets). Output is Chinese unless
    --lang en or IPDEMO_LANG=en. Exit 0 good, 1 invalid data or targets, 2 a wrong command line,
    3 summary --send --attach sent the digest but not the file after it.
    Each command's options and examples: ipdemo COMMAND --help.

    \b
    Examples:
      ipdemo init 吴江知识产权台账                   # a new data repository
      ipdemo import 专利检索导出_20231015.xlsx
      ipdemo validate
      ipdemo report --phase 2
      ipdemo summary --format html --output 周报.html
    """,
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


class ReportFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"
    html = "html"
    xlsx = "xlsx"
    docx = "docx"  # the 自查报告 (render/docx.py)


class By(str, Enum):
    town = "town"
    area = "area"  # the same breakdown, in any plan's words (provinces, counties, streets)
    phase = "phase"
    year = "year"
    month = "month"


class ImportFormat(str, Enum):
    text = "text"
    json = "json"


class ValidateFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


# Options shared by every command, defined once.
TargetsOpt = Annotated[
    Path,
    typer.Option(
        "--targets",
        "-t",
        help="targets.yaml of the plan (default: ./targets.yaml); ledgers are in its data/ folder.",
        dir_okay=False,
        show_default=False,
    ),
]
LangOpt = Annotated[
    Optional[Lang],
    typer.Option("--lang", help="Output language, zh or en (default: $IPDEMO_LANG, else zh).", show_default=False),
]
OutputOpt = Annotated[
    Optional[Path],
    typer.Option("--output", "-o", help="Write to FILE, atomically (default: standard output).", dir_okay=False),
]


def _lang(lang: Lang | None) -> str:
    return lang.value if lang else default_lang()


def _say(text: str) -> None:
    """A message for the user (stderr), never mixed into data."""
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


_CURRENT_LANG: list[str] = []  # the command's language, for failures outside user_errors
_CURRENT_PLAN: list = []  # the command's plan once loaded: how problems name fields (field_names)


@contextmanager
def user_errors(lang: str) -> Iterator[None]:
    """Turn IpdemoError into `错误: …` on stderr and its exit code; no traceback."""
    from ipdemo.render.problems import as_text, field_names

    _CURRENT_LANG[:] = [lang]
    try:
        yield
    except IpdemoError as exc:
        _say(f"{label('cli.error', lang)}: {exc.render(lang)}")
        if exc.problems:
            shown = exc.problems[:200]
            ledger = exc.params.get("ledger")  # rows refused by an import: that ledger's fields
            plan = _CURRENT_PLAN[0] if _CURRENT_PLAN else None
            _say(as_text(shown, lang, field_names(plan, lang, ledger if isinstance(ledger, str) else None)))
            if len(exc.problems) > len(shown):
                _say(f"… (+{len(exc.problems) - len(shown)})")
        raise typer.Exit(exc.exit_code) from None


def _load(targets: Path):
    from ipdemo.plan.model import load_plan

    plan = load_plan(targets)
    _CURRENT_PLAN[:] = [plan]
    return plan


def _write(text: str | bytes, output: Path | None, plan=None) -> None:
    """Data to stdout, or atomically to --output (never over a ledger or targets.yaml). Bytes
    (a docx or xlsx) only ever go to a file: their formats need --output."""
    if output is None:
        assert isinstance(text, str), "a binary format reached stdout"
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # `> /dev/full`, a disk that filled up, a closed terminal
            _stdout_failed(exc)
        return
    from ipdemo.data.store import atomic_write_bytes, refuse_protected

    if plan is not None:
        refuse_protected(plan, output)
    atomic_write_bytes(output, text.encode("utf-8") if isinstance(text, str) else text)


def _print_table(renderable) -> None:
    from rich.console import Console

    tty = sys.stdout.isatty()
    try:
        Console(width=None if tty else 1000, soft_wrap=not tty).print(renderable)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        _stdout_failed(exc)


def _stdout_failed(exc: OSError) -> None:
    """Standard output cannot be written: one line on stderr, exit 1, and nothing more tried
    on stdout (Python would flush its buffer again at exit and print a traceback-like note)."""
    _quiet_stdout()
    lang = _CURRENT_LANG[0] if _CURRENT_LANG else default_lang()
    _say(f"{label('cli.error', lang)}: {message('stdout_failed', lang, reason=exc.strerror or str(exc))}")
    raise typer.Exit(1)


def _quiet_stdout() -> None:
    """Point stdout at the null device, so the final flush cannot fail again."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # no real descriptor (a test runner's stream)
        pass


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ipdemo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", help="Show the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """知识产权强省建设区域示范创建工作计划 KPI 跟踪 — track the IP plan's targets from CSV ledgers."""


@app.command()
def validate(
    format: Annotated[
        ValidateFormat, typer.Option("--format", "-f", help="text, json, github (::error annotations) or junit (XML).")
    ] = ValidateFormat.text,
    targets: TargetsOpt = Path("targets.yaml"),
    lang: LangOpt = None,
) -> None:
    """Check targets.yaml and every ledger; list every problem with file, line and field.

    Exit 0 when valid (warnings allowed), 1 when anything is invalid. Lines are numbered as an
    editor numbers them (header = line 1).

    \b
    Examples:
      ipdemo validate                                # data/patents.csv:12: application_no: 错误: …
      ipdemo validate --format json > 校验结果.json   # {"valid", "errors", "warnings"}
      ipdemo validate --format github                # annotations in GitHub Actions
      ipdemo validate --format junit > 校验结果.xml   # JUnit XML for GitLab CI
    """
    from ipdemo.checks.validate import validate_project
    from ipdemo.data.cache_home import cache_dir
    from ipdemo.engine.dataset import load_dataset
    from ipdemo.render import problems as problem_render

    def ledger_problems(plan):
        _CURRENT_PLAN[:] = [plan]
        return load_dataset(plan).problems

    lg = _lang(lang)
    with user_errors(lg):
        result = validate_project(targets, ledger_problems, [d for d in [cache_dir()] if d])
    problems = result.problems
    fields = problem_render.field_names(_CURRENT_PLAN[0] if _CURRENT_PLAN else None, lg)
    render = {
        ValidateFormat.text: lambda: problem_render.as_text(problems, lg, fields),
        ValidateFormat.json: lambda: problem_render.as_json(problems, lg),
        ValidateFormat.github: lambda: problem_render.as_github(problems, lg),
        ValidateFormat.junit: lambda: problem_render.as_junit(problems, result.files, lg),
    }[format]
    sys.stdout.write(render())
    errors, warnings = result.errors, result.warnings
    if format == ValidateFormat.text:
        from ipdemo.i18n import count_of

        _say(
            message(
                "validate_invalid" if errors else "validate_valid",
                lg,
                errors=count_of(errors, "error", lg),
                warnings=count_of(warnings, "warning", lg),
            )
        )
    raise typer.Exit(1 if errors else 0)


ListFormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="table, markdown, csv or json.")]


@app.command()
def indicators(
    format: ListFormatOpt = ListFormat.table, targets: TargetsOpt = Path("targets.yaml"), lang: LangOpt = None
) -> None:
    """List the plan's indicators: id, name, kind, target and what they count.

    \b
    Examples:
      ipdemo indicators
      ipdemo indicators --format csv > 指标.csv
      ipdemo indicators --format json --lang en
    """
    _listing("indicators", format, targets, lang)


@app.command()
def towns(
    format: ListFormatOpt = ListFormat.table, targets: TargetsOpt = Path("targets.yaml"), lang: LangOpt = None
) -> None:
    """List the towns (区镇) with their aliases.

    report --town takes a name or an alias; imports turn aliases into the name.

    \b
    Examples:
      ipdemo towns
      ipdemo towns --format markdown
      ipdemo towns --targets 苏州市/targets.yaml --format json
    """
    _listing("towns", format, targets, lang)


def _listing(what: str, format: ListFormat, targets: Path, lang: Lang | None) -> None:
    from ipdemo.render import listing

    views = {
        "indicators": (listing.indicators_grid, listing.indicators_json),
        "towns": (listing.towns_grid, listing.towns_json),
    }
    grid_of, json_of = views[what]
    lg = _lang(lang)
    with user_errors(lg):
        plan = _load(targets)
    _show(grid_of(plan, lg), format, {what: json_of(plan)})


def _parse_date(value: str | None, option: str):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError("bad_date_option", option=option, value=value) from None


def _resolve_town(plan, value: str | None) -> str | None:
    if value is None:
        return None
    town = plan.town_index.canonical(value)
    if town is None:
        from ipdemo.plan.model import plan_word

        suggestions = "、".join(plan.town_index.suggest(value))
        raise UsageError("unknown_town_option", value=value, suggestions=suggestions, area=plan_word(plan, "area"))
    return town


def _report_ledgers(plan) -> list[str]:
    """The ledgers a report reads: those its indicators count and those of task progress — read
    before --strict looks, so that an invalid task entry is never left out without a word."""
    return sorted({name for ind in plan.indicators for name in ind.ledgers} | {name for name, _ in plan.task_fields})


def _warn_unusable(data, lang: str, strict: bool) -> None:
    """A ledger that is missing or cannot be read counts as empty: never silently. Said on stderr,
    or (--strict) an error naming every such file. File-level problems sit on no row (line None)
    or on the header (line 1)."""
    from ipdemo.errors import LedgerError

    texts = []
    for p in data.file_problems():  # never reads the cached row warnings
        text = p.message(lang)
        texts.append(text if p.file in text else f"{p.file}: {text}")
    if not texts:
        return
    if strict:
        raise LedgerError("strict_ledger_left_out", problem="; ".join(texts))
    for text in texts:
        _say(f"{label('cli.warning', lang)}: {message('ledger_left_out', lang, problem=text)}")


def _warn_invalid(data, lang: str, strict: bool) -> None:
    from ipdemo.errors import RowsRejected

    if data.invalid_count:
        if strict:
            raise RowsRejected("strict_invalid_rows", count=data.invalid_count)
        _say(message("invalid_rows_left_out", lang, count=data.invalid_count, where=data.where_invalid()))


@app.command()
def report(
    phase: Annotated[
        Optional[int],
        typer.Option(
            "--phase", "-p", help="Count from the plan start to the end of phase N (default: up to --as-of).", min=1
        ),
    ] = None,
    as_of: Annotated[
        Optional[str],
        typer.Option(
            "--as-of",
            help="Window end YYYY-MM-DD (default: today, capped at the plan end); before the plan start: the baseline.",
        ),
    ] = None,
    town: Annotated[
        Optional[str], typer.Option("--town", help="One town (区镇); aliases accepted (default: the whole district).")
    ] = None,
    by: Annotated[
        Optional[By],
        typer.Option("--by", help="Breakdown: town (or area: the plan's areas), phase, year or month (default: none)."),
    ] = None,
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="table, markdown, csv, json, html, xlsx or docx (the 自查报告); xlsx and docx need --output.",
        ),
    ] = ReportFormat.table,
    output: OutputOpt = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Exit 1 if any ledger row is invalid (default: leave such rows out, with a warning)."
        ),
    ] = False,
    targets: TargetsOpt = Path("targets.yaml"),
    lang: LangOpt = None,
) -> None:
    """Progress against every target: actual, percent, expected-to-date, status, pace needed.

    Invalid ledger rows are left out of the figures with a warning (or exit 1 with --strict).

    \b
    Examples:
      ipdemo report --phase 2                        # plan start → end of phase 2
      ipdemo report --as-of 2023-06-30 --by town
      ipdemo report --town 盛泽 --format markdown    # one town; aliases accepted
      ipdemo report --by year --format xlsx --output 进度.xlsx
      ipdemo report --format docx --output 自查报告.docx --as-of 2023-12-31
    """
    from ipdemo.engine.dataset import load_dataset
    from ipdemo.engine.progress import make_window
    from ipdemo.render.formats import FORMATS, report_view

    lg = _lang(lang)
    with user_errors(lg):
        plan = _load(targets)
        when = _parse_date(as_of, "--as-of")
        place = _resolve_town(plan, town)
        window = make_window(plan, phase, when)
        chosen = FORMATS[format.value]
        if chosen.needs_file and output is None:
            raise UsageError("format_needs_output", format=format.value)
        if output is not None:
            from ipdemo.data.store import refuse_protected

            refuse_protected(plan, output)
        data = load_dataset(plan, _report_ledgers(plan))
        _warn_unusable(data, lg, strict)
        _warn_invalid(data, lg, strict)
        view = report_view(plan, data, window, lg, place, by.value if by else None)
        if output is None and chosen.terminal is not None:
            _print_table(chosen.terminal(view))
            return
        _write(chosen.write(view), output, plan)


@app.command()
def init(
    folder: Annotated[
        Path, typer.Argument(help="New or empty folder for the data repository (created if missing).", file_okay=False)
    ],
    plan_from: Annotated[
        Optional[Path],
        typer.Option(
            "--plan",
            help=(
                "Start from this targets.yaml (another district's or city's plan) instead of the shipped Wujiang plan."
            ),
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Create a fresh data repository: the shipped plan, empty ledgers with headers, CI and pre-commit files.

    Writes targets.yaml, data/ with a CSV per ledger, .gitignore, a GitHub Actions workflow, a
    GitLab CI job and a pre-commit config that runs ipdemo validate; lists the files written.

    \b
    Examples:
      ipdemo init 吴江知识产权台账
      ipdemo init 相城区台账 --plan 相城区/targets.yaml     # another district's plan
      ipdemo init 台账 --lang en
    """
    from ipdemo.data.ledger import display_path
    from ipdemo.project import init_project

    lg = _lang(lang)
    with user_errors(lg):
        written = init_project(folder, plan_from, lg)
    for path in written:
        sys.stdout.write(display_path(path) + "\n")
    _say(message("init_done", lg, folder=display_path(folder)))


class SummaryFormat(str, Enum):
    markdown = "markdown"
    html = "html"
    text = "text"


class SendTarget(str, Enum):  # group robots (notify.py)
    wecom = "wecom"
    dingtalk = "dingtalk"
    feishu = "feishu"


@app.command()
def summary(
    week: Annotated[
        Optional[str],
        typer.Option("--week", "-w", help="ISO week YYYY-Www (default: the last complete week, within the plan)."),
    ] = None,
    as_of: Annotated[
        Optional[str],
        typer.Option("--as-of", help="Summarise the seven days ending on this date, YYYY-MM-DD (default: use --week)."),
    ] = None,
    format: Annotated[
        SummaryFormat, typer.Option("--format", "-f", help="markdown, html (with charts) or text.")
    ] = SummaryFormat.markdown,
    output: OutputOpt = None,
    send: Annotated[
        Optional[SendTarget],
        typer.Option(
            "--send",
            help=(
                "Also post a short digest to a group robot (default: none): wecom (企业微信), dingtalk (钉钉) or "
                "feishu (飞书); webhook from $IPDEMO_<ROBOT>_WEBHOOK or .ipdemo-secrets.toml. The summary is written "
                "to --output (default 周报-YYYY-Www.EXT) first."
            ),
        ),
    ] = None,
    link: Annotated[
        Optional[str],
        typer.Option(
            "--link", help="With --send: the URL where the full summary is published (default: its file name)."
        ),
    ] = None,
    attach: Annotated[
        bool,
        typer.Option(
            "--attach",
            help=(
                "With --send wecom: also send the full summary to the group as a file (WeCom robots only; DingTalk and "
                "Feishu robots send no files: use --link)."
            ),
        ),
    ] = False,
    targets: TargetsOpt = Path("targets.yaml"),
    lang: LangOpt = None,
) -> None:
    """The weekly digest for cron: records, movement, status changes, risks, stale ledgers, imports.

    One ISO week: records dated in it per ledger and town, each indicator's movement since the
    week before, status changes, what is at risk or behind with the weekly rate needed, stale
    ledgers, data problems and the week's imports. The same data and options give the same bytes.

    With --send: exit 1 when nothing was sent; exit 3 (--attach) when the digest was sent but the
    file after it was not — do not send the digest again.

    \b
    Examples:
      ipdemo summary                                 # the last complete week, markdown
      ipdemo summary --week 2023-W39 --format html --output 周报.html
      ipdemo summary --as-of 2023-09-30 --format text
      ipdemo summary --format html --send wecom --link https://intranet.example/周报.html
    """
    from datetime import date

    from ipdemo.engine.dataset import load_dataset
    from ipdemo.engine.summary import build, default_week, parse_week, week_ending
    from ipdemo.render import summary as summary_render

    lg = _lang(lang)
    with user_errors(lg):
        if week is not None and as_of is not None:
            raise UsageError("week_and_as_of")
        _check_attach(attach, send.value if send else None)
        plan = _load(targets)
        if output is not None:
            from ipdemo.data.store import refuse_protected

            refuse_protected(plan, output)
        when = _parse_date(as_of, "--as-of")
        chosen = parse_week(week) if week else week_ending(when) if when else default_week(plan, date.today())
        data = load_dataset(plan)
        digest = build(plan, data, chosen)
        if format == SummaryFormat.markdown:
            text = summary_render.as_markdown(digest, lg)
        elif format == SummaryFormat.text:
            text = summary_render.as_text(digest, lg)
        else:
            from ipdemo.render.charts import all_charts

            charts = all_charts(plan, data, digest.progress, lg) if digest.progress is not None else []
            text = summary_render.as_html(digest, lg, charts)
        if send is None:
            _write(text, output, plan)
        else:
            _send_summary(send.value, digest, text, output, format.value, link, plan, lg, attach)


SUMMARY_EXT = {"markdown": "md", "html": "html", "text": "txt"}


def _check_attach(attach: bool, target: str | None) -> None:
    """--attach needs --send to a robot that can send files (WeCom), before anything is read."""
    from ipdemo.deliver.notify import ROBOTS, can_attach

    if attach and target is None:
        raise UsageError("attach_needs_send")
    if attach and target is not None and not can_attach(target):
        raise UsageError("attach_not_supported", robot=ROBOTS[target].term)


def _say_wait(wait, lang: str) -> None:
    """A robot's retry, as it is about to be made: what the robot said and how long ipdemo waits."""
    from ipdemo.render.grid import cell_text

    params = {"robot": wait.robot, "reason": wait.reason, "seconds": cell_text(wait.seconds)}
    _say(message("robot_retry", lang, **params, attempt=wait.attempt, attempts=wait.attempts))


def _refuse_posted_secrets(target: str, plan, options: dict[str, str | None]) -> None:
    """What the digest posts of the options must not hold the webhook's key: refused before the
    summary is written. A robot not (well) configured is said after the summary is written."""
    from ipdemo.deliver.notify import NotifyError, endpoint, refuse_secret_options

    try:
        point = endpoint(target, plan.source.parent)
    except NotifyError:
        return
    refuse_secret_options(point, options)


def _send_summary(
    target: str,
    digest,
    text: str,
    output: Path | None,
    format: str,
    link: str | None,
    plan,
    lang: str,
    attach: bool = False,
) -> None:
    """--send: the full summary goes to disk first (--output, else 周报-YYYY-Www.EXT), then the
    short digest to the robot (with --attach, the file uploaded first and sent after the digest);
    a failure to deliver leaves the file and exits 1."""
    from ipdemo.data.ledger import display_path
    from ipdemo.deliver.notify import ROBOTS, Full, Pacing, cut_note, endpoint, send, send_file, title, upload
    from ipdemo.deliver.notify import digest as short_digest

    path = output or Path(label("cli.summary_file", lang, week=digest.week.label, ext=SUMMARY_EXT[format]))
    _refuse_posted_secrets(target, plan, {"--link": link, "--output": str(path)})  # its name is posted, its path said
    _write(text, path, plan)
    _say(message("summary_written", lang, path=display_path(path)))
    point = endpoint(target, plan.source.parent)
    for problem in point.warnings:  # a secrets file others can read or change
        _say(f"{label('cli.warning', lang)}: {problem.message(lang)}")
    pacing = Pacing(waiting=lambda wait: _say_wait(wait, lang))
    media = upload(point, path, pacing) if attach else None  # before the digest: it never promises a file that failed
    full = Full(path.name, url=link, attached=media is not None)
    done = send(
        point,
        title(digest, lang),
        short_digest(digest, lang, full, target),
        cut_note(full, lang),
        waiting=pacing.waiting,
    )
    _say(
        message(
            "summary_sent",
            lang,
            robot=ROBOTS[target].term,
            size=done.bytes,
            cut=message("summary_sent_cut", lang) if done.truncated else "",
        )
    )
    if media is not None:
        send_file(point, media, pacing, path.name)
        _say(message("summary_attached", lang, name=path.name, robot=ROBOTS[target].term))


@app.command()
def archive(
    output: Annotated[
        Path, typer.Argument(help="The zip to write, e.g. 归档.zip.", dir_okay=False, show_default=False)
    ],
    as_of: Annotated[
        Optional[str],
        typer.Option(
            "--as-of", help="Figures and file dates as of YYYY-MM-DD (default: today, capped at the plan end)."
        ),
    ] = None,
    personal: Annotated[
        bool,
        typer.Option(
            "--personal", help="Keep personal fields (trainees' names, phones) in the ledgers (default: left out)."
        ),
    ] = False,
    targets: TargetsOpt = Path("targets.yaml"),
    lang: LangOpt = None,
) -> None:
    """The acceptance archive (归档): the ledgers as xlsx 台账, the 自查报告, evidence, 清单.xlsx, manifest.csv.

    One zip: every ledger as an xlsx 台账 (rows that count marked 是否计入), the 自查报告 (docx),
    the evidence files records point to (a folder per indicator), 清单.xlsx (every file, and each
    indicator's figure with its evidence or 无佐证) and manifest.csv (for programs). Written atomically; \
the same data and --as-of give
    the same bytes. Evidence is copied only from the plan's evidence folders (plan.evidence_dirs,
    佐证材料/ as shipped); a missing or refused file is a warning and a manifest row.

    \b
    Examples:
      ipdemo archive 归档.zip --as-of 2023-12-31
      ipdemo archive 验收材料/归档_20231231.zip --as-of 2023-12-31 --personal
      ipdemo archive archive.zip --lang en
    """
    from ipdemo.data.ledger import display_path
    from ipdemo.data.store import refuse_protected
    from ipdemo.deliver.archive import build_archive, write_archive
    from ipdemo.engine.dataset import load_dataset
    from ipdemo.engine.progress import compute, make_window
    from ipdemo.render.docx import report_docx

    lg = _lang(lang)
    with user_errors(lg):
        plan = _load(targets)
        refuse_protected(plan, output)
        window = make_window(plan, None, _parse_date(as_of, "--as-of"))
        data = load_dataset(plan, _report_ledgers(plan))
        _warn_unusable(data, lg, False)
        _warn_invalid(data, lg, False)
        progress = compute(plan, data, window)
        report = report_docx(plan, data, progress, lg)
        result = build_archive(plan, report, window.end, lg, personal, progress, data.invalid)
        for problem in result.warnings:
            _say(f"{label('cli.warning', lg)}: {problem.file}:{problem.line}: {problem.message(lg)}")
        write_archive(result, output)
    _say(
        message(
            "archive_written",
            lg,
            path=display_path(output),
            ledgers=result.count("ledger"),
            files=len({r["file"] for r in result.manifest if r["status"] == "file"}),
            references=result.count("reference"),
            missing=result.count("missing"),
            refused=result.count("refused"),
        )
    )


@app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help=(
                "Exports to import: CSV (UTF-8, GBK/GB18030, UTF-16), XLSX, XLS or an HTML table saved as .xls. "
                "Several files for one ledger are joined on its key."
            ),
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ],
    ledger: Annotated[
        Optional[str],
        typer.Option("--ledger", "-l", help="Target ledger (default: guessed from headers and file name)."),
    ] = None,
    set_: Annotated[
        Optional[list[str]],
        typer.Option(
            "--set",
            help="FIELD=VALUE: a constant column (e.g. --set owner=吴江某某科技有限公司); repeatable (default: none).",
        ),
    ] = None,
    exported_on: Annotated[
        Optional[str],
        typer.Option(
            "--exported-on",
            help=(
                "The export's date, YYYY-MM-DD (default: from a title line, the file name, or the latest date in the "
                "file; a period such as 2023Q4 means its last day)."
            ),
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", "-n", help="Show what would be added and updated (old → new); write nothing (default: write)."
        ),
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help=(
                "Write the valid rows; put the invalid ones in FILE.rejected.csv (exit 1). Default: write nothing if "
                "any row is invalid."
            ),
        ),
    ] = False,
    sheet: Annotated[
        Optional[str],
        typer.Option("--sheet", help="Sheet name of a workbook (default: the first with a recognisable header)."),
    ] = None,
    encoding: Annotated[
        Optional[str], typer.Option("--encoding", help="Force the CSV encoding (default: detected).")
    ] = None,
    format: Annotated[
        ImportFormat,
        typer.Option(
            "--format", "-f", help="text, or json: one object with the counts (added, updated, rejected, …) and errors."
        ),
    ] = ImportFormat.text,
    targets: TargetsOpt = Path("targets.yaml"),
    lang: LangOpt = None,
) -> None:
    """Bring exports into a ledger: new keys added, known keys updated, nothing lost or duplicated.

    Rows with no town are placed by the first applicant's address, else the enterprise register;
    rows outside the district or of another patent office are skipped and counted; rows that
    cannot be placed go to FILE.unplaced.csv to complete. Any invalid row: nothing is written and
    every bad row is listed (exit 1). Writes are atomic, locked and journaled in data/journal.jsonl.

    \b
    Examples:
      ipdemo import 专利检索导出_20231015.xlsx
      ipdemo import 商标基本信息.csv 商标申请人.csv        # the open-data pair, joined
      ipdemo import 软著登记.xlsx --set owner=吴江某某科技有限公司
      ipdemo import 质押贷款.xlsx --sheet 质押贷款 --ledger pledge_loans
      ipdemo import 导出.xls --dry-run --exported-on 2023-10-15
    """
    from ipdemo.data.cache_home import cache_dir
    from ipdemo.errors import RowsRejected
    from ipdemo.ingest.importer import Options, import_files
    from ipdemo.render import imports as import_render

    lg = _lang(lang)
    with user_errors(lg):
        plan = _load(targets)
        options = Options(
            ledger,
            sheet,
            encoding,
            _parse_sets(set_ or []),
            _parse_date(exported_on, "--exported-on"),
            dry_run,
            skip_invalid,
            lang=lg,
            guarded=tuple(d for d in [cache_dir()] if d),
        )
        try:
            with _busy(lg, files[0]):
                results = import_files(plan, files, options)
        except RowsRejected as exc:
            if format == ImportFormat.json:
                _write(import_render.rejected_json(exc, files[0], lg), None)
                raise typer.Exit(1) from None
            raise
        except IpdemoError as exc:  # a file that cannot be read: JSON readers get an answer too
            if format == ImportFormat.json:
                _write(import_render.failed_json(exc, files, lg), None)
            raise
    if format == ImportFormat.json:
        _write(import_render.as_json(results, plan, lg), None)
    else:
        from ipdemo.render.problems import as_text, field_names

        for result in results:
            fields = field_names(plan, lg, result.ledger)
            _write(import_render.as_text(result, plan, lg), None)
            if result.warnings:
                _say(as_text(result.warnings[:50], lg, fields))
            if result.errors:
                _say(as_text(result.errors[:200], lg, fields))
    raise typer.Exit(1 if any(r.errors for r in results) else 0)


def _parse_sets(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, constant = value.partition("=")
        if not sep or not name.strip():
            raise UsageError("bad_set_option", value=value)
        out[name.strip()] = constant.strip()
    return out


@contextmanager
def _busy(lang: str, file: Path) -> Iterator[None]:
    """A transient spinner on stderr for big files, only on a terminal and without NO_COLOR."""
    import os

    if not sys.stderr.isatty() or os.environ.get("NO_COLOR") or file.stat().st_size < 5_000_000:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"{label('cli.importing', lang)} {file.name}"):
        yield


def _show(grid, format: ListFormat, payload: dict) -> None:
    from ipdemo.render import grid as grids

    if format == ListFormat.table:
        _print_table(grids.to_rich(grid))
    elif format == ListFormat.markdown:
        _write(grids.to_markdown(grid), None)
    elif format == ListFormat.csv:
        _write(grids.to_csv(grid), None)
    else:
        _write(grids.to_json(payload), None)


# Stand-ins for characters an output encoding may lack (GBK when output is redirected on
# Chinese Windows, or PYTHONIOENCODING=gbk): ✓ has no GBK code, √ has.
FALLBACK = {
    "✓": "√",
    "✔": "√",
    "✗": "×",
    "✘": "×",
    "•": "·",
    "→": "->",
    "≥": ">=",
    "≤": "<=",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "…": "...",
    "—": "-",
    "–": "-",
    "\u00a0": " ",
}


def _fallback(exc: UnicodeError):
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start : exc.end]:
        alt = FALLBACK.get(ch, "?")
        try:
            alt.encode(exc.encoding)
        except (UnicodeError, LookupError):
            alt = "?"
        out.append(alt)
    return "".join(out), exc.end


def _tolerant_streams() -> None:
    """stdout and stderr write what their encoding cannot carry as a stand-in, never a crash."""
    import codecs

    codecs.register_error("ipdemo-fallback", _fallback)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # a TextIOWrapper's (a test runner's stream may lack it)
        if reconfigure is None:
            continue
        try:
            reconfigure(errors="ipdemo-fallback")
        except (ValueError, OSError):
            pass


def main() -> None:
    """The console command. It ends the process itself once the command is done and its output
    flushed (os._exit): Python's own shutdown can otherwise abort a finished run with SIGABRT
    ("terminate called without an active exception") while Arrow's native thread pool is torn
    down (apache/arrow#34314). Everything ipdemo writes is complete by then: files are written
    atomically and synced, the lock is released when the command returns."""
    _keep_freed_memory()
    try:
        _run()
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 1 << 26  # arrays below 64 MiB come from the heap and are reused once freed
TRIM_THRESHOLD = 1 << 30  # free memory at the heap's top kept up to 1 GiB


def _keep_freed_memory() -> None:
    """Let glibc's malloc keep the memory a command frees, for its next arrays. By default it
    gives freed memory back early (a big array is unmapped when freed, a heap's free top trimmed),
    and the next array of the same size is faulted in and zeroed by the kernel again: a cold
    report at 4M rows took 110-210k page faults and 1.3-2.1 s of system time, 68-84k and 1.3 s
    with these two set (1M: 56-80k -> 38-41k faults). A command is one process, short-lived: what
    it keeps is memory it has used already (its peak RSS stayed within its run-to-run spread).
    Only for the console command (a program that imports ipdemo keeps its own allocator), and
    only where glibc is: elsewhere mallopt is missing or ignores these numbers."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library to ask, or one without mallopt
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)


COMMAND_ENVIRONMENT = {
    # numpy's OpenBLAS starts a thread per core that spins for ~0.1 s of CPU once numpy is
    # imported (`import numpy`: 0.15 s of user time, 0.05 s with one thread). ipdemo does no
    # linear algebra, and on a two-core machine that spin takes the core a report's reading
    # threads need.
    "OPENBLAS_NUM_THREADS": "1",
    # Arrow's allocator (mimalloc) commits its arenas eagerly by default, and a cold report's
    # reading threads then held ~50-70 MB more at its peak for no speed: a 1M-row cold report
    # peaked at 380-420 MB against 330-360 MB committing as it goes, in the same time (4M: the
    # same peak, less system time, 1.2-2.0 -> 0.8-1.2 s). Read by mimalloc when pyarrow loads,
    # so set before it is imported.
    "MIMALLOC_ARENA_EAGER_COMMIT": "0",
}


def _command_environment() -> None:
    """Settings read by the libraries the command loads (COMMAND_ENVIRONMENT, each with why).
    Set as the command starts (`_run`), before it imports numpy or pyarrow, and only then: a
    program that imports ipdemo as a library keeps its own settings (and so do the processes it
    starts). A value the user set is kept."""
    for name, value in COMMAND_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def _leave(code: object) -> None:
    if isinstance(code, str):  # sys.exit("text"): Python would print it
        _say(code)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or failing: _final_flush has said what it could
            pass
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


def _run() -> None:
    _command_environment()
    _tolerant_streams()
    try:
        app()
    except BrokenPipeError:  # `ipdemo report | head`: not an error
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit as exc:
        _final_flush(exc)
        raise
    except OSError as exc:  # the last resort: an environment failure is a message, not a traceback
        lang = _CURRENT_LANG[0] if _CURRENT_LANG else default_lang()
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        _say(f"{label('cli.error', lang)}: {message('os_failed', lang, reason=exc.strerror or str(exc), path=where)}")
        _quiet_stdout()
        sys.exit(1)


def _final_flush(ending: SystemExit) -> None:
    """What is still buffered for stdout goes now, while a failure can still be said."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except OSError as exc:
        try:
            _stdout_failed(exc)
        except typer.Exit:
            if not ending.code:
                ending.code = 1


__all__ = ["app", "main"]
