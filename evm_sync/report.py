"""A job's stored history: its snapshots as a table, JSON, CSV, or an S-curve chart.

The S-curve draws the cumulative PV, EV and AC of the job's current window (the
window of its latest snapshot) against the snapshot times, with the budget (BAC),
the estimate at completion (EAC) and the forecast finish marked.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evm_sync.model import FIGURE_KEYS
from evm_sync.state import Snapshot

FORMATS = ("table", "json", "csv", "png")
TABLE_COLUMNS = ("pv", "ev", "ac", "bac", "cpi", "spi", "eac", "forecast_finish", "status")
FIGURE_SIZE = (10.0, 5.6)  # inches, at 100 dpi: 1000 x 560 pixels
DPI = 100


def rows(snapshots: Sequence[Snapshot]) -> list[dict[str, Any]]:
    """One flat JSON-ready dict per snapshot: when, which run, the window, the figures."""
    return [
        {
            "as_of": _iso(s.as_of),
            "run_id": s.run_id,
            "window_start": _iso(s.window_start),
            "window_end": _iso(s.window_end),
            **{key: s.figures.get(key) for key in FIGURE_KEYS},
        }
        for s in snapshots
    ]


def to_json(job: str, snapshots: Sequence[Snapshot]) -> str:
    return json.dumps({"job": job, "snapshots": rows(snapshots)}, indent=2)


def to_csv(snapshots: Sequence[Snapshot]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, ["as_of", "run_id", "window_start", "window_end", *FIGURE_KEYS], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows(snapshots))
    return out.getvalue()


def to_table(job: str, snapshots: Sequence[Snapshot]) -> Any:
    """A rich ``Table`` of the snapshots, oldest first."""
    from rich.table import Table

    table = Table(title=f"{job}: {len(snapshots)} snapshot(s)")
    table.add_column("as of")
    for column in TABLE_COLUMNS:
        table.add_column(
            column.replace("_", " "), justify="left" if column == "status" else "right"
        )
    for snapshot in snapshots:
        values = [_cell(snapshot.figures.get(c)) for c in TABLE_COLUMNS]
        table.add_row(_iso(snapshot.as_of, minutes=True), *values)
    return table


def current_window(snapshots: Sequence[Snapshot]) -> list[Snapshot]:
    """The snapshots that share the latest snapshot's window."""
    if not snapshots:
        return []
    last = snapshots[-1]
    return [
        s
        for s in snapshots
        if (s.window_start, s.window_end) == (last.window_start, last.window_end)
    ]


def draw_s_curve(job: str, snapshots: Sequence[Snapshot], output: Path) -> Path:
    """Write the S-curve of the current window to ``output`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates
    from matplotlib import pyplot as plt

    shown = current_window(snapshots)
    if not shown:
        raise ValueError(f"job '{job}' has no snapshots to draw")
    last = shown[-1].figures
    times = [s.as_of for s in shown]
    figure, axes = plt.subplots(figsize=FIGURE_SIZE, dpi=DPI)
    try:
        for key, label, color in (
            ("pv", "PV (planned)", "tab:blue"),
            ("ev", "EV (earned)", "tab:green"),
            ("ac", "AC (actual)", "tab:red"),
        ):
            values = [_number(s.figures.get(key)) for s in shown]
            axes.plot(times, values, label=label, color=color, marker="o", markersize=3)
        start, end = shown[-1].window_start, shown[-1].window_end
        finish = _parse_time(last.get("forecast_finish"))
        right = end or times[-1]
        if finish is not None and start is not None and end is not None:
            right = max(right, min(finish, end + (end - start)))
        left = start or times[0]
        bac, eac = _number(last.get("bac")), _number(last.get("eac"))
        if bac is not None:
            axes.axhline(bac, color="black", linewidth=1, label=f"BAC {bac:,.0f} h")
        if eac is not None:
            axes.axhline(eac, color="tab:purple", linestyle="--", label=f"EAC {eac:,.0f} h")
        if finish is not None and left <= finish <= right:
            axes.axvline(
                finish, color="tab:orange", linestyle=":", label=f"forecast finish {finish:%d %b}"
            )
        if end is not None:
            axes.axvline(end, color="grey", linewidth=0.8, label=f"window end {end:%d %b}")
        axes.set_xlim(left, right)
        axes.set_ylim(bottom=0)
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        axes.set_ylabel("hours (cumulative)")
        axes.set_title(
            f"{job}: S-curve as of {times[-1]:%Y-%m-%d %H:%M} UTC, "
            f"CPI {_cell(last.get('cpi'))}, SPI {_cell(last.get('spi'))}, {last.get('status')}"
        )
        axes.grid(alpha=0.3)
        axes.legend(loc="lower right", fontsize="small")
        figure.autofmt_xdate()
        figure.savefig(output, format="png")
    finally:
        plt.close(figure)
    return output


# -- the command ----------------------------------------------------------------------


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """``evm-sync report`` options (the CLI adds ``--config``)."""
    parser.add_argument("--job", help="the job to report (needed when several are configured)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    parser.add_argument(
        "--output", type=Path, metavar="FILE", help="the PNG to write (default evm-<job>.png)"
    )
    parser.add_argument("--since", type=_moment, metavar="TIME", help="snapshots from TIME on")
    parser.add_argument("--until", type=_moment, metavar="TIME", help="snapshots up to TIME")


def run_report(args: argparse.Namespace) -> int:
    """Print or draw the history of ``args.job``: 0 done, 1 nothing stored or the
    store failed, 2 a bad config or job name."""
    from rich.console import Console

    from evm_sync.config import did_you_mean
    from evm_sync.config_loader import ConfigError, load_config
    from evm_sync.state import StateError, StateStore

    try:
        config = load_config(args.config)
    except ConfigError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    job = args.job
    if job is None and len(config.jobs) == 1:
        job = next(iter(config.jobs))
    if job not in config.jobs:
        hint = did_you_mean(job, config.jobs) if job else ""
        choices = ", ".join(config.jobs) or "(no jobs configured)"
        what = f"no job named {job!r}{hint}" if job else "choose a job"
        print(f"error: --job: {what}; jobs: {choices}", file=sys.stderr)
        return 2
    try:
        with StateStore.open(config.state.url) as store:
            snapshots = store.snapshots(job, since=args.since, until=args.until)
    except StateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(to_json(job, snapshots))
    elif args.format == "csv":
        sys.stdout.write(to_csv(snapshots))
    elif not snapshots:
        print(f"error: job '{job}' has no snapshots yet: run it first", file=sys.stderr)
        return 1
    elif args.format == "png":
        output = args.output or Path(f"evm-{job}.png")
        try:
            draw_s_curve(job, snapshots, output)
        except OSError as error:
            print(f"error: cannot write {output}: {error.strerror or error}", file=sys.stderr)
            return 1
        print(f"wrote {output}")
    else:
        # a file or a pipe gets whole rows; a terminal its own width
        Console(width=None if sys.stdout.isatty() else 160).print(to_table(job, snapshots))
    return 0


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ISO 8601 (e.g. 2026-11-01 or 2026-11-30T12:00:00Z)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(moment: datetime | None, *, minutes: bool = False) -> str | None:
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat(timespec="minutes" if minutes else "seconds")
    return text.replace("+00:00", "Z")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, str) and _parse_time(value) is not None:
        return value[:10]  # an ISO timestamp: its date
    return str(value)
