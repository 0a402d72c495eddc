"""Sandbox: the local helpdesk as an object, started on a free port in a thread."""

from __future__ import annotations

import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from evm_sync.sandbox import admin, jira_routes, seed, zendesk_routes
from evm_sync.sandbox.app import DC_PREFIX, Exchange, RequestRecord, SandboxApp
from evm_sync.sandbox.clock import parse_iso
from evm_sync.sandbox.faults import Faults
from evm_sync.sandbox.jira_store import JiraStore
from evm_sync.sandbox.limits import RateLimiter
from evm_sync.sandbox.zendesk_store import ZendeskStore

EMAIL = "admin@sandbox.example"
TOKEN_ENV = "EVM_SYNC_SANDBOX_TOKEN"


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr; the sandbox keeps its own request list."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def make_app(
    tickets: int = 200,
    seed_number: int = 1,
    now: datetime | str | None = None,
    seed_file: str | Path | None = None,
    faults: str = "",
    fault_seed: int = 0,
    rate_limit: tuple[int, int | None] | None = None,
    issues: int | None = None,
    token: str | None = None,
    record_exchanges: bool = False,
) -> SandboxApp:
    """The WSGI app with its data; raises ValueError (one line) on bad arguments."""
    if isinstance(now, str):
        now = parse_iso(now)
    if seed_file is not None:
        clock, zendesk, jira = seed.from_file(seed_file, now)
    else:
        if tickets < 0:
            raise ValueError(f"tickets must be zero or more, not {tickets}")
        start = now or datetime.now(UTC).replace(microsecond=0)
        clock, zendesk, jira = seed.generated(tickets, seed_number, start, issues)
    limiter = RateLimiter(*(rate_limit or (None, None)))
    token = token or os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    routes = zendesk_routes.ROUTES + jira_routes.ROUTES + admin.ROUTES
    app = SandboxApp(
        zendesk, jira, clock, EMAIL, token, Faults(faults, fault_seed), limiter, routes
    )
    if record_exchanges:
        app.exchanges = []
    return app


class Sandbox:
    """A running sandbox. Use `Sandbox.start(...)` as a context manager."""

    def __init__(self, app: SandboxApp, server: BaseWSGIServer) -> None:
        self._app = app
        self._server = server
        self._thread: threading.Thread | None = None
        self.url = f"http://{server.host}:{server.port}"
        self.zendesk_url = self.url
        self.jira_url = self.url
        self.jira_dc_url = self.url + DC_PREFIX
        self.email = app.email
        self.token = app._token

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r}, email={self.email!r})"

    @classmethod
    def create(cls, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> Sandbox:
        """Build the data and bind the port, without serving yet."""
        app = make_app(**_renamed(kwargs))
        server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
        return cls(app, server)

    @classmethod
    def start(
        cls,
        tickets: int = 200,
        seed: int = 1,
        now: datetime | str | None = None,
        port: int = 0,
        **kwargs: Any,
    ) -> Sandbox:
        """Generate (or load with seed_file=) the data and serve it in a background thread.
        Other keywords: seed_file, faults, fault_seed, rate_limit, issues, token, host,
        record_exchanges (keep every API request and answer in `exchanges`)."""
        sandbox = cls.create(port=port, tickets=tickets, seed=seed, now=now, **kwargs)
        sandbox._thread = threading.Thread(
            target=sandbox._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # a quick stop: tests start many sandboxes
            name="evm-sync-sandbox",
            daemon=True,
        )
        sandbox._thread.start()
        return sandbox

    def serve_forever(self) -> None:
        """Serve in the calling thread until `stop_soon`; then release the port."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop_soon(self) -> None:
        """Ask `serve_forever` to return; safe from a signal handler in the serving thread."""
        threading.Thread(target=self._server.shutdown, daemon=True).start()

    @property
    def app(self) -> SandboxApp:
        """The WSGI application (for in-process clients such as werkzeug's test Client)."""
        return self._app

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- test controls -----------------------------------------------------------------

    @property
    def zendesk(self) -> ZendeskStore:
        return self._app.zendesk

    @property
    def jira(self) -> JiraStore:
        return self._app.jira

    @property
    def exchanges(self) -> list[Exchange]:
        """Requests and answers, when started with record_exchanges=True."""
        return list(self._app.exchanges or [])

    @property
    def requests(self) -> list[RequestRecord]:
        return list(self._app.requests)

    def reset_requests(self) -> None:
        self._app.reset_requests()

    def now(self) -> datetime:
        return self._app.clock.now()

    def advance(self, seconds: float) -> datetime:
        self._app.advance(seconds)
        return self.now()

    def set_faults(self, spec: str, seed: int = 0) -> None:
        self._app.faults.set(spec, seed)

    def set_rate_limit(
        self, per_minute: int | None = None, export_per_minute: int | None = None
    ) -> None:
        """None for per_minute turns limits off; the export limit defaults to 10."""
        if per_minute is None:
            self._app.limiter.configure(None, None)
        else:
            self._app.limiter.configure(per_minute, export_per_minute or 10)


def _renamed(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Sandbox.start's names -> make_app's (seed is the generator's seed number)."""
    out = dict(kwargs)
    if "seed" in out:
        out["seed_number"] = out.pop("seed")
    if out.get("rate_limit") is not None:
        per_minute, export = out["rate_limit"]
        out["rate_limit"] = (per_minute, export or 10)
    return out
