"""Integration against the sandbox over loopback: a full pull of 5,000 tickets and
their time entries, an incremental pull reading only what changed, and a push read
back through the API. The connector's sleeps advance the sandbox clock, so waiting
for a rate limit or a job costs no real time."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from connectors.base import FieldSpec, Scope, Target, Write
from connectors.zendesk.connector import ZendeskConnector
from evm_sync.sandbox import Sandbox

TOTAL = "Total time spent (sec)"
EXPORT = "GET /api/v2/incremental/tickets/cursor.json"
EVENTS = "GET /api/v2/incremental/ticket_events.json"


def connect(sb, **overrides) -> ZendeskConnector:
    options = {
        "subdomain": None, "url": sb.url, "email": sb.email, "token": sb.token,
        "start": None, "estimate_field": "Estimate (hours)",
        "time_fields": {"total": TOTAL, "last_update": "Time spent last update (sec)"},
        "max_quota_share": 1.0, "per_page": 1000, "timeout": 10.0,
        "retry": {"attempts": 8, "max_retry_after": 120.0},
    }  # fmt: skip
    options.update(overrides)
    return ZendeskConnector.from_options(
        "zd", options, sleep=sb.advance, clock=lambda: sb.now().timestamp()
    )


def pull(connector, stream, bookmark=None):
    pages = list(connector.pull(stream, bookmark, Scope()))
    return pages, (pages[-1].bookmark if pages else bookmark)


def field_id(sb, title):
    return next(f["id"] for f in sb.zendesk.ticket_fields if f["title"] == title)


def stored_total(sb, ticket):
    fid = field_id(sb, TOTAL)
    return int(next((c["value"] for c in ticket["custom_fields"] if c["id"] == fid), 0) or 0)


def settled(sandbox):
    """Move past the generated data's last change: some generated tickets change up
    to a day after ``now`` (reported to the sandbox owner), and the exports rightly
    withhold what is not yet in the past."""
    latest = max(t["generated_timestamp"] for t in sandbox.zendesk.tickets.values())
    sandbox.advance(max(0.0, latest - sandbox.now().timestamp()) + 120)
    return sandbox


@pytest.fixture(scope="module")
def sb():
    with Sandbox.start(tickets=5000, seed=7, now="2026-11-20T12:00:00Z") as sandbox:
        yield settled(sandbox)


@pytest.mark.slow
def test_full_then_incremental_pull(sb):
    connector = connect(sb)
    pages, ticket_mark = pull(connector, "tickets")
    tickets = {t.id: t for p in pages for t in p.tickets}
    assert set(tickets) == {str(i) for i in sb.zendesk.tickets}
    assert len(tickets) == 5000
    assert connector.request_counts()[EXPORT] == len(pages) <= 6
    raw = sb.zendesk.tickets
    assert {i for i, t in tickets.items() if t.deleted} == {
        str(i) for i, t in raw.items() if t["status"] == "deleted"}  # fmt: skip
    estimate = field_id(sb, "Estimate (hours)")
    for ticket_id, ticket in tickets.items():
        value = next((c["value"] for c in raw[int(ticket_id)]["custom_fields"]
                      if c["id"] == estimate), None)  # fmt: skip
        assert ticket.estimate_hours == (None if value is None else float(value))
        assert ticket.status == raw[int(ticket_id)]["status"]
    assert all(t.resolved_at for t in tickets.values() if t.status in ("solved", "closed"))
    assert any(t.sla_due_at for t in tickets.values())

    entries, event_mark = pull(connector, "time_entries")
    worklogs = {w.id: w for p in entries for w in p.worklogs}
    logged = Counter()
    for w in worklogs.values():
        logged[w.ticket_id] += w.seconds
    for ticket_id, ticket in raw.items():
        assert logged[str(ticket_id)] == stored_total(sb, ticket), ticket_id

    # what changes next: one ticket edited, one with time logged, by the API's clock
    open_ids = [i for i, t in raw.items() if t["status"] == "open"]
    edited, worked = open_ids[0], open_ids[1]
    sb.advance(30)
    sb.zendesk.update_ticket(edited, priority="urgent")
    sb.zendesk.add_time_entry(worked, 900, 9005)
    sb.advance(120)  # the exports withhold the last minute
    sb.reset_requests()
    before = connector.request_counts()

    pages, _ = pull(connector, "tickets", ticket_mark)
    changed = {t.id: t for p in pages for t in p.tickets}
    assert set(changed) == {str(edited), str(worked)}
    assert changed[str(edited)].priority == "urgent"
    new_entries, _ = pull(connector, "time_entries", event_mark)
    fresh = [w for p in new_entries for w in p.worklogs if w.id not in worklogs]
    assert [(w.ticket_id, w.seconds, w.author) for w in fresh] == [(str(worked), 900, "9005")]
    after = connector.request_counts()
    assert after[EXPORT] - before[EXPORT] == 1 and after[EVENTS] - before[EVENTS] == 1
    assert {r.path for r in sb.requests} <= {
        "/api/v2/incremental/tickets/cursor.json", "/api/v2/incremental/ticket_events.json",
        "/api/v2/ticket_fields.json"}  # fmt: skip
    connector.close()


@pytest.fixture
def small():
    with Sandbox.start(tickets=60, seed=3, now="2026-11-20T12:00:00Z") as sandbox:
        yield settled(sandbox)


def specs():
    return [
        FieldSpec("evm_cpi", "zendesk_ticket", "EVM CPI", "number"),
        FieldSpec("evm_status", "zendesk_ticket", "EVM status", "text"),
        FieldSpec("evm_forecast_finish", "zendesk_ticket", "EVM forecast finish", "date"),
        FieldSpec("evm_cpi", "zendesk_organization", "evm_cpi", "number"),
    ]


def test_fields_push_and_read_back(small):
    connector = connect(small)
    assert {r.action for r in connector.ensure_fields(specs(), create=False)} == {"missing"}
    created = connector.ensure_fields(specs(), create=True)
    assert [r.action for r in created] == ["created"] * 4
    assert [r.action for r in connector.ensure_fields(specs(), create=False)] == ["exists"] * 4

    raw = small.zendesk.tickets
    summary = next(i for i, t in raw.items() if t["status"] not in ("closed", "deleted"))
    closed = next(i for i, t in raw.items() if t["status"] == "closed")
    org = next(iter(small.zendesk.organizations))
    values = {"EVM CPI": 0.87, "EVM status": "at risk", "EVM forecast finish": "2026-12-24"}
    ticket, org_target = Target("zendesk_ticket", str(summary)), Target("zendesk_organization",
                                                                          str(org))  # fmt: skip
    seen_entries, bookmark = pull(connector, "time_entries")
    seen = {w.id for p in seen_entries for w in p.worklogs}
    _, ticket_mark = pull(connector, "tickets")
    before = {t.id: t for p in pull(connector, "tickets")[0] for t in p.tickets}[str(summary)]
    results = connector.push([
        Write(ticket, values),
        Write(Target("zendesk_ticket", str(closed)), {"EVM CPI": 1.0}),
        Write(org_target, {"evm_cpi": 0.87}),
    ])  # fmt: skip
    assert [r.ok for r in results] == [True, False, True]
    assert "closed prevents ticket update" in results[1].error

    read = connector.read([ticket, org_target], [*values, "evm_cpi"])
    assert read[ticket] == values
    assert read[org_target] == {"evm_cpi": 0.87}
    cpi = field_id(small, "EVM CPI")
    assert {"id": cpi, "value": 0.87} in raw[summary]["custom_fields"]

    # our own update: no time entry, and the re-exported ticket is unchanged work
    small.advance(120)
    entries, _ = pull(connector, "time_entries", bookmark)
    assert [w for p in entries for w in p.worklogs if w.id not in seen] == []
    again = {t.id: t for p in pull(connector, "tickets", ticket_mark)[0] for t in p.tickets}
    assert replace(again[str(summary)], updated_at=before.updated_at) == before
    connector.close()


def test_pull_survives_faults_and_rate_limits(small):
    small.set_faults("429=0.15,500=0.1,drop=0.05", seed=1)
    small.set_rate_limit(per_minute=700, export_per_minute=10)
    connector = connect(small, per_page=5, max_quota_share=0.5)
    pages, _ = pull(connector, "tickets")
    assert {t.id for p in pages for t in p.tickets} == {str(i) for i in small.zendesk.tickets}
    exports = [r for r in small.requests if r.path == "/api/v2/incremental/tickets/cursor.json"]
    statuses = Counter(r.status for r in exports)
    assert statuses[200] >= len(pages) and statuses[429] + statuses[500] > 0
    connector.close()
