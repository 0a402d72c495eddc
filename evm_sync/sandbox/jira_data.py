"""A seeded, realistic Jira site: projects, issue types, statuses, fields, issues
with estimates, story points and worklogs spread over time.

A few issues carry odd data: a zero estimate, work logged after resolution.
"""

from __future__ import annotations

import random
from typing import Any

from evm_sync.sandbox.clock import jira_time
from evm_sync.sandbox.jira_store import STORY_POINTS_SCHEMA, JiraStore, make_worklog
from evm_sync.sandbox.links import BASE

DAY = 86400
CATEGORIES = {
    "new": {
        "self": f"{BASE}/rest/api/2/statuscategory/2",
        "id": 2,
        "key": "new",
        "colorName": "blue-gray",
        "name": "To Do",
    },
    "indeterminate": {
        "self": f"{BASE}/rest/api/2/statuscategory/4",
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {
        "self": f"{BASE}/rest/api/2/statuscategory/3",
        "id": 3,
        "key": "done",
        "colorName": "green",
        "name": "Done",
    },
}


def _named(kind: str, ident: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"self": f"{BASE}/rest/api/2/{kind}/{ident}", "id": ident, "name": name, **extra}


STATUSES = {
    name: _named(
        "status",
        ident,
        name,
        description="",
        iconUrl=f"{BASE}/images/icons/status.png",
        statusCategory=CATEGORIES[cat],
    )
    for ident, name, cat in (
        ("10000", "To Do", "new"),
        ("3", "In Progress", "indeterminate"),
        ("10001", "In Review", "indeterminate"),
        ("10002", "Done", "done"),
    )
}
ISSUE_TYPES = {
    name: _named(
        "issuetype",
        ident,
        name,
        description=f"A {name.lower()}.",
        iconUrl=f"{BASE}/images/icons/issuetypes/{name.lower()}.svg",
        subtask=False,
        avatarId=10300 + int(ident) % 100,
        hierarchyLevel=1 if name == "Epic" else 0,
    )
    for ident, name in (("10001", "Story"), ("10004", "Bug"), ("10002", "Task"), ("10000", "Epic"))
}
PRIORITIES = {
    name: _named(
        "priority", ident, name, iconUrl=f"{BASE}/images/icons/priorities/{name.lower()}.svg"
    )
    for ident, name in (
        ("1", "Highest"),
        ("2", "High"),
        ("3", "Medium"),
        ("4", "Low"),
        ("5", "Lowest"),
    )
}
RESOLUTIONS = {
    name: _named("resolution", ident, name, description="")
    for ident, name in (("10000", "Done"), ("10001", "Won't Do"), ("10002", "Duplicate"))
}
PROJECTS = [
    ("SUP", "10000", "Support escalations", 50),
    ("ENG", "10001", "Engineering", 35),
    ("OPS", "10002", "Operations", 15),
]
LABELS = ("customer", "backend", "frontend", "regression", "support-escalation")
STORY_POINTS = "customfield_10016"
LOCKED = "customfield_10050"


def avatars(url: str) -> dict[str, str]:
    return {f"{n}x{n}": f"{url}?size={n}" for n in (48, 24, 16, 32)}


def _system(fid: str, name: str, ftype: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": fid,
        "key": fid,
        "name": name,
        "custom": False,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [fid],
        "schema": {"type": ftype, "system": fid, **extra},
    }


def custom_field(fid: str, name: str, ftype: str, custom: str) -> dict[str, Any]:
    number = int(fid.rsplit("_", 1)[1])
    return {
        "id": fid,
        "key": fid,
        "name": name,
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{number}]", name],
        "schema": {"type": ftype, "custom": custom, "customId": number},
    }


def base_fields() -> list[dict[str, Any]]:
    system = [
        ("summary", "Summary", "string"),
        ("description", "Description", "string"),
        ("issuetype", "Issue Type", "issuetype"),
        ("project", "Project", "project"),
        ("priority", "Priority", "priority"),
        ("status", "Status", "status"),
        ("resolution", "Resolution", "resolution"),
        ("resolutiondate", "Resolved", "datetime"),
        ("created", "Created", "datetime"),
        ("updated", "Updated", "datetime"),
        ("duedate", "Due date", "date"),
        ("statuscategorychangedate", "Status Category Changed", "datetime"),
        ("assignee", "Assignee", "user"),
        ("reporter", "Reporter", "user"),
        ("timetracking", "Time tracking", "timetracking"),
        ("timeoriginalestimate", "Original estimate", "number"),
        ("aggregatetimeoriginalestimate", "Σ Original Estimate", "number"),
        ("timeestimate", "Remaining Estimate", "number"),
        ("timespent", "Time Spent", "number"),
        ("aggregatetimespent", "Σ Time Spent", "number"),
        ("worklog", "Log Work", "array"),
    ]
    fields = [_system(fid, name, ftype) for fid, name, ftype in system]
    fields += [
        _system("labels", "Labels", "array", items="string"),
        _system("components", "Components", "array", items="component"),
    ]
    fields.append(custom_field(STORY_POINTS, "Story point estimate", "number", STORY_POINTS_SCHEMA))
    fields.append(
        custom_field(
            LOCKED,
            "Locked field",
            "number",
            "com.atlassian.jira.plugin.system.customfieldtypes:float",
        )
    )
    return fields


# The system fields on the generated site's edit screen (custom ones are added).
SCREEN_SYSTEM_FIELDS = frozenset(
    {"summary", "description", "labels", "duedate", "priority", "assignee", "components"}
)


def populate(store: JiraStore, count: int, seed: int) -> None:
    rng = random.Random(f"jira-{seed}")
    now = store.clock.now().timestamp()
    store.fields = base_fields()
    store.screen = {*SCREEN_SYSTEM_FIELDS, STORY_POINTS}
    for n in range(12):
        account = f"5b10a2844c20165700ede{n:03d}"
        store.users[account] = {
            "self": f"{BASE}/rest/api/2/user?accountId={account}",
            "accountId": account,
            "emailAddress": f"agent{n + 1}@sandbox.example",
            "avatarUrls": avatars(f"{BASE}/avatar/user/{n}"),
            "displayName": f"Agent {n + 1}",
            "active": True,
            "timeZone": "UTC",
            "accountType": "atlassian",
        }
    users = list(store.users.values())
    numbers = {key: 0 for key, *_ in PROJECTS}
    projects = {
        key: {
            "self": f"{BASE}/rest/api/2/project/{pid}",
            "id": pid,
            "key": key,
            "name": pname,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": avatars(f"{BASE}/avatar/project/{pid}"),
        }
        for key, pid, pname, _ in PROJECTS
    }
    weights = [p[3] for p in PROJECTS]
    for i in range(count):
        key = rng.choices(PROJECTS, weights)[0][0]
        numbers[key] += 1
        _issue(store, rng, 10000 + i, f"{key}-{numbers[key]}", projects[key], users, now)
    _link_to_epics(store, random.Random(count * 7919 + 17))


def _link_to_epics(store: JiraStore, rng: random.Random) -> None:
    """Most stories, bugs and tasks belong to an epic of their project (``parent``),
    drawn from a generator of their own so the rest of the data stays as it was."""
    epics: dict[str, list[dict]] = {}
    for issue in store.issues.values():
        if issue["fields"]["issuetype"]["name"] == "Epic":
            epics.setdefault(issue["fields"]["project"]["key"], []).append(issue)
    for issue in store.issues.values():
        fields = issue["fields"]
        candidates = epics.get(fields["project"]["key"])
        if fields["issuetype"]["name"] == "Epic" or not candidates or rng.random() < 0.3:
            continue
        epic = rng.choice(candidates)
        fields["parent"] = {
            "id": epic["id"],
            "key": epic["key"],
            "self": epic["self"],
            "fields": {
                name: epic["fields"][name]
                for name in ("summary", "status", "priority", "issuetype")
            },
        }


def _issue(
    store: JiraStore,
    rng: random.Random,
    ident: int,
    key: str,
    project: dict,
    users: list[dict],
    now: float,
) -> None:
    age = 3600 + (rng.random() ** 1.4) * 300 * DAY
    created = now - age
    kind = rng.choices(list(ISSUE_TYPES), (40, 30, 25, 5))[0]
    resolved = created + rng.expovariate(1 / (10 * DAY)) + 3600
    if resolved < now - 600:
        status, resolution = "Done", rng.choices(list(RESOLUTIONS), (85, 10, 5))[0]
    else:
        status, resolution, resolved = rng.choice(("To Do", "In Progress", "In Review")), None, None
    estimate = None
    if kind != "Epic" and rng.random() < 0.6:
        estimate = 0 if rng.random() < 0.01 else 3600 * rng.choice((1, 2, 4, 6, 8, 16, 24, 40))
    points = (
        rng.choice((1, 2, 3, 5, 8, 13)) if kind in ("Story", "Bug") and rng.random() < 0.7 else None
    )
    assignee = None if status == "To Do" and rng.random() < 0.4 else rng.choice(users)
    worklogs = []
    if status != "To Do" or rng.random() < 0.1:
        end = resolved or now - 7200
        for _ in range(rng.randint(0, 8)):
            started = rng.uniform(created, max(created, end))
            worklogs.append((started, 900 * rng.randint(1, 16)))
        if resolved and rng.random() < 0.02:  # odd: work logged after resolution
            worklogs.append((min(now - 3600, resolved + rng.uniform(600, 3 * DAY)), 1800))
    spent = sum(s for _, s in worklogs) or None
    last = max([created, resolved or created] + [w[0] + w[1] for w in worklogs])
    last = min(last, now - 61)
    fields = {
        "summary": f"{kind} {key}: {rng.choice(LABELS).replace('-', ' ')} work",
        "description": f"Work item {key}.",
        "issuetype": ISSUE_TYPES[kind],
        "project": project,
        "priority": PRIORITIES[rng.choices(list(PRIORITIES), (5, 20, 50, 20, 5))[0]],
        "status": STATUSES[status],
        "resolution": RESOLUTIONS.get(resolution),
        "resolutiondate": jira_time(resolved) if resolved else None,
        "created": jira_time(created),
        "updated": jira_time(last),
        "statuscategorychangedate": jira_time(resolved or created),
        "duedate": None if rng.random() < 0.7 else _date(created + rng.randint(7, 60) * DAY),
        "labels": sorted(rng.sample(LABELS, rng.randint(0, 2))),
        "components": [
            {
                "self": f"{BASE}/rest/api/2/component/{project['id']}1",
                "id": f"{project['id']}1",
                "name": f"{project['key']} core",
                "description": f"Core work of {project['name']}",
            }
        ],
        "assignee": assignee,
        "reporter": users[ident % len(users)],
        "timeoriginalestimate": estimate,
        "aggregatetimeoriginalestimate": estimate,
        "timeestimate": None if estimate is None else max(0, estimate - (spent or 0)),
        "timespent": spent,
        "aggregatetimespent": spent,
        STORY_POINTS: points,
        LOCKED: None,
    }
    issue = {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog",
        "id": str(ident),
        "self": f"{BASE}/rest/api/2/issue/{ident}",
        "key": key,
        "fields": fields,
    }
    store.put_issue(issue)
    for started, seconds in sorted(worklogs):
        w_id = store._next_worklog
        logged = min(now - 61, started + seconds + rng.uniform(0, 7200))
        user = assignee or rng.choice(users)
        store.put_worklog(make_worklog(w_id, str(ident), user, seconds, started, logged))


def _date(epoch: float) -> str:
    return jira_time(epoch)[:10]
