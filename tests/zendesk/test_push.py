"""Reading and writing EVM fields: typed reads, update_many chunks, job statuses,
per-ticket failures, collisions, organizations, and finding/creating fields."""

from __future__ import annotations

import json
from datetime import date

import pytest

from connectors.base import FieldSpec, Target, Write
from tests.zendesk.conftest import BASE, add_fields

UPDATE_MANY = f"{BASE}/api/v2/tickets/update_many.json"


def job(job_id, status, results=(), message=None):
    return {"job_status": {"id": job_id, "status": status, "results": list(results),
                           "message": message, "total": len(results),
                           "url": f"{BASE}/api/v2/job_statuses/{job_id}.json"}}  # fmt: skip


def updated(ticket_id):
    return {"id": ticket_id, "action": "update", "status": "Updated", "success": True}


def sent_tickets(call):
    return json.loads(call.request.body)["tickets"]


def test_read_types_values_by_field_type(api, make_connector):
    add_fields(api)
    api.get(f"{BASE}/api/v2/tickets/show_many.json", json={"tickets": [{"id": 5, "custom_fields": [
        {"id": 504, "value": "1.25"}, {"id": 505, "value": "on track"},
        {"id": 506, "value": "2026-12-01"}, {"id": 501, "value": "3600"}]}]})  # fmt: skip
    api.get(f"{BASE}/api/v2/organizations/8.json", json={"organization": {
        "id": 8, "organization_fields": {"evm_cpi": 0.5, "evm_status": None}}})  # fmt: skip
    ticket, org = Target("zendesk_ticket", "5"), Target("zendesk_organization", "8")
    values = make_connector().read(
        [ticket, org], ["EVM CPI", "505", "EVM forecast", "Total time spent (sec)", "nope"]
    )
    assert values[ticket] == {"EVM CPI": 1.25, "505": "on track", "EVM forecast": "2026-12-01",
                              "Total time spent (sec)": 3600}  # fmt: skip
    assert values[org] == {"EVM CPI": 0.5}
    assert make_connector().read([org], ["evm_cpi", "evm_status"])[org] == {
        "evm_cpi": 0.5, "evm_status": None}  # fmt: skip


def test_read_leaves_out_a_missing_target(api, make_connector):
    add_fields(api)
    api.get(f"{BASE}/api/v2/tickets/show_many.json", json={"tickets": []})
    api.get(f"{BASE}/api/v2/organizations/404.json", status=404,
            json={"error": "RecordNotFound", "description": "Not found"})  # fmt: skip
    targets = [Target("zendesk_ticket", "404"), Target("zendesk_organization", "404")]
    assert make_connector().read(targets, ["EVM CPI"]) == {}


def test_read_asks_for_tickets_100_at_a_time(api, make_connector):
    add_fields(api)

    def answer(request):
        ids = request.params["ids"].split(",")
        tickets = [{"id": int(i), "custom_fields": [{"id": 504, "value": i}]} for i in ids]
        return 200, {}, json.dumps({"tickets": tickets})

    api.add_callback("GET", f"{BASE}/api/v2/tickets/show_many.json", callback=answer)
    targets = [Target("zendesk_ticket", str(i)) for i in range(1, 151)]
    values = make_connector().read(targets, ["EVM CPI"])
    calls = [c for c in api.calls if "show_many" in c.request.url]
    assert [len(c.request.params["ids"].split(",")) for c in calls] == [100, 50]
    assert values[Target("zendesk_ticket", "150")] == {"EVM CPI": 150.0}


def test_push_chunks_101_updates_into_two_calls_of_at_most_100(api, make_connector):
    add_fields(api)
    api.put(UPDATE_MANY, json=job("j1", "queued"))
    api.put(UPDATE_MANY, json=job("j2", "completed", [updated(i) for i in range(101, 102)]))
    api.get(f"{BASE}/api/v2/job_statuses/j1.json",
            json=job("j1", "completed", [updated(i) for i in range(1, 101)]))  # fmt: skip
    writes = [Write(Target("zendesk_ticket", str(i)), {"EVM CPI": 1.1, "EVM forecast":
                    date(2026, 12, 24)}) for i in range(1, 102)]  # fmt: skip
    results = make_connector().push(writes)
    puts = [c for c in api.calls if c.request.method == "PUT"]
    assert [len(sent_tickets(c)) for c in puts] == [100, 1]
    first = sent_tickets(puts[0])[0]
    assert first == {"id": 1, "custom_fields": [{"id": 504, "value": 1.1},
                                                {"id": 506, "value": "2026-12-24"}]}  # fmt: skip
    assert [r.target for r in results] == [w.target for w in writes]
    assert all(r.ok for r in results)


def test_partially_failed_job_reports_each_ticket(api, make_connector, fake_time):
    add_fields(api)
    api.put(UPDATE_MANY, json=job("j1", "queued"))
    api.get(f"{BASE}/api/v2/job_statuses/j1.json", json=job("j1", "working"))
    api.get(f"{BASE}/api/v2/job_statuses/j1.json", json=job("j1", "completed", [
        updated(1),
        {"id": 2, "action": "update", "success": False, "error": "TicketUpdateFailed",
         "details": "Status: closed prevents ticket update"},
    ]))  # fmt: skip
    writes = [Write(Target("zendesk_ticket", t), {"EVM CPI": 2}) for t in ("1", "2", "3")]
    results = make_connector().push(writes)
    assert [r.ok for r in results] == [True, False, False]
    assert "TicketUpdateFailed: Status: closed prevents ticket update" in results[1].error
    assert "without a result" in results[2].error
    assert fake_time.sleeps == [1.0, 1.0]


def test_collision_409_is_retried(api, make_connector):
    add_fields(api)
    api.put(UPDATE_MANY, status=409, json={"error": "UpdateConflict",
                                           "description": "Database collision"})  # fmt: skip
    api.put(UPDATE_MANY, json=job("j1", "completed", [updated(7)]))
    results = make_connector().push([Write(Target("zendesk_ticket", "7"), {"EVM CPI": 1})])
    assert results[0].ok
    assert len([c for c in api.calls if c.request.method == "PUT"]) == 2


def test_collisions_past_the_attempts_fail_the_batch_not_the_push(api, make_connector):
    add_fields(api)
    api.put(UPDATE_MANY, status=409, json={"error": "UpdateConflict"})
    results = make_connector().push([Write(Target("zendesk_ticket", "7"), {"EVM CPI": 1})])
    assert not results[0].ok and "UpdateConflict" in results[0].error
    assert "409" in results[0].error


def test_unknown_field_and_foreign_target_fail_alone(api, make_connector):
    add_fields(api)
    api.put(f"{BASE}/api/v2/organizations/8.json", json={"organization": {"id": 8}})
    writes = [
        Write(Target("zendesk_ticket", "1"), {"No such field": 1}),
        Write(Target("jira_issue", "SUP-1"), {"x": 1}),
        Write(Target("zendesk_organization", "8"), {"evm_cpi": 0.9, "EVM status": "late"}),
    ]
    results = make_connector().push(writes)
    assert [r.ok for r in results] == [False, False, True]
    assert "field 'No such field' not found" in results[0].error
    body = json.loads(api.calls[-1].request.body)
    assert body == {"organization": {"id": 8, "organization_fields": {
        "evm_cpi": 0.9, "evm_status": "late"}}}  # fmt: skip


def test_organization_refusal_is_reported(api, make_connector):
    add_fields(api)
    api.put(f"{BASE}/api/v2/organizations/8.json", status=422,
            json={"error": "RecordInvalid", "description": "Record validation errors"})  # fmt: skip
    results = make_connector().push([Write(Target("zendesk_organization", "8"), {"evm_cpi": 1})])
    assert not results[0].ok and "RecordInvalid" in results[0].error


def spec(name, kind, ref, value_type="number"):
    return FieldSpec(name=name, target_kind=kind, ref=ref, value_type=value_type)


def test_ensure_fields_reports_without_creating(api, make_connector):
    add_fields(api)
    reports = make_connector().ensure_fields([
        spec("evm_cpi", "zendesk_ticket", "EVM CPI"),
        spec("evm_spi", "zendesk_ticket", "EVM SPI"),
        spec("evm_cpi", "zendesk_organization", "evm_cpi"),
        spec("evm_ev", "zendesk_ticket", "99999"),
    ], create=False)  # fmt: skip
    assert [(r.action, r.field_id) for r in reports] == [
        ("exists", "504"), ("missing", None), ("exists", "601"), ("not creatable", None)]  # fmt: skip
    assert not [c for c in api.calls if c.request.method == "POST"]


def test_ensure_fields_creates_with_fitting_types(api, make_connector):
    add_fields(api)
    api.post(f"{BASE}/api/v2/ticket_fields.json",
             json={"ticket_field": {"id": 701, "title": "EVM forecast finish", "type": "date"}})  # fmt: skip
    api.post(f"{BASE}/api/v2/organization_fields.json", json={"organization_field": {
        "id": 702, "key": "evm_spi", "title": "evm_spi", "type": "decimal"}})  # fmt: skip
    reports = make_connector().ensure_fields([
        spec("evm_forecast_finish", "zendesk_ticket", "EVM forecast finish", "date"),
        spec("evm_spi", "zendesk_organization", "evm_spi"),
    ], create=True)  # fmt: skip
    assert [(r.action, r.field_id) for r in reports] == [("created", "701"), ("created", "702")]
    posts = [json.loads(c.request.body) for c in api.calls if c.request.method == "POST"]
    assert posts == [
        {"ticket_field": {"type": "date", "title": "EVM forecast finish"}},
        {"organization_field": {"type": "decimal", "key": "evm_spi", "title": "evm_spi"}},
    ]


@pytest.mark.parametrize("status", [403, 422])
def test_ensure_fields_refused_creation_is_reported(api, make_connector, status):
    add_fields(api)
    api.post(f"{BASE}/api/v2/ticket_fields.json", status=status,
             json={"error": "Forbidden", "description": "You cannot create fields"})  # fmt: skip
    [report] = make_connector().ensure_fields([spec("x", "zendesk_ticket", "EVM x")], create=True)
    assert report.action == "not creatable" and "You cannot create fields" in report.detail
