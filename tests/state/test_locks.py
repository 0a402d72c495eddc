"""Leased locks: one holder at a time, across store instances and processes."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta

import pytest

from evm_sync.state import StateStore
from tests.state import workers
from tests.state.builders import PLUS_TWO, T0

LEASE = 60.0


def test_lock_is_held_by_one_owner_until_it_expires_or_is_released(store_url: str) -> None:
    a, b = StateStore.open(store_url), StateStore.open(store_url)
    try:
        assert a.try_lock("job:emea", "A", LEASE, now=T0)
        assert not b.try_lock("job:emea", "B", LEASE, now=T0 + timedelta(seconds=59))
        assert b.try_lock("job:apac", "B", LEASE, now=T0)  # another name is free
        assert a.try_lock("job:emea", "A", LEASE, now=T0 + timedelta(seconds=30))  # renews
        assert not b.try_lock("job:emea", "B", LEASE, now=T0 + timedelta(seconds=89))
        assert b.try_lock("job:emea", "B", LEASE, now=T0 + timedelta(seconds=90))  # expired
        assert not a.renew_lock("job:emea", "A", LEASE, now=T0 + timedelta(seconds=91))
        a.release_lock("job:emea", "A")  # not A's any more: a no-op
        assert not a.try_lock("job:emea", "A", LEASE, now=T0 + timedelta(seconds=92))
        b.release_lock("job:emea", "B")
        assert a.try_lock("job:emea", "A", LEASE, now=T0 + timedelta(seconds=93))
    finally:
        a.close()
        b.close()


def test_renew_extends_the_lease_of_the_holder(store: StateStore) -> None:
    assert store.try_lock("job", "A", LEASE, now=T0)
    assert store.renew_lock("job", "A", LEASE, now=T0 + timedelta(seconds=50))
    assert not store.try_lock("job", "B", LEASE, now=T0 + timedelta(seconds=100))
    assert store.try_lock("job", "B", LEASE, now=T0 + timedelta(seconds=110))
    assert not store.renew_lock("job", "C", LEASE, now=T0)
    assert not store.renew_lock("other", "A", LEASE, now=T0)


def test_lock_times_compare_as_instants(store: StateStore) -> None:
    assert store.try_lock("job", "A", LEASE, now=T0.astimezone(PLUS_TWO))
    assert not store.try_lock("job", "B", LEASE, now=T0 + timedelta(seconds=59))
    assert store.try_lock("job", "B", LEASE, now=(T0 + timedelta(seconds=60)).astimezone(PLUS_TWO))


def test_lock_refuses_naive_now_and_empty_lease(store: StateStore) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        store.try_lock("job", "A", LEASE, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="positive"):
        store.try_lock("job", "A", 0)


def test_lock_taken_without_a_clock_uses_now(store: StateStore) -> None:
    assert store.try_lock("job", "A", LEASE)
    assert not store.try_lock("job", "B", LEASE)
    assert store.try_lock("job", "B", LEASE, now=datetime.now(PLUS_TWO) + timedelta(seconds=61))


NAMES = [f"job:{i}" for i in range(40)]
OWNERS = [f"worker-{i}" for i in range(4)]


def test_only_one_process_wins_each_race_and_expiry_lets_another_in(store_url: str) -> None:
    StateStore.open(store_url).close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(len(OWNERS), mp_context=ctx) as pool:

        def race(now: datetime) -> dict[str, list[str]]:
            """Who took which lock when every owner tries all of NAMES at once."""
            start = manager.Barrier(len(OWNERS))
            futures = {
                o: pool.submit(workers.contend, store_url, o, NAMES, start, now, LEASE)
                for o in OWNERS
            }
            won = {o: f.result(timeout=120) for o, f in futures.items()}
            return {name: [o for o in OWNERS if name in won[o]] for name in NAMES}

        first = race(T0)
        assert all(len(holders) == 1 for holders in first.values()), first
        held = {name: holders[0] for name, holders in first.items()}

        second = race(T0 + timedelta(seconds=30))
        assert second == {name: [held[name]] for name in NAMES}  # only holders renew

        third = race(T0 + timedelta(seconds=90 + 1))
        assert all(len(holders) == 1 for holders in third.values()), third
