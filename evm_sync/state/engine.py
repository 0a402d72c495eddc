"""Connecting to the store's database: URL rules, SQLite pragmas, dialect upserts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, Table, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError

from evm_sync.state.records import StateError

SQLITE_BUSY_TIMEOUT_MS = 30_000
_PG_SCHEMES = ("postgresql", "postgres")


def parse_url(raw: str) -> URL:
    """The SQLAlchemy URL for a ``[state] url``: postgres(ql):// goes through psycopg 3,
    a SQLite path may start with ``~``."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        scheme = raw.split(":", 1)[0] if ":" in raw else "?"
        raise StateError(
            f"state store URL with scheme {scheme!r} is not a valid database URL "
            "(expected sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    if url.drivername in _PG_SCHEMES:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).expanduser()))
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StateError(
            f"state store {safe_url(url)}: only sqlite:// and postgresql:// are supported"
        )
    return url


def safe_url(url: URL) -> str:
    """The URL as text with its password masked."""
    return url.render_as_string(hide_password=True)


def scrub(message: str, url: URL) -> str:
    """``message`` on one line, with the URL's password masked wherever it appears."""
    line = " ".join(message.split())
    if url.password:
        line = line.replace(str(url.password), "***")
    return line


def connect(url: URL) -> Engine:
    """An engine for ``url``. SQLite: WAL, foreign keys, a busy timeout, and real
    transactions (``BEGIN IMMEDIATE`` for connections with ``sqlite_begin``)."""
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def insert(engine: Engine, table: Table) -> Any:
    """The dialect's INSERT for ``table``, which knows ON CONFLICT."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(engine: Engine, table: Table) -> Any:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE every other column."""
    stmt = insert(engine, table)
    keys = [c.name for c in table.primary_key.columns]
    others = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    return stmt.on_conflict_do_update(index_elements=keys, set_=others)
