"""The daemon: every job on its own schedule, never twice at once, stopped gracefully.

APScheduler 3 (``BackgroundScheduler``, memory job store) holds one trigger per job,
rebuilt from the config at every start: the job's cron in the job's time zone, or
``--every SECONDS`` for all jobs (a test and trial aid). ``max_instances=1`` keeps a
job from overlapping itself in this process; the job's lock in the state store
(taken by ``sync.run_job``) keeps it from overlapping another process, and a run
that finds the lock taken is logged and counted as skipped. Misfires coalesce into
one run. A failed run is logged and the job simply runs again at its next slot.

Stopping sets the stop event that ``run_job`` checks between pages, so a run ends
after storing the page in flight; the daemon waits up to ``[daemon] stop_timeout``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from evm_sync.config import Config, JobConfig
from evm_sync.observe import Metrics

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 300
RunJob = Callable[..., Any]  # the signature of ``evm_sync.sync.run_job``


def trigger_for(job: JobConfig, every: float | None = None) -> BaseTrigger:
    """The job's cron in its time zone, or an interval of ``every`` seconds."""
    if every is not None:
        return IntervalTrigger(seconds=every, timezone=job.zone)
    return CronTrigger.from_crontab(job.schedule, timezone=job.zone)


def default_owner() -> str:
    """This daemon, as a lock owner: ``host:pid:random``. The random part keeps two
    containers apart that share a host name and both run as PID 1."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class JobStatus:
    """What /healthz tells of one job (guarded by the daemon's lock)."""

    running: bool = False
    last_outcome: str | None = None
    last_error: str | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_success_at: datetime | None = None
    outcomes: Counter[str] = field(default_factory=Counter)


class Daemon:
    """Schedules the jobs of ``config`` on ``store``; ``start()``, later ``stop()``."""

    def __init__(
        self,
        config: Config,
        store: Any,
        *,
        run_job: RunJob | None = None,
        metrics: Metrics | None = None,
        every: float | None = None,
        owner: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.store = store
        self.metrics = metrics or Metrics()
        self.every = every
        self.owner = owner or default_owner()
        self.clock = clock
        self.stop_event = threading.Event()
        self._run_job = run_job
        self._abandon = threading.Event()
        self._lock = threading.Condition()
        self._status = {name: JobStatus() for name in config.jobs}
        self._stopping = False
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max(1, len(config.jobs)))},
        )

    def start(self) -> None:
        """Add one trigger per job and start the scheduler thread."""
        grace = MISFIRE_GRACE_SECONDS if self.every is None else max(1, int(self.every))
        for name, job in self.config.jobs.items():
            self.scheduler.add_job(
                self._scheduled,
                trigger_for(job, self.every),
                args=[name],
                id=name,
                name=name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=grace,
            )
        self.scheduler.start()
        for name in self.config.jobs:
            log.info(
                "job %s scheduled (%s), next run at %s",
                name,
                self._schedule_text(name),
                self._next_run(name),
                extra={"job": name},
            )

    def stop(self, timeout: float) -> bool:
        """Ask runs to stop after their page in flight and wait up to ``timeout``
        seconds; True when every run ended in time."""
        with self._lock:
            self._stopping = True
        self.stop_event.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight() and (left := deadline - time.monotonic()) > 0:
                self._lock.wait(left)
            running = self._in_flight()
        if running:
            self._abandon.set()
            log.warning(
                "stop: %s still running after %.0f s (daemon.stop_timeout); leaving "
                "their locks to expire",
                ", ".join(running),
                timeout,
            )
            return False
        return True

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(ok, body) for /healthz: ok while the scheduler runs and no stop began."""
        with self._lock:
            ok = self.scheduler.running and not self._stopping
            jobs = {
                name: {
                    "schedule": self._schedule_text(name),
                    "next_run_at": _iso(self._next_run(name)) if ok else None,
                    "running": status.running,
                    "last_outcome": status.last_outcome,
                    "last_error": status.last_error,
                    "last_started_at": _iso(status.last_started_at),
                    "last_finished_at": _iso(status.last_finished_at),
                    "last_success_at": _iso(status.last_success_at),
                    "runs": dict(status.outcomes),
                }
                for name, status in self._status.items()
            }
        state = "running" if ok else ("stopping" if self._stopping else "starting")
        return ok, {"status": state, "owner": self.owner, "jobs": jobs}

    # -- one run ----------------------------------------------------------------------

    def _scheduled(self, name: str) -> None:
        """The APScheduler job: run the sync in a daemon thread and wait for it, so a
        run that outlives ``stop_timeout`` cannot hold the process open at exit."""
        if self.stop_event.is_set():
            return
        worker = threading.Thread(target=self.run_once, args=(name,), name=f"run-{name}")
        worker.daemon = True
        worker.start()
        while worker.is_alive() and not self._abandon.is_set():
            worker.join(0.2)

    def run_once(self, name: str) -> str:
        """Run job ``name`` now; returns the outcome: ok, skipped, stopped or failed."""
        from evm_sync import sync

        run_job = self._run_job or sync.run_job
        with self._running(name) as finish:
            try:
                run = run_job(
                    self.config, name, store=self.store, stop=self.stop_event, owner=self.owner
                )
            except sync.JobLocked as error:
                log.info("job %s skipped: %s", name, error, extra={"job": name})
                return finish("skipped", None)
            except sync.SyncStopped as error:
                log.info("job %s stopped: %s", name, error, extra={"job": name})
                return finish("stopped", None)
            except Exception as error:
                message = " ".join(str(error).split()) or type(error).__name__
                log.error(
                    "job %s failed: %s; it runs again at its next slot",
                    name,
                    message,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                    extra={"job": name},
                )
                return finish("failed", message)
            self._count(name, run)
            return finish("ok", None)

    @contextmanager
    def _running(self, name: str) -> Iterator[Callable[[str, str | None], str]]:
        started, began = self.clock(), time.monotonic()
        with self._lock:
            self._status[name].running = True
            self._status[name].last_started_at = started
        self.metrics.running.labels(name).set(1)

        def finish(outcome: str, error: str | None) -> str:
            now = self.clock()
            with self._lock:
                status = self._status[name]
                status.last_outcome, status.last_error = outcome, error
                status.last_finished_at = now
                status.outcomes[outcome] += 1
                if outcome == "ok":
                    status.last_success_at = now
            self.metrics.runs.labels(name, outcome).inc()
            if outcome == "ok":
                self.metrics.last_success.labels(name).set(now.timestamp())
            if outcome != "skipped":
                self.metrics.duration.labels(name).observe(time.monotonic() - began)
            return outcome

        try:
            yield finish
        finally:
            self.metrics.running.labels(name).set(0)
            with self._lock:
                self._status[name].running = False
                self._lock.notify_all()

    def _count(self, name: str, run: Any) -> None:
        pulled = dict(run.pulled)
        for kind, count in pulled.items():
            self.metrics.pulled.labels(name, kind).inc(count)
        ok = sum(1 for change in run.pushed if change.ok)
        self.metrics.pushed.labels(name, "ok").inc(ok)
        self.metrics.pushed.labels(name, "failed").inc(len(run.pushed) - ok)
        for warning in run.warnings:
            log.warning("job %s: %s", name, warning, extra={"job": name, "run_id": run.run_id})

    # -- helpers ----------------------------------------------------------------------

    def _in_flight(self) -> list[str]:
        return [name for name, status in self._status.items() if status.running]

    def _next_run(self, name: str) -> datetime | None:
        job = self.scheduler.get_job(name)
        return None if job is None else job.next_run_time

    def _schedule_text(self, name: str) -> str:
        job = self.config.jobs[name]
        if self.every is not None:
            return f"every {self.every:g} s"
        return f"cron '{job.schedule}' in {job.timezone}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


# -- the command ----------------------------------------------------------------------


def add_daemon_arguments(parser: argparse.ArgumentParser) -> None:
    """``evm-sync daemon`` options (the CLI adds ``--config``)."""
    parser.add_argument(
        "--every",
        type=_seconds,
        metavar="SECONDS",
        help="run every job every SECONDS instead of on its cron (for trials and tests)",
    )
    parser.add_argument(
        "--listen",
        type=_listen,
        metavar="HOST:PORT",
        help="serve /metrics and /healthz here instead of [daemon] listen",
    )


def run_daemon(args: argparse.Namespace) -> int:
    """Run until SIGTERM or SIGINT: 0 after a clean stop, 1 when runs outlived the
    stop timeout or the daemon could not start, 2 for a bad config."""
    from connectors.http import add_observer, remove_observer
    from evm_sync.config_loader import ConfigError, load_config, resolvable_secrets
    from evm_sync.observe import StatusServer, add_secrets
    from evm_sync.state import StateError, StateStore

    try:
        config = load_config(args.config)
    except ConfigError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    if not config.jobs:
        print(f"error: {args.config}: no jobs configured", file=sys.stderr)
        return 2
    add_secrets(resolvable_secrets(config))  # whoever set up logging
    listen = getattr(args, "listen", None) or config.daemon.listen
    try:
        store = StateStore.open(config.state.url)
    except StateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    metrics = Metrics()
    daemon = Daemon(config, store, metrics=metrics, every=getattr(args, "every", None))
    try:
        server = StatusServer(listen, metrics, daemon.health)
    except OSError as error:
        store.close()
        print(
            f"error: cannot serve /metrics on {listen}: {error.strerror or error}", file=sys.stderr
        )
        return 1
    requested = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: requested.set()) for sig in _STOP_SIGNALS}
    add_observer(metrics.observe_http)
    try:
        server.start()
        daemon.start()
        log.info(
            "daemon %s started: %d job(s), /metrics and /healthz on http://%s",
            daemon.owner,
            len(config.jobs),
            server.address,
            extra={"listen": server.address, "jobs": list(config.jobs)},
        )
        while not requested.wait(1.0):
            pass
        log.info("stop requested: finishing the pages in flight")
    finally:
        clean = daemon.stop(config.daemon.stop_timeout)
        remove_observer(metrics.observe_http)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.close()
        store.close()
    log.info("daemon %s stopped%s", daemon.owner, "" if clean else " (runs abandoned)")
    return 0 if clean else 1


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _listen(text: str) -> str:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9464)")
    return text
