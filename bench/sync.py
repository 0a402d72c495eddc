"""Sync speed against the sandbox (served by a separate process over loopback).

1. A first sync of 100,000 Zendesk tickets with their time entries (about 300,000
   events) and a Jira site, rate limits off: wall time, peak RSS, requests by
   endpoint next to the minimum the APIs allow (ceil(records / page size) reads,
   ceil(changed targets / 100) writes).
2. A no-change sync after it: one read per stream, no write.
3. With the sandbox's rate limit on, a first sync of a smaller helpdesk: the share of
   the export quota it used (target >= 90 % with max_quota_share = 1 and the
   export limit configured, so the connector paces itself instead of meeting 429s).

    python bench/sync.py [--tickets 100000] [--limited-tickets 30000] [--export-limit 30]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from evm_sync.config_loader import parse_config
from evm_sync.state import StateStore
from evm_sync.sync import JobRun, run_job

NOW = "2026-11-20T12:00:00Z"


@contextmanager
def sandbox(tickets: int, *extra: str):
    """A sandbox in its own process; yields its URLs and credentials."""
    command = [sys.executable, "-m", "evm_sync.cli", "sandbox", "--port", "0", "--tickets",
               str(tickets), "--now", NOW, "--json", *extra]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        yield json.loads(child.stdout.readline())
    finally:
        child.terminate()
        child.wait(10)


def config_for(info: dict, state: Path, share: float, export_limit: int | None = None) -> object:
    os.environ["BENCH_TOKEN"] = info["token"]
    common = {"email": info["email"], "token": "${BENCH_TOKEN}", "max_quota_share": share}
    zendesk = {"export_per_minute": export_limit} if export_limit else {}
    return parse_config({
        "state": {"url": f"sqlite:///{state}"},
        "sources": {
            "zd": {"kind": "zendesk", "url": info["zendesk_url"], **common, **zendesk},
            "jr": {"kind": "jira", "url": info["jira_url"], **common},
        },
        "jobs": {
            "queue": {"sources": ["zd"], "baseline": {"kind": "capacity", "budget_hours": 9000.0}},
            "site": {"sources": ["jr"], "baseline": {"kind": "capacity", "budget_hours": 3000.0}},
        },
    })  # fmt: skip


def count_pages(info: dict) -> dict[str, int]:
    """The fewest reads each stream allows: records / largest page, counted by paging
    each export once outside the sync."""
    auth = (f"{info['email']}/token", info["token"])
    session = requests.Session()
    session.auth = auth
    counts = {}
    for path, key in (("tickets/cursor.json", "tickets"), ("ticket_events.json", "ticket_events")):
        url = f"{info['zendesk_url']}/api/v2/incremental/{path}"
        params: dict | None = {"start_time": 0, "per_page": 1000}
        records = 0
        while True:
            page = session.get(url, params=params, timeout=60).json()
            records += len(page[key])
            if page.get("end_of_stream"):
                break
            url, params = page.get("after_url") or page.get("next_page"), None
        counts[key] = records
    return counts


def timed(config, job: str, store: StateStore) -> tuple[JobRun, float]:
    began = time.perf_counter()
    run = run_job(config, job, store=store)
    return run, time.perf_counter() - began


def show(title: str, run: JobRun, seconds: float, minimum: dict[str, int]) -> None:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(run.requests.values())
    floor = sum(minimum.values())
    print(f"{title}: {seconds:.1f} s, peak RSS {rss:.0f} MB, pulled {run.pulled['tickets']:,} "
          f"tickets and {run.pulled['worklogs']:,} worklogs; {total} requests "
          f"(minimum {floor}: {total / max(floor, 1):.2f} x)")  # fmt: skip
    for endpoint, count in sorted(run.requests.items()):
        print(f"    {count:6d}  {endpoint}  (minimum {minimum.get(endpoint, '-')})")


def first_and_no_change(tickets: int, folder: Path) -> None:
    with sandbox(tickets) as info:
        pages = count_pages(info)
        config = config_for(info, folder / "bench.db", share=1.0)
        with StateStore.open(config.state.url) as store:
            run, seconds = timed(config, "queue", store)
            minimum = {
                "GET /api/v2/incremental/tickets/cursor.json": math.ceil(pages["tickets"] / 1000),
                "GET /api/v2/incremental/ticket_events.json": math.ceil(
                    pages["ticket_events"] / 1000
                ),
            }
            show("Zendesk first sync", run, seconds, minimum)
            jira, seconds = timed(config, "site", store)
            worklog_pages = math.ceil(jira.pulled["worklogs"] / 1000)
            jira_minimum = {
                "GET /rest/api/3/search/jql": math.ceil(jira.pulled["tickets"] / 100),
                "GET /rest/api/3/worklog/updated": worklog_pages,
                "POST /rest/api/3/worklog/list": worklog_pages,
                "GET /rest/api/3/worklog/deleted": 1,
            }
            show("Jira first sync", jira, seconds, jira_minimum)
            again, seconds = timed(config, "queue", store)
            show("Zendesk no-change sync", again, seconds, {k: 1 for k in minimum})
            writes = {k: v for k, v in again.requests.items() if not k.startswith("GET")}
            print(f"    writes in the no-change sync: {writes or 'none'}")
            quiet, seconds = timed(config, "site", store)
            show(
                "Jira no-change sync",
                quiet,
                seconds,
                {k: 1 for k in jira_minimum if "list" not in k},
            )


def under_rate_limit(tickets: int, export_limit: int, folder: Path) -> None:
    with sandbox(tickets, "--rate-limit", f"700/{export_limit}") as info:
        config = config_for(info, folder / "limited.db", share=1.0, export_limit=export_limit)
        with StateStore.open(config.state.url) as store:
            _, seconds = timed(config, "queue", store)
        served = requests.get(f"{info['zendesk_url']}/_sandbox/requests", timeout=30).json()
    exports = sum(1 for r in served if "/incremental/" in r["path"] and r["status"] == 200)
    refused = sum(1 for r in served if r["status"] == 429)
    # Throughput against the quota's rate; and the fastest the quota's fixed minutes
    # allow: every full minute used up, the last requests at the start of the last one.
    rate = exports / (seconds / 60)
    fastest = (math.ceil(exports / export_limit) - 1) * 60
    print(f"rate-limited first sync ({export_limit} export requests a minute): {exports} export "
          f"pages in {seconds:.0f} s = {rate:.1f} a minute, {rate / export_limit:.0%} of the "
          f"quota's rate (target >= 90 %); the quota allows no less than {fastest} s; "
          f"{refused} requests refused with 429 on the way")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--limited-tickets", type=int, default=30_000)
    parser.add_argument("--export-limit", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        first_and_no_change(args.tickets, Path(folder))
        under_rate_limit(args.limited_tickets, args.export_limit, Path(folder))


if __name__ == "__main__":
    main()
