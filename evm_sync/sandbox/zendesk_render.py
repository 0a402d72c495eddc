"""Turn the Zendesk store's records into the API's JSON objects."""

from __future__ import annotations

from typing import Any

from evm_sync.sandbox.clock import parse_iso, zendesk_time
from evm_sync.sandbox.zendesk_store import Audit, ZendeskStore

BRAND_ID = 360000000101
FORM_ID = 360000000202
CONSTANT: dict[str, Any] = {
    "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
    "recipient": None,
    "has_incidents": False,
    "is_public": True,
    "allow_channelback": False,
    "allow_attachments": True,
    "from_messaging_channel": False,
    "sharing_agreement_ids": [],
    "follower_ids": [],
    "collaborator_ids": [],
    "email_cc_ids": [],
    "followup_ids": [],
    "satisfaction_rating": None,
    "brand_id": BRAND_ID,
    "ticket_form_id": FORM_ID,
    "forum_topic_id": None,
    "problem_id": None,
    "external_id": None,
    "custom_status_id": None,
}
# SLA policy targets in minutes by priority: (first reply, requester wait)
SLA_TARGETS: dict[str | None, tuple[int, int]] = {
    "urgent": (60, 8 * 60),
    "high": (4 * 60, 24 * 60),
    "normal": (8 * 60, 72 * 60),
    "low": (24 * 60, 120 * 60),
    None: (8 * 60, 72 * 60),
}


def custom_field_ids(store: ZendeskStore) -> list[int]:
    return [f["id"] for f in store.ticket_fields if f.get("removable") and f.get("active", True)]


def render_ticket(
    store: ZendeskStore, ticket: dict[str, Any], base: str, field_ids: list[int], slas: bool
) -> dict[str, Any]:
    out = dict(CONSTANT)
    out.update(ticket)
    values = {c["id"]: c["value"] for c in ticket["custom_fields"]}
    custom = [{"id": fid, "value": values.get(fid)} for fid in field_ids]
    out["custom_fields"] = custom
    out["fields"] = custom
    out["url"] = f"{base}/api/v2/tickets/{ticket['id']}.json"
    out["raw_subject"] = ticket["subject"]
    out.setdefault("description", ticket["subject"])
    out.setdefault("submitter_id", ticket["requester_id"])
    if slas:
        out["slas"] = {"policy_metrics": policy_metrics(store, ticket)}
    return out


def policy_metrics(store: ZendeskStore, ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """The ticket's SLA targets, as Zendesk's `slas` sideload shows them."""
    reply_target, wait_target = SLA_TARGETS.get(ticket.get("priority"), SLA_TARGETS[None])
    metric = render_metric(store, ticket["id"], "") or {}
    created = int(parse_iso(ticket["created_at"]).timestamp())
    replied = (metric.get("reply_time_in_minutes") or {}).get("calendar")
    out = []
    for name, target, achieved in (
        ("first_reply_time", reply_target, replied is not None),
        ("requester_wait_time", wait_target, metric.get("solved_at") is not None),
    ):
        out.append(
            {
                "metric": name,
                "hours": target // 60,
                "days": 0,
                "minutes": 0,
                "stage": "achieved" if achieved else "active",
                "breach_at": None if achieved else zendesk_time(created + target * 60),
            }
        )
    return out


def render_metric(store: ZendeskStore, ticket_id: int, base: str) -> dict[str, Any] | None:
    """The ticket's metric set; generated ones are stored as a compact tuple."""
    raw = store.metrics.get(ticket_id)
    if raw is None:
        return None
    if isinstance(raw, dict):
        return {"url": f"{base}/api/v2/ticket_metrics/{raw.get('id')}.json", **raw}
    created, assigned, solved, reopens, replies, reply, first_res, full_res, hold, updated = raw

    def minutes(value: int | None) -> dict[str, int | None]:
        return {"calendar": value, "business": None if value is None else value * 2 // 5}

    metric_id = 9_000_000_000 + ticket_id
    return {
        "url": f"{base}/api/v2/ticket_metrics/{metric_id}.json",
        "id": metric_id,
        "ticket_id": ticket_id,
        "created_at": zendesk_time(created),
        "updated_at": zendesk_time(updated),
        "group_stations": 1 + reopens,
        "assignee_stations": 1 if assigned else 0,
        "reopens": reopens,
        "replies": replies,
        "assignee_updated_at": zendesk_time(assigned) if assigned else None,
        "requester_updated_at": zendesk_time(created),
        "status_updated_at": zendesk_time(updated),
        "initially_assigned_at": zendesk_time(assigned) if assigned else None,
        "assigned_at": zendesk_time(assigned) if assigned else None,
        "solved_at": zendesk_time(solved) if solved else None,
        "latest_comment_added_at": zendesk_time(updated),
        "reply_time_in_minutes": minutes(reply),
        "first_resolution_time_in_minutes": minutes(first_res),
        "full_resolution_time_in_minutes": minutes(full_res),
        "agent_wait_time_in_minutes": minutes(0 if solved else None),
        "requester_wait_time_in_minutes": minutes(full_res),
        "on_hold_time_in_minutes": minutes(hold),
        "custom_status_updated_at": zendesk_time(updated),
    }


def render_event(audit: Audit) -> dict[str, Any]:
    """One audit as the incremental ticket event export shows it."""
    children = [
        {
            "id": audit.id * 16 + n,
            "via": "Web form",
            "via_reference_id": None,
            "event_type": audit.kind,
            "field_name": name,
            "value": scalar(value),
            "previous_value": scalar(previous),
        }
        for n, (name, value, previous) in enumerate(audit.changes, start=1)
    ]
    if audit.kind == "Create":
        for child in children:
            child.pop("previous_value")
    return {
        "id": audit.id * 16,
        "ticket_id": audit.ticket_id,
        "timestamp": audit.timestamp,
        "created_at": zendesk_time(audit.timestamp),
        "updater_id": audit.updater_id,
        "via": "Web form",
        "system": {"client": "Mozilla/5.0", "location": None, "latitude": None, "longitude": None},
        "event_type": "Audit",
        "merged_ticket_ids": [],
        "child_events": children,
    }


def render_audit(audit: Audit) -> dict[str, Any]:
    """The `audit` returned next to a ticket after an update."""
    return {
        "id": audit.id * 16,
        "ticket_id": audit.ticket_id,
        "created_at": zendesk_time(audit.timestamp),
        "author_id": audit.updater_id,
        "metadata": {"system": {}, "custom": {}},
        "via": CONSTANT["via"],
        "events": [
            {
                "id": audit.id * 16 + n,
                "type": audit.kind,
                "field_name": name,
                "value": scalar(value),
                "previous_value": scalar(previous),
            }
            for n, (name, value, previous) in enumerate(audit.changes, start=1)
        ],
    }


def scalar(value: Any) -> Any:
    """Audit values are strings or numbers in the spec: tag lists become "a b"."""
    return " ".join(map(str, value)) if isinstance(value, list) else value


def with_url(obj: dict[str, Any], base: str, kind: str) -> dict[str, Any]:
    return {**obj, "url": f"{base}/api/v2/{kind}/{obj['id']}.json"}


def render_job(job: dict[str, Any], base: str, status: str) -> dict[str, Any]:
    done = status == "completed"
    failures = sum(1 for r in job["results"] if not r["success"])
    return {
        "id": job["id"],
        "job_type": job["job_type"],
        "url": f"{base}/api/v2/job_statuses/{job['id']}.json",
        "total": job["total"],
        "progress": job["total"] if done else 0,
        "status": status,
        "message": (f"Completed with {failures} failure(s)" if failures else "Completed")
        if done
        else None,
        "results": job["results"] if done else None,
    }
