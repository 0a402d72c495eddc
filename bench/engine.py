"""Engine speed: compute one job over 1,000,000 tickets and 3,000,000 worklogs.

Prints the seconds and peak RSS of (1) compute on already loaded data (the engine's
columns, ``Dataset``) and (2) ``evm-sync compute`` from JSON Lines files in a fresh
process (parse, validate, build columns, compute). Targets on a 2-core machine:
in-memory compute under 5 s and under 500 MB.

    python bench/engine.py [--tickets N] [--worklogs M] [--skip-files]
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from evm_sync.config import JobConfig
from evm_sync.dataset import DatasetBuilder
from evm_sync.evm import compute_dataset
from evm_sync.model import Ticket

TYPES = ("incident", "question", "problem", "task")
PRIORITIES = ("low", "normal", "high", "urgent", None)
START = datetime(2026, 8, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)
BUDGET = 50000.0
JOB = {
    "window": {"kind": "month"},
    "baseline": {"kind": "capacity", "budget_hours": BUDGET},
    "weighting": {"order": ["estimate", "history", "table", "default"], "table": {"urgent": 4.0}},
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(builder: DatasetBuilder, tickets: int, worklogs: int, folder: Path | None) -> None:
    """Feed a seeded helpdesk into ``builder`` and, when ``folder`` is given, into files."""
    rng = random.Random(1)
    span = (AS_OF - START).total_seconds()
    with ExitStack() as files:
        ticket_out = files.enter_context((folder / "tickets.jsonl").open("w")) if folder else None
        log_out = files.enter_context((folder / "worklogs.jsonl").open("w")) if folder else None
        for n in range(tickets):
            created = START + timedelta(seconds=rng.random() * span)
            resolved = created + timedelta(hours=rng.expovariate(1 / 30))
            ticket = Ticket(
                source="zd", id=str(n), created_at=created, type=rng.choice(TYPES),
                priority=rng.choice(PRIORITIES), status="solved" if resolved < AS_OF else "open",
                resolved_at=resolved if resolved < AS_OF and rng.random() < 0.9 else None,
                estimate_hours=rng.choice((None, None, None, 2.0, 4.0)),
            )  # fmt: skip
            builder.add_ticket(ticket)
            if ticket_out:
                record = {"id": ticket.id, "type": ticket.type, "priority": ticket.priority,
                          "status": ticket.status, "created_at": created.isoformat(),
                          "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
                          "estimate_hours": ticket.estimate_hours}  # fmt: skip
                ticket_out.write(json.dumps(record) + "\n")
        for n in range(worklogs):
            ticket_id = str(rng.randrange(tickets))
            started = START + timedelta(seconds=rng.random() * span)
            seconds = rng.randrange(60, 7200)
            builder.add_worklog("zd", ticket_id, started.timestamp(), seconds)
            if log_out:
                record = {"id": str(n), "ticket_id": ticket_id, "started_at": started.isoformat(),
                          "seconds": seconds}  # fmt: skip
                log_out.write(json.dumps(record) + "\n")


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc (VmRSS now, VmHWM the peak), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def compute_saved(path: Path) -> None:
    """Load pickled columns, compute once, print time and peak RSS (a child process).

    The peak is reset after loading (Linux: clear_refs 5), so loading's own transient
    copies do not count: what is measured is the columns held plus the compute."""
    with path.open("rb") as handle:
        data = pickle.load(handle)
    gc.collect()
    loaded = _status_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    job = JobConfig.model_validate(JOB)
    began = time.perf_counter()
    result = compute_dataset(job, data, AS_OF)
    seconds = time.perf_counter() - began
    f = result.figures
    print(f"in-memory compute: {seconds:.2f} s (target < 5 s); peak RSS {_status_mb('VmHWM'):.0f} MB "
          f"with the columns loaded ({loaded:.0f} MB before computing; target < 500 MB); "
          f"EV {f.ev:.0f} h, AC {f.ac:,.0f} h, CPI {f.cpi:.3f}, {len(result.weights):,} weights explained")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--worklogs", type=int, default=3_000_000)
    parser.add_argument("--skip-files", action="store_true", help="only the in-memory compute")
    parser.add_argument("--compute-from", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compute_from:
        compute_saved(args.compute_from)
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = None if args.skip_files else Path(tmp)
        began = time.perf_counter()
        builder = DatasetBuilder()
        generate(builder, args.tickets, args.worklogs, folder)
        data = builder.build()
        del builder
        loaded = peak_rss_mb()
        print(f"generated {args.tickets:,} tickets and {args.worklogs:,} worklogs as columns "
              f"in {time.perf_counter() - began:.1f} s; peak RSS so far {loaded:.0f} MB")  # fmt: skip

        saved = Path(tmp) / "dataset.pickle"
        with saved.open("wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        del data
        # A fresh process holding only the loaded columns, so its peak RSS is the compute's.
        done = subprocess.run([sys.executable, __file__, "--compute-from", str(saved)],
                              capture_output=True, text=True, check=True)  # fmt: skip
        print(done.stdout.strip())
        ev = float(done.stdout.split("EV ")[1].split(" h")[0].replace(",", ""))
        if folder is None:
            return
        config = folder / "bench.toml"
        config.write_text("[jobs.bench]\n" + "\n".join(f"{k} = {_toml(v)}" for k, v in JOB.items()))
        probe = ("import resource, sys, time; from evm_sync.cli import main; t = time.perf_counter(); "
                 "code = main(sys.argv[1:]); print(f'{time.perf_counter() - t:.2f} "
                 "{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}', file=sys.stderr); "
                 "sys.exit(code)")  # fmt: skip
        command = [sys.executable, "-c", probe, "compute", "-c", str(config),
                   "--tickets", str(folder / "tickets.jsonl"), "--worklogs", str(folder / "worklogs.jsonl"),
                   "--as-of", AS_OF.isoformat(), "--json"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        wall, rss = done.stderr.strip().splitlines()[-1].split()
        same = round(json.loads(done.stdout)["figures"]["ev"]) == ev
        print(f"from JSON Lines (evm-sync compute, fresh process): {wall} s, peak RSS {rss} MB; "
              f"same EV as in memory: {same}")  # fmt: skip


def _toml(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


if __name__ == "__main__":
    main()
