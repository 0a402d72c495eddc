"""Benchmark: the sandbox serving 100,000 tickets through the cursor export.

Prints the generation time and pages/s (1000 tickets a page, with metric sets) over
loopback; every page must be served well under a second.

    .venv/bin/python bench/sandbox.py [--tickets 100000] [--per-page 1000]
"""

from __future__ import annotations

import argparse
import base64
import sys
import time

import requests
from werkzeug.test import Client

from evm_sync.sandbox import Sandbox

NOW = "2026-11-20T12:00:00Z"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--per-page", type=int, default=1000)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    with Sandbox.start(tickets=args.tickets, seed=1, now=NOW) as sb:
        generated = time.perf_counter() - began
        session = requests.Session()
        session.auth = (f"{sb.email}/token", sb.token)
        url = f"{sb.url}/api/v2/incremental/tickets/cursor.json"
        params: dict | None = {"start_time": 0, "per_page": args.per_page, "include": "metric_sets"}
        pages, tickets, slowest = 0, 0, 0.0
        began = time.perf_counter()
        while True:
            started = time.perf_counter()
            answer = session.get(url, params=params)
            answer.raise_for_status()
            page = answer.json()
            slowest = max(slowest, time.perf_counter() - started)
            pages, tickets = pages + 1, tickets + len(page["tickets"])
            if page["end_of_stream"]:
                break
            url, params = page["after_url"], None
        elapsed = time.perf_counter() - began
        server_ms = server_side_ms(sb, args.per_page)
    print(f"generated {args.tickets} tickets in {generated:.1f} s")
    print(
        f"exported {tickets} tickets in {pages} pages in {elapsed:.1f} s: "
        f"{pages / elapsed:.1f} pages/s, slowest page {slowest * 1000:.0f} ms "
        "(client parsing included)"
    )
    print(
        f"the sandbox itself (in process, no network, no client parsing): "
        f"{server_ms:.0f} ms per page of {args.per_page}"
    )
    return 0 if tickets == args.tickets and slowest < 1.0 else 1


def server_side_ms(sb: Sandbox, per_page: int, pages: int = 10) -> float:
    """Mean time the app takes to answer one export page, called in process."""
    client = Client(sb.app)
    auth = {
        "Authorization": "Basic "
        + base64.b64encode(f"{sb.email}/token:{sb.token}".encode()).decode()
    }
    url = (
        f"/api/v2/incremental/tickets/cursor.json?start_time=0&per_page={per_page}"
        "&include=metric_sets"
    )
    began = time.perf_counter()
    for _ in range(pages):
        answer = client.get(url, headers=auth)
        assert answer.status_code == 200
        url = answer.get_json()["after_url"].split(sb.url.split("//")[1])[-1]
    return (time.perf_counter() - began) / pages * 1000


if __name__ == "__main__":
    sys.exit(main())
