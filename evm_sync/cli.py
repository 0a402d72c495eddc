"""The command line: parse, call, render. Exit codes: 0 ok, 2 usage or config error,
1 anything else (an API that failed, a store that cannot be opened)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from evm_sync import __version__
from evm_sync.config_loader import ConfigError, load_config

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
    out.print(render.figures_table(name, result, job.period))
    out.print(render.kpi_table(result))
    out.print(render.weights_table(result.weights, limit=args.weights))
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace, out: Console) -> int:
    from evm_sync.sandbox import command

    return command.run(args)


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", type=Path, required=True, help="the TOML config file")


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
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return 130


if __name__ == "__main__":
    sys.exit(main())
