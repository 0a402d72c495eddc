"""Admin endpoints under /_sandbox/ (no auth): faults, clock, rate limits, request log."""

from __future__ import annotations

from dataclasses import asdict

from evm_sync.sandbox.app import BadRequest, Call, Reply, Route, route
from evm_sync.sandbox.clock import parse_iso


def faults(call: Call) -> Reply:
    """GET shows the spec; PUT/POST {"faults": "500=0.1", "seed": 1} replaces it."""
    if call.request.method != "GET":
        body = call.json()
        try:
            call.app.faults.set(str(body.get("faults", "")), int(body.get("seed", 0)))
        except (ValueError, TypeError) as exc:
            raise BadRequest(str(exc)) from None
    spec = call.app.faults.spec
    return Reply(body={"rates": spec.rates, "delay": spec.delay})


def clock(call: Call) -> Reply:
    """GET reads the clock; POST {"advance": seconds} or {"now": ISO8601} moves it."""
    if call.request.method == "POST":
        body = call.json()
        try:
            if "advance" in body:
                call.app.advance(float(body["advance"]))
            elif "now" in body:
                target = parse_iso(str(body["now"]))
                call.app.advance((target - call.app.clock.now()).total_seconds())
        except (ValueError, TypeError) as exc:
            raise BadRequest(f"cannot move the clock: {exc}") from None
    return Reply(body={"now": call.app.clock.now().isoformat().replace("+00:00", "Z")})


def rate_limit(call: Call) -> Reply:
    """PUT/POST {"per_minute": 700, "export_per_minute": 10}; nulls turn limits off."""
    limiter = call.app.limiter
    if call.request.method != "GET":
        body = call.json()
        try:
            limiter.configure(body.get("per_minute"), body.get("export_per_minute"))
        except (ValueError, TypeError) as exc:
            raise BadRequest(str(exc)) from None
    return Reply(
        body={"per_minute": limiter.per_minute, "export_per_minute": limiter.export_per_minute}
    )


def requests(call: Call) -> Reply:
    """GET lists the requests served; DELETE forgets them."""
    if call.request.method == "DELETE":
        call.app.reset_requests()
        return Reply(204)
    return Reply(body=[{**asdict(r), "at": r.at.isoformat()} for r in list(call.app.requests)])


ROUTES: list[Route] = [
    route(method, path, handler, "admin")
    for path, handler, methods in (
        ("/_sandbox/faults", faults, ("GET", "PUT", "POST")),
        ("/_sandbox/clock", clock, ("GET", "POST")),
        ("/_sandbox/rate_limit", rate_limit, ("GET", "PUT", "POST")),
        ("/_sandbox/requests", requests, ("GET", "DELETE")),
    )
    for method in methods
]
