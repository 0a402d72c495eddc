"""The generated helpdesk: deterministic, realistic, quick."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from evm_sync.sandbox.clock import parse_jira_time
from evm_sync.sandbox.jira_data import STORY_POINTS
from evm_sync.sandbox.seed import generated
from evm_sync.sandbox.zendesk_store import ESTIMATE_TITLE, TOTAL_TITLE

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def world():
    return generated(3000, 7, NOW)


def fingerprint(world) -> tuple:
    _, zendesk, jira = world
    return (
        sorted(
            (t["id"], t["generated_timestamp"], t["status"], str(t["custom_fields"]))
            for t in zendesk.tickets.values()
        ),
        list(zendesk.audits),
        sorted(jira.issues),
        sorted((w["id"], w["started"], w["timeSpentSeconds"]) for w in jira.worklogs.values()),
    )


def test_same_seed_and_clock_give_the_same_data(world):
    assert fingerprint(world) == fingerprint(generated(3000, 7, NOW))
    assert fingerprint(world) != fingerprint(generated(3000, 8, NOW))


def test_tickets_look_like_a_helpdesk(world):
    clock, zendesk, _ = world
    tickets = list(zendesk.tickets.values())
    statuses = Counter(t["status"] for t in tickets)
    assert {"new", "open", "pending", "solved", "closed", "deleted"} <= set(statuses)
    assert {t["type"] for t in tickets} == {"question", "incident", "problem", "task"}
    assert None in {t["priority"] for t in tickets}, "some tickets have no priority"
    assert len({t["group_id"] for t in tickets}) > 1
    assert len({t["organization_id"] for t in tickets}) > 1
    estimate = zendesk.field_id(ESTIMATE_TITLE)
    estimates = [zendesk.custom_value(t, estimate) for t in tickets]
    assert "0" in estimates and 0.3 < sum(e is not None for e in estimates) / len(tickets) < 0.8
    assert any(m[3] > 0 for m in zendesk.metrics.values()), "some tickets were reopened"
    assert all(t["due_at"] for t in tickets if t["type"] == "task")
    newest = max(t["generated_timestamp"] for t in tickets)
    assert newest <= clock.epoch() - 60 and max(a.timestamp for a in zendesk.audits) <= newest


def test_time_is_logged_over_time_and_sometimes_after_solving(world):
    _, zendesk, _ = world
    total = str(zendesk.field_id(TOTAL_TITLE))
    entries = [a for a in zendesk.audits if any(c[0] == total for c in a.changes)]
    solved_at = {tid: m[2] for tid, m in zendesk.metrics.items() if m[2]}
    assert len({a.timestamp // 86400 for a in entries}) > 200, "spread over many days"
    assert any(a.timestamp > solved_at.get(a.ticket_id, float("inf")) for a in entries)


def test_jira_issues_have_estimates_points_and_worklogs(world):
    _, _, jira = world
    fields = [i["fields"] for i in jira.issues.values()]
    assert {f["status"]["statusCategory"]["key"] for f in fields} == {
        "new",
        "indeterminate",
        "done",
    }
    assert 0 in {f["timeoriginalestimate"] for f in fields}, "a zero estimate"
    assert any(f[STORY_POINTS] for f in fields) and any(f[STORY_POINTS] is None for f in fields)
    assert all(f["resolutiondate"] for f in fields if f["resolution"])
    late = [
        w
        for w in jira.worklogs.values()
        if (f := jira.issues[jira.by_id[w["issueId"]]]["fields"])["resolutiondate"]
        and parse_jira_time(w["started"]) > parse_jira_time(f["resolutiondate"])
    ]
    assert late, "some work is logged after resolution"
    for key, ids in jira.issue_worklogs.items():
        spent = sum(jira.worklogs[w]["timeSpentSeconds"] for w in ids) or None
        assert jira.issues[key]["fields"]["timespent"] == spent


@pytest.mark.slow
def test_a_hundred_thousand_tickets_generate_in_seconds():
    began = time.process_time()
    clock, zendesk, _ = generated(100_000, 1, NOW)
    assert time.process_time() - began < 10
    assert len(zendesk.tickets) == 100_000
    assert max(t["generated_timestamp"] for t in zendesk.tickets.values()) <= clock.epoch() - 60
