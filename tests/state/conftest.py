"""Every state-store test runs on SQLite (a file in tmp_path) and on PostgreSQL (a
fresh schema of its own, dropped afterwards, since other runs share the database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from evm_sync.state import StateStore

PG_DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pg_base_url() -> str:
    return os.environ.get("EVM_SYNC_TEST_PG_URL", PG_DEFAULT_URL)


def _admin_engine(base: str) -> Engine:
    url = make_url(base).set(drivername="postgresql+psycopg")
    return create_engine(url, connect_args={"connect_timeout": 3})


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A postgresql:// URL whose search_path is a fresh schema, dropped afterwards."""
    base = pg_base_url()
    admin = _admin_engine(base)
    schema = f"evm_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        admin.dispose()
        shown = make_url(base).render_as_string(hide_password=True)
        pytest.skip(f"PostgreSQL not reachable at {shown}: start it or set EVM_SYNC_TEST_PG_URL")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url: str) -> Iterator[StateStore]:
    opened = StateStore.open(store_url)
    try:
        yield opened
    finally:
        opened.close()
