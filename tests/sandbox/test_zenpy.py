"""zenpy, set up only with the sandbox's address and credentials, pages and writes."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from zenpy import Zenpy
from zenpy.lib.api_objects import CustomField, Ticket
from zenpy.lib.exception import APIException

from evm_sync.sandbox import Sandbox
from evm_sync.sandbox.zendesk_store import TOTAL_TITLE


def client(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Zenpy:
    address = urlparse(sandbox.url)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", address.scheme)
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", address.netloc)
    return Zenpy(subdomain="sandbox", email=sandbox.email, token=sandbox.token)


def test_zenpy_pages_every_ticket_with_metric_sets(big: Sandbox, monkeypatch):
    zenpy = client(big, monkeypatch)
    pages = zenpy.tickets.incremental(start_time=0, include=["metric_sets"], per_page=1000)
    seen, metric_ids, last_json = [], set(), None
    for ticket in pages:
        seen.append((ticket.generated_timestamp, ticket.id, ticket.status))
        if pages._response_json is not last_json:
            last_json = pages._response_json
            metric_ids |= {m["ticket_id"] for m in last_json["metric_sets"]}
    assert sorted(t[1] for t in seen) == sorted(big.zendesk.tickets)
    assert [t[:2] for t in seen] == sorted(t[:2] for t in seen), "ordered by generated_timestamp"
    deleted = {t[1] for t in seen if t[2] == "deleted"}
    assert deleted, "deleted tickets come back with status deleted"
    assert metric_ids == {t[1] for t in seen} - deleted
    assert pages.end_of_stream is True and pages.after_cursor


def test_zenpy_resumes_from_the_bookmark(big: Sandbox, monkeypatch):
    zenpy = client(big, monkeypatch)
    first = zenpy.tickets.incremental(start_time=0, per_page=1000)
    total = sum(1 for _ in first)
    again = list(zenpy.tickets.incremental(cursor=first.after_cursor))
    assert total == len(big.zendesk.tickets)
    assert again == []


def test_zenpy_updates_a_custom_field_and_reads_it_back(sb: Sandbox, monkeypatch):
    zenpy = client(sb, monkeypatch)
    field = next(f for f in zenpy.ticket_fields() if f.title == TOTAL_TITLE)
    open_id = next(t["id"] for t in sb.zendesk.tickets.values() if t["status"] == "open")
    ticket = zenpy.tickets(id=open_id)
    ticket.custom_fields = [CustomField(id=field.id, value="7200")]
    zenpy.tickets.update(ticket)
    again = zenpy.tickets(id=open_id)
    assert {c["id"]: c["value"] for c in again.custom_fields}[field.id] == "7200"
    assert again.updated_at == sb.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_zenpy_bulk_update_returns_a_job_with_per_ticket_results(sb: Sandbox, monkeypatch):
    zenpy = client(sb, monkeypatch)
    by_status = {}
    for t in sb.zendesk.tickets.values():
        by_status.setdefault(t["status"], t["id"])
    targets = [by_status["open"], by_status["closed"]]
    job = zenpy.tickets.update([Ticket(id=i, tags=["evm"]) for i in targets])
    polled = zenpy.job_status(id=job.id)
    outcome = {r.id: r.success for r in polled.results}
    assert polled.status == "completed"
    assert outcome == {by_status["open"]: True, by_status["closed"]: False}
    assert sb.zendesk.tickets[by_status["open"]]["tags"] == ["evm"]


def test_closed_tickets_refuse_updates(sb: Sandbox, monkeypatch):
    zenpy = client(sb, monkeypatch)
    closed = next(t["id"] for t in sb.zendesk.tickets.values() if t["status"] == "closed")
    with pytest.raises(APIException, match="closed prevents ticket update"):
        zenpy.tickets.update(Ticket(id=closed, tags=["x"]))
