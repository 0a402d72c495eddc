"""What every part of the state store shares: the engine, transactions, error wording."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Self

from sqlalchemy import URL, Connection, Engine, Table
from sqlalchemy.exc import SQLAlchemyError

from evm_sync.state import engine as db
from evm_sync.state.records import StateError


class StoreBase:
    """The engine and the helpers the store's parts (pages, history, locks) build on."""

    def __init__(self, engine: Engine, url: URL, schema_version: int) -> None:
        self._engine = engine
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._url = url
        self._schema_version = schema_version

    @property
    def schema_version(self) -> int:
        return self._schema_version

    @property
    def url(self) -> str:
        """The store's URL with its password masked."""
        return db.safe_url(self._url)

    def __repr__(self) -> str:
        return f"StateStore({self.url})"

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _error(self, what: str, exc: BaseException) -> StateError:
        cause = getattr(exc, "orig", None) or exc
        detail = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        return StateError(db.scrub(f"state store {self.url}: {what}: {detail}", self._url))

    @contextmanager
    def _write(self, what: str) -> Iterator[Connection]:
        """One writing transaction: all of it is stored or none; errors become StateError."""
        try:
            with self._writer.begin() as conn:
                yield conn
        except StateError:
            raise
        except (SQLAlchemyError, TypeError, ValueError) as exc:
            raise self._error(what, exc) from exc

    @contextmanager
    def _read(self, what: str) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except (SQLAlchemyError, ValueError) as exc:
            raise self._error(what, exc) from exc

    def _upsert(self, table: Table) -> Any:
        return db.upsert(self._engine, table)

    def _insert(self, table: Table) -> Any:
        return db.insert(self._engine, table)


def aware_now(now: datetime | None) -> datetime:
    """``now`` checked to be timezone-aware, or the current UTC time."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"timestamp {now.isoformat()} has no time zone")
    return now.astimezone(UTC)
