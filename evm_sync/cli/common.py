"""What every command shares: exit codes, the usage error, argument types, options."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from evm_sync.config import Config, JobConfig

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A user's mistake on the command line or in an input file: exit 2."""


def as_of(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ISO 8601 (e.g. 2026-11-30T12:00:00Z)"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone (add Z or +01:00)")
    return value.astimezone(UTC)


def pick_job(config: Config, name: str | None) -> tuple[str, JobConfig]:
    if name is None:
        if len(config.jobs) == 1:
            return next(iter(config.jobs.items()))
        raise UsageError(f"--job: choose one of {', '.join(config.jobs) or '(no jobs configured)'}")
    if name not in config.jobs:
        from evm_sync.config import did_you_mean

        raise UsageError(f"--job: no job named {name!r}{did_you_mean(name, config.jobs)}")
    return name, config.jobs[name]


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", type=Path, required=True, help="the TOML config file")


def add_logging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-format", choices=("text", "json"), help="default: [log] format")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"))


def setup_logging(config: Config, args: argparse.Namespace) -> None:
    from evm_sync.config_loader import resolvable_secrets
    from evm_sync.observe import setup_logging

    setup_logging(
        args.log_level or config.log.level,
        args.log_format or config.log.format,
        secrets=resolvable_secrets(config),
    )
