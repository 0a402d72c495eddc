"""Pure transforms: issue and worklog JSON to the model, and field discovery."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from connectors.jira.fields import FieldCatalog, parse_fields
from connectors.jira.normalize import BadRecord, IssueFields, issue_to_ticket, worklog_to_model
from connectors.jira.pull import bounded_jql, without_order_by
from tests.jira.conftest import SPRINT_FIELD, STORY_POINTS_FIELD, issue

UPDATED = "2026-03-01T10:00:00.000+0100"


def ticket(extra=None, **fields):
    extra = extra or IssueFields()
    return issue_to_ticket("acme", issue("10001", UPDATED, key="OPS-1", **fields), extra)


@pytest.mark.parametrize(
    ("tracking", "legacy", "hours"),
    [
        ({"originalEstimateSeconds": 5400}, None, 1.5),
        ({}, 7200, 2.0),  # Data Center and v2 searches: timeoriginalestimate only
        ({"originalEstimateSeconds": 0}, None, None),
        ({}, None, None),
    ],
)
def test_estimate_is_seconds_over_3600_and_zero_is_none(tracking, legacy, hours):
    assert ticket(timetracking=tracking, timeoriginalestimate=legacy).estimate_hours == hours


@pytest.mark.parametrize(
    ("key", "category"), [("new", "new"), ("indeterminate", "in_progress"), ("done", "done")]
)
def test_status_category(key, category):
    status = {"name": "X", "statusCategory": {"key": key}}
    assert ticket(status=status).status_category == category


def test_resolved_at_only_while_a_resolution_is_set():
    stamp = "2026-03-02T08:00:00.000-0500"
    resolved = ticket(resolution={"name": "Done"}, resolutiondate=stamp)
    assert resolved.resolved_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    reopened = ticket(resolution=None, resolutiondate=stamp)
    assert reopened.resolved_at is None


def test_people_labels_components_dates():
    t = ticket(
        assignee={"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Mia"},
        labels=["vip", "billing"],
        components=[{"name": "API"}, {"name": "Web"}],
        duedate="2026-04-30",
        priority=None,
    )
    assert t.id == "10001" and t.key == "OPS-1" and t.project == "OPS"
    assert t.assignee == "5b10ac8d82e05b22cc7d4ef5"
    assert t.tags == ("vip", "billing") and t.components == ("API", "Web")
    assert t.due_date == date(2026, 4, 30)
    assert t.priority is None
    assert t.updated_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    dc_user = ticket(assignee={"name": "jsmith", "key": "JIRAUSER10100"})
    assert dc_user.assignee == "jsmith"


def test_configured_due_field_story_points_and_sprint_end():
    extra = IssueFields(
        story_points="customfield_10016", due="customfield_10300", sprint="customfield_10020"
    )
    sprints = [
        {"state": "closed", "endDate": "2026-02-14T17:00:00.000Z"},
        {"state": "active", "endDate": "2026-02-28T17:00:00.000Z"},
    ]
    t = ticket(
        extra,
        customfield_10016=8,
        customfield_10300="2026-05-01",
        customfield_10020=sprints,
        duedate="2026-01-01",
    )
    assert t.story_points == 8.0
    assert t.due_date == date(2026, 5, 1)
    assert t.sprint_end_at == datetime(2026, 2, 28, 17, 0, tzinfo=UTC)


def test_bad_values_name_the_issue_and_the_field():
    with pytest.raises(BadRecord, match=r"issue OPS-1 field 'customfield_10016' is not a number"):
        ticket(IssueFields(story_points="customfield_10016"), customfield_10016="lots")
    with pytest.raises(BadRecord, match=r"issue OPS-1 field 'duedate' is not a date"):
        ticket(duedate="soon")


def test_worklog():
    w = worklog_to_model(
        "acme",
        {
            "id": "100028",
            "issueId": "10002",
            "started": "2021-01-17T12:34:00.000+0200",
            "timeSpentSeconds": 12000,
            "author": {"accountId": "abc"},
            "updated": "2021-01-18T23:45:00.000+0000",
        },
    )
    assert (w.id, w.ticket_id, w.seconds, w.author) == ("100028", "10002", 12000, "abc")
    assert w.started_at == datetime(2021, 1, 17, 10, 34, tzinfo=UTC)
    with pytest.raises(BadRecord, match="worklog 5 field 'started'"):
        worklog_to_model("acme", {"id": "5", "issueId": "1", "started": "x"})


def named(name, custom=None, field_id="customfield_1"):
    return {"id": field_id, "name": name, "schema": {"type": "number", "custom": custom}}


@pytest.mark.parametrize(
    ("fields", "configured", "expected"),
    [
        (
            [named("Estimate", "com.pyxis.greenhopper.jira:jsw-story-points", "customfield_7")],
            None,
            "customfield_7",
        ),
        ([named("Story Points", None, "customfield_9")], None, "customfield_9"),
        ([named("Original story points", "com.atlassian.jpo:x", "customfield_3")], None, None),
        ([named("Points", None, "customfield_4")], "points", "customfield_4"),
        ([], "customfield_10105", "customfield_10105"),
        ([], "Points", None),
    ],
)
def test_story_points_discovery(fields, configured, expected):
    catalog = FieldCatalog(parse_fields(fields))
    assert catalog.story_points(configured) == expected


def test_schema_match_wins_over_name_match():
    catalog = FieldCatalog(
        parse_fields(
            [named("Story Points", None, "customfield_1"), STORY_POINTS_FIELD, SPRINT_FIELD]
        )
    )
    assert catalog.story_points(None) == "customfield_10016"
    assert catalog.sprint() == "customfield_10020"


@pytest.mark.parametrize(
    ("jql", "kept"),
    [
        ("project = OPS ORDER BY created DESC", "project = OPS"),
        ('project = OPS order by "Story Points" ASC', "project = OPS"),
        (
            'summary ~ "sort order by date" AND project = OPS',
            'summary ~ "sort order by date" AND project = OPS',
        ),
        ("  assignee = currentUser()  ", "assignee = currentUser()"),
    ],
)
def test_the_jobs_order_by_is_dropped_not_text_in_quotes(jql, kept):
    assert without_order_by(jql) == kept


def test_bounded_jql_in_the_users_zone():
    since = datetime(2026, 7, 1, 23, 59, 59, tzinfo=UTC)
    jql = bounded_jql("project = OPS ORDER BY key", since, ZoneInfo("Asia/Kolkata"))
    assert jql == '(project = OPS) AND updated >= "2026-07-02 05:29" ORDER BY updated ASC'


def test_parent_is_the_parent_issues_key():
    assert ticket(parent={"id": "10000", "key": "OPS-7", "fields": {}}).parent == "OPS-7"
    assert ticket().parent is None
    assert ticket(parent={"id": "10000"}).parent is None  # no key: no parent we can name
