"""The command line: parse, call, render. Exit codes: 0 ok, 2 usage or config error,
1 anything else (an API that failed, a store that cannot be opened)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from connectors.errors import ConnectorError
from evm_sync import __version__
from evm_sync.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    UsageError,
    add_config,
    add_logging,
    as_of,
)
from evm_sync.cli.offline import cmd_check, cmd_compute
from evm_sync.cli.online import cmd_daemon, cmd_demo, cmd_fields, cmd_report, cmd_run, cmd_sandbox
from evm_sync.config_loader import ConfigError
from evm_sync.state import StateError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evm-sync",
        description="Earned value for support teams: pull helpdesk work, compute EVM, push back.",
    )
    parser.add_argument("--version", action="version", version=f"evm-sync {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser("check", help="validate a config and list its jobs")
    add_config(check)
    check.add_argument("--no-secrets", action="store_true", help="do not require tokens to resolve")
    check.set_defaults(handler=cmd_check)

    compute = commands.add_parser("compute", help="compute a job's figures from JSON Lines files")
    add_config(compute)
    compute.add_argument("--job", "-j", help="the job (optional when the config has one)")
    compute.add_argument("--tickets", type=Path, required=True, help="tickets, JSON Lines")
    compute.add_argument("--worklogs", type=Path, help="worklogs, JSON Lines")
    compute.add_argument(
        "--as-of", type=as_of, help="the instant (ISO 8601 with zone); default now"
    )
    compute.add_argument("--json", action="store_true", help="print one JSON object")
    compute.add_argument("--weights", type=int, default=8, help="weights to explain in the table")
    compute.set_defaults(handler=cmd_compute)

    run = commands.add_parser("run", help="sync jobs once: pull, compute, push")
    add_config(run)
    run.add_argument("--job", "-j", help="one job (default: every job)")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="pull and compute; show planned changes, write nothing",
    )
    run.add_argument("--json", action="store_true", help='print one JSON object {"jobs": [...]}')
    run.add_argument(
        "--resync",
        action="store_true",
        help="forget what was pulled from the job's sources and pull it all again "
        "(after changing a scope or a start date)",
    )
    run.add_argument("--as-of", type=as_of, help="figures as of this instant (ISO 8601 with zone)")
    add_logging(run)
    run.set_defaults(handler=cmd_run)

    fields = commands.add_parser(
        "fields", help="find (and --create) the helpdesk fields the config maps"
    )
    add_config(fields)
    fields.add_argument("--job", "-j", help="one job (default: every job)")
    fields.add_argument("--create", action="store_true", help="create the missing fields")
    fields.set_defaults(handler=cmd_fields)

    from evm_sync import report, scheduler

    daemon = commands.add_parser("daemon", help="run every job on its schedule until stopped")
    add_config(daemon)
    scheduler.add_daemon_arguments(daemon)
    add_logging(daemon)
    daemon.set_defaults(handler=cmd_daemon)

    history = commands.add_parser("report", help="a job's history: table, JSON, CSV or S-curve PNG")
    add_config(history)
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
