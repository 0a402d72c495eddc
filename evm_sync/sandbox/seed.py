"""Build the two stores: generated from a seed number, or loaded from a seed file.

Seed file: {"now": ISO8601, "zendesk": {"ticket_fields", "organization_fields",
"organizations", "tickets", "time_entries": [{"ticket_id", "author_id", "at",
"seconds"}]}, "jira": {"fields", "issues", "worklogs"}}; objects are the APIs'
own, missing parts are empty. A ticket may carry its `metric_set`.
"""

from __future__ import annotations

import gc
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from evm_sync.sandbox import jira_data, zendesk_data
from evm_sync.sandbox.clock import Clock, jira_time, parse_iso, parse_jira_time, zendesk_time
from evm_sync.sandbox.jira_store import JiraStore, make_worklog
from evm_sync.sandbox.links import BASE
from evm_sync.sandbox.zendesk_store import LAST_TITLE, TOTAL_TITLE, ZendeskStore

LOCKED_NAME = "Locked field"


class SeedError(ValueError):
    """A seed file that cannot be loaded; the message names the place."""


def generated(tickets: int, seed: int, now: datetime, issues: int | None = None):
    """(clock, zendesk, jira) with `tickets` tickets and `issues` issues (default: one per
    five tickets, at most 5000)."""
    clock = Clock(now)
    zendesk, jira = ZendeskStore(clock), JiraStore(clock)
    collecting = gc.isenabled()
    gc.disable()  # millions of small containers: the cycle collector would rescan them all
    try:
        zendesk_data.populate(zendesk, tickets, seed)
        jira_data.populate(jira, min(5000, (tickets + 4) // 5) if issues is None else issues, seed)
    finally:
        if collecting:
            gc.enable()
    gc.freeze()  # the data lives as long as the sandbox: keep it out of later collections
    return clock, zendesk, jira


def read_seed_now(path: str | Path) -> datetime | None:
    data = _read(path)
    return parse_iso(data["now"]) if data.get("now") else None


def _read(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise SeedError(f"seed file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise SeedError(f"seed file {path}: must hold one JSON object")
    return data


def from_file(path: str | Path, now: datetime | None = None):
    """(clock, zendesk, jira) from a seed file; `now` overrides the file's."""
    data = _read(path)
    try:
        clock = Clock(now or (parse_iso(data["now"]) if data.get("now") else datetime.now()))
        zendesk, jira = ZendeskStore(clock), JiraStore(clock)
        _load_zendesk(zendesk, data.get("zendesk") or {})
        _load_jira(jira, data.get("jira") or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise SeedError(f"seed file {path}: {type(exc).__name__}: {exc}") from None
    return clock, zendesk, jira


def _load_zendesk(store: ZendeskStore, data: dict[str, Any]) -> None:
    now = store.clock.epoch()
    stamp = zendesk_time(now)
    for n, raw in enumerate(data.get("ticket_fields") or []):
        field = zendesk_data.field_object(
            int(raw["id"]),
            raw["type"],
            raw["title"],
            n,
            raw.get("removable", True),
            raw.get("key"),
            stamp,
        )
        field.update(raw)
        store.ticket_fields.append(field)
    for raw in data.get("organization_fields") or []:
        store.organization_fields.append(
            {
                "active": True,
                "position": 0,
                "system": False,
                "url": f"{BASE}/api/v2/organization_fields/{raw['id']}.json",
                **raw,
            }
        )
    for raw in data.get("organizations") or []:
        org = {
            "url": f"{BASE}/api/v2/organizations/{raw['id']}.json",
            "created_at": stamp,
            "updated_at": stamp,
            "tags": [],
            "domain_names": [],
            **raw,
        }
        org.setdefault("organization_fields", {})
        store.organizations[int(org["id"])] = org
    for raw in data.get("tickets") or []:
        ticket = dict(raw)
        metric = ticket.pop("metric_set", None)
        ticket.pop("url", None)
        ticket.setdefault("status", "open")
        ticket.setdefault("subject", "")
        for key in (
            "priority",
            "type",
            "group_id",
            "organization_id",
            "assignee_id",
            "requester_id",
            "due_at",
        ):
            ticket.setdefault(key, None)
        ticket.setdefault("tags", [])
        ticket["custom_fields"] = [dict(c) for c in ticket.get("custom_fields") or []]
        ticket.setdefault("created_at", stamp)
        ticket.setdefault("updated_at", ticket["created_at"])
        ticket.setdefault("generated_timestamp", int(parse_iso(ticket["updated_at"]).timestamp()))
        store.tickets[int(ticket["id"])] = ticket
        if metric is not None:
            store.metrics[int(ticket["id"])] = {"ticket_id": ticket["id"], **metric}
    entries = sorted(data.get("time_entries") or [], key=lambda e: parse_iso(e["at"]))
    if entries and not (store.field_id(TOTAL_TITLE) and store.field_id(LAST_TITLE)):
        raise SeedError(f"time_entries need the ticket fields '{TOTAL_TITLE}' and '{LAST_TITLE}'")
    for entry in entries:
        ticket = store.tickets.get(int(entry["ticket_id"]))
        if ticket is None:
            raise SeedError(f"time entry for ticket {entry['ticket_id']}, which is not seeded")
        at = int(parse_iso(entry["at"]).timestamp())
        store.record_time_entry(ticket, int(entry["seconds"]), int(entry["author_id"]), at)
        if at > ticket["generated_timestamp"]:
            ticket["generated_timestamp"], ticket["updated_at"] = at, zendesk_time(at)
    store.sort_audits()


def _load_jira(store: JiraStore, data: dict[str, Any]) -> None:
    now = store.clock.now().timestamp()
    store.fields = [dict(f) for f in data.get("fields") or []]
    custom = {f["id"] for f in store.fields if f.get("custom") and f.get("name") != LOCKED_NAME}
    store.screen = set(jira_data.SCREEN_SYSTEM_FIELDS) | custom
    default_user = {
        "self": f"{BASE}/rest/api/2/user?accountId=sandbox-user",
        "accountId": "sandbox-user",
        "displayName": "Sandbox User",
        "active": True,
        "timeZone": "UTC",
        "accountType": "atlassian",
    }
    store.users[default_user["accountId"]] = default_user
    for raw in data.get("issues") or []:
        issue = {"expand": "", **raw, "id": str(raw["id"])}
        fields = issue["fields"] = dict(raw.get("fields") or {})
        fields.setdefault("created", jira_time(now))
        fields.setdefault("updated", fields["created"])
        issue["self"] = f"{BASE}/rest/api/2/issue/{issue['id']}"
        store.put_issue(issue)
    for raw in data.get("worklogs") or []:
        seconds = int(raw["timeSpentSeconds"])
        started = parse_jira_time(raw["started"]) if raw.get("started") else now - seconds
        updated = parse_jira_time(raw["updated"]) if raw.get("updated") else started + seconds
        user = raw.get("author") or default_user
        worklog = make_worklog(
            int(raw["id"]),
            str(raw["issueId"]),
            user,
            seconds,
            started,
            updated,
            raw.get("comment") if isinstance(raw.get("comment"), str) else "",
        )
        store.put_worklog(worklog)
