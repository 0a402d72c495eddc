"""A seed file: the APIs' own objects, time entries turned into Time Tracking changes."""

from __future__ import annotations

import json

import pytest
import requests

from evm_sync.sandbox import Sandbox
from evm_sync.sandbox.seed import SeedError

SEED = {
    "now": "2026-03-01T00:00:00Z",
    "zendesk": {
        "ticket_fields": [
            {"id": 501, "type": "integer", "title": "Total time spent (sec)"},
            {"id": 502, "type": "integer", "title": "Time spent last update (sec)"},
        ],
        "organizations": [{"id": 9, "name": "Acme", "organization_fields": {}}],
        "tickets": [
            {
                "id": 1,
                "subject": "Printer",
                "status": "open",
                "organization_id": 9,
                "created_at": "2026-02-01T10:00:00Z",
                "updated_at": "2026-02-01T10:00:00Z",
                "metric_set": {"id": 77, "solved_at": None, "reopens": 0},
            },
        ],
        "time_entries": [
            {"ticket_id": 1, "author_id": 5, "at": "2026-02-02T09:00:00Z", "seconds": 600},
            {"ticket_id": 1, "author_id": 5, "at": "2026-02-03T09:00:00Z", "seconds": 300},
        ],
    },
    "jira": {
        "fields": [
            {
                "id": "customfield_10016",
                "name": "Story point estimate",
                "custom": True,
                "schema": {
                    "type": "number",
                    "custom": "com.pyxis.greenhopper.jira:jsw-story-points",
                },
            }
        ],
        "issues": [
            {
                "id": "100",
                "key": "ABC-1",
                "fields": {
                    "summary": "One",
                    "project": {"id": "1", "key": "ABC"},
                    "created": "2026-02-01T10:00:00.000+0000",
                    "customfield_10016": 3,
                },
            }
        ],
        "worklogs": [
            {
                "id": "7",
                "issueId": "100",
                "timeSpentSeconds": 3600,
                "started": "2026-02-02T10:00:00.000+0000",
            }
        ],
    },
}


def test_seed_file_is_served(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    with Sandbox.start(seed_file=path) as sb:
        assert sb.now().isoformat() == "2026-03-01T00:00:00+00:00"
        zd = requests.Session()
        zd.auth = (f"{sb.email}/token", sb.token)
        page = zd.get(
            f"{sb.url}/api/v2/incremental/tickets/cursor.json",
            params={"start_time": 0, "include": "metric_sets"},
        ).json()
        ticket = page["tickets"][0]
        assert {c["id"]: c["value"] for c in ticket["custom_fields"]} == {501: "900", 502: "300"}
        assert ticket["updated_at"] == "2026-02-03T09:00:00Z"
        assert page["metric_sets"][0]["id"] == 77
        events = zd.get(
            f"{sb.url}/api/v2/incremental/ticket_events.json", params={"start_time": 0}
        ).json()["ticket_events"]
        assert [e["created_at"] for e in events] == ["2026-02-02T09:00:00Z", "2026-02-03T09:00:00Z"]
        auth = (sb.email, sb.token)
        found = requests.get(
            f"{sb.url}/rest/api/3/search/jql",
            auth=auth,
            params={"jql": "project = ABC", "fields": "customfield_10016"},
        ).json()["issues"]
        assert found[0]["fields"]["customfield_10016"] == 3
        logs = requests.get(f"{sb.url}/rest/api/3/issue/ABC-1/worklog", auth=auth).json()
        assert logs["worklogs"][0]["timeSpentSeconds"] == 3600


def test_missing_parts_default_to_empty(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"now": "2026-03-01T00:00:00Z"}))
    with Sandbox.start(seed_file=path) as sb:
        assert sb.zendesk.tickets == {} and sb.jira.issues == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "seed.json"),
        (
            json.dumps(
                {
                    "zendesk": {
                        "time_entries": [
                            {
                                "ticket_id": 1,
                                "author_id": 1,
                                "at": "2026-01-01T00:00:00Z",
                                "seconds": 1,
                            }
                        ]
                    }
                }
            ),
            "Total time spent",
        ),
        (json.dumps({"zendesk": {"tickets": [{"subject": "no id"}]}}), "seed.json"),
    ],
)
def test_bad_seed_files_give_one_line_errors(tmp_path, content, message):
    path = tmp_path / "seed.json"
    path.write_text(content)
    with pytest.raises(SeedError) as caught:
        Sandbox.start(seed_file=path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
