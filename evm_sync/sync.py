"""One sync of one job: the only place that orders the steps.

take the job's lock -> for each source and stream: read the bookmark, pull page by
page, store each page with its bookmark in one transaction -> compute the figures
from the store -> read the targets -> push only what differs -> store the snapshot,
the audit rows and the run. A crash anywhere loses nothing and counts nothing
twice: the next run resumes at the last stored bookmark, and records are upserted.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.base import Connector, Scope, Write
from evm_sync import push_plan
from evm_sync.config import EPICS_KIND, Config, JobConfig
from evm_sync.config_loader import push_source
from evm_sync.dataset import DatasetBuilder
from evm_sync.evm import Result, compute_dataset, compute_epics
from evm_sync.push_plan import PushChange
from evm_sync.sources import in_scope, open_connectors, scope_key
from evm_sync.state import PushRecord, RunRecord, StateError, StateStore

log = logging.getLogger("evm_sync.sync")
LOCK_LEASE_SECONDS = 600.0
Progress = Callable[[str, str, int], None]  # source, stream, records so far


class JobLocked(Exception):
    """Another process is syncing this job now."""


class SyncStopped(Exception):
    """A stop was asked for; the page in flight was stored first."""


@dataclass(frozen=True)
class JobRun:
    """What one sync did."""

    job: str
    run_id: str
    as_of: datetime
    dry_run: bool
    result: Result
    pulled: dict[str, int]
    pushed: tuple[PushChange, ...]
    requests: dict[str, int]
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    failed_writes: int = field(default=0)


class _Run:
    """The state of one sync while it runs."""

    def __init__(
        self,
        config: Config,
        job_name: str,
        store: StateStore,
        owner: str | None,
        stop: threading.Event | None,
        progress: Progress | None,
    ) -> None:
        self.config, self.job_name, self.store = config, job_name, store
        self.job: JobConfig = config.jobs[job_name]
        self.run_id = uuid.uuid4().hex[:12]
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{self.run_id}"
        self.stop, self.progress = stop, progress
        self.pulled = Counter({"tickets": 0, "worklogs": 0})
        self.extra = {"job": job_name, "run_id": self.run_id}
        self.closed: set[tuple[str, str]] = set()
        self.epics: dict[tuple[str, str], Result] = {}

    def pull(self, name: str, connector: Connector) -> None:
        scope = self.job.scope.get(name)
        key = scope_key(self.job_name, scope)
        for stream in connector.streams:
            stream_key = key if stream in ("issues",) else None
            bookmark = self.store.bookmark(name, stream, stream_key)
            began, records = time.monotonic(), 0
            pages = connector.pull(stream, bookmark, Scope(jql=scope.jql if scope else None))
            for page in pages:
                self.store.save_page(
                    name,
                    stream,
                    page.bookmark,
                    tickets=page.tickets,
                    worklogs=page.worklogs,
                    deleted_worklog_ids=page.deleted_worklog_ids,
                    scope_key=stream_key,
                )
                self.pulled["tickets"] += len(page.tickets)
                self.pulled["worklogs"] += len(page.worklogs)
                records += len(page.tickets) + len(page.worklogs)
                if self.progress:
                    self.progress(name, stream, records)
                if not self.store.renew_lock(self.lock, self.owner, LOCK_LEASE_SECONDS):
                    raise JobLocked(f"job '{self.job_name}': lost its lock to another process")
                if self.stop is not None and self.stop.is_set():
                    raise SyncStopped(
                        f"job '{self.job_name}': stopped after a page of {name}/{stream}"
                    )
            log.info(
                "pulled %s/%s: %d records",
                name,
                stream,
                records,
                extra={
                    **self.extra,
                    "source": name,
                    "stream": stream,
                    "records": records,
                    "seconds": round(time.monotonic() - began, 3),
                },
            )

    @property
    def lock(self) -> str:
        return f"job:{self.job_name}"

    def store_history(
        self, as_of: datetime, result: Result, pushed: list[PushChange], now: Callable[[], datetime]
    ) -> None:
        """The snapshot of the figures and the audit rows of the push."""
        self.store.save_snapshot(
            self.job_name,
            as_of,
            self.run_id,
            result.figures.as_dict(),
            result.kpis.as_dict(),
            result.window.start,
            result.window.end,
        )
        audit = [PushRecord(c.target, c.field, c.old, c.new, now(), c.ok, c.error) for c in pushed]
        self.store.record_pushes(self.job_name, self.run_id, audit)

    def record(
        self, started: datetime, finished: datetime, outcome: str, error: str | None, pushed: int
    ) -> None:
        self.store.record_run(
            RunRecord(
                self.job_name,
                self.run_id,
                started,
                finished,
                outcome,
                error,
                self.pulled["tickets"],
                self.pulled["worklogs"],
                pushed,
            )
        )

    def log_done(self, run: JobRun) -> None:
        verb = "planned" if run.dry_run else "pushed"
        log.info(
            "synced: %d tickets and %d worklogs pulled, %d fields %s in %.1f s",
            run.pulled["tickets"],
            run.pulled["worklogs"],
            len(run.pushed),
            verb,
            run.seconds,
            extra={
                **self.extra,
                "pulled_tickets": run.pulled["tickets"],
                "pulled_worklogs": run.pulled["worklogs"],
                "pushed": len(run.pushed),
                "seconds": round(run.seconds, 3),
                "dry_run": run.dry_run,
            },
        )

    def compute(self, as_of: datetime) -> tuple[Result, list[str]]:
        job = self.job
        keys = {n: k for n in job.sources if (k := scope_key(self.job_name, job.scope.get(n)))}
        builder = DatasetBuilder()
        for ticket in self.store.tickets(job.sources, keys):
            if in_scope(ticket, job.scope.get(ticket.source)):
                builder.add_ticket(ticket)
                if ticket.status == "closed":  # Zendesk refuses updates to closed tickets
                    self.closed.add((ticket.source, ticket.id))
        # Jira's worklog feed covers the whole site: keep the worklogs of tickets in scope.
        for entry in self.store.worklogs(job.sources):
            if (entry.source, entry.ticket_id) in builder:
                started = entry.started_at.timestamp()
                builder.add_worklog(
                    entry.source, entry.ticket_id, started, entry.seconds, entry.author
                )

        data = builder.build()
        result = compute_dataset(job, data, as_of)
        if any(push.target.kind == EPICS_KIND for push in job.push):
            self.epics = compute_epics(job, data, as_of)
        return result, list(result.warnings)

    def push(
        self, live: Mapping[str, Connector], result: Result, dry_run: bool
    ) -> tuple[list[PushChange], int]:
        job = self.job
        groups: dict[str, list[tuple[int, Any]]] = {}
        for index, push in enumerate(job.push):
            groups.setdefault(push_source(self.config, self.job_name, index), []).append(
                (index, push)
            )
        targets: dict[int, list] = {}
        sources = {index: name for name, pushes in groups.items() for index, _ in pushes}
        current: dict = {}
        for name, pushes in groups.items():
            for index, push in pushes:
                targets[index] = push_plan.targets_for(push, name, result, self.closed, self.epics)
                refs = [str(r) for r in push.fields.values()] or [str(push.target.property)]
                held = live[name].read(targets[index], refs)
                current.update(((index, t), held.get(t, {})) for t in targets[index])
        planned = push_plan.plan(self.job_name, job, result, targets, current, self.epics, sources)
        if dry_run:
            return [c for *_, changes in planned for c in changes], 0
        outcome: list[PushChange] = []
        failed = 0
        for name, pushes in groups.items():
            indexes = {i for i, _ in pushes}
            mine = [
                (target, writes, changes) for i, target, writes, changes in planned if i in indexes
            ]
            if not mine:
                continue
            results = live[name].push([Write(target, writes) for target, writes, _ in mine])
            for (_, _, changes), written in zip(mine, results, strict=True):
                failed += not written.ok
                for change in changes:
                    outcome.append(
                        PushChange(
                            change.target,
                            change.field,
                            change.old,
                            change.new,
                            written.ok,
                            written.error,
                        )
                    )
        return outcome, failed


def run_job(
    config: Config,
    job_name: str,
    *,
    store: StateStore,
    as_of: datetime | None = None,
    dry_run: bool = False,
    stop: threading.Event | None = None,
    owner: str | None = None,
    live: Mapping[str, Connector] | None = None,
    progress: Progress | None = None,
    resync: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> JobRun:
    """Sync ``job_name`` once (see the module docstring). ``live`` may hand in
    connectors (tests); otherwise they are built from the config and closed after.
    ``resync`` forgets what was pulled from the job's sources (records, bookmarks,
    scope members) and pulls everything again, e.g. after a scope or start changed."""
    run = _Run(config, job_name, store, owner, stop, progress)
    if not store.try_lock(run.lock, run.owner, LOCK_LEASE_SECONDS):
        raise JobLocked(f"job '{job_name}' is being synced by another process")
    started, began = now(), time.monotonic()
    opened: dict[str, Connector] = {}
    try:
        opened = dict(live) if live is not None else open_connectors(config, run.job.sources)
        before = {n: Counter(c.request_counts()) for n, c in opened.items()}
        if resync:
            for name in run.job.sources:
                store.forget_source(name)
        for name in run.job.sources:
            run.pull(name, opened[name])
        moment = as_of or now()
        result, warnings = run.compute(moment)
        pushed, failed = run.push(opened, result, dry_run)
        requests: Counter[str] = Counter()
        for name, connector in opened.items():
            requests.update(Counter(connector.request_counts()) - before[name])
        if not dry_run:
            run.store_history(moment, result, pushed, now)
        if failed:
            warnings.append(f"{failed} target writes failed (see pushed)")
        written = 0 if dry_run else sum(c.ok for c in pushed)
        run.record(started, now(), "ok", None, written)
        outcome = JobRun(
            job_name,
            run.run_id,
            moment,
            dry_run,
            result,
            dict(run.pulled),
            tuple(pushed),
            dict(requests),
            tuple(warnings),
            time.monotonic() - began,
            failed,
        )
        run.log_done(outcome)
        return outcome
    except BaseException as error:
        outcome_word = "skipped" if isinstance(error, SyncStopped) else "failed"
        try:
            run.record(started, now(), outcome_word, str(error) or type(error).__name__, 0)
        except StateError as also:
            log.error("could not record the run: %s", also, extra=run.extra)
        raise
    finally:
        store.release_lock(run.lock, run.owner)
        if live is None:
            for connector in opened.values():
                connector.close()
