"""Contract tests: real recorded Zendesk responses (Airbyte's connector tests) and the
official spec's examples, replayed through the connector; values checked by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Scope, Target, Write
from connectors.zendesk.fields import FieldInfo
from connectors.zendesk.normalize import TicketContext, normalize_ticket
from connectors.zendesk.push import job_results
from tests.zendesk.conftest import BASE

API = Path(__file__).resolve().parents[2].parent / "shared" / "api"
RECORDED = API / "recorded" / "airbyte" / "source-zendesk-support"
EXAMPLES = API / "spec_examples" / "zendesk_oas_response_examples.json"

pytestmark = pytest.mark.skipif(not RECORDED.is_dir(), reason=f"{RECORDED} is absent")


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


def example(operation: str) -> dict:
    examples = json.loads(EXAMPLES.read_text())
    [key] = [k for k in examples if k.endswith(f"({operation})")]
    return examples[key]["default"]


def test_recorded_export_page_normalizes(api, make_connector):
    body = recorded("tickets.json")
    api.get(f"{BASE}/api/v2/incremental/tickets/cursor.json", json=body)
    [page] = list(make_connector().pull("tickets", None, Scope()))
    assert dict(page.bookmark) == {"after_cursor": "MTU3NjYxMzUzOS4wfHw0Njd8",
                                   "generated_timestamp": 1723660897}  # fmt: skip
    [t] = page.tickets
    assert (t.id, t.type, t.priority, t.status, t.status_category) == (
        "35436", "incident", "high", "open", "in_progress")  # fmt: skip
    assert (t.group, t.organization, t.assignee, t.brand, t.form) == (
        "98738", "509974", "235323", None, None)  # fmt: skip
    assert t.tags == ("enterprise", "other_tag")
    assert t.created_at == datetime(2009, 7, 20, 22, 55, 29, tzinfo=UTC)
    assert t.updated_at == datetime(2011, 5, 5, 10, 38, 52, tzinfo=UTC)
    assert t.due_at is None and t.resolved_at is None and t.sla_due_at is None
    assert t.satisfaction == "good" and not t.deleted and t.reopens == 0


def test_recorded_custom_field_text_value_reads_as_estimate():
    [raw] = recorded("tickets.json")["tickets"]
    t = normalize_ticket(raw, None, TicketContext("zd", estimate_field_id=27642))
    assert t.estimate_hours == 745.0


@pytest.mark.parametrize("name", ["ticket_metrics.json", "stateless_ticket_metrics.json"])
def test_recorded_metrics_join_as_metric_sets(name):
    body = recorded(name)
    metric = body.get("ticket_metric") or body["ticket_metrics"][0]
    [raw] = recorded("tickets.json")["tickets"]
    raw = {**raw, "id": metric["ticket_id"], "status": "solved"}
    t = normalize_ticket(raw, metric, TicketContext("zd"))
    # ticket 145's metrics: never solved, never reopened, no reply yet
    assert (t.id, t.resolved_at, t.reopens, t.first_reply_minutes) == ("145", None, 0, None)


def test_recorded_ticket_fields_are_read(api, make_connector):
    api.get(f"{BASE}/api/v2/ticket_fields.json", json=recorded("ticket_fields.json"))
    fields = make_connector().catalog.ticket_fields()
    assert fields == (FieldInfo(id=12345, title="Subject", type="text"),)


def test_spec_update_many_and_job_status_examples(api, make_connector):
    api.get(f"{BASE}/api/v2/ticket_fields.json", json={"ticket_fields": [
        {"id": 9, "title": "EVM CPI", "type": "decimal"}], "next_page": None})  # fmt: skip
    queued = example("TicketsUpdateMany")
    queued["job_status"] = {**queued["job_status"], "status": "queued"}
    api.put(f"{BASE}/api/v2/tickets/update_many.json", json=queued)
    job_id = queued["job_status"]["id"]
    api.get(f"{BASE}/api/v2/job_statuses/{job_id}.json", json=example("TicketsUpdateMany"))
    writes = [Write(Target("zendesk_ticket", str(i)), {"EVM CPI": 1.0}) for i in (244, 245, 246)]
    results = make_connector().push(writes)
    assert [r.ok for r in results] == [True, True, False]


def test_spec_show_job_status_example_reads(api, make_connector):
    status = example("ShowJobStatus")["job_status"]
    [ok] = job_results(status, [Target("zendesk_ticket", "380")])
    assert ok.ok
