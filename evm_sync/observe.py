"""Watching evm-sync: logging (one line per event, secrets redacted), prometheus
metrics, and the ``/metrics`` + ``/healthz`` server of the daemon.

Redaction happens in a filter on our handler, so it covers every logger's records:
the message, its arguments, ``extra`` values and the exception text. It removes the
secrets it was given (``setup_logging(secrets=...)``, ``add_secrets``) and anything
that looks like a credential: ``Authorization`` headers, ``Basic``/``Bearer`` values,
``token=``/``password=`` pairs and passwords in URLs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

from connectors.http import Exchange, QuotaWait

MASK = "***"
_TOKENISH = r"(?=[^\s'\",&;}]*\d)[^\s'\",&;}]{8,}"  # 8+ chars with a digit
_CREDENTIALS = (
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\",}\r\n]+"), rf"\1{MASK}"),
    (
        re.compile(r"(?i)\b(basic|bearer)\s+(?=[\w.~+/=-]*[\d+/=])[\w.~+/=-]{8,}"),
        rf"\1 {MASK}",
    ),
    (
        re.compile(
            r"(?i)((?:api_?)?(?:token|password|passwd|secret)['\"]?\s*[:=]\s*['\"]?)" + _TOKENISH
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@/\s]+@"), rf"\1{MASK}@"),
)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_FIRST = ("job", "run_id", "source")


class Redactor(logging.Filter):
    """Rewrites each record so that no secret or credential-looking value remains."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        # very short values would mask ordinary words; tokens are long. A new tuple,
        # longest first, replaces the old one whole: other threads may be redacting.
        known = {*self.secrets, *(s for s in secrets if s and len(s) >= 4)}
        self.secrets = tuple(sorted(known, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern, replacement in _CREDENTIALS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, self._scrub(value))
        return True

    def _scrub(self, value: Any) -> Any:
        """``value`` with every string in it redacted (extras may be dicts or lists)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._scrub(v) for v in value]
        return value


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The record's ``extra`` fields, ``job``, ``run_id`` and ``source`` first."""
    found = {k: v for k, v in vars(record).items() if k not in _STANDARD}
    ordered = {k: found.pop(k) for k in _FIRST if k in found}
    return {**ordered, **found}


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``TIME LEVEL logger: message key=value ...``, the traceback folded onto the line."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        pairs = " ".join(f"{k}={_plain(v)}" for k, v in extras(record).items())
        if pairs:
            line = f"{line} [{pairs}]"
        for detail in (record.exc_text, record.stack_info):
            if detail:
                line = f"{line} | {detail}"
        return line.replace("\r", "").replace("\n", " \\n ")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **extras(record),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


def _plain(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


_handler: logging.Handler | None = None
_redactor = Redactor()


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time, so that a progress bar that
    takes over stderr on a terminal (rich) prints log lines above itself."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # logging.StreamHandler sets it once; stderr rules
        pass


def setup_logging(level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at ``level`` (debug|info|warning|error) as ``fmt`` (text|json),
    redacting ``secrets`` (and those given before) and credential-looking values;
    replaces an earlier setup's handler."""
    global _handler
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be text or json, not {fmt!r}")
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _redactor.add(secrets)
    _handler = _StderrHandler()
    _handler.addFilter(_redactor)
    _handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(_handler)
    root.setLevel(level.upper())
    quiet = logging.DEBUG if level.lower() == "debug" else logging.WARNING
    for noisy in ("apscheduler", "urllib3"):
        logging.getLogger(noisy).setLevel(quiet)


def add_secrets(secrets: Iterable[str]) -> None:
    """Redact these values too (e.g. tokens resolved after logging was set up)."""
    _redactor.add(secrets)


class Metrics:
    """The daemon's prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Counter(
            "evm_sync_runs", "Runs of a job by outcome", ["job", "outcome"], registry=r
        )
        self.last_success = Gauge(
            "evm_sync_last_success_timestamp_seconds",
            "When a job last finished a run successfully (Unix time)",
            ["job"],
            registry=r,
        )
        self.duration = Histogram(
            "evm_sync_run_duration_seconds",
            "How long runs took, whatever their outcome",
            ["job"],
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800),
            registry=r,
        )
        self.running = Gauge(
            "evm_sync_job_running", "1 while a run is in flight", ["job"], registry=r
        )
        self.pulled = Counter(
            "evm_sync_records_pulled", "Records pulled by job and kind", ["job", "kind"], registry=r
        )
        self.pushed = Counter(
            "evm_sync_fields_pushed",
            "Field writes by job and outcome",
            ["job", "outcome"],
            registry=r,
        )
        self.requests = Counter(
            "evm_sync_api_requests",
            "API requests by HTTP status ('none': no response)",
            ["status"],
            registry=r,
        )
        self.waits = Counter(
            "evm_sync_rate_limit_waits", "Times the quota gate held a request back", registry=r
        )
        self.wait_seconds = Counter(
            "evm_sync_rate_limit_wait_seconds", "Seconds spent waiting on the quota", registry=r
        )

    def observe_http(self, event: Exchange | QuotaWait) -> None:
        """An observer for ``connectors.http.add_observer``."""
        if isinstance(event, QuotaWait):
            self.waits.inc()
            self.wait_seconds.inc(max(0.0, event.seconds))
        else:
            self.requests.labels("none" if event.status is None else str(event.status)).inc()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes are not events
        return


class StatusServer:
    """``/metrics`` and ``/healthz`` on ``HOST:PORT`` (port 0: a free one), in a thread;
    an ``OSError`` when the address cannot be bound.

    ``health()`` returns ``(ok, body)``: 200 with the body as JSON when ok, else 503.
    """

    def __init__(
        self,
        listen: str,
        metrics: Metrics,
        health: Callable[[], tuple[bool, Mapping[str, Any]]],
    ) -> None:
        host, _, port = listen.rpartition(":")
        self._metrics_app = make_wsgi_app(metrics.registry)
        self._health = health
        self._server = make_server(
            host, int(port), self._app, server_class=_Server, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="evm-sync-status", daemon=True
        )

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> StatusServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return self._metrics_app(environ, start_response)
        if path == "/healthz":
            ok, body = self._health()
            status = "200 OK" if ok else "503 Service Unavailable"
            content, kind = json.dumps(body, default=str).encode(), "application/json"
        else:
            status, kind = "404 Not Found", "text/plain; charset=utf-8"
            content = b"not found: try /metrics or /healthz\n"
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(content)))])
        return [content]
