"""The state store: tickets, worklogs and bookmarks (here), history and locks (mixins).

A page and its bookmark are saved in one transaction, so a crash between pages
loses nothing and counts nothing twice: the next run resumes at the last stored
bookmark and re-upserts whatever it pulls again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import URL, and_, bindparam, exists, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from evm_sync.model import Ticket, Worklog
from evm_sync.state import engine as db
from evm_sync.state import schema as s
from evm_sync.state.base import StoreBase
from evm_sync.state.codec import (
    dumps,
    loads,
    ticket_from_row,
    ticket_row,
    worklog_from_row,
    worklog_row,
)
from evm_sync.state.history import History
from evm_sync.state.locks import Locks
from evm_sync.state.records import StateError

STREAM_BATCH = 2_000


class StateStore(History, Locks, StoreBase):
    """Normalized tickets and worklogs, bookmarks, snapshots, the push audit, runs
    and locks, in SQLite (``sqlite:///PATH``) or PostgreSQL (``postgresql://...``).
    No credentials are ever stored."""

    @classmethod
    def open(cls, url: str) -> StateStore:
        """Connect, then create the schema or migrate it forward."""
        parsed = db.parse_url(url)
        shown = db.safe_url(parsed)
        try:
            engine = db.connect(parsed)
        except (ImportError, OSError, SQLAlchemyError) as exc:
            raise StateError(f"state store {shown}: cannot open: {_detail(exc, parsed)}") from None
        try:
            with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
                _found, version = s.migrate(conn)
        except s.SchemaTooNew as exc:
            engine.dispose()
            raise StateError(f"state store {shown}: {exc}; upgrade evm-sync to use it") from None
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StateError(f"state store {shown}: cannot open: {_detail(exc, parsed)}") from None
        return cls(engine, parsed, version)

    def save_page(
        self,
        source: str,
        stream: str,
        bookmark: Mapping[str, Any],
        *,
        tickets: Iterable[Ticket] = (),
        worklogs: Iterable[Worklog] = (),
        deleted_worklog_ids: Iterable[str] = (),
        scope_key: str | None = None,
    ) -> None:
        """Store one pulled page and advance its bookmark, in one transaction."""
        ticket_rows = [ticket_row(t) for t in tickets]
        worklog_rows = [worklog_row(w) for w in worklogs]
        foreign = {r["source"] for r in ticket_rows + worklog_rows} - {source}
        if foreign:
            raise StateError(
                f"state store {self.url}: page of {source}/{stream} holds records of "
                f"other sources: {', '.join(sorted(foreign))}"
            )
        deleted = [{"s": source, "i": str(i)} for i in deleted_worklog_ids]
        where = f"saving a page of {source}/{stream}"
        with self._write(where) as conn:
            if ticket_rows:
                conn.execute(self._upsert(s.tickets), ticket_rows)
            if worklog_rows:
                conn.execute(self._upsert(s.worklogs), worklog_rows)
            if deleted:
                stmt = s.worklogs.delete().where(
                    s.worklogs.c.source == bindparam("s"), s.worklogs.c.id == bindparam("i")
                )
                conn.execute(stmt, deleted)
            if scope_key is not None and ticket_rows:
                members = [
                    {"scope_key": scope_key, "source": source, "ticket_id": r["id"]}
                    for r in ticket_rows
                ]
                conn.execute(self._insert(s.scope_members).on_conflict_do_nothing(), members)
            try:
                value = dumps(dict(bookmark))
            except (TypeError, ValueError) as exc:
                raise StateError(
                    f"state store {self.url}: {where}: the bookmark is not JSON: {exc}"
                ) from exc
            conn.execute(
                self._upsert(s.bookmarks),
                {"source": source, "stream": stream, "scope_key": scope_key or "", "value": value},
            )

    def bookmark(
        self, source: str, stream: str, scope_key: str | None = None
    ) -> dict[str, Any] | None:
        """The last stored bookmark of a stream, or None before its first page."""
        b = s.bookmarks.c
        stmt = select(b.value).where(
            b.source == source, b.stream == stream, b.scope_key == (scope_key or "")
        )
        with self._read(f"reading the bookmark of {source}/{stream}") as conn:
            value = conn.execute(stmt).scalar()
        return None if value is None else loads(value)

    def forget_source(self, source: str) -> None:
        """Drop everything pulled from ``source`` (for a full resync)."""
        with self._write(f"forgetting {source}") as conn:
            for table in (s.bookmarks, s.scope_members, s.worklogs, s.tickets):
                conn.execute(table.delete().where(table.c.source == source))

    def tickets(
        self, sources: Sequence[str], scope_keys: Mapping[str, str] | None = None
    ) -> list[Ticket]:
        """Tickets of ``sources`` (by source, then id); a source named in
        ``scope_keys`` gives only the members of that scope key."""
        scope_keys = scope_keys or {}
        t, m = s.tickets.c, s.scope_members.c
        conditions = []
        unscoped = [src for src in sources if src not in scope_keys]
        if unscoped:
            conditions.append(t.source.in_(unscoped))
        for src in sources:
            if src in scope_keys:
                member = exists().where(
                    m.scope_key == scope_keys[src], m.source == t.source, m.ticket_id == t.id
                )
                conditions.append(and_(t.source == src, member))
        if not conditions:
            return []
        stmt = select(s.tickets).where(or_(*conditions)).order_by(t.source, t.id)
        with self._read("reading tickets") as conn:
            return [ticket_from_row(row) for row in conn.execute(stmt).mappings()]

    def worklogs(self, sources: Sequence[str]) -> Iterator[Worklog]:
        """Worklogs of ``sources`` (by source, then id), streamed in batches."""
        if not sources:
            return
        w = s.worklogs.c
        stmt = select(s.worklogs).where(w.source.in_(list(sources))).order_by(w.source, w.id)
        with self._read("reading worklogs") as conn:
            result = conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
            for row in result.mappings():
                yield worklog_from_row(row)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per source: how many tickets and worklogs are stored."""
        out: dict[str, dict[str, int]] = {}
        with self._read("counting") as conn:
            for name, table in (("tickets", s.tickets), ("worklogs", s.worklogs)):
                stmt = select(table.c.source, func.count()).group_by(table.c.source)
                for source, n in conn.execute(stmt):
                    out.setdefault(source, {"tickets": 0, "worklogs": 0})[name] = n
        return out


def _detail(exc: BaseException, url: URL) -> str:
    """The database's own words for ``exc``, on one line, the password masked."""
    return db.scrub(str(getattr(exc, "orig", None) or exc), url)
