"""Leased locks, so that two schedulers never sync the same job at once.

Each operation is one atomic statement: an upsert that takes the row only when it
is free, expired or already ours, returning a row only to the winner. PostgreSQL
serializes concurrent upserts on the primary key; SQLite takes its write lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_

from evm_sync.state import schema as s
from evm_sync.state.base import StoreBase, aware_now


class Locks(StoreBase):
    def try_lock(
        self, name: str, owner: str, lease_seconds: float, now: datetime | None = None
    ) -> bool:
        """Take lock ``name`` for ``lease_seconds`` when it is free or expired; the
        same owner taking it again renews it. True when ``owner`` holds it now."""
        now = aware_now(now)
        expires = now + timedelta(seconds=_positive(lease_seconds))
        c = s.locks.c
        stmt = self._insert(s.locks).values(name=name, owner=owner, expires_at=expires)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.name],
            set_={"owner": stmt.excluded.owner, "expires_at": stmt.excluded.expires_at},
            where=or_(c.expires_at <= now, c.owner == owner),
        ).returning(c.owner)
        with self._write(f"taking lock {name!r}") as conn:
            return conn.execute(stmt).scalar() == owner

    def renew_lock(
        self, name: str, owner: str, lease_seconds: float, now: datetime | None = None
    ) -> bool:
        """Extend the lease of a lock ``owner`` still holds (nobody took it since,
        even if it expired). False when another owner has it or it was released."""
        now = aware_now(now)
        expires = now + timedelta(seconds=_positive(lease_seconds))
        c = s.locks.c
        stmt = s.locks.update().where(c.name == name, c.owner == owner).values(expires_at=expires)
        with self._write(f"renewing lock {name!r}") as conn:
            return conn.execute(stmt).rowcount == 1

    def release_lock(self, name: str, owner: str) -> None:
        """Give up lock ``name`` if ``owner`` holds it; a no-op otherwise."""
        c = s.locks.c
        with self._write(f"releasing lock {name!r}") as conn:
            conn.execute(s.locks.delete().where(c.name == name, c.owner == owner))


def _positive(lease_seconds: float) -> float:
    if lease_seconds <= 0:
        raise ValueError(f"a lock lease must be positive, not {lease_seconds}")
    return lease_seconds
