"""Commands that talk to helpdesks: run, fields, demo, daemon, report, sandbox."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from connectors.errors import ConnectorError
from evm_sync.cli.common import EXIT_FAILED, EXIT_OK, UsageError, pick_job, setup_logging
from evm_sync.config_loader import load_config


def cmd_run(args: argparse.Namespace, out: Console) -> int:
    from evm_sync import render, sync
    from evm_sync.state import StateStore

    config = load_config(args.config)
    names = [pick_job(config, args.job)[0]] if args.job else list(config.jobs)
    if not names:
        raise UsageError(f"{args.config}: no jobs configured")
    setup_logging(config, args)
    failed = False
    documents = []
    with StateStore.open(config.state.url) as store, _progress(args) as progress:
        for name in names:
            try:
                run = sync.run_job(config, name, store=store, as_of=args.as_of,
                                   dry_run=args.dry_run, progress=progress,
                                   resync=args.resync)  # fmt: skip
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
    names = [pick_job(config, args.job)[0]] if args.job else list(config.jobs)
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


def cmd_daemon(args: argparse.Namespace, out: Console) -> int:
    from evm_sync import scheduler

    setup_logging(load_config(args.config), args)
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
