"""Time Tracking entries from ticket events: every rule of time_tracking.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.zendesk.normalize import RecordError
from connectors.zendesk.time_tracking import TimeFieldIds, worklog_from_event, worklogs_of_page

IDS = TimeFieldIds(total=501, last_update=502)


def change(field_id, value, previous, *, named=False):
    child = {
        "id": 9000 + field_id,
        "event_type": "Change",
        "custom_ticket_fields": {str(field_id): value},
        "previous_value": previous,
    }
    if named:
        child["field_name"] = str(field_id)
    return child


def event(*children, event_id=77, ticket_id=5, at="2026-03-02T10:00:00Z", updater=900):
    return {
        "id": event_id,
        "ticket_id": ticket_id,
        "created_at": at,
        "timestamp": 1772445600,
        "updater_id": updater,
        "event_type": "Audit",
        "child_events": list(children),
    }


def test_last_update_change_gives_its_value():
    entry = worklog_from_event(
        event(change(501, "900", "300"), change(502, "600", "300")), IDS, "zd"
    )
    assert entry is not None
    assert entry.seconds == 600
    assert (entry.id, entry.ticket_id, entry.author) == ("5:77", "5", "900")
    assert entry.started_at == datetime(2026, 3, 2, 10, tzinfo=UTC) == entry.updated_at


def test_equal_seconds_twice_derives_from_the_total():
    # the second update logged 300 again: no change event on "last update"
    entry = worklog_from_event(event(change(501, "600", "300")), IDS, "zd")
    assert entry is not None and entry.seconds == 300


def test_first_total_without_previous_counts_from_zero():
    created = {"event_type": "Create", "custom_ticket_fields": {"501": 1200}, "id": 1}
    entry = worklog_from_event(event(created), IDS, "zd")
    assert entry is not None and entry.seconds == 1200


def test_total_lowered_gives_a_negative_correction():
    entry = worklog_from_event(event(change(501, "100", "400")), IDS, "zd")
    assert entry is not None and entry.seconds == -300


def test_no_time_change_no_entry():
    status = {"id": 3, "event_type": "Change", "field_name": "status", "status": "solved",
              "previous_value": "open"}  # fmt: skip
    assert worklog_from_event(event(status, change(999, "1", "0")), IDS, "zd") is None


def test_zero_seconds_no_entry():
    assert worklog_from_event(event(change(502, "0", "300")), IDS, "zd") is None


def test_field_name_form_and_audit_form_are_read():
    named = worklog_from_event(event(change(502, "120", None, named=True)), IDS, "zd")
    assert named is not None and named.seconds == 120
    audit = {
        "id": 4,
        "type": "Change",
        "field_name": "502",
        "value": "240",
        "previous_value": "120",
    }
    entry = worklog_from_event(event(audit), IDS, "zd")
    assert entry is not None and entry.seconds == 240


def test_timestamp_used_when_created_at_missing():
    raw = event(change(502, "60", None))
    raw["created_at"] = None
    entry = worklog_from_event(raw, IDS, "zd")
    assert entry is not None
    assert entry.started_at == datetime.fromtimestamp(1772445600, UTC)


def test_bad_seconds_names_the_place():
    with pytest.raises(RecordError, match=r"ticket 5 event 77 field 502 \(last update\): 'abc'"):
        worklog_from_event(event(change(502, "abc", None)), IDS, "zd")


def test_rereading_an_overlapping_page_gives_the_same_ids():
    body = {"ticket_events": [event(change(502, "60", None)), event(change(502, "60", None))]}
    entries, problems = worklogs_of_page(body, IDS, "zd")
    assert [e.id for e in entries] == ["5:77"] and problems == ()
    again, _ = worklogs_of_page(body, IDS, "zd")
    assert again == entries


def test_page_reports_bad_events_and_keeps_the_rest():
    body = {
        "ticket_events": [
            event(change(502, "60", None), event_id=1),
            event(change(502, "x", None), event_id=2),
            {"id": 3},
        ]
    }
    entries, problems = worklogs_of_page(body, IDS, "zd")
    assert [e.id for e in entries] == ["5:1"]
    assert len(problems) == 2 and "event 2" in problems[0]
