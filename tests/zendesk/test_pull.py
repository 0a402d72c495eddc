"""The two exports over HTTP (``responses``): paging, bookmarks, restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from responses import matchers

from connectors.base import Scope
from connectors.errors import FatalError
from tests.zendesk.conftest import BASE, add_fields

TICKETS = f"{BASE}/api/v2/incremental/tickets/cursor.json"
EVENTS = f"{BASE}/api/v2/incremental/ticket_events.json"


def ticket(ticket_id, generated, status="open", **extra):
    return {
        "id": ticket_id,
        "created_at": "2026-01-05T08:00:00Z",
        "updated_at": "2026-01-06T08:00:00Z",
        "status": status,
        "generated_timestamp": generated,
        **extra,
    }


def export_page(tickets, after, end, metric_sets=()):
    return {
        "tickets": tickets,
        "metric_sets": list(metric_sets),
        "after_cursor": after,
        "after_url": f"{TICKETS}?cursor={after}",
        "before_cursor": None,
        "end_of_stream": end,
    }


def query(call):
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def test_pages_to_end_of_stream_each_with_its_cursor(api, make_connector):
    api.get(TICKETS, match=[matchers.query_param_matcher({"start_time": "0",
            "include": "metric_sets,slas", "per_page": "1000"})],
            json=export_page([ticket(1, 100), ticket(2, 110)], "c1", False))  # fmt: skip
    api.get(TICKETS, match=[matchers.query_param_matcher({"cursor": "c1",
            "include": "metric_sets,slas", "per_page": "1000"})],
            json=export_page([ticket(3, 120, "deleted")], "c2", False,
                             [{"ticket_id": 3, "reopens": 1}]))  # fmt: skip
    api.get(TICKETS, match=[matchers.query_param_matcher({"cursor": "c2",
            "include": "metric_sets,slas", "per_page": "1000"})],
            json=export_page([], "c3", True))  # fmt: skip
    pages = list(make_connector().pull("tickets", None, Scope()))
    assert [p.stream for p in pages] == ["tickets"] * 3
    assert [[t.id for t in p.tickets] for p in pages] == [["1", "2"], ["3"], []]
    assert [dict(p.bookmark) for p in pages] == [
        {"after_cursor": "c1", "generated_timestamp": 110},
        {"after_cursor": "c2", "generated_timestamp": 120},
        {"after_cursor": "c3", "generated_timestamp": 120},
    ]
    assert pages[1].tickets[0].deleted and pages[1].tickets[0].reopens == 1


def test_resumes_from_the_bookmark_cursor_only(api, make_connector):
    api.get(TICKETS, json=export_page([ticket(9, 500)], "c9", True))
    connector = make_connector()
    pages = list(connector.pull("tickets", {"after_cursor": "c8", "generated_timestamp": 400},
                                Scope()))  # fmt: skip
    assert query(api.calls[0]) == {
        "cursor": "c8",
        "include": "metric_sets,slas",
        "per_page": "1000",
    }
    assert dict(pages[-1].bookmark) == {"after_cursor": "c9", "generated_timestamp": 500}
    assert connector.request_counts() == {"GET /api/v2/incremental/tickets/cursor.json": 1}


def test_first_sync_starts_at_the_configured_start(api, make_connector):
    api.get(TICKETS, json=export_page([], "c1", True))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    list(make_connector(start=start, per_page=500).pull("tickets", None, Scope()))
    assert query(api.calls[0])["start_time"] == str(int(start.timestamp()))
    assert query(api.calls[0])["per_page"] == "500"


def test_refused_cursor_restarts_from_generated_timestamp(api, make_connector):
    api.get(TICKETS, match=[matchers.query_param_matcher({"cursor": "old"}, strict_match=False)],
            status=422, json={"error": "InvalidPaginationParameter",
                              "description": "cursor is invalid"})  # fmt: skip
    api.get(TICKETS, match=[matchers.query_param_matcher({"start_time": "400"},
            strict_match=False)], json=export_page([ticket(4, 450)], "n1", True))  # fmt: skip
    pages = list(make_connector().pull("tickets", {"after_cursor": "old",
                 "generated_timestamp": 400}, Scope()))  # fmt: skip
    assert [t.id for t in pages[0].tickets] == ["4"]
    assert pages[0].bookmark["after_cursor"] == "n1"


def test_a_repeated_cursor_is_refused(api, make_connector):
    api.get(TICKETS, json=export_page([ticket(1, 100)], "same", False))
    with pytest.raises(FatalError, match="returned 'same' again"):
        list(make_connector().pull("tickets", {"after_cursor": "same"}, Scope()))


def test_estimate_field_found_by_title(api, make_connector):
    add_fields(api)
    api.get(TICKETS, json=export_page(
        [ticket(1, 100, custom_fields=[{"id": 503, "value": "3.5"}])], "c", True))  # fmt: skip
    pages = list(make_connector(estimate_field="Estimate (h)").pull("tickets", None, Scope()))
    assert pages[0].tickets[0].estimate_hours == 3.5


def test_estimate_field_must_exist_and_be_numeric(api, make_connector):
    add_fields(api)
    with pytest.raises(FatalError, match="estimate_field 'Nope' names no ticket field"):
        list(make_connector(estimate_field="Nope").pull("tickets", None, Scope()))
    with pytest.raises(FatalError, match="is a text field"):
        list(make_connector(estimate_field="EVM status").pull("tickets", None, Scope()))


def test_bad_ticket_is_skipped_and_logged_in_one_line(api, make_connector, caplog):
    api.get(TICKETS, json=export_page([ticket(1, 100), ticket(2, 101, created_at="soon")],
                                      "c", True))  # fmt: skip
    pages = list(make_connector().pull("tickets", None, Scope()))
    assert [t.id for t in pages[0].tickets] == ["1"]
    assert "ticket 2 created_at: 'soon' is not a timestamp" in caplog.text


def events_page(events, end_time, end):
    return {"ticket_events": events, "end_time": end_time, "end_of_stream": end,
            "count": len(events), "next_page": f"{EVENTS}?start_time={end_time}"}  # fmt: skip


def time_event(event_id, ticket_id, last_update):
    return {
        "id": event_id,
        "ticket_id": ticket_id,
        "created_at": "2026-01-07T09:00:00Z",
        "updater_id": 42,
        "event_type": "Audit",
        "child_events": [
            {"id": event_id * 10, "event_type": "Change", "previous_value": None,
             "custom_ticket_fields": {"502": str(last_update)}},
        ],
    }  # fmt: skip


def test_time_entries_page_by_end_time(api, make_connector):
    add_fields(api)
    api.get(EVENTS, match=[matchers.query_param_matcher({"start_time": "0"})],
            json=events_page([time_event(1, 10, 60)], 2000, False))  # fmt: skip
    api.get(EVENTS, match=[matchers.query_param_matcher({"start_time": "2000"})],
            json=events_page([time_event(2, 11, 120)], 3000, True))  # fmt: skip
    pages = list(make_connector().pull("time_entries", None, Scope()))
    assert [[(w.id, w.seconds) for w in p.worklogs] for p in pages] == [
        [("10:1", 60)],
        [("11:2", 120)],
    ]
    assert [dict(p.bookmark) for p in pages] == [{"start_time": 2000}, {"start_time": 3000}]


def test_time_entries_resume_from_the_bookmark(api, make_connector):
    add_fields(api)
    api.get(EVENTS, json=events_page([], 5000, True))
    pages = list(make_connector().pull("time_entries", {"start_time": 4000}, Scope()))
    assert query(api.calls[-1]) == {"start_time": "4000"}
    assert pages[0].worklogs == () and dict(pages[0].bookmark) == {"start_time": 5000}


def test_time_fields_missing_is_a_clear_error(api, make_connector):
    add_fields(api)
    connector = make_connector(time_fields={"total": "Time total", "last_update": "Last"})
    with pytest.raises(FatalError, match=r"time_fields\.total 'Time total' names no ticket field"):
        list(connector.pull("time_entries", None, Scope()))


def test_unknown_stream(make_connector):
    with pytest.raises(ValueError, match="unknown stream 'users'"):
        make_connector().pull("users", None, Scope())
