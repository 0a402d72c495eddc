"""Tickets, worklogs, bookmarks and scopes: upserts, atomic pages, round trips."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from evm_sync.model import Worklog
from evm_sync.state import StateError, StateStore
from evm_sync.state.store import STREAM_BATCH
from tests.state.builders import T0, bare_ticket, full_ticket, worklog


def test_tickets_and_worklogs_come_back_equal_and_in_utc(store: StateStore) -> None:
    tickets = [full_ticket("1"), bare_ticket("2"), full_ticket("3", tags=(), deleted=True)]
    logs = [worklog("10", "1"), worklog("11", "2", author=None, updated_at=None)]
    store.save_page("zd", "tickets", {"cursor": "c1"}, tickets=tickets, worklogs=logs)

    read = store.tickets(["zd"])
    assert read == tickets
    assert list(store.worklogs(["zd"])) == logs
    for ticket in read:
        assert ticket.created_at.tzinfo is UTC
        assert ticket.updated_at is None or ticket.updated_at.tzinfo is UTC
    assert read[0].created_at.microsecond == T0.microsecond
    assert isinstance(read[0].tags, tuple)


def test_save_page_upserts_by_source_and_id(store: StateStore) -> None:
    store.save_page("zd", "tickets", {"n": 1}, tickets=[full_ticket("1"), full_ticket("2")])
    store.save_page("jira", "issues", {"n": 1}, tickets=[full_ticket("1", source="jira")])
    changed = full_ticket("1", status="solved", resolved_at=T0 + timedelta(days=1), tags=("x",))
    store.save_page("zd", "tickets", {"n": 2}, tickets=[changed])

    assert store.tickets(["zd"]) == [changed, full_ticket("2")]
    assert store.tickets(["jira"]) == [full_ticket("1", source="jira")]
    assert store.counts() == {
        "zd": {"tickets": 2, "worklogs": 0},
        "jira": {"tickets": 1, "worklogs": 0},
    }


def test_worklogs_upsert_and_deleted_ids_remove_only_that_source(store: StateStore) -> None:
    store.save_page("zd", "worklogs", {}, worklogs=[worklog("1", "7"), worklog("2", "7")])
    store.save_page("jira", "worklogs", {}, worklogs=[worklog("1", "7", source="jira")])
    longer = worklog("2", "7", seconds=7200)
    store.save_page(
        "zd", "worklogs", {"since": 5}, worklogs=[longer], deleted_worklog_ids=["1", "404"]
    )

    assert list(store.worklogs(["zd"])) == [longer]
    assert list(store.worklogs(["jira"])) == [worklog("1", "7", source="jira")]
    assert store.counts()["zd"] == {"tickets": 0, "worklogs": 1}


def test_bookmark_per_source_stream_and_scope(store: StateStore) -> None:
    assert store.bookmark("zd", "tickets") is None
    store.save_page("zd", "tickets", {"cursor": "a"})
    store.save_page("zd", "tickets", {"cursor": "b", "at": T0})
    store.save_page("zd", "worklogs", {"start_time": 1})
    store.save_page("jira", "issues", {"jql_since": "x"}, scope_key="project = SUP")

    assert store.bookmark("zd", "tickets") == {"cursor": "b", "at": T0.isoformat()}
    assert store.bookmark("zd", "worklogs") == {"start_time": 1}
    assert store.bookmark("jira", "issues") is None
    assert store.bookmark("jira", "issues", "project = SUP") == {"jql_since": "x"}


def test_failing_worklog_leaves_tickets_and_bookmark_as_they_were(store: StateStore) -> None:
    store.save_page("zd", "tickets", {"cursor": "a"}, tickets=[full_ticket("1")])
    orphan = Worklog("zd", "9", None, T0, 60)  # type: ignore[arg-type]

    with pytest.raises(StateError, match="saving a page of zd/tickets"):
        store.save_page(
            "zd",
            "tickets",
            {"cursor": "b"},
            tickets=[full_ticket("1", status="solved"), full_ticket("2")],
            worklogs=[worklog("8", "1"), orphan],
        )

    assert store.tickets(["zd"]) == [full_ticket("1")]
    assert list(store.worklogs(["zd"])) == []
    assert store.bookmark("zd", "tickets") == {"cursor": "a"}


def test_unserializable_bookmark_rolls_back_the_whole_page(store: StateStore) -> None:
    store.save_page("zd", "tickets", {"cursor": "a"}, tickets=[full_ticket("1")], scope_key="k")

    with pytest.raises(StateError, match="bookmark is not JSON"):
        store.save_page(
            "zd",
            "tickets",
            {"cursor": object()},
            tickets=[full_ticket("1", status="solved"), full_ticket("2")],
            worklogs=[worklog("5", "2")],
            deleted_worklog_ids=["5"],
            scope_key="k",
        )

    assert store.tickets(["zd"]) == [full_ticket("1")]
    assert store.tickets(["zd"], {"zd": "k"}) == [full_ticket("1")]
    assert store.counts() == {"zd": {"tickets": 1, "worklogs": 0}}
    assert store.bookmark("zd", "tickets", "k") == {"cursor": "a"}


def test_naive_timestamp_is_refused_and_nothing_stored(store: StateStore) -> None:
    naive = bare_ticket("2", updated_at=datetime(2026, 1, 1))
    with pytest.raises(StateError, match="no time zone"):
        store.save_page("zd", "tickets", {"cursor": "x"}, tickets=[bare_ticket("1"), naive])
    assert store.counts() == {}
    assert store.bookmark("zd", "tickets") is None


def test_page_with_records_of_another_source_is_refused(store: StateStore) -> None:
    with pytest.raises(StateError, match="other sources: jira"):
        store.save_page("zd", "tickets", {}, tickets=[bare_ticket("1", source="jira")])
    assert store.counts() == {}


def test_scope_membership_filters_only_the_named_source(store: StateStore) -> None:
    store.save_page("jira", "issues", {}, tickets=[full_ticket("1", "jira")], scope_key="A")
    store.save_page(
        "jira", "issues", {}, tickets=[full_ticket("2", "jira"), full_ticket("1", "jira")],
        scope_key="B",
    )  # fmt: skip
    store.save_page("jira", "issues", {}, tickets=[full_ticket("3", "jira")])
    store.save_page("zd", "tickets", {}, tickets=[full_ticket("1"), full_ticket("2")])

    def ids(sources: list[str], scopes: dict[str, str] | None = None) -> list[tuple[str, str]]:
        return [(t.source, t.id) for t in store.tickets(sources, scopes)]

    assert ids(["jira"], {"jira": "A"}) == [("jira", "1")]
    assert ids(["jira"], {"jira": "B"}) == [("jira", "1"), ("jira", "2")]
    assert ids(["jira"], {"jira": "C"}) == []
    assert ids(["jira"]) == [("jira", "1"), ("jira", "2"), ("jira", "3")]
    assert ids(["jira", "zd"], {"jira": "A"}) == [("jira", "1"), ("zd", "1"), ("zd", "2")]
    assert ids([]) == []


def test_forget_source_drops_only_that_source(store: StateStore) -> None:
    for source in ("zd", "jira"):
        store.save_page(
            source, "tickets", {"c": source}, tickets=[bare_ticket("1", source)],
            worklogs=[worklog("1", "1", source)], scope_key="k",
        )  # fmt: skip
        store.save_page(source, "worklogs", {"c": source})

    store.forget_source("zd")

    assert store.counts() == {"jira": {"tickets": 1, "worklogs": 1}}
    assert store.bookmark("zd", "tickets", "k") is None
    assert store.bookmark("zd", "worklogs") is None
    assert store.bookmark("jira", "tickets", "k") == {"c": "jira"}
    assert store.tickets(["jira"], {"jira": "k"}) == [bare_ticket("1", "jira")]
    store.save_page("zd", "tickets", {}, tickets=[bare_ticket("1")])  # membership gone too
    assert store.tickets(["zd"], {"zd": "k"}) == []


def test_worklogs_stream_lazily_across_batches(store: StateStore) -> None:
    n = STREAM_BATCH + 7
    logs = [worklog(f"{i:06d}", "1", started_at=T0 + timedelta(seconds=i)) for i in range(n)]
    store.save_page("zd", "worklogs", {}, worklogs=logs)
    store.save_page("jira", "worklogs", {}, worklogs=[worklog("1", "1", "jira")])

    stream = store.worklogs(["zd"])
    assert isinstance(stream, Iterator)
    assert next(stream) == logs[0]
    assert list(stream) == logs[1:]
    assert list(store.worklogs([])) == []


def test_a_record_repeated_within_one_page_keeps_its_last_version(store: StateStore) -> None:
    newer = full_ticket("1", status="solved")
    store.save_page(
        "zd", "tickets", {}, tickets=[full_ticket("1"), newer], scope_key="k",
        worklogs=[worklog("5", "1"), worklog("5", "1", seconds=60)],
    )  # fmt: skip
    assert store.tickets(["zd"], {"zd": "k"}) == [newer]
    assert list(store.worklogs(["zd"])) == [worklog("5", "1", seconds=60)]
