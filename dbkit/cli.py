"""The ``dbkit`` command: parses arguments, calls the migration engine, prints.

Exit codes: 0 success (no difference), 1 differences found (parity, diff, check), 2 error, 70 an
internal error (a bug in dbkit or in a codebase's own code), 130 interrupted. Errors are one clear
line on stderr, never a traceback: an unexpected exception prints one line naming the command and
the table and column the engine was working on, and a second line with the log file that holds
the traceback (``--debug`` lets the traceback through instead). Heavy packages load inside the
handlers, so ``dbkit --help`` and ``dbkit diff a.json b.json`` start fast.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

EXIT_OK, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2
#: An unexpected exception (sysexits' ``EX_SOFTWARE``); Ctrl-C exits like a shell's SIGINT.
EXIT_INTERNAL, EXIT_INTERRUPTED = 70, 130

_EPILOG = (
    "exit codes: 0 success, 1 differences found (parity, diff, check), verify failed or report's change refused, 2 error (one line on "
    "stderr), 70 internal error (one line, plus the log file holding the traceback: $DBKIT_LOG_DIR, "
    "else $XDG_STATE_HOME/dbkit/logs or ~/.local/state/dbkit/logs; --debug prints it instead), "
    "130 interrupted."
)

_DEBUG_HELP = "on an unexpected error, print the traceback instead of writing it to a log file"

Handler = Callable[[argparse.Namespace], int]


class CommandLineError(Exception):
    """A problem with the command line itself (reported like any dbkit error, exit 2)."""


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def _backfills(values: Sequence[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for value in values:
        target, sep, expression = value.partition("=")
        if not sep or "." not in target or not expression:
            raise CommandLineError(
                f"--backfill {value!r}: expected TABLE.COLUMN=VALUE, e.g. users.timezone='UTC'"
            )
        parsed[target.strip()] = expression
    return parsed


# -- text output ----------------------------------------------------------------------------------


def format_inventory(result: Any) -> str:
    lines = [f"{'table':<28} {'phase':<13} hand-written / generated"]
    for entry in result.to_json()["tables"]:
        sides = " / ".join(
            f"{side['class']} ({side['file']})" if side else "-"
            for side in (entry["hand_written"], entry["generated"])
        )
        lines.append(f"{entry['table']:<28} {entry['phase']:<13} {sides}")
    lines.extend(
        f"{problem['severity']}: {problem['file']}:{problem['line'] or ''} {problem['cause']}"
        for problem in result.to_json()["problems"]
    )
    return "\n".join(lines) + "\n"


def format_parity(report: Any) -> str:
    lines = []
    for table in report.tables:
        lines.append(f"{table.table}: {table.status}")
        lines.extend(
            f"  [{d.level}] {d.kind} {d.object}: hand-written={d.hand_written!r} generated={d.generated!r}"
            for d in table.differences
        )
    lines.extend(str(problem) for problem in report.problems)
    verdict = (
        "schema-level differences found" if report.has_schema_differences else "no schema-level difference"
    )
    return "\n".join([*lines, verdict]) + "\n"


def format_diff(result: Any, row_estimates: dict[str, int] | None = None) -> str:
    if not result.changes:
        return "no change\n"
    verdict = result.lint(row_counts=row_estimates)
    lines = []
    for finding in verdict.findings:
        c = finding.change
        lines.append(f"{c.risk!s:<22} {c.op!s:<20} {c.label}")
        lines.extend(f"    {line}" for line in finding.review_lines())
    lines.extend(f"suggestion: {s.to_json()}" for s in result.suggestions)
    return "\n".join(lines) + "\n"


# -- handlers -------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from dbkit.demo import run_demo

    sys.stdout.write(run_demo(Path(args.out), sample=Path(args.sample) if args.sample else None))
    return EXIT_OK


def cmd_inventory(args: argparse.Namespace) -> int:
    from dbkit.migrate import api

    result = api.inventory(Path(args.path))
    if args.json:
        _print_json(result.to_json())
    else:
        sys.stdout.write(format_inventory(result))
    if result.errors:
        sys.stderr.write(f"dbkit inventory: {len(result.errors)} model file problem(s), listed above\n")
    return EXIT_ERROR if not result.tables or result.errors else EXIT_OK


def cmd_parity(args: argparse.Namespace) -> int:
    from dbkit.migrate import api

    if args.fix:
        return _parity_fix(args)
    if args.table or args.write:
        raise CommandLineError("--table and --write need --fix hand-written|generated")
    report = api.parity(Path(args.path))
    if args.json:
        _print_json(report.to_json())
    else:
        sys.stdout.write(format_parity(report))
    return EXIT_DIFFERENT if report.has_schema_differences else EXIT_OK


def _parity_fix(args: argparse.Namespace) -> int:
    """``parity --fix``: the plan's diff (and revision items), ``--write`` applies it; exit 1 while
    schema differences remain in the source, as ``parity`` itself."""
    from dbkit.migrate import api

    plan = api.plan_parity_fixes(Path(args.path), args.fix, tables=args.table or None)
    written = plan.write() if args.write else []
    remaining = api.parity(Path(args.path)).has_schema_differences
    if args.json:
        _print_json({**plan.to_json(), "written": [str(path) for path in written]})
    else:
        sys.stdout.write(format_parity_fix(plan, written))
    return EXIT_DIFFERENT if remaining else EXIT_OK


def format_parity_fix(plan: Any, written: Sequence[Path]) -> str:
    lines = []
    if plan.edits and not written:
        lines.append(f"dry run: pass --write to apply the diff to {', '.join(p.name for p in plan.files)}")
    elif plan.decisions and not plan.edits:
        lines.append("no source change: nothing to write")
    lines.extend(f"wrote {path}" for path in written)
    return plan.text() + "".join(f"{line}\n" for line in lines)


def cmd_validate_data(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from dbkit.migrate import api
    from dbkit.migrate.source.row_validation import validate_rows

    codebase = api.load(Path(args.path), strict=True)
    with tqdm(desc="validate-data", unit="row", disable=not sys.stderr.isatty(), leave=False) as bar:
        done: dict[str, int] = {}  # rows read so far per table: the bar counts them all

        def progress(table: str, rows: int) -> None:
            bar.set_postfix_str(table)
            bar.update(rows - done.get(table, 0))
            done[table] = rows

        report = validate_rows(codebase, args.url, args.table, progress=progress)
    if args.json:
        _print_json(report.to_json())
    else:
        sys.stdout.write(format_data_validation(report))
    return EXIT_OK if report.ok else EXIT_DIFFERENT


#: Failures printed per table by ``validate-data`` (``--json`` has the first 20).
FAILURES_SHOWN = 5


def format_data_validation(report: Any) -> str:
    """Per table: rows read and failing, counts per field and error type, then the first failures."""
    lines = []
    for table in report.tables:
        if table.error is not None:
            lines.append(f"{table.table}: {table.error}")
            continue
        lines.append(f"{table.table} ({table.model}): {table.rows} rows, {table.failing} failing")
        if table.proven_by_ddl:
            lines.append(f"  not read (their DDL guarantees them): {', '.join(table.proven_by_ddl)}")
        if table.checked_by_database:
            checked = ", ".join(table.checked_by_database)
            lines.append(f"  checked in SQL, read where it fails ({table.rechecked} row(s)): {checked}")
        for (field, kind), count in sorted(table.counts.items()):
            lines.append(f"  {field}: {count} row(s) {kind}")
        for failure in table.failures[:FAILURES_SHOWN]:
            key = ", ".join(f"{name}={value}" for name, value in failure.key.items())
            lines.append(f"    {key}  {failure.field}={failure.value}: {failure.message}")
        if len(table.failures) > FAILURES_SHOWN:
            lines.append(f"    ... the first {len(table.failures)} failures are in --json")
    failing = sum(table.failing for table in report.tables)
    lines.append("every row validates" if report.ok else f"{failing} row(s) fail their model's validation")
    return "\n".join(lines) + "\n"


def cmd_scaffold(args: argparse.Namespace) -> int:
    from dbkit.migrate.codemod.scaffold import scaffold_codebase

    result = scaffold_codebase(Path(args.path))
    for problem in result.problems:
        sys.stderr.write(f"warning: {problem}\n")
    if args.out:
        for path in result.write(Path(args.out)):
            sys.stdout.write(f"wrote {path}\n")
    else:
        for name, source in result.modules.items():
            sys.stdout.write(f"# ---- {name}.py\n{source}\n")
    return EXIT_OK


def cmd_switch(args: argparse.Namespace) -> int:
    from dbkit.migrate.codemod.switch import plan_switch

    plan = plan_switch(Path(args.path), args.table, url=args.url)
    for note in plan.notes:
        sys.stderr.write(f"note: {note}\n")
    if plan.contract_rows is not None:
        reached = sum(plan.contract_rows.links.values())
        sys.stderr.write(
            f"relationship contract kept on a scratch copy: {len(plan.contract_rows.links)} relationships, "
            f"{reached} related rows reached before and after\n"
        )
    sys.stdout.write(plan.diff())
    if args.write:
        for path in plan.write():
            sys.stderr.write(f"wrote {path}\n")
    return EXIT_OK


def cmd_snapshot(args: argparse.Namespace) -> int:
    from dbkit.migrate import api

    path = api.write_snapshot(args.source, Path(args.out))
    sys.stdout.write(f"wrote {path}\n")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from dbkit.migrate import api

    result = api.diff(args.old, args.new)
    if args.json:
        _print_json(result.to_json())
    else:
        from dbkit.migrate.diff.lint import table_row_estimates

        rows = table_row_estimates(args.old) if api.is_database_url(args.old) else None
        sys.stdout.write(format_diff(result, rows))
    return EXIT_DIFFERENT if result.changes else EXIT_OK


def cmd_revision(args: argparse.Namespace) -> int:
    from dbkit.migrate import api

    written = api.revision(
        args.new,
        Path(args.versions),
        message=args.message,
        from_source=args.from_source,
        allow_destructive=args.allow_destructive,
        backfills=_backfills(args.backfill),
        transactional=args.transactional,
    )
    if not written:
        sys.stdout.write("no change: nothing written\n")
    for item in written:
        sys.stdout.write(f"wrote {item.path}\n")
        for path in item.edited:
            sys.stderr.write(f"warning: {path} was edited by hand after dbkit wrote it\n")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from dbkit.migrate import api

    with tqdm(desc="verify", unit="step", disable=not sys.stderr.isatty(), leave=False) as bar:

        def advance(step: Any) -> None:
            bar.set_postfix_str(f"{step.direction} {step.revision}")
            bar.update()

        report = api.verify(Path(args.versions), url=args.url, on_step=advance)
    sys.stdout.write(f"{report}\n")
    return EXIT_OK if report.passed else EXIT_DIFFERENT


def cmd_check(args: argparse.Namespace) -> int:
    from dbkit.migrate import api

    result = api.check(args.source, args.url)
    sys.stdout.write(format_diff(result) if result.changes else "database matches the models\n")
    return EXIT_DIFFERENT if result.changes else EXIT_OK


def cmd_stamp(args: argparse.Namespace) -> int:
    from dbkit.migrate import api

    revision = api.stamp(Path(args.versions), args.url, to=args.to)
    sys.stdout.write(f"stamped {revision}\n")
    return EXIT_OK


def cmd_upgrade(args: argparse.Namespace) -> int:
    from dbkit.migrate import api
    from dbkit.migrate.revisions.locks import parse_duration

    def report(retry: Any) -> None:
        sys.stderr.write(f"{retry}\n")

    timeout = parse_duration(args.lock_timeout)
    output = api.upgrade(
        Path(args.versions),
        args.url,
        to=args.to,
        sql=args.sql,
        lock_timeout=timeout,
        on_lock_retry=report,
        on_progress=report,
    )
    if output:
        sys.stdout.write(output)
    return EXIT_OK


def cmd_downgrade(args: argparse.Namespace) -> int:
    from dbkit.migrate import api
    from dbkit.migrate.revisions.locks import parse_duration

    def report(retry: Any) -> None:
        sys.stderr.write(f"{retry}\n")

    timeout = parse_duration(args.lock_timeout)
    api.downgrade(Path(args.versions), args.url, to=args.to, lock_timeout=timeout, on_lock_retry=report)
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from dbkit.migrate import api

    sys.stdout.write(api.history(Path(args.versions)))
    return EXIT_OK


def cmd_current(args: argparse.Namespace) -> int:
    from dbkit.migrate import api

    sys.stdout.write(api.current(Path(args.versions), args.url) + "\n")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from dbkit.notebook.report import report_format, write_review
    from dbkit.notebook.review import build_review

    report_format(args.out)  # an unknown extension fails before any work
    review = build_review(args.path, target=args.target, versions=args.versions, url=args.url)
    path = write_review(review, Path(args.out))
    sys.stdout.write(f"wrote {path}\n{review.verdict_summary}\n")
    return EXIT_DIFFERENT if review.refused else EXIT_OK


# -- parser ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dbkit",
        description="Migrate hand-written SQLAlchemy models to Pydantic-first generated ones, and evolve them.",
        epilog=_EPILOG,
    )
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        # after the command too; SUPPRESS: absent here, it keeps the value given before the command
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
        return sub

    demo = add("demo", cmd_demo, "Run the kit on the bundled sample: reports and revisions under --out.")
    demo.add_argument("--out", default="build", help="output directory (default: build)")
    demo.add_argument("--sample", help="codebase to use instead of the bundled sample")

    inventory = add("inventory", cmd_inventory, "List every table of a codebase with its migration phase.")
    inventory.add_argument("path")
    inventory.add_argument("--json", action="store_true")

    parity = add("parity", cmd_parity, "Compare hand-written models with their generated counterparts.")
    parity.add_argument("path")
    parity.add_argument("--json", action="store_true")
    parity.add_argument(
        "--fix",
        choices=["hand-written", "generated"],
        help="decide every schema difference: hand-written (the database is right: print the BLL_*.py "
        "rewrite as a diff) or generated (the model is right: print the revision changes with their lint "
        "verdicts). Exit status 1 while schema differences remain in the source.",
    )
    parity.add_argument(
        "--table", action="append", default=[], help="with --fix: only this table's differences (repeatable)"
    )
    parity.add_argument(
        "--write", action="store_true", help="with --fix: apply the diff to the BLL_*.py files"
    )

    validate_data = add(
        "validate-data",
        cmd_validate_data,
        "Validate every stored row against its BLL model (read-only). Exit status 1: some rows fail.",
    )
    validate_data.add_argument("path")
    validate_data.add_argument(
        "--url", required=True, help="the database whose rows are read (never written)"
    )
    validate_data.add_argument("--table", help="only this table")
    validate_data.add_argument("--json", action="store_true")

    scaffold = add("scaffold", cmd_scaffold, "Write BLL_*.py models for the hand-written tables.")
    scaffold.add_argument("path")
    scaffold.add_argument("--out", help="directory for the BLL files (default: print the plan only)")

    switch = add(
        "switch",
        cmd_switch,
        "Replace one table's hand-written class with its generated one (prints the diff; --write applies it).",
    )
    switch.add_argument("path")
    switch.add_argument("--table", required=True, help="the table to switch")
    switch.add_argument("--write", action="store_true", help="apply the diff (every file or none)")
    switch.add_argument(
        "--url", help="run the relationship contract on rows of a scratch copy of this database"
    )

    snapshot = add(
        "snapshot", cmd_snapshot, "Write the schema snapshot of a codebase, snapshot file or database."
    )
    snapshot.add_argument("source")
    snapshot.add_argument("--out", required=True)

    diff = add("diff", cmd_diff, "Schema changes from OLD to NEW (codebase, snapshot .json or database URL).")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--json", action="store_true")

    revision = add("revision", cmd_revision, "Write an Alembic revision leading to NEW's schema.")
    revision.add_argument("new")
    revision.add_argument("--versions", required=True)
    revision.add_argument("--from", dest="from_source")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--allow-destructive", action="store_true")
    revision.add_argument("--backfill", action="append", default=[], metavar="TABLE.COLUMN=VALUE")
    revision.add_argument(
        "--transactional",
        action="store_true",
        help="plain DDL in one transaction instead of online steps (safe on a live PostgreSQL table)",
    )

    verify = add(
        "verify", cmd_verify, "Run every revision up and down on a scratch copy, checking rows survive."
    )
    verify.add_argument("--versions", required=True)
    verify.add_argument("--url")

    check = add("check", cmd_check, "Compare a live database with the models.")
    check.add_argument("source")
    check.add_argument("--url", required=True)

    stamp = add("stamp", cmd_stamp, "Adopt an existing database: record which revision it is at.")
    stamp.add_argument("--versions", required=True)
    stamp.add_argument("--url", required=True)
    stamp.add_argument("--to")

    upgrade = add("upgrade", cmd_upgrade, "Apply revisions to a database (default: up to head).")
    upgrade.add_argument("--versions", required=True)
    upgrade.add_argument("--url", required=True)
    upgrade.add_argument("--to", default="head")
    upgrade.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    upgrade.add_argument(
        "--lock-timeout",
        default="200ms",
        metavar="DURATION",
        help="longest wait for each online step's lock before it retries with backoff (default 200ms)",
    )

    downgrade = add("downgrade", cmd_downgrade, "Revert revisions (an id, base, or a step such as -1).")
    downgrade.add_argument("--versions", required=True)
    downgrade.add_argument("--url", required=True)
    downgrade.add_argument("--to", required=True)
    downgrade.add_argument(
        "--lock-timeout",
        default="200ms",
        metavar="DURATION",
        help="longest wait for each online step's lock before it retries with backoff (default 200ms)",
    )

    history = add("history", cmd_history, "List the revisions of a versions directory.")
    history.add_argument("--versions", required=True)

    current = add("current", cmd_current, "Show the revision a database is at.")
    current.add_argument("--versions", required=True)
    current.add_argument("--url", required=True)

    report = add(
        "report",
        cmd_report,
        "Write the review report (HTML or Markdown, by --out's extension) of a codebase, or of the change "
        "from PATH to --target: verdict, changes, SQL, parity, ER diagram. Exit status 1: revision would refuse it.",
    )
    report.add_argument("path", help="a codebase directory, a snapshot .json file or a database URL")
    report.add_argument("--target", help="the new schema: a codebase, a snapshot .json or a database URL")
    report.add_argument("--versions", help="plan the revision `revision` would add to this directory")
    report.add_argument(
        "--url", help="run verify with the planned revision on a scratch copy of this database"
    )
    report.add_argument("--out", required=True, metavar="FILE.html|FILE.md")
    return parser


def run() -> NoReturn:
    """The ``dbkit`` process (console script, ``python -m dbkit.cli``): :func:`main`, then exit.

    What a schema command built is frozen out of the cyclic collector as the command ends, so the
    interpreter's exit skips the collector's last pass over it (0.3 s after a 100-table diff) and
    the operating system frees it at once. :func:`main` alone, called in a process that goes on (a
    test, a notebook), leaves the collector as it found it and freezes nothing.
    """
    sys.exit(main(exiting=True))


def main(argv: Sequence[str] | None = None, *, exiting: bool = False) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    from dbkit.errors import DbkitError

    try:
        with _collector_off(args.command, freeze=exiting):
            return args.handler(args)
    except (DbkitError, CommandLineError, OSError) as exc:  # OSError: a path missing, a directory, ...
        sys.stderr.write(f"dbkit {args.command}: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(f"dbkit {args.command}: interrupted; nothing was left half-written\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        sys.stderr.write(report_internal_error(exc, args.command, argv))
        return EXIT_INTERNAL


#: Commands that read codebases and schemas, then exit: what they build (modules, classes, tables,
#: snapshots) lives until the process ends, and holds almost no garbage. Python's cyclic collector
#: would re-read it all each time the heap grows by a quarter (0.1 to 0.2 s of a 100-table diff,
#: measured with ``gc.callbacks``); diff's workers run without it for the same reason. Commands that
#: read or write rows (verify, validate-data, upgrade, demo) keep it.
SCHEMA_COMMANDS = frozenset(
    {
        "inventory",
        "parity",
        "scaffold",
        "switch",
        "snapshot",
        "diff",
        "revision",
        "check",
        "report",
        "history",
    }
)


@contextmanager
def _collector_off(command: str, *, freeze: bool) -> Iterator[None]:
    """The cyclic collector off while a schema command runs, as it was afterwards. ``freeze``: the
    process exits next, so what the command built is moved out of the collector's reach for good."""
    enabled = gc.isenabled()
    if command in SCHEMA_COMMANDS:
        gc.disable()
    try:
        yield
    finally:
        if freeze and command in SCHEMA_COMMANDS:
            gc.freeze()
        if enabled:
            gc.enable()


# -- unexpected errors ----------------------------------------------------------------------------
#: ``scheme://user:password@host``: the password part, kept out of log files.
_URL_PASSWORD = re.compile(r"(?<=://)([^/@:\s]*):[^/@\s]*@")


def report_internal_error(exc: BaseException, command: str, argv: Sequence[str]) -> str:
    """The two lines an unexpected exception prints; its traceback goes to a new log file.

    First line: the command, the exception's type, where the engine was (table, column; see
    :func:`dbkit.errors.working_on`) and the first line of its message. Second: the log's path,
    or why no log could be written.
    """
    from dbkit.errors import location_of
    from dbkit.text import shorten

    location = location_of(exc)
    try:
        message = next(iter(str(exc).strip().splitlines()), "")
    except Exception:  # an exception whose __str__ fails too
        message = ""
    line = f"dbkit {command}: unexpected {type(exc).__name__}"
    if location:
        line += f" while working on {location}"
    if message:
        line += f": {shorten(message, 200)}"
    path = log_directory() / f"dbkit-{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{os.getpid()}.log"
    try:
        _write_log(path, exc, command, argv, location)
    except Exception as error:  # no log (read-only home, full disk, ...): say so, do not crash
        detail = shorten(getattr(error, "strerror", None) or str(error) or type(error).__name__, 120)
        return f"{line}\nthe traceback could not be written to {path} ({detail}); run again with --debug to print it here\n"
    return f"{line}\nthe traceback is in {path}; run again with --debug to print it here\n"


def log_directory() -> Path:
    """``$DBKIT_LOG_DIR``, else ``$XDG_STATE_HOME/dbkit/logs``, else ``~/.local/state/dbkit/logs``."""
    if os.environ.get("DBKIT_LOG_DIR"):
        return Path(os.environ["DBKIT_LOG_DIR"]).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    return Path(state) / "dbkit" / "logs"


def _write_log(
    path: Path, exc: BaseException, command: str, argv: Sequence[str], location: str | None
) -> None:
    import platform
    import traceback

    shown_argv = _URL_PASSWORD.sub(r"\1:***@", " ".join(["dbkit", *argv]))
    header = [
        f"dbkit {command}: unexpected {type(exc).__name__}",
        f"time: {datetime.now(UTC).isoformat()}",
        f"argv: {shown_argv}",
        f"working on: {location or 'unknown'}",
        f"cwd: {os.getcwd()}",
        f"dbkit {_version('dbkit')}, sqlalchemy {_version('sqlalchemy')}, alembic {_version('alembic')}, "
        f"python {platform.python_version()} ({sys.executable}), {platform.platform()}",
    ]
    text = "\n".join(header) + "\n\n" + "".join(traceback.format_exception(exc))
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # argv may name databases
    with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as handle:
        handle.write(text)


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    run()
