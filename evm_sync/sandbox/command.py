"""`evm-sync sandbox`: the CLI's two hooks, add_arguments and run."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from types import FrameType

from evm_sync.sandbox.clock import parse_iso
from evm_sync.sandbox.faults import FaultSpec
from evm_sync.sandbox.limits import parse_rate_limit
from evm_sync.sandbox.seed import SeedError
from evm_sync.sandbox.server import Sandbox


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--tickets", type=int, default=1000, help="tickets to generate")
    parser.add_argument(
        "--issues", type=int, default=None, help="Jira issues to generate (default: tickets / 5)"
    )
    parser.add_argument(
        "--seed",
        metavar="FILE",
        default=None,
        help="load data from a seed JSON file instead of generating it",
    )
    parser.add_argument(
        "--data-seed", type=int, default=1, help="seed number of the data generator (default 1)"
    )
    parser.add_argument("--now", default=None, help="fix the sandbox clock (ISO 8601)")
    parser.add_argument("--faults", default="", help='e.g. "429=0.1,500=0.05,drop=0.02"')
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws")
    parser.add_argument(
        "--rate-limit",
        default=None,
        metavar="N[/E]",
        help="requests a minute for the account [/ for the export]",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="first line of output: one JSON object with URLs and credentials",
    )


def _check(args: argparse.Namespace) -> dict:
    """Sandbox.create keywords from the arguments; ValueError with a one-line reason."""
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be 0..65535, not {args.port}")
    if args.tickets < 0 or (args.issues is not None and args.issues < 0):
        raise ValueError("--tickets and --issues must be zero or more")
    FaultSpec.parse(args.faults)
    kwargs = {
        "host": args.host,
        "port": args.port,
        "tickets": args.tickets,
        "issues": args.issues,
        "seed": args.data_seed,
        "faults": args.faults,
        "fault_seed": args.fault_seed,
    }
    if args.now:
        try:
            kwargs["now"] = parse_iso(args.now)
        except ValueError:
            raise ValueError(f"--now must be an ISO 8601 instant, not {args.now!r}") from None
    if args.rate_limit:
        kwargs["rate_limit"] = parse_rate_limit(args.rate_limit)
    if args.seed:
        kwargs["seed_file"] = args.seed
    return kwargs


def describe(sb: Sandbox) -> str:
    return "\n".join(
        [
            "evm-sync sandbox is serving:",
            f"  Zendesk    {sb.zendesk_url}/api/v2/   (basic auth: '{sb.email}/token' : token)",
            f"  Jira Cloud {sb.jira_url}/rest/api/3/  (basic auth: '{sb.email}' : token)",
            f"  Jira DC    {sb.jira_dc_url}/rest/api/2/  (Authorization: Bearer token)",
            f"  admin      {sb.url}/_sandbox/faults | clock | rate_limit | requests",
            f"  email      {sb.email}",
            f"  token      {sb.token}",
            f"  clock      {sb.now().isoformat()}",
            "Stop with Ctrl-C or SIGTERM.",
        ]
    )


def run(args: argparse.Namespace) -> int:
    try:
        sb = Sandbox.create(**_check(args))
    except (ValueError, SeedError, OSError) as exc:
        print(f"evm-sync sandbox: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "zendesk_url": sb.zendesk_url,
                    "jira_url": sb.jira_url,
                    "email": sb.email,
                    "token": sb.token,
                }
            ),
            flush=True,
        )
    else:
        print(describe(sb), flush=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        sb.stop_soon()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        sb.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run without the main CLI: python -m evm_sync.sandbox.command."""
    parser = argparse.ArgumentParser(prog="evm-sync sandbox")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
