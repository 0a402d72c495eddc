"""A seeded, realistic Zendesk account: fields, groups, organizations, tickets.

Deterministic for a given seed and clock. Ticket life: created over the last
year (denser recently), assigned, worked with Time Tracking entries, solved
after a priority-dependent time, closed four days later; some are reopened,
some deleted, and a few carry odd data (null priority, zero estimate, time
logged after solving).
"""

from __future__ import annotations

import math
import random
from typing import Any

from evm_sync.sandbox.clock import zendesk_time
from evm_sync.sandbox.links import BASE
from evm_sync.sandbox.zendesk_store import (
    ESTIMATE_TITLE,
    LAST_TITLE,
    TOTAL_TITLE,
    ZendeskStore,
)

DAY = 86400
TYPES = (("question", 40), ("incident", 30), ("problem", 10), ("task", 20))
PRIORITIES = (("low", 20), ("normal", 48), ("high", 20), ("urgent", 9), (None, 3))
RESOLVE_HOURS = {"urgent": 6, "high": 30, "normal": 70, "low": 140, None: 70}
AREAS = ("billing", "login", "api", "mobile_app", "reporting", "integrations", "onboarding")
SUBJECTS = {
    "billing": "Invoice shows the wrong amount",
    "login": "Cannot sign in after password reset",
    "api": "API returns 500 on bulk import",
    "mobile_app": "Mobile app crashes on startup",
    "reporting": "Monthly report is missing data",
    "integrations": "Slack integration stopped posting",
    "onboarding": "Help setting up our workspace",
}
GROUPS = ("Tier 1", "Tier 2", "Billing", "Engineering escalations")
REGIONS = ("emea", "amer", "apac")
PLANS = ("basic", "business", "enterprise")
AGENTS = range(9001, 9041)
GROUP_BASE = 360000100001
ORG_BASE = 360000200001
FIELD_BASE = 360010000001


def field_object(
    fid: int,
    ftype: str,
    title: str,
    pos: int,
    removable: bool,
    key: str | None,
    stamp: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": fid,
        "type": ftype,
        "title": title,
        "raw_title": title,
        "description": "",
        "raw_description": "",
        "agent_description": None,
        "position": pos,
        "active": True,
        "required": False,
        "collapsed_for_agents": False,
        "regexp_for_validation": None,
        "title_in_portal": title,
        "raw_title_in_portal": title,
        "visible_in_portal": False,
        "editable_in_portal": False,
        "required_in_portal": False,
        "tag": None,
        "created_at": stamp,
        "updated_at": stamp,
        "removable": removable,
        "key": key,
        "url": f"{BASE}/api/v2/ticket_fields/{fid}.json",
        **extra,
    }


def base_fields(stamp: str) -> list[dict[str, Any]]:
    """The system fields plus Time Tracking's two, an estimate and a product area."""
    system = [
        ("subject", "Subject"),
        ("description", "Description"),
        ("status", "Status"),
        ("tickettype", "Type"),
        ("priority", "Priority"),
        ("group", "Group"),
        ("assignee", "Assignee"),
    ]
    fields = [
        field_object(FIELD_BASE + n, t, title, n, False, None, stamp)
        for n, (t, title) in enumerate(system)
    ]
    options = [
        {
            "id": FIELD_BASE + 100 + n,
            "name": a.replace("_", " ").title(),
            "raw_name": a.replace("_", " ").title(),
            "value": a,
            "default": False,
        }
        for n, a in enumerate(AREAS)
    ]
    custom = [
        ("integer", TOTAL_TITLE, {}),
        ("integer", LAST_TITLE, {}),
        ("decimal", ESTIMATE_TITLE, {}),
        ("tagger", "Product area", {"custom_field_options": options}),
    ]
    fields += [
        field_object(FIELD_BASE + 10 + n, t, title, 10 + n, True, None, stamp, **extra)
        for n, (t, title, extra) in enumerate(custom)
    ]
    return fields


def organization_fields(stamp: str) -> list[dict[str, Any]]:
    return [
        {
            "id": 360000300001 + n,
            "url": f"{BASE}/api/v2/organization_fields/{360000300001 + n}.json",
            "key": key,
            "type": ftype,
            "title": title,
            "raw_title": title,
            "description": "",
            "raw_description": "",
            "position": n,
            "active": True,
            "system": False,
            "regexp_for_validation": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for n, (key, ftype, title) in enumerate(
            [("region", "text", "Region"), ("support_plan", "text", "Support plan")]
        )
    ]


class Draw:
    """Fast seeded draws (the generator's hot loop runs a few million of them)."""

    def __init__(self, seed: str) -> None:
        self.random = random.Random(seed).random

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def weighted(self, options: tuple[tuple[Any, int], ...]) -> Any:
        roll = self.random() * sum(w for _, w in options)
        for value, weight in options:
            roll -= weight
            if roll < 0:
                return value
        return options[-1][0]


def populate(store: ZendeskStore, count: int, seed: int) -> None:
    """Fill an empty store with `count` tickets and what they refer to."""
    draw = Draw(f"zendesk-{seed}")
    now = store.clock.epoch()
    stamp = zendesk_time(now - 400 * DAY)
    store.ticket_fields = base_fields(stamp)
    store.organization_fields = organization_fields(stamp)
    store.groups = [{"id": GROUP_BASE + n, "name": name} for n, name in enumerate(GROUPS)]
    n_orgs = max(3, min(500, count // 200))
    for n in range(n_orgs):
        oid = ORG_BASE + n
        store.organizations[oid] = {
            "id": oid,
            "url": f"{BASE}/api/v2/organizations/{oid}.json",
            "name": f"Customer {n + 1:03d}",
            "shared_tickets": False,
            "shared_comments": False,
            "external_id": None,
            "created_at": stamp,
            "updated_at": stamp,
            "domain_names": [f"customer{n + 1}.example"],
            "details": "",
            "notes": "",
            "group_id": None,
            "tags": [],
            "organization_fields": {"region": REGIONS[n % 3], "support_plan": PLANS[draw.below(3)]},
        }
    ids = {f["title"]: f["id"] for f in store.ticket_fields}
    for tid in range(1, count + 1):
        _ticket(store, draw, tid, now, n_orgs, ids)
    store.sort_audits()


# Status changes shared by every ticket's audits (tuples are immutable: one copy each)
SOLVE = (("status", "solved", "open"),)
REOPEN = (("status", "open", "solved"),)
CLOSE = (("status", "closed", "solved"),)
HOURS = ("0.5", "1", "2", "3", "4", "6", "8", "12", "16")
OPEN_STATES = (("open", 70), ("pending", 22), ("hold", 8))


def _ticket(
    store: ZendeskStore, draw: Draw, tid: int, now: int, n_orgs: int, ids: dict[str, int]
) -> None:
    rand = draw.random
    age = int(2 * 3600 + (rand() ** 1.6) * 365 * DAY)
    created = now - age
    kind = draw.weighted(TYPES)
    priority = draw.weighted(PRIORITIES)
    area = AREAS[draw.below(len(AREAS))]
    agent = AGENTS[draw.below(len(AGENTS))]
    solve_after = int(-math.log(1.0 - rand()) * RESOLVE_HOURS[priority] * 3600) + 1800
    solved = created + solve_after if created + solve_after < now - 600 else None
    reopens = 1 if solved and solved < now - 3 * 3600 and rand() < 0.07 else 0
    first_solved = solved
    if reopens:
        solved = min(solved + draw.between(2, 30) * 3600, now - 300)
    if solved is None and age < DAY and rand() < 0.4:
        status = "new"
    elif solved is None:
        status = draw.weighted(OPEN_STATES)
    else:
        status = "closed" if solved < now - 4 * DAY - 120 else "solved"
    audits: list[tuple[int, str, list]] = [
        (
            created,
            "Create",
            [("status", "new", None), ("priority", priority, None), ("type", kind, None)],
        )
    ]
    assigned = None if status == "new" else created + draw.between(60, min(4 * 3600, age - 900))
    tracking = (ids[TOTAL_TITLE], ids[LAST_TITLE])
    ticket: dict[str, Any] = {
        "id": tid,
        "subject": SUBJECTS[area],
        "status": status,
        "priority": priority,
        "type": kind,
        "group_id": GROUP_BASE + (tid % len(GROUPS)),
        "organization_id": ORG_BASE + draw.below(n_orgs),
        "assignee_id": agent if assigned else None,
        "requester_id": 500000 + draw.below(5000),
        "created_at": zendesk_time(created),
        "updated_at": "",
        "generated_timestamp": 0,
        "due_at": zendesk_time(created + draw.between(2, 14) * DAY) if kind == "task" else None,
        "tags": [area, f"priority_{priority or 'unset'}"],
        "custom_fields": [{"id": ids["Product area"], "value": area}],
    }
    if status != "new" and rand() < 0.6:
        hours = "0" if rand() < 0.01 else HOURS[draw.below(len(HOURS))]
        ticket["custom_fields"].append({"id": ids[ESTIMATE_TITLE], "value": hours})
        audits[0][2].append((str(ids[ESTIMATE_TITLE]), hours, None))
    if solved:
        audits.append((first_solved, "Change", SOLVE))
        if reopens:
            audits.append((first_solved + 3600, "Change", REOPEN))
            audits.append((solved, "Change", SOLVE))
        if status == "closed":
            audits.append((solved + 4 * DAY, "Change", CLOSE))
    if assigned and rand() < 0.8:
        end = max(assigned, solved or now - 120)
        entries = sorted(draw.between(assigned, end) for _ in range(draw.between(1, 5)))
        if solved and rand() < 0.01:  # odd: work logged after solving
            entries.append(min(now - 120, solved + draw.between(600, 2 * DAY)))
        total, last_entry = 0, None
        total_id, last_id = str(tracking[0]), str(tracking[1])
        for at in entries:
            seconds = str(60 * draw.between(5, 150))
            before, total = total, total + int(seconds)
            changes = [(total_id, str(total), str(before) if before else None)]
            if seconds != last_entry:
                changes.append((last_id, seconds, last_entry))
            audits.append((at, "Change", changes))
            last_entry = seconds
        ticket["custom_fields"] += [
            {"id": tracking[0], "value": str(total)},
            {"id": tracking[1], "value": last_entry},
        ]
    add = store.add_audit
    for when, kind_, changes in audits:
        add(when, tid, agent, kind_, changes)
    last = max(a[0] for a in audits)
    if rand() < 0.008:
        ticket["status"] = "deleted"
        last = min(now - 120, last + DAY)
    ticket["updated_at"] = zendesk_time(last)
    ticket["generated_timestamp"] = last
    store.tickets[tid] = ticket
    reply = draw.between(5, 600) if assigned else None
    full = (solved - created) // 60 if solved else None
    first = full if not reopens else (full or 0) // 2
    replies = draw.between(1, 6) if assigned else 0
    store.metrics[tid] = (created, assigned, solved, reopens, replies, reply, first, full, 0, last)
