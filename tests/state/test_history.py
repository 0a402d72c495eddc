"""Snapshots per job and instant, the push audit log, and runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evm_sync.state import PushRecord, RunRecord, StateStore
from tests.state.builders import PLUS_TWO, T0

DAY = timedelta(days=1)


def test_snapshots_upsert_by_job_and_as_of_and_come_back_ordered(store: StateStore) -> None:
    window = (T0 - 10 * DAY, T0 + 20 * DAY)
    for day in (3, 1, 2):
        store.save_snapshot("emea", T0 + day * DAY, f"run-{day}", {"cpi": day / 10}, {}, *window)
    store.save_snapshot("apac", T0 + DAY, "run-x", {"cpi": 9.0}, {}, None, None)
    finish = (T0 + 5 * DAY).astimezone(PLUS_TWO)
    store.save_snapshot(
        "emea", T0 + 2 * DAY, "run-2b", {"cpi": 0.25, "forecast_finish": finish},
        {"backlog": 4}, *window,
    )  # fmt: skip

    snaps = store.snapshots("emea")
    assert [s.as_of for s in snaps] == [T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY]
    assert [s.run_id for s in snaps] == ["run-1", "run-2b", "run-3"]
    assert snaps[1].figures == {"cpi": 0.25, "forecast_finish": finish.isoformat()}
    assert snaps[1].kpis == {"backlog": 4}
    assert (snaps[1].window_start, snaps[1].window_end) == window
    assert snaps[0].as_of.tzinfo is not None
    apac = store.snapshots("apac")
    assert [(s.figures, s.window_start, s.window_end) for s in apac] == [({"cpi": 9.0}, None, None)]


def test_snapshots_between_since_and_until_inclusive(store: StateStore) -> None:
    for day in range(5):
        store.save_snapshot("emea", T0 + day * DAY, "r", {}, {}, None, None)

    def days(**bounds: object) -> list[int]:
        return [(s.as_of - T0).days for s in store.snapshots("emea", **bounds)]

    assert days(since=T0 + DAY) == [1, 2, 3, 4]
    assert days(until=T0 + 2 * DAY) == [0, 1, 2]
    assert days(since=T0 + DAY, until=T0 + 3 * DAY - timedelta(microseconds=1)) == [1, 2]
    assert days(since=(T0 + 4 * DAY).astimezone(PLUS_TWO)) == [4]


def test_pushes_are_kept_per_job_newest_first(store: StateStore) -> None:
    first = [
        PushRecord("zendesk_organization:42", "evm_cpi", None, 0.93, T0),
        PushRecord("zendesk_organization:42", "evm_status", "green", "amber", T0),
    ]
    later = [
        PushRecord("jira_property:SUP-1:evm", "summary", {"cpi": 0.9}, {"cpi": 1.1}, T0 + DAY),
        PushRecord("jira_issue:SUP-2", "customfield_10050", 1, 2, T0 + DAY, False, "HTTP 400"),
    ]
    store.record_pushes("emea", "run-1", first)
    store.record_pushes("emea", "run-2", later)
    store.record_pushes("apac", "run-3", [PushRecord("t", "f", 1, 2, T0 + 2 * DAY)])
    store.record_pushes("emea", "run-4", [])

    assert store.pushes("emea") == [later[1], later[0], first[1], first[0]]
    assert store.pushes("emea", limit=3) == [later[1], later[0], first[1]]
    assert store.pushes("apac") == [PushRecord("t", "f", 1, 2, T0 + 2 * DAY)]
    assert store.pushes("nobody") == []


def _run(run_id: str, started_days: int, **changes: object) -> RunRecord:
    values: dict[str, object] = {
        "job": "emea",
        "run_id": run_id,
        "started_at": T0 + started_days * DAY,
        "finished_at": T0 + started_days * DAY + timedelta(seconds=42),
        "outcome": "ok",
        "error": None,
        "pulled_tickets": 10,
        "pulled_worklogs": 30,
        "pushed": 2,
    }
    values.update(changes)
    return RunRecord(**values)  # type: ignore[arg-type]


def test_runs_newest_first_and_rerecorded_in_place(store: StateStore) -> None:
    store.record_run(_run("a", 0))
    store.record_run(_run("c", 2, finished_at=None, outcome="skipped", pushed=0))
    store.record_run(_run("b", 1, outcome="failed", error="zendesk: HTTP 503"))
    store.record_run(_run("x", 5, job="apac"))
    finished = _run("c", 2, outcome="ok", pulled_tickets=99)
    store.record_run(finished)

    assert store.runs("emea") == [
        finished,
        _run("b", 1, outcome="failed", error="zendesk: HTTP 503"),
        _run("a", 0),
    ]
    assert store.runs("emea", limit=1) == [finished]
    assert store.runs("apac") == [_run("x", 5, job="apac")]


def test_run_outcome_must_be_known() -> None:
    with pytest.raises(ValueError, match="outcome 'done'"):
        _run("a", 0, outcome="done")
