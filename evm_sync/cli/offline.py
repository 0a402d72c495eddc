"""Commands that work from files alone: check a config, compute from JSON Lines."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from rich.console import Console

from evm_sync.cli.common import EXIT_OK, UsageError, pick_job
from evm_sync.config_loader import load_config


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
    name, job = pick_job(config, args.job)
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
