"""Logging (one line per event, JSON with the extras, secrets redacted everywhere),
the metrics of HTTP exchanges, and the /metrics + /healthz server."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

import pytest

from connectors.http import Exchange, QuotaWait
from evm_sync.observe import Metrics, Redactor, StatusServer, add_secrets, setup_logging

SECRET = "zk-3f9a1c77e0b24d56"
log = logging.getLogger("evm_sync.test_observe")


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_json_lines_carry_the_extras(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", "json")
    log.info(
        "synced %d tickets",
        12,
        extra={"job": "emea", "run_id": "abc", "source": "zd", "pulled": 12, "seconds": 1.5},
    )
    log.debug("not shown at info")
    (line,) = _lines(capsys)
    entry = json.loads(line)
    assert entry["message"] == "synced 12 tickets"
    assert entry["level"] == "info" and entry["logger"] == "evm_sync.test_observe"
    assert {k: entry[k] for k in ("job", "run_id", "source", "pulled", "seconds")} == {
        "job": "emea",
        "run_id": "abc",
        "source": "zd",
        "pulled": 12,
        "seconds": 1.5,
    }
    assert list(entry)[4:7] == ["job", "run_id", "source"]
    assert entry["time"].endswith("Z")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_traceback_stays_on_the_events_line(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("debug", fmt)
    try:
        raise RuntimeError("first\nsecond")
    except RuntimeError:
        log.exception("it broke", extra={"job": "emea"})
    log.info("where am I", stack_info=True)
    broke, where = _lines(capsys)
    assert "it broke" in broke and "RuntimeError" in broke and "Traceback" in broke
    assert "where am I" in where and "Stack (most recent call last)" in where
    if fmt == "text":
        assert "[job=emea]" in broke


def _our_handler() -> logging.Handler:
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)
                  and any(isinstance(f, Redactor) for f in h.filters)]  # fmt: skip
    return handler


def _emit(message: str, *args: Any, error: BaseException | None = None, **extra: Any) -> None:
    """Hand a record straight to our handler: the leaks below are on purpose, and the
    suite's own watch on the root logger would (rightly) refuse them."""
    exc_info = (type(error), error, error.__traceback__) if error else None
    record = log.makeRecord(
        log.name, logging.INFO, __file__, 1, message, args, exc_info, extra=extra
    )
    _our_handler().handle(record)


def _leaky_events() -> None:
    """Every way a secret could reach the log."""
    _emit("token is %s", SECRET)
    _emit("header", job="emea", detail=f"Authorization: Basic {SECRET}")
    _emit("nested", headers={"auth": [f"x {SECRET}"]}, count=3)
    _emit("request headers {'Authorization': 'Bearer abc.DEF-123_456', 'Accept': 'json'}")
    _emit("GET https://x.example/api?api_token=a1b2c3d4e5f6&page=2")
    _emit("connecting to postgresql://evm:hunter2pass@db:5432/evm")
    try:
        raise ValueError(f"server said: bad credentials {SECRET}")
    except ValueError as error:
        _emit("failed", error=error)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_never_reach_the_log(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", fmt, secrets=[SECRET])
    _leaky_events()
    out = "\n".join(_lines(capsys))
    for leaked in (SECRET, "abc.DEF-123_456", "a1b2c3d4e5f6", "hunter2pass", "Authorization: B"):
        assert leaked not in out
    assert out.count("***") >= 7
    assert "page=2" in out and "'Accept': 'json'" in out, "only the secret is masked"
    assert "bad credentials ***" in out, "the exception text is redacted too"


def test_secrets_added_later_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", "text")
    add_secrets(["later-secret-value"])
    log.info("value %s", "later-secret-value")
    setup_logging("info", "json")  # a new setup keeps what it was told before
    log.info("value %s", "later-secret-value")
    lines = _lines(capsys)
    assert len(lines) == 2
    assert all("later-secret-value" not in line and "value ***" in line for line in lines)


def test_ordinary_words_survive(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", "text")
    log.info("auth = 'basic' needs email; use basic authentication; token: environment unset")
    (line,) = _lines(capsys)
    assert "use basic authentication; token: environment unset" in line


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text or json"):
        setup_logging("info", "xml")


def test_http_events_become_metrics() -> None:
    metrics = Metrics()
    for status in (200, 200, 429, None):
        metrics.observe_http(Exchange("GET /api/v2/tickets.json", status))
    metrics.observe_http(QuotaWait(12.5))
    metrics.observe_http(QuotaWait(2.5))
    value = metrics.registry.get_sample_value
    assert value("evm_sync_api_requests_total", {"status": "200"}) == 2
    assert value("evm_sync_api_requests_total", {"status": "429"}) == 1
    assert value("evm_sync_api_requests_total", {"status": "none"}) == 1
    assert value("evm_sync_rate_limit_waits_total") == 2
    assert value("evm_sync_rate_limit_wait_seconds_total") == 15


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.headers.get_content_type(), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read().decode()


def test_the_status_server_answers_metrics_and_health() -> None:
    metrics = Metrics()
    metrics.runs.labels("emea", "ok").inc(3)
    state: dict[str, Any] = {"ok": True}
    server = StatusServer(
        "127.0.0.1:0", metrics, lambda: (state["ok"], {"status": "x", "jobs": {"emea": 1}})
    ).start()
    try:
        base = f"http://{server.address}"
        status, _, body = _get(f"{base}/metrics")
        assert status == 200 and 'evm_sync_runs_total{job="emea",outcome="ok"} 3.0' in body
        assert _get(f"{base}/healthz") == (
            200,
            "application/json",
            json.dumps({"status": "x", "jobs": {"emea": 1}}),
        )
        state["ok"] = False
        assert _get(f"{base}/healthz")[0] == 503
        assert _get(f"{base}/other")[0] == 404
    finally:
        server.close()


def test_a_taken_port_is_an_os_error() -> None:
    first = StatusServer("127.0.0.1:0", Metrics(), lambda: (True, {})).start()
    try:
        with pytest.raises(OSError):
            StatusServer(first.address, Metrics(), lambda: (True, {}))
    finally:
        first.close()
