"""Schema versions: created fresh, migrated forward step by step, newer ones refused."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, inspect, text

from evm_sync.state import SCHEMA_VERSION, StateError, StateStore
from evm_sync.state import engine as db
from evm_sync.state.schema import MIGRATIONS, migrate, stored_version
from tests.state import workers
from tests.state.builders import full_ticket, worklog


@pytest.fixture
def raw(store_url: str) -> Iterator[Engine]:
    """A bare engine on the store's database, as the store itself connects."""
    engine = db.connect(db.parse_url(store_url))
    yield engine
    engine.dispose()


def _version(engine: Engine) -> int:
    with engine.connect() as conn:
        return stored_version(conn)


def _add_sla_breaches(conn: Connection) -> None:
    """A step a later version could add: a column on tickets."""
    conn.execute(text("ALTER TABLE evm_tickets ADD COLUMN sla_breaches INTEGER DEFAULT 0"))


def test_a_fresh_store_is_at_the_current_version_and_keeps_data(store_url: str) -> None:
    with StateStore.open(store_url) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        store.save_page("zd", "tickets", {"c": 1}, tickets=[full_ticket("1")])
    with StateStore.open(store_url) as again:
        assert again.schema_version == SCHEMA_VERSION
        assert again.tickets(["zd"]) == [full_ticket("1")]
        assert again.bookmark("zd", "tickets") == {"c": 1}


def test_a_version_0_database_is_migrated_and_its_other_tables_kept(
    raw: Engine, store_url: str
) -> None:
    notes = Table(
        "legacy_notes", MetaData(), Column("id", Integer, primary_key=True), Column("body", String)
    )
    with raw.begin() as conn:
        notes.create(conn)
        conn.execute(notes.insert().values(id=1, body="keep me"))
    assert _version(raw) == 0

    with StateStore.open(store_url) as store:
        assert store.schema_version == SCHEMA_VERSION
    assert _version(raw) == SCHEMA_VERSION
    with raw.connect() as conn:
        assert conn.execute(notes.select()).all() == [(1, "keep me")]
        assert {"evm_tickets", "evm_worklogs", "evm_locks"} <= set(inspect(conn).get_table_names())


def test_an_older_database_is_migrated_forward_keeping_its_rows(
    raw: Engine, store_url: str
) -> None:
    with StateStore.open(store_url) as store:
        store.save_page(
            "zd", "tickets", {"c": 1}, tickets=[full_ticket("1")], worklogs=[worklog("1", "1")]
        )

    steps = (*MIGRATIONS, _add_sla_breaches)
    with raw.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
        assert migrate(conn, steps) == (SCHEMA_VERSION, SCHEMA_VERSION + 1)
    with raw.begin() as conn:
        assert migrate(conn, steps) == (SCHEMA_VERSION + 1, SCHEMA_VERSION + 1)  # nothing to do
        columns = {c["name"] for c in inspect(conn).get_columns("evm_tickets")}
        assert "sla_breaches" in columns
        assert conn.execute(text("SELECT id, sla_breaches FROM evm_tickets")).all() == [("1", 0)]


def test_all_steps_run_in_order_from_version_0(raw: Engine) -> None:
    with raw.begin() as conn:
        assert migrate(conn, (*MIGRATIONS, _add_sla_breaches)) == (0, SCHEMA_VERSION + 1)
        assert "sla_breaches" in {c["name"] for c in inspect(conn).get_columns("evm_tickets")}


def test_a_failing_step_leaves_the_database_at_its_old_version(raw: Engine, store_url: str) -> None:
    StateStore.open(store_url).close()

    def half_done(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE evm_half (id INTEGER)"))
        raise RuntimeError("step failed")

    with pytest.raises(RuntimeError), raw.begin() as conn:
        migrate(conn, (*MIGRATIONS, half_done))
    assert _version(raw) == SCHEMA_VERSION
    with raw.connect() as conn:
        assert not inspect(conn).has_table("evm_half")


def test_a_newer_schema_is_refused_with_a_clear_error(raw: Engine, store_url: str) -> None:
    StateStore.open(store_url).close()
    with raw.begin() as conn:
        migrate(conn, (*MIGRATIONS, _add_sla_breaches))

    with pytest.raises(StateError) as caught:
        StateStore.open(store_url)
    message = str(caught.value)
    assert f"schema version {SCHEMA_VERSION + 1} is newer than this evm-sync knows" in message
    assert "upgrade evm-sync" in message
    assert db.safe_url(db.parse_url(store_url)) in message


def test_processes_opening_a_fresh_database_at_once_all_succeed(store_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(3, mp_context=ctx) as pool:
        start = manager.Barrier(3)
        futures = [pool.submit(workers.open_version, store_url, start) for _ in range(3)]
        assert [f.result(timeout=120) for f in futures] == [SCHEMA_VERSION] * 3


def test_a_version_1_store_gets_the_parent_column_and_keeps_its_tickets(
    raw: Engine, store_url: str
) -> None:
    with StateStore.open(store_url) as store:
        store.save_page("zd", "tickets", {"c": 1}, tickets=[full_ticket("1")])
    # Make it a version-1 store: no parent column, version 1 recorded.
    with raw.begin() as conn:
        conn.execute(text("ALTER TABLE evm_tickets DROP COLUMN parent"))
        conn.execute(text("UPDATE evm_meta SET value = '1' WHERE key = 'schema_version'"))
    assert _version(raw) == 1
    with StateStore.open(store_url) as store:
        assert store.schema_version == SCHEMA_VERSION == 2
        (kept,) = store.tickets(["zd"])
        assert kept == replace(full_ticket("1"), parent=None)  # the column came after it
    with raw.connect() as conn:
        assert "parent" in {c["name"] for c in inspect(conn).get_columns("evm_tickets")}
