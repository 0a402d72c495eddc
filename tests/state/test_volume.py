"""Volume: 100,000 tickets and 300,000 worklogs load in pages and read back quickly,
and worklogs stream without holding them all in memory."""

from __future__ import annotations

import time
import tracemalloc
from datetime import timedelta
from itertools import islice

import pytest

from evm_sync.model import Ticket, Worklog
from evm_sync.state import StateStore
from tests.state.builders import T0

TICKETS = 100_000
WORKLOGS = 300_000
PAGE = 1_000
BUDGET_SECONDS = 90  # several times what a laptop needs; catches row-by-row regressions


@pytest.mark.slow
def test_a_large_helpdesk_loads_and_streams_quickly(store: StateStore) -> None:
    tickets = [
        Ticket("zd", str(i), T0 + timedelta(seconds=i), status="open", tags=("a", "b"),
               updated_at=T0, estimate_hours=1.5, group="L1")
        for i in range(TICKETS)
    ]  # fmt: skip
    worklogs = [
        Worklog("zd", str(i), str(i % TICKETS), T0 + timedelta(seconds=i), 900, "ana", T0)
        for i in range(WORKLOGS)
    ]
    started = time.perf_counter()
    for n in range(0, TICKETS, PAGE):
        store.save_page("zd", "tickets", {"after": n}, tickets=tickets[n : n + PAGE])
    for n in range(0, WORKLOGS, PAGE):
        store.save_page("zd", "worklogs", {"after": n}, worklogs=worklogs[n : n + PAGE])
    loaded = time.perf_counter()

    assert store.counts() == {"zd": {"tickets": TICKETS, "worklogs": WORKLOGS}}
    assert len(store.tickets(["zd"])) == TICKETS

    seconds = sum(w.seconds for w in store.worklogs(["zd"]))
    finished = time.perf_counter()

    tracemalloc.start()
    try:
        stream = store.worklogs(["zd"])
        assert sum(1 for _ in islice(stream, 100_000)) == 100_000
        _current, peak = tracemalloc.get_traced_memory()
        stream.close()
    finally:
        tracemalloc.stop()

    assert seconds == 900 * WORKLOGS
    assert peak < 20_000_000, f"streaming 100,000 worklogs peaked at {peak / 1e6:.0f} MB"
    assert loaded - started < BUDGET_SECONDS, f"loading took {loaded - started:.1f} s"
    assert finished - loaded < BUDGET_SECONDS, f"reading took {finished - loaded:.1f} s"
