"""Pure normalization of export tickets into the model's Ticket."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.zendesk.normalize import (
    RecordError,
    TicketContext,
    normalize_page,
    normalize_ticket,
    parse_time,
)

CTX = TicketContext("zd", estimate_field_id=503)


def raw_ticket(**overrides):
    ticket = {
        "id": 7,
        "created_at": "2026-03-01T09:00:00Z",
        "updated_at": "2026-03-02T10:30:00Z",
        "type": "task",
        "priority": "high",
        "status": "open",
        "group_id": 11,
        "organization_id": 22,
        "brand_id": 33,
        "ticket_form_id": 44,
        "assignee_id": 55,
        "tags": ["vip", "billing"],
        "due_at": "2026-03-10T17:00:00Z",
        "custom_fields": [{"id": 503, "value": "2.5"}, {"id": 999, "value": "x"}],
        "satisfaction_rating": {"score": "good"},
        "generated_timestamp": 1772500000,
    }
    ticket.update(overrides)
    return ticket


def test_open_ticket_fields_are_mapped():
    t = normalize_ticket(raw_ticket(), None, CTX)
    assert (t.source, t.id, t.type, t.priority, t.status) == ("zd", "7", "task", "high", "open")
    assert t.status_category == "in_progress"
    assert (t.group, t.organization, t.brand, t.form, t.assignee) == ("11", "22", "33", "44", "55")
    assert t.tags == ("vip", "billing")
    assert t.created_at == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert t.updated_at == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    assert t.due_at == datetime(2026, 3, 10, 17, tzinfo=UTC)
    assert t.estimate_hours == 2.5
    assert t.satisfaction == "good"
    assert t.resolved_at is None and not t.deleted


@pytest.mark.parametrize(
    ("status", "category"),
    [("new", "new"), ("open", "in_progress"), ("pending", "in_progress"),
     ("hold", "in_progress"), ("solved", "done"), ("closed", "done")],
)  # fmt: skip
def test_status_categories(status, category):
    assert normalize_ticket(raw_ticket(status=status), None, CTX).status_category == category


def test_resolved_at_only_while_solved_or_closed():
    metrics = {"ticket_id": 7, "solved_at": "2026-03-05T12:00:00+02:00", "reopens": 2}
    solved = normalize_ticket(raw_ticket(status="solved"), metrics, CTX)
    assert solved.resolved_at == datetime(2026, 3, 5, 10, tzinfo=UTC)
    assert solved.reopens == 2
    reopened = normalize_ticket(raw_ticket(status="open"), metrics, CTX)
    assert reopened.resolved_at is None and reopened.reopens == 2


def test_archived_closed_ticket_with_inline_metric_set():
    raw = raw_ticket(status="closed", metric_set={"solved_at": "2025-01-01T00:00:00Z"})
    t = normalize_ticket(raw, None, CTX)
    assert t.status_category == "done"
    assert t.resolved_at == datetime(2025, 1, 1, tzinfo=UTC)


def test_deleted_ticket_is_marked():
    t = normalize_ticket(raw_ticket(status="deleted"), None, CTX)
    assert t.deleted and t.status == "deleted" and t.status_category is None


def test_null_fields_stay_none():
    raw = raw_ticket(
        type=None, priority=None, group_id=None, organization_id=None, brand_id=None,
        ticket_form_id=None, assignee_id=None, tags=None, due_at=None, custom_fields=None,
        satisfaction_rating=None, updated_at=None,
    )  # fmt: skip
    t = normalize_ticket(raw, {"reply_time_in_minutes": {"calendar": None}}, CTX)
    assert (t.type, t.priority, t.group, t.assignee, t.due_at, t.updated_at) == (None,) * 6
    assert t.tags == () and t.estimate_hours is None and t.satisfaction is None
    assert t.first_reply_minutes is None and t.reopens == 0


def test_first_reply_and_satisfaction_values():
    metrics = {"reply_time_in_minutes": {"calendar": 42, "business": 7}}
    t = normalize_ticket(raw_ticket(satisfaction_rating={"score": "offered"}), metrics, CTX)
    assert t.first_reply_minutes == 42.0
    assert t.satisfaction is None
    bad = normalize_ticket(raw_ticket(satisfaction_rating={"score": "bad"}), None, CTX)
    assert bad.satisfaction == "bad"


def test_sla_due_at_is_the_earliest_active_target():
    slas = {
        "policy_metrics": [
            {
                "breach_at": "2026-03-03T08:00:00Z",
                "stage": "achieved",
                "metric": "first_reply_time",
            },
            {"breach_at": "2026-03-04T08:00:00Z", "stage": "active", "metric": "next_reply_time"},
            {"breach_at": "2026-03-06T08:00:00Z", "stage": "active", "metric": "agent_work_time"},
        ]
    }
    t = normalize_ticket(raw_ticket(slas=slas), None, CTX)
    assert t.sla_due_at == datetime(2026, 3, 4, 8, tzinfo=UTC)


def test_estimate_not_configured_is_ignored():
    t = normalize_ticket(raw_ticket(), None, TicketContext("zd"))
    assert t.estimate_hours is None


def test_bad_value_names_the_ticket_and_field():
    with pytest.raises(RecordError, match=r"ticket 7 field 503 \(estimate_field\): 'lots'"):
        normalize_ticket(raw_ticket(custom_fields=[{"id": 503, "value": "lots"}]), None, CTX)
    with pytest.raises(RecordError, match="ticket 7 created_at"):
        normalize_ticket(raw_ticket(created_at="yesterday"), None, CTX)


def test_naive_timestamps_are_refused():
    with pytest.raises(RecordError, match="no time zone"):
        parse_time("2026-03-01T09:00:00", "x")


def test_page_joins_metric_sets_and_reports_bad_tickets():
    body = {
        "tickets": [raw_ticket(id=1, status="solved"), raw_ticket(id=2, created_at=None), "junk"],
        "metric_sets": [{"ticket_id": 1, "solved_at": "2026-03-04T00:00:00Z"}],
    }
    tickets, problems = normalize_page(body, CTX)
    assert [t.id for t in tickets] == ["1"]
    assert tickets[0].resolved_at == datetime(2026, 3, 4, tzinfo=UTC)
    assert len(problems) == 2
    assert "ticket 2 created_at: missing" in problems[0]
    assert all("\n" not in p for p in problems)
