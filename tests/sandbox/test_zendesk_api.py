"""Zendesk behaviour the connectors rely on: auth, export windows, events, writes."""

from __future__ import annotations

import time

import requests

from evm_sync.sandbox.zendesk_store import ESTIMATE_TITLE, LAST_TITLE, TOTAL_TITLE

EXPORT = "/api/v2/incremental/tickets/cursor.json"


def export_all(sb, zd, **params) -> tuple[list[dict], str]:
    url, seen = sb.url + EXPORT, []
    while True:
        page = zd.get(url, params=params).json()
        params = {}
        seen += page["tickets"]
        if page["end_of_stream"]:
            return seen, page["after_cursor"]
        url = page["after_url"]


def open_ticket(sb) -> int:
    return next(t["id"] for t in sb.zendesk.tickets.values() if t["status"] == "open")


def test_auth_is_required_and_never_echoes_the_token(sb):
    url = f"{sb.url}/api/v2/ticket_fields.json"
    assert requests.get(url).status_code == 401
    wrong = requests.get(url, auth=(f"{sb.email}/token", "nope"))
    assert wrong.status_code == 401 and sb.token not in wrong.text
    assert requests.get(url, auth=(sb.email, sb.token)).status_code == 401, "Jira-style basic"
    assert sb.token not in repr(sb) and sb.token not in repr(sb._app)


def test_export_withholds_the_last_minute_and_resumes_from_the_bookmark(sb, zd):
    everything, bookmark = export_all(sb, zd, start_time=0, per_page=7)
    assert sorted(t["id"] for t in everything) == sorted(sb.zendesk.tickets)
    stamps = [(t["generated_timestamp"], t["id"]) for t in everything]
    assert stamps == sorted(stamps)
    changed = open_ticket(sb)
    sb.zendesk.update_ticket(changed, tags=["moved"])
    assert export_all(sb, zd, cursor=bookmark)[0] == [], "changed within the last minute"
    sb.advance(61)
    again, _ = export_all(sb, zd, cursor=bookmark)
    assert [t["id"] for t in again] == [changed] and again[0]["tags"] == ["moved"]


def test_export_parameters_are_checked(sb, zd):
    recent = int(sb.now().timestamp()) - 10
    assert zd.get(sb.url + EXPORT, params={"start_time": recent}).status_code == 400
    assert zd.get(sb.url + EXPORT).status_code == 400
    assert zd.get(sb.url + EXPORT, params={"cursor": "%%%"}).status_code == 400
    big = zd.get(sb.url + EXPORT, params={"start_time": 0, "per_page": 5000}).json()
    assert "per_page=1000" in big["after_url"]


def test_deleted_tickets_come_back_as_deleted(sb, zd):
    gone = open_ticket(sb)
    sb.zendesk.delete_ticket(gone)
    sb.advance(61)
    tickets, _ = export_all(sb, zd, start_time=0)
    assert {t["id"]: t["status"] for t in tickets}[gone] == "deleted"
    assert zd.get(f"{sb.url}/api/v2/tickets/{gone}.json").status_code == 404


def test_time_entries_are_changes_of_both_fields_in_ticket_events(sb, zd):
    total = sb.zendesk.field_id(TOTAL_TITLE)
    last = sb.zendesk.field_id(LAST_TITLE)
    tid = open_ticket(sb)
    before = {c["id"]: c["value"] for c in sb.zendesk.tickets[tid]["custom_fields"]}.get(total)
    start = int(sb.now().timestamp())
    sb.zendesk.add_time_entry(tid, 900, author_id=9005)
    sb.advance(5)
    sb.zendesk.add_time_entry(tid, 900, author_id=9005)
    sb.advance(61)
    page = zd.get(
        f"{sb.url}/api/v2/incremental/ticket_events.json", params={"start_time": start}
    ).json()
    mine = [e for e in page["ticket_events"] if e["ticket_id"] == tid]
    first, second = (
        {c["field_name"]: (c["value"], c["previous_value"]) for c in e["child_events"]}
        for e in mine
    )
    base = int(before or 0)
    assert first[str(total)] == (str(base + 900), before)
    assert first[str(last)][0] == "900"
    assert second == {str(total): (str(base + 1800), str(base + 900))}, "equal seconds: no change"
    assert mine[0]["updater_id"] == 9005 and page["end_of_stream"] is True


def test_generated_events_replay_to_the_tickets_totals(big):
    total = str(big.zendesk.field_id(TOTAL_TITLE))
    session = requests.Session()
    session.auth = (f"{big.email}/token", big.token)
    sums: dict[int, int] = {}
    url = f"{big.url}/api/v2/incremental/ticket_events.json?start_time=0"
    while True:
        page = session.get(url).json()
        for event in page["ticket_events"]:
            for child in event["child_events"]:
                if child["field_name"] == total:
                    sums[event["ticket_id"]] = int(child["value"])
        if page["end_of_stream"]:
            break
        url = page["next_page"]
    values = {
        t["id"]: {c["id"]: c["value"] for c in t["custom_fields"]}.get(int(total))
        for t in big.zendesk.tickets.values()
    }
    assert sums and all(values[tid] == str(v) for tid, v in sums.items())


def test_safe_update_with_a_stale_stamp_is_a_conflict(sb, zd):
    tid = open_ticket(sb)
    url = f"{sb.url}/api/v2/tickets/{tid}.json"
    stamp = zd.get(url).json()["ticket"]["updated_at"]
    sb.advance(30)
    sb.zendesk.update_ticket(tid, tags=["someone-else"])
    stale = zd.put(
        url, json={"ticket": {"tags": ["mine"], "safe_update": True, "updated_stamp": stamp}}
    )
    assert stale.status_code == 409
    fresh = zd.get(url).json()["ticket"]["updated_at"]
    ok = zd.put(
        url, json={"ticket": {"tags": ["mine"], "safe_update": True, "updated_stamp": fresh}}
    )
    assert ok.status_code == 200 and ok.json()["ticket"]["tags"] == ["mine"]


def test_update_many_forms_and_limit(sb, zd):
    estimate = sb.zendesk.field_id(ESTIMATE_TITLE)
    ids = [t["id"] for t in sb.zendesk.tickets.values() if t["status"] == "open"][:2]
    answer = zd.put(
        f"{sb.url}/api/v2/tickets/update_many.json",
        params={"ids": ",".join(map(str, ids))},
        json={"ticket": {"custom_fields": [{"id": estimate, "value": "5"}]}},
    )
    job = answer.json()["job_status"]
    assert job["status"] == "queued" and job["total"] == len(ids)
    done = zd.get(job["url"]).json()["job_status"]
    assert done["status"] == "completed" and all(r["success"] for r in done["results"])
    for tid in ids:
        ticket = zd.get(f"{sb.url}/api/v2/tickets/{tid}.json").json()["ticket"]
        assert {c["id"]: c["value"] for c in ticket["custom_fields"]}[estimate] == "5"
    too_many = {"tickets": [{"id": i, "tags": []} for i in range(1, 102)]}
    assert zd.put(f"{sb.url}/api/v2/tickets/update_many.json", json=too_many).status_code == 400


def test_invalid_numeric_value_is_refused_with_its_place(sb, zd):
    estimate = sb.zendesk.field_id(ESTIMATE_TITLE)
    tid = open_ticket(sb)
    bad = zd.put(
        f"{sb.url}/api/v2/tickets/{tid}.json",
        json={"ticket": {"custom_fields": [{"id": estimate, "value": "lots"}]}},
    )
    assert bad.status_code == 422 and f"ticket {tid}" in bad.json()["description"]


def test_fields_and_organization_fields_can_be_created_and_written(sb, zd):
    created = zd.post(
        f"{sb.url}/api/v2/ticket_fields.json",
        json={"ticket_field": {"type": "decimal", "title": "EVM SPI"}},
    )
    assert created.status_code == 201
    listed = zd.get(f"{sb.url}/api/v2/ticket_fields.json").json()["ticket_fields"]
    assert created.json()["ticket_field"]["id"] in {f["id"] for f in listed}
    field = {"organization_field": {"type": "decimal", "key": "evm_cpi", "title": "EVM CPI"}}
    assert zd.post(f"{sb.url}/api/v2/organization_fields.json", json=field).status_code == 201
    assert zd.post(f"{sb.url}/api/v2/organization_fields.json", json=field).status_code == 422
    org = next(iter(sb.zendesk.organizations))
    url = f"{sb.url}/api/v2/organizations/{org}.json"
    assert zd.put(url, json={"organization": {"organization_fields": {"evm_cpi": 0.97}}}).ok
    assert zd.get(url).json()["organization"]["organization_fields"]["evm_cpi"] == 0.97
    unknown = {"organization": {"organization_fields": {"nope": 1}}}
    assert zd.put(url, json=unknown).status_code == 422


def test_slas_sideload_gives_targets(sb, zd):
    page = zd.get(sb.url + EXPORT, params={"start_time": 0, "include": "slas"}).json()
    metrics = page["tickets"][0]["slas"]["policy_metrics"]
    assert {m["metric"] for m in metrics} == {"first_reply_time", "requester_wait_time"}
    assert all((m["stage"] == "achieved") == (m["breach_at"] is None) for m in metrics)


def test_a_full_export_page_is_served_well_under_a_second(big):
    session = requests.Session()
    session.auth = (f"{big.email}/token", big.token)
    url = f"{big.url}{EXPORT}?start_time=0&per_page=1000&include=metric_sets"
    session.get(url)
    began = time.perf_counter()
    page = session.get(url).json()
    assert len(page["tickets"]) == 1000
    assert time.perf_counter() - began < 0.8


def test_exclude_deleted_skips_them_but_the_cursor_moves_on(sb, zd):
    everything, end = export_all(sb, zd, start_time=0)
    kept, end_kept = export_all(sb, zd, start_time=0, exclude_deleted="true")
    assert {t["id"] for t in kept} == {t["id"] for t in everything if t["status"] != "deleted"}
    assert end_kept == end


def test_show_many_returns_up_to_100_known_tickets(sb, zd):
    url = f"{sb.url}/api/v2/tickets/show_many.json"
    some = sorted(sb.zendesk.tickets)[:3]
    body = zd.get(url, params={"ids": ",".join(map(str, [*some, 99999999]))}).json()
    assert [t["id"] for t in body["tickets"]] == some  # unknown ids are left out
    assert zd.get(url, params={"ids": ",".join(["1"] * 101)}).status_code == 400
    assert zd.get(url, params={"ids": "1,x"}).status_code == 400
    assert zd.get(url).status_code == 400


def test_solving_a_ticket_sets_its_metrics_and_reopening_counts(sb, zd):
    ticket_id = open_ticket(sb)
    sb.advance(3600)
    sb.zendesk.update_ticket(ticket_id, status="solved")
    solved_at = sb.now()
    sb.advance(600)
    sb.zendesk.update_ticket(ticket_id, status="open")
    sb.advance(120)
    page = zd.get(sb.url + EXPORT, params={"start_time": 0, "include": "metric_sets"}).json()
    while not page["end_of_stream"]:
        metrics = {m["ticket_id"]: m for m in page["metric_sets"]}
        if ticket_id in metrics:
            break
        page = zd.get(page["after_url"]).json()
    metrics = {m["ticket_id"]: m for m in page["metric_sets"]}[ticket_id]
    assert metrics["solved_at"] == solved_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert metrics["reopens"] >= 1
