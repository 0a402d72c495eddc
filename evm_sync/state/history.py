"""The store's history: figure snapshots per job and instant, the push audit, runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from evm_sync.state import schema as s
from evm_sync.state.base import StoreBase
from evm_sync.state.codec import dumps, loads
from evm_sync.state.records import PushRecord, RunRecord, Snapshot


class History(StoreBase):
    def save_snapshot(
        self,
        job: str,
        as_of: datetime,
        run_id: str,
        figures: Mapping[str, Any],
        kpis: Mapping[str, Any],
        window_start: datetime | None,
        window_end: datetime | None,
    ) -> None:
        """Store the figures of ``job`` at ``as_of``, replacing an earlier snapshot there."""
        row = {
            "job": job,
            "as_of": as_of,
            "run_id": run_id,
            "figures": dumps(dict(figures)),
            "kpis": dumps(dict(kpis)),
            "window_start": window_start,
            "window_end": window_end,
        }
        with self._write(f"saving the snapshot of job {job!r}") as conn:
            conn.execute(self._upsert(s.snapshots), row)

    def snapshots(
        self, job: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[Snapshot]:
        """Snapshots of ``job`` with ``since <= as_of <= until``, oldest first."""
        c = s.snapshots.c
        stmt = select(s.snapshots).where(c.job == job).order_by(c.as_of)
        if since is not None:
            stmt = stmt.where(c.as_of >= since)
        if until is not None:
            stmt = stmt.where(c.as_of <= until)
        with self._read(f"reading the snapshots of job {job!r}") as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            Snapshot(
                job=r["job"],
                as_of=r["as_of"],
                run_id=r["run_id"],
                figures=loads(r["figures"]),
                kpis=loads(r["kpis"]),
                window_start=r["window_start"],
                window_end=r["window_end"],
            )
            for r in rows
        ]

    def record_pushes(self, job: str, run_id: str, rows: Sequence[PushRecord]) -> None:
        """Append pushed (or failed) field writes to the audit log."""
        if not rows:
            return
        values = [
            {
                "job": job,
                "run_id": run_id,
                "target": p.target,
                "field": p.field,
                "old": dumps(p.old),
                "new": dumps(p.new),
                "at": p.at,
                "ok": p.ok,
                "error": p.error,
            }
            for p in rows
        ]
        with self._write(f"recording pushes of job {job!r}") as conn:
            conn.execute(s.pushes.insert(), values)

    def pushes(self, job: str, limit: int | None = None) -> list[PushRecord]:
        """The audit log of ``job``, newest first."""
        c = s.pushes.c
        stmt = select(s.pushes).where(c.job == job).order_by(c.at.desc(), c.seq.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read(f"reading pushes of job {job!r}") as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            PushRecord(
                target=r["target"],
                field=r["field"],
                old=loads(r["old"]),
                new=loads(r["new"]),
                at=r["at"],
                ok=bool(r["ok"]),
                error=r["error"],
            )
            for r in rows
        ]

    def record_run(self, run: RunRecord) -> None:
        """Store a run, replacing an earlier record of the same job and run id."""
        values = {name: getattr(run, name) for name in RunRecord.__slots__}
        with self._write(f"recording run {run.run_id!r} of job {run.job!r}") as conn:
            conn.execute(self._upsert(s.runs), values)

    def runs(self, job: str, limit: int | None = None) -> list[RunRecord]:
        """Runs of ``job``, newest first."""
        c = s.runs.c
        stmt = select(s.runs).where(c.job == job).order_by(c.started_at.desc(), c.run_id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read(f"reading runs of job {job!r}") as conn:
            rows = conn.execute(stmt).mappings().all()
        return [RunRecord(**{name: r[name] for name in RunRecord.__slots__}) for r in rows]
