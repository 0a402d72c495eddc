"""The scheduler in process, with run functions standing in for the sync: triggers,
outcomes, failures that do not spread, stops that wait for the page in flight."""

from __future__ import annotations

import argparse
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import FatalError
from evm_sync.config_loader import parse_config
from evm_sync.observe import Metrics
from evm_sync.scheduler import Daemon, add_daemon_arguments, run_daemon, trigger_for
from evm_sync.sync import JobLocked, SyncStopped
from tests.ops.conftest import wait_until

SOURCE = {"kind": "zendesk", "url": "http://127.0.0.1:9", "email": "a@b.c", "token": "${NOPE}"}


def config_of(*jobs: str, **job_options: Any) -> Any:
    return parse_config(
        {
            "sources": {"zd": SOURCE},
            "jobs": {name: {"sources": ["zd"], **job_options} for name in jobs},
        }
    )


@dataclass
class Change:
    ok: bool


@dataclass
class FakeRun:
    """What ``run_job`` hands back, as far as the daemon reads it."""

    run_id: str = "r1"
    pulled: dict[str, int] = field(default_factory=lambda: {"tickets": 3, "worklogs": 5})
    pushed: tuple[Change, ...] = (Change(True), Change(True), Change(False))
    requests: dict[str, int] = field(default_factory=lambda: {"GET /x": 2})
    warnings: tuple[str, ...] = ()
    seconds: float = 0.01


class Recorder:
    """A run function that notes each call's interval and does what ``act`` says."""

    def __init__(self, act: Any = None) -> None:
        self.act = act or (lambda name, stop: FakeRun())
        self.calls: list[tuple[str, float, float]] = []
        self.lock = threading.Lock()

    def __call__(self, config: Any, name: str, *, store: Any, stop: Any, owner: str) -> Any:
        began = time.monotonic()
        try:
            return self.act(name, stop)
        finally:
            with self.lock:
                self.calls.append((name, began, time.monotonic()))

    def count(self, name: str) -> int:
        with self.lock:
            return sum(call[0] == name for call in self.calls)


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_a_cron_fires_in_the_jobs_time_zone() -> None:
    job = config_of("a", schedule="0 9 * * *", timezone="Europe/Berlin").jobs["a"]
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 11:00 in Berlin: today's 9:00 is past
    fire = trigger_for(job).get_next_fire_time(None, start)
    assert fire.astimezone(UTC) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_every_replaces_the_cron_with_an_interval() -> None:
    job = config_of("a", schedule="0 9 * * *").jobs["a"]
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    trigger = trigger_for(job, every=2.5)
    first = trigger.get_next_fire_time(None, start)
    assert (trigger.get_next_fire_time(first, first) - first).total_seconds() == 2.5


def test_a_failing_job_does_not_stop_the_others() -> None:
    def act(name: str, stop: Any) -> FakeRun:
        if name == "bad":
            raise FatalError("refused", endpoint="GET /x", status=401, source="zd")
        return FakeRun()

    runs = Recorder(act)
    daemon = Daemon(config_of("good", "bad"), store=None, run_job=runs, every=0.2)
    daemon.start()
    try:
        wait_until(lambda: runs.count("good") >= 3 and runs.count("bad") >= 3, 10, "runs")
        ok, health = daemon.health()
    finally:
        assert daemon.stop(5)
    assert ok and health["status"] == "running"
    assert health["jobs"]["good"]["last_outcome"] == "ok"
    assert health["jobs"]["bad"]["last_outcome"] == "failed"
    assert "401" in health["jobs"]["bad"]["last_error"]
    m = daemon.metrics
    assert sample(m, "evm_sync_runs_total", job="bad", outcome="failed") >= 3
    good = sample(m, "evm_sync_runs_total", job="good", outcome="ok")
    assert good >= 3
    assert sample(m, "evm_sync_records_pulled_total", job="good", kind="worklogs") == 5 * good
    assert sample(m, "evm_sync_fields_pushed_total", job="good", outcome="ok") == 2 * good
    assert sample(m, "evm_sync_fields_pushed_total", job="good", outcome="failed") == good
    assert sample(m, "evm_sync_last_success_timestamp_seconds", job="good") > 0
    assert sample(m, "evm_sync_last_success_timestamp_seconds", job="bad") == 0


def test_a_job_never_overlaps_itself_in_one_process() -> None:
    runs = Recorder(lambda name, stop: (time.sleep(0.35), FakeRun())[1])
    daemon = Daemon(config_of("slow"), store=None, run_job=runs, every=0.1)
    daemon.start()
    try:
        wait_until(lambda: runs.count("slow") >= 3, 10, "three runs")
    finally:
        daemon.stop(5)
    intervals = sorted((began, ended) for _, began, ended in runs.calls)
    for (_, ended), (began, _) in itertools.pairwise(intervals):
        assert began >= ended


def test_a_locked_job_counts_as_skipped() -> None:
    def act(name: str, stop: Any) -> FakeRun:
        raise JobLocked(f"job '{name}' is being synced by another process")

    runs = Recorder(act)
    daemon = Daemon(config_of("a"), store=None, run_job=runs)
    assert daemon.run_once("a") == "skipped"
    assert sample(daemon.metrics, "evm_sync_runs_total", job="a", outcome="skipped") == 1
    assert daemon.health()[1]["jobs"]["a"]["last_error"] is None


def test_stop_waits_for_the_page_in_flight() -> None:
    pages = []

    def act(name: str, stop: threading.Event) -> FakeRun:
        while True:  # one "page" every 50 ms, the stop checked between pages
            time.sleep(0.05)
            pages.append(time.monotonic())
            if stop.is_set():
                raise SyncStopped(f"job '{name}': stopped after a page")

    runs = Recorder(act)
    daemon = Daemon(config_of("a"), store=None, run_job=runs, every=0.1)
    daemon.start()
    wait_until(lambda: len(pages) >= 2, 10, "a run in flight")
    asked = time.monotonic()
    assert daemon.stop(timeout=5)
    assert time.monotonic() - asked < 1.5, "the stop waited for more than the page"
    assert [p for p in pages if p > asked][1:] == [], "a page began after the stop"
    ok, health = daemon.health()
    assert not ok and health["status"] == "stopping"
    assert sample(daemon.metrics, "evm_sync_runs_total", job="a", outcome="stopped") == 1


def test_stop_gives_up_on_a_run_that_outlives_the_timeout() -> None:
    release = threading.Event()
    runs = Recorder(lambda name, stop: (release.wait(10), FakeRun())[1])
    daemon = Daemon(config_of("a"), store=None, run_job=runs, every=0.1)
    daemon.start()
    wait_until(lambda: daemon.health()[1]["jobs"]["a"]["running"], 10, "a run in flight")
    asked = time.monotonic()
    assert daemon.stop(timeout=0.3) is False
    assert 0.3 <= time.monotonic() - asked < 3
    # the run left behind lives in a daemon thread: it cannot hold the process open
    (left,) = [t for t in threading.enumerate() if t.name == "run-a"]
    assert left.daemon
    release.set()


def _args(tmp_path: Path, text: str, *argv: str) -> argparse.Namespace:
    path = tmp_path / "config.toml"
    path.write_text(text)
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path)
    add_daemon_arguments(parser)
    return parser.parse_args(["--config", str(path), *argv])


def test_a_bad_config_exits_2_with_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_daemon(_args(tmp_path, "[daemon]\nlisten = 'nowhere'\n")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: daemon.listen: must be HOST:PORT, e.g. 127.0.0.1:9464"]


def test_no_jobs_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_daemon(_args(tmp_path, "")) == 2
    assert "no jobs configured" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--every", "0"], ["--every", "soon"], ["--listen", "9464"]])
def test_bad_options_are_usage_errors(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _args(tmp_path, "", *argv)
    assert exit_.value.code == 2
    assert argv[1] in capsys.readouterr().err


def test_each_daemon_is_its_own_lock_owner() -> None:
    config = config_of("a")
    first, second = Daemon(config, store=None), Daemon(config, store=None)
    assert first.owner != second.owner
    assert first.owner.split(":")[:2] == second.owner.split(":")[:2]  # same host and pid
