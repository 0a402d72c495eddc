"""The command line: parse, call, render. Exit codes: 0 ok, 2 usage or config error,
1 anything else (an API that failed, a store that cannot be opened)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from connectors.errors import ConnectorError
from evm_sync import __version__
from evm_sync.config_loader import ConfigError, load_config
from evm_sync.state import StateError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A user's mistake on the command line or in an input file: exit 2."""


def _as_of(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ISO 8601 (e.g. 2026-11-30T12:00:00Z)"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone (add Z or +01:00)")
    return value.astimezone(UTC)


def _job(config, name: str | None):
    if name is None:
        if len(config.jobs) == 1:
            return next(iter(config.jobs.items()))
        raise UsageError(f"--job: choose one of {', '.join(config.jobs) or '(no jobs configured)'}")
    if name not in config.jobs:
        from evm_sync.config import did_you_mean

        raise UsageError(f"--job: no job named {name!r}{did_you_mean(name, config.jobs)}")
    return name, config.jobs[name]


def cmd_check(args: argparse.Namespace, out: Console) -> int:
    from evm_sync.render import jobs_summary

    config = load_config(args.config, check_secrets=not args.no_secrets)
    out.print(f"{args.config}: OK, {len(config.sources)} sources, {len(config.jobs)} jobs")
    if config.jobs:
        out.print(jobs_summary(config))
    return EXIT_OK


def cmd_compute(args: argparse.Namespace, out: Console) -> int:
    from evm_sync import evm, jsonl, render

    config = load_config(args.config)
    name, job = _job(config, args.job)
    try:
        loaded = jsonl.load(args.tickets, args.worklogs)
    except jsonl.InputError as error:
        raise UsageError(str(error)) from None
    result = evm.compute_dataset(job, loaded.data, args.as_of or datetime.now(UTC))
    for warning in (*loaded.warnings, *result.warnings):
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(render.result_json(name, result), indent=2))
        return EXIT_OK
    out.print(render.figures_table(name, result))
    out.print(render.kpi_table(result))
    out.print(render.weights_table(result.weights, limit=args.weights))
    return EXIT_OK


def cmd_run(args: argparse.Namespace, out: Console) -> int:
    from evm_sync import render, sync
    from evm_sync.state import StateStore

    config = load_config(args.config)
    names = [_job(config, args.job)[0]] if args.job else list(config.jobs)
    if not names:
        raise UsageError(f"{args.config}: no jobs configured")
    _setup_logging(config, args)
    failed = False
    documents = []
    with StateStore.open(config.state.url) as store, _progress(args) as progress:
        for name in names:
            try:
                run = sync.run_job(config, name, store=store, as_of=args.as_of,
                                   dry_run=args.dry_run, progress=progress)  # fmt: skip
            except (ConnectorError, sync.JobLocked, sync.SyncStopped) as error:
                failed = True
                print(f"error: job '{name}': {error}", file=sys.stderr)
                continue
            failed |= run.failed_writes > 0
            documents.append(render.run_json(run))
            if not args.json:
                out.print(render.figures_table(name, run.result))
                out.print(render.changes_table(run))
            for warning in run.warnings:
                print(f"warning: job '{name}': {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps({"jobs": documents}, indent=2, default=str))
    return EXIT_FAILED if failed else EXIT_OK


def cmd_fields(args: argparse.Namespace, out: Console) -> int:
    from evm_sync import render, sources
    from evm_sync.config_loader import push_source
    from evm_sync.push_plan import field_specs

    config = load_config(args.config)
    names = [_job(config, args.job)[0]] if args.job else list(config.jobs)
    wanted: dict[str, list] = {}
    for name in names:
        for index, spec in field_specs(config.jobs[name]):
            specs = wanted.setdefault(push_source(config, name, index), [])
            if spec not in specs:
                specs.append(spec)
    reports = []
    for source, connector in sources.open_connectors(config, wanted).items():
        try:
            reports += [(source, r) for r in connector.ensure_fields(wanted[source], args.create)]
        finally:
            connector.close()
    out.print(render.fields_table(reports))
    missing = [r for _, r in reports if r.action in ("missing", "not creatable")]
    if missing and not args.create:
        out.print("Run again with --create to create the missing fields.")
    return EXIT_FAILED if missing else EXIT_OK


@contextmanager
def _progress(args: argparse.Namespace) -> Iterator[Callable[[str, str, int], None] | None]:
    """A progress bar on a terminal; nothing when output goes to a file or --json."""
    if args.json or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    tasks: dict[str, Any] = {}
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True,
                  console=Console(stderr=True)) as bar:  # fmt: skip

        def update(source: str, stream: str, records: int) -> None:
            key = f"{source}/{stream}"
            if key not in tasks:
                tasks[key] = bar.add_task(key)
            bar.update(tasks[key], description=f"pulling {key}: {records:,} records")

        yield update


def _setup_logging(config, args: argparse.Namespace) -> None:
    from evm_sync.config_loader import resolvable_secrets
    from evm_sync.observe import setup_logging

    setup_logging(
        args.log_level or config.log.level,
        args.log_format or config.log.format,
        secrets=resolvable_secrets(config),
    )


def cmd_daemon(args: argparse.Namespace, out: Console) -> int:
    from evm_sync import scheduler

    _setup_logging(load_config(args.config), args)
    return scheduler.run_daemon(args)


def cmd_report(args: argparse.Namespace, out: Console) -> int:
    from evm_sync import report

    return report.run_report(args)


def cmd_demo(args: argparse.Namespace, out: Console) -> int:
    from evm_sync import demo, render

    out.print("[bold]evm-sync demo[/bold]: a sandbox helpdesk (Zendesk + Jira APIs) on loopback, "
              "one sync of a Zendesk job and a Jira job, the pushed fields read back.")  # fmt: skip
    if args.tickets < 1:
        raise UsageError("--tickets: must be 1 or more")
    try:
        outcome = demo.run_demo(args.folder, tickets=args.tickets)
    except demo.DemoFolderError as error:
        raise UsageError(str(error)) from None
    out.print(f"sandbox served at {outcome.url}; config written to {outcome.config_path}")
    out.print(render.fields_table([("demo", r) for r in outcome.fields]))
    for run in outcome.runs:
        out.print(render.figures_table(run.job, run.result))
        out.print(render.weights_table(run.result.weights, limit=4))
        out.print(render.changes_table(run))
    out.print(render.read_back_table(outcome.read_back))
    me = _invoked_as()
    out.print(
        "\n[bold]Next[/bold]: point the same config at your helpdesk. In "
        f'{outcome.config_path}, replace the sandbox url with subdomain = "yourcompany" (Zendesk) '
        "or your Jira site's URL, set email, export the token "
        f"({demo.TOKEN_VARIABLE} in this config), then run:\n"
        f"  {me} check --config {outcome.config_path}\n"
        f"  {me} fields --config {outcome.config_path} --create\n"
        f"  {me} run --config {outcome.config_path} --dry-run\n"
        f"  {me} daemon --config {outcome.config_path}"
    )
    return EXIT_OK


def _invoked_as() -> str:
    """How to call evm-sync again: ``.venv/bin/evm-sync`` after ``make demo``."""
    program = Path(sys.argv[0])
    if program.name != "evm-sync" or program.parent == Path():
        return "evm-sync"
    try:
        return str(program.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(program)


def cmd_sandbox(args: argparse.Namespace, out: Console) -> int:
    from evm_sync.sandbox import command

    return command.run(args)


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", type=Path, required=True, help="the TOML config file")


def _add_logging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-format", choices=("text", "json"), help="default: [log] format")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evm-sync",
        description="Earned value for support teams: pull helpdesk work, compute EVM, push back.",
    )
    parser.add_argument("--version", action="version", version=f"evm-sync {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser("check", help="validate a config and list its jobs")
    _add_config(check)
    check.add_argument("--no-secrets", action="store_true", help="do not require tokens to resolve")
    check.set_defaults(handler=cmd_check)

    compute = commands.add_parser("compute", help="compute a job's figures from JSON Lines files")
    _add_config(compute)
    compute.add_argument("--job", "-j", help="the job (optional when the config has one)")
    compute.add_argument("--tickets", type=Path, required=True, help="tickets, JSON Lines")
    compute.add_argument("--worklogs", type=Path, help="worklogs, JSON Lines")
    compute.add_argument(
        "--as-of", type=_as_of, help="the instant (ISO 8601 with zone); default now"
    )
    compute.add_argument("--json", action="store_true", help="print one JSON object")
    compute.add_argument("--weights", type=int, default=8, help="weights to explain in the table")
    compute.set_defaults(handler=cmd_compute)

    run = commands.add_parser("run", help="sync jobs once: pull, compute, push")
    _add_config(run)
    run.add_argument("--job", "-j", help="one job (default: every job)")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="pull and compute; show planned changes, write nothing",
    )
    run.add_argument("--json", action="store_true", help='print one JSON object {"jobs": [...]}')
    run.add_argument("--as-of", type=_as_of, help="figures as of this instant (ISO 8601 with zone)")
    _add_logging(run)
    run.set_defaults(handler=cmd_run)

    fields = commands.add_parser(
        "fields", help="find (and --create) the helpdesk fields the config maps"
    )
    _add_config(fields)
    fields.add_argument("--job", "-j", help="one job (default: every job)")
    fields.add_argument("--create", action="store_true", help="create the missing fields")
    fields.set_defaults(handler=cmd_fields)

    from evm_sync import report, scheduler

    daemon = commands.add_parser("daemon", help="run every job on its schedule until stopped")
    _add_config(daemon)
    scheduler.add_daemon_arguments(daemon)
    _add_logging(daemon)
    daemon.set_defaults(handler=cmd_daemon)

    history = commands.add_parser("report", help="a job's history: table, JSON, CSV or S-curve PNG")
    _add_config(history)
    report.add_report_arguments(history)
    history.set_defaults(handler=cmd_report)

    demo = commands.add_parser(
        "demo", help="run the whole product against a bundled sandbox helpdesk"
    )
    demo.add_argument("--folder", type=Path, default=Path("evm-sync-demo"),
                      help="where the demo writes its config and state (made anew)")  # fmt: skip
    demo.add_argument("--tickets", type=int, default=3000, help="size of the sandbox helpdesk")
    demo.set_defaults(handler=cmd_demo)

    sandbox = commands.add_parser("sandbox", help="serve a local Zendesk + Jira for trying things")
    try:
        from evm_sync.sandbox import command as sandbox_command
    except ImportError:  # pragma: no cover - the sandbox ships with the package
        sandbox_command = None
    if sandbox_command is not None:
        sandbox_command.add_arguments(sandbox)
    sandbox.set_defaults(handler=cmd_sandbox)
    return parser


Handler = Callable[[argparse.Namespace, Console], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Console()
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    handler: Handler = args.handler
    try:
        return handler(args, out)
    except ConfigError as error:
        for problem in error.problems:
            err.print(f"error: {problem}", markup=False)
        return EXIT_USAGE
    except UsageError as error:
        err.print(f"error: {error}", markup=False)
        return EXIT_USAGE
    except (ConnectorError, StateError) as error:
        err.print(f"error: {error}", markup=False)
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return 130


if __name__ == "__main__":
    sys.exit(main())
