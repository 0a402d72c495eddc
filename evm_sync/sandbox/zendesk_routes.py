"""Zendesk Support endpoints: incremental exports, tickets, bulk updates, jobs."""

from __future__ import annotations

import base64
import bisect
import math
from typing import Any
from urllib.parse import urlencode

from evm_sync.sandbox.app import BadRequest, Call, Reply, zendesk_route
from evm_sync.sandbox.clock import zendesk_time
from evm_sync.sandbox.links import BASE
from evm_sync.sandbox.zendesk_fields import ROUTES as FIELD_ROUTES
from evm_sync.sandbox.zendesk_fields import listing
from evm_sync.sandbox.zendesk_render import (
    custom_field_ids,
    render_audit,
    render_event,
    render_job,
    render_metric,
    render_ticket,
)
from evm_sync.sandbox.zendesk_store import ZendeskError, not_found

MAX_PAGE = 1000
MAX_BULK = 100


def encode_cursor(key: tuple[int, int]) -> str:
    return base64.b64encode(f"{key[0]}.0||{key[1]}|".encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        stamp, _, rest = base64.b64decode(cursor.encode(), validate=True).decode().partition("||")
        return int(float(stamp)), int(rest.rstrip("|"))
    except ValueError:
        raise BadRequest(f"Invalid cursor {cursor!r}") from None


def _start_time(call: Call) -> int:
    start = call.int_arg("start_time")
    if start is None:
        raise BadRequest("start_time is required")
    if start > call.app.clock.epoch() - 60:
        raise BadRequest("Too recent start_time. Use a start_time older than 1 minute")
    return start


def export_tickets(call: Call) -> Reply:
    """GET /api/v2/incremental/tickets/cursor.json, ordered by generated_timestamp."""
    store = call.app.zendesk
    per_page = call.int_arg("per_page", MAX_PAGE)
    if per_page < 1:
        raise BadRequest("per_page must be positive")
    per_page = min(per_page, MAX_PAGE)
    include = set(filter(None, call.request.args.get("include", "").split(",")))
    cursor = call.request.args.get("cursor")
    key = decode_cursor(cursor) if cursor else (_start_time(call), 0)
    limit = call.app.clock.epoch() - 60  # the last minute is withheld
    with store.lock:
        index = store.export_index()
        lo = bisect.bisect_right(index, key)
        hi = max(lo, bisect.bisect_right(index, (limit, math.inf)))
        chunk = index[lo : min(lo + per_page, hi)]
        ids = custom_field_ids(store)
        slas = "slas" in include
        shown = [store.tickets[t] for _, t in chunk]
        if call.request.args.get("exclude_deleted") == "true":
            shown = [t for t in shown if t["status"] != "deleted"]
        tickets = [render_ticket(store, t, BASE, ids, slas) for t in shown]
        body: dict[str, Any] = {"tickets": tickets}
        if "metric_sets" in include:
            body["metric_sets"] = [
                m
                for t in shown
                if t["status"] != "deleted"
                if (m := render_metric(store, t["id"], BASE)) is not None
            ]
    after = encode_cursor(chunk[-1] if chunk else key)
    query = {"cursor": after, "per_page": per_page}
    if include:
        query["include"] = ",".join(sorted(include))
    body.update(
        after_cursor=after,
        after_url=f"{BASE}/api/v2/incremental/tickets/cursor.json?{urlencode(query)}",
        before_cursor=None,
        before_url=None,
        end_of_stream=lo + len(chunk) >= hi,
    )
    return Reply(body=body)


def ticket_events(call: Call) -> Reply:
    """GET /api/v2/incremental/ticket_events.json: audits by time, 1000 a page."""
    start = _start_time(call)
    limit = call.app.clock.epoch() - 60
    audits, done = call.app.zendesk.audit_page(start, limit, MAX_PAGE)
    end_time = audits[-1].timestamp if audits else start
    return Reply(
        body={
            "ticket_events": [render_event(a) for a in audits],
            "next_page": f"{BASE}/api/v2/incremental/ticket_events.json?start_time={end_time}",
            "previous_page": None,
            "count": len(audits),
            "end_time": end_time,
            "end_of_stream": done,
        }
    )


def _ticket_id(raw: str) -> int:
    if not raw.isdigit():
        raise not_found()
    return int(raw)


def show_many(call: Call) -> Reply:
    """GET /api/v2/tickets/show_many.json?ids=1,2: up to 100 tickets; unknown ids are left out."""
    raw = [part for part in call.request.args.get("ids", "").split(",") if part.strip()]
    if not raw or len(raw) > 100 or not all(part.strip().isdigit() for part in raw):
        raise BadRequest("ids must be a comma-separated list of 1 to 100 ticket ids")
    store = call.app.zendesk
    ids = custom_field_ids(store)
    with store.lock:
        found = [store.tickets[int(part)] for part in raw if int(part) in store.tickets]
        return listing("tickets", [render_ticket(store, t, BASE, ids, False) for t in found])


def get_ticket(call: Call, ticket_id: str) -> Reply:
    store = call.app.zendesk
    with store.lock:
        ticket = store.ticket(_ticket_id(ticket_id))
        return Reply(
            body={"ticket": render_ticket(store, ticket, BASE, custom_field_ids(store), False)}
        )


def put_ticket(call: Call, ticket_id: str) -> Reply:
    store = call.app.zendesk
    changes = call.json().get("ticket")
    if not isinstance(changes, dict):
        raise BadRequest('The body must be {"ticket": {...}}')
    changes.pop("id", None)
    with store.lock:
        before = len(store.audits)
        ticket = store.update_ticket(_ticket_id(ticket_id), **changes)
        audit = store.audits[-1] if len(store.audits) > before else None
        body = {"ticket": render_ticket(store, ticket, BASE, custom_field_ids(store), False)}
        body["audit"] = (
            render_audit(audit)
            if audit
            else {
                "id": None,
                "ticket_id": ticket["id"],
                "created_at": zendesk_time(store.clock.epoch()),
                "author_id": 9001,
                "metadata": {},
                "events": [],
            }
        )
    return Reply(body=body)


def update_many(call: Call) -> Reply:
    """PUT /api/v2/tickets/update_many.json: {"tickets": [...]} or ?ids= with {"ticket"}."""
    body = call.json()
    ids_arg = call.request.args.get("ids")
    if ids_arg:
        try:
            ids = [int(i) for i in ids_arg.split(",")]
        except ValueError:
            raise BadRequest(f"ids must be comma-separated integers, not {ids_arg!r}") from None
        common = body.get("ticket")
        if not isinstance(common, dict):
            raise BadRequest('With ?ids= the body must be {"ticket": {...}}')
        items = [{**common, "id": i} for i in ids]
    elif isinstance(body.get("tickets"), list):
        items = body["tickets"]
    else:
        raise BadRequest('The body must be {"tickets": [...]} or ?ids= with {"ticket"}')
    if len(items) > MAX_BULK:
        raise ZendeskError(400, "TooManyValues", f"Maximum of {MAX_BULK} tickets per request")
    store, faults = call.app.zendesk, call.app.faults
    results = []
    with store.lock:
        for item in items:
            item = dict(item)
            tid = item.pop("id", None)
            result = {"id": tid, "action": "update"}
            try:
                if not isinstance(tid, int):
                    raise ZendeskError(400, "InvalidValue", "each ticket needs an integer id")
                if faults.fails_item():
                    raise ZendeskError(500, "TicketUpdateFailed", "Sandbox fault: update failed")
                store.update_ticket(tid, **item)
                result.update(success=True, status="Updated")
            except ZendeskError as exc:
                detail = exc.body.get("details", {}).get("status", [{}])[0].get("description")
                result.update(
                    success=False,
                    status="Failed",
                    error=exc.body["error"],
                    details=detail or exc.body["description"],
                )
            results.append(result)
        job = store.create_job(results)
    return Reply(body={"job_status": render_job(job, BASE, "queued")})


def job_status(call: Call, job_id: str) -> Reply:
    store = call.app.zendesk
    with store.lock:
        job = store.jobs.get(job_id)
        if job is None:
            raise not_found()
        return Reply(body={"job_status": render_job(job, BASE, "completed")})


ROUTES = [
    *FIELD_ROUTES,
    zendesk_route("GET", "/incremental/tickets/cursor", export_tickets, "zendesk-export"),
    zendesk_route("GET", "/incremental/ticket_events", ticket_events, "zendesk-export"),
    zendesk_route("PUT", "/tickets/update_many", update_many),
    zendesk_route("GET", "/tickets/show_many", show_many),
    zendesk_route("GET", "/tickets/{ticket_id}", get_ticket),
    zendesk_route("PUT", "/tickets/{ticket_id}", put_ticket),
    zendesk_route("GET", "/job_statuses/{job_id}", job_status),
]
