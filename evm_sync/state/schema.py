"""The tables of the state store (one schema for SQLite and PostgreSQL) and their
forward migrations.

``MIGRATIONS[i]`` brings a schema at version ``i`` to version ``i + 1``; a database
without the ``evm_meta`` table is at version 0. Step 1 creates the tables as they
are now, so each later step checks before it changes anything (a fresh store
already has what the step adds) and leaves the data in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    inspect,
    select,
    text,
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both dialects.

    PostgreSQL keeps ``timestamptz``; SQLite keeps naive UTC text, which sorts and
    compares as time does. Naive datetimes are refused, never guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

meta = Table(
    "evm_meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

tickets = Table(
    "evm_tickets",
    metadata,
    Column("source", String, primary_key=True),
    Column("id", String, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("key", String),
    Column("type", String),
    Column("priority", String),
    Column("status", String),
    Column("status_category", String),
    Column("updated_at", UTCDateTime),
    Column("due_at", UTCDateTime),
    Column("due_date", Date),
    Column("sla_due_at", UTCDateTime),
    Column("sprint_end_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("estimate_hours", Float),
    Column("story_points", Float),
    Column("group", String),
    Column("assignee", String),
    Column("organization", String),
    Column("brand", String),
    Column("form", String),
    Column("project", String),
    Column("parent", String),  # since version 2
    Column("tags", Text, nullable=False),  # JSON list
    Column("components", Text, nullable=False),  # JSON list
    Column("reopens", Integer, nullable=False),
    Column("first_reply_minutes", Float),
    Column("satisfaction", String),
    Column("deleted", Boolean, nullable=False),
)

# No foreign key to tickets: a worklog may arrive before its ticket (separate streams).
worklogs = Table(
    "evm_worklogs",
    metadata,
    Column("source", String, primary_key=True),
    Column("id", String, primary_key=True),
    Column("ticket_id", String, nullable=False, index=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("seconds", Integer, nullable=False),
    Column("author", String),
    Column("updated_at", UTCDateTime),
)

scope_members = Table(
    "evm_scope_members",
    metadata,
    Column("scope_key", String, primary_key=True),
    Column("source", String, primary_key=True),
    Column("ticket_id", String, primary_key=True),
    ForeignKeyConstraint(
        ["source", "ticket_id"], ["evm_tickets.source", "evm_tickets.id"], ondelete="CASCADE"
    ),
)

bookmarks = Table(
    "evm_bookmarks",
    metadata,
    Column("source", String, primary_key=True),
    Column("stream", String, primary_key=True),
    Column("scope_key", String, primary_key=True),  # "" when unscoped
    Column("value", Text, nullable=False),  # JSON object
)

snapshots = Table(
    "evm_snapshots",
    metadata,
    Column("job", String, primary_key=True),
    Column("as_of", UTCDateTime, primary_key=True),
    Column("run_id", String, nullable=False),
    Column("figures", Text, nullable=False),  # JSON
    Column("kpis", Text, nullable=False),  # JSON
    Column("window_start", UTCDateTime),
    Column("window_end", UTCDateTime),
)

pushes = Table(
    "evm_pushes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("job", String, nullable=False, index=True),
    Column("run_id", String, nullable=False),
    Column("target", String, nullable=False),
    Column("field", String, nullable=False),
    Column("old", Text, nullable=False),  # JSON
    Column("new", Text, nullable=False),  # JSON
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
)

runs = Table(
    "evm_runs",
    metadata,
    Column("job", String, primary_key=True),
    Column("run_id", String, primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("outcome", String, nullable=False),
    Column("error", Text),
    Column("pulled_tickets", Integer, nullable=False),
    Column("pulled_worklogs", Integer, nullable=False),
    Column("pushed", Integer, nullable=False),
)

locks = Table(
    "evm_locks",
    metadata,
    Column("name", String, primary_key=True),
    Column("owner", String, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

Migration = Callable[[Connection], Any]


def _create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables if t is not meta])


def _add_ticket_parent(conn: Connection) -> None:
    """Version 2: tickets keep their parent's key (Jira epics). Step 1 creates today's
    tables, so a store created fresh has the column already."""
    columns = {c["name"] for c in inspect(conn).get_columns(tickets.name)}
    if "parent" not in columns:
        conn.execute(text(f"ALTER TABLE {tickets.name} ADD COLUMN parent VARCHAR"))


MIGRATIONS: tuple[Migration, ...] = (_create_v1, _add_ticket_parent)
SCHEMA_VERSION = len(MIGRATIONS)

_PG_MIGRATION_LOCK = 0x65766D73796E63  # pg_advisory_xact_lock key: "evmsync"


class SchemaTooNew(Exception):
    """The database was written by a newer evm-sync than this one."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"schema version {found} is newer than this evm-sync knows ({known})")
        self.found = found
        self.known = known


def stored_version(conn: Connection) -> int:
    """The schema version of the database, 0 when it holds no state store yet."""
    if not inspect(conn).has_table(meta.name):
        return 0
    value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value) if value is not None else 0


def migrate(conn: Connection, steps: Sequence[Migration] = MIGRATIONS) -> tuple[int, int]:
    """Bring the schema forward to ``len(steps)`` inside the caller's transaction
    (which must be a writing one: concurrent openers wait for it).

    Returns (version found, version now). Raises SchemaTooNew for a newer database.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    found = stored_version(conn)
    if found > len(steps):
        raise SchemaTooNew(found, len(steps))
    if found == len(steps):
        return found, found
    meta.create(conn, checkfirst=True)
    for step in steps[found:]:
        step(conn)
    conn.execute(meta.delete().where(meta.c.key == "schema_version"))
    conn.execute(meta.insert().values(key="schema_version", value=str(len(steps))))
    return found, len(steps)
