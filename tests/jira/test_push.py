"""Reading and writing push targets, and provisioning fields."""

from __future__ import annotations

import pytest
import requests

from connectors.base import FieldSpec, Target, Write
from connectors.errors import FatalError
from tests.jira.conftest import API, EVM_CPI_FIELD, body, calls_to, query

EPIC = Target("jira_issue", "OPS-1")
PROP = Target("jira_property", "OPS-1", property="evm")
DATE_FIELD = {
    "id": "customfield_10060",
    "name": "EVM forecast finish",
    "schema": {
        "type": "date",
        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:datepicker",
    },
}
NOT_ON_SCREEN = (
    "Field 'customfield_10050' cannot be set. It is not on the appropriate screen, or unknown."
)


def fields_list(rsps, *extra):
    rsps.get(f"{API}/field", json=[EVM_CPI_FIELD, DATE_FIELD, *extra])


def test_read_fields_by_name_and_id_as_float_and_date_text(rsps, make):
    fields_list(rsps)
    rsps.get(
        f"{API}/issue/OPS-1",
        json={
            "id": "1",
            "key": "OPS-1",
            "fields": {"customfield_10050": 1, "customfield_10060": "2026-07-01"},
        },
    )
    got = make().read([EPIC], ["EVM CPI", "customfield_10060"])
    assert got == {EPIC: {"EVM CPI": 1.0, "customfield_10060": "2026-07-01"}}
    assert isinstance(got[EPIC]["EVM CPI"], float)
    requested = query(calls_to(rsps, "/rest/api/3/issue/OPS-1")[0])["fields"]
    assert requested == ["customfield_10050,customfield_10060"]


def test_read_property_missing_is_none_present_is_its_json(rsps, make):
    rsps.get(
        f"{API}/issue/OPS-1/properties/evm",
        status=404,
        json={"errorMessages": ["The property with key 'evm' does not exist."], "errors": {}},
    )
    rsps.get(f"{API}/issue/OPS-1/properties/evm", json={"key": "evm", "value": {"cpi": 0.9}})
    connector = make()
    assert connector.read([PROP], []) == {PROP: {"evm": None}}
    assert connector.read([PROP], []) == {PROP: {"evm": {"cpi": 0.9}}}


def test_push_fields_resolves_names_and_sends_ids(rsps, make):
    fields_list(rsps)
    rsps.put(f"{API}/issue/OPS-1", status=204)
    [result] = make().push([Write(EPIC, {"EVM CPI": 0.92, "customfield_10060": "2026-07-01"})])
    assert result.ok, result.error
    assert body(calls_to(rsps, "/rest/api/3/issue/OPS-1")[0]) == {
        "fields": {"customfield_10050": 0.92, "customfield_10060": "2026-07-01"}
    }


def test_a_field_not_on_the_edit_screen_is_reported_with_field_and_issue(rsps, make):
    fields_list(rsps)
    rsps.put(
        f"{API}/issue/OPS-1",
        status=400,
        json={"errorMessages": [], "errors": {"customfield_10050": NOT_ON_SCREEN}},
    )
    rsps.put(f"{API}/issue/OPS-2", status=204)
    results = make().push(
        [Write(EPIC, {"EVM CPI": 0.9}), Write(Target("jira_issue", "OPS-2"), {"EVM CPI": 1.1})]
    )
    assert [r.ok for r in results] == [False, True]
    error = results[0].error
    assert "customfield_10050" in error and "EVM CPI" in error and "OPS-1" in error
    assert "not on the appropriate screen" in error


def test_an_unknown_field_name_is_refused_before_any_write(rsps, make):
    fields_list(rsps)
    [result] = make().push([Write(EPIC, {"EVM nonsense": 1})])
    assert not result.ok and "EVM nonsense" in result.error and "OPS-1" in result.error
    assert not calls_to(rsps, "/rest/api/3/issue/OPS-1")


def test_push_property_and_its_size_limit(rsps, make):
    rsps.put(f"{API}/issue/OPS-1/properties/evm", status=200)
    connector = make()
    summary = {"cpi": 0.9, "spi": 1.02, "status": "green"}
    [ok] = connector.push([Write(PROP, {"evm": summary})])
    assert ok.ok and body(calls_to(rsps, "/rest/api/3/issue/OPS-1/properties/evm")[0]) == summary
    [big] = connector.push([Write(PROP, {"evm": {"x": "y" * 40000}})])
    assert not big.ok and "32768" in big.error
    assert len(calls_to(rsps, "/rest/api/3/issue/OPS-1/properties/evm")) == 1


def test_a_missing_issue_is_reported_not_raised_but_bad_credentials_raise(rsps, make):
    rsps.put(
        f"{API}/issue/NOPE-1/properties/evm",
        status=404,
        json={"errorMessages": ["Issue does not exist or you do not have permission to see it."]},
    )
    [result] = make().push([Write(Target("jira_property", "NOPE-1", "evm"), {"evm": {}})])
    assert not result.ok and "Issue does not exist" in result.error

    rsps.put(
        f"{API}/issue/OPS-1/properties/evm", status=401, json={"errorMessages": ["Unauthorized"]}
    )
    with pytest.raises(FatalError, match="not allowed"):
        make().push([Write(PROP, {"evm": {}})])


def spec(ref, value_type="number", kind="jira_issue"):
    return FieldSpec(name="evm_cpi", target_kind=kind, ref=ref, value_type=value_type)


def test_ensure_fields_finds_creates_and_explains(rsps, make):
    fields_list(rsps)
    created = {"id": "customfield_10070", "name": "EVM SPI"}
    rsps.post(f"{API}/field", status=201, json=created)
    rsps.get(
        f"{API}/field", json=[EVM_CPI_FIELD, DATE_FIELD, {**created, "schema": {"type": "number"}}]
    )

    reports = make().ensure_fields(
        [
            spec("EVM CPI"),
            spec("customfield_10060", "date"),
            spec("EVM SPI"),
            spec("customfield_99999"),
            spec("evm", "text", kind="jira_property"),
        ],
        create=True,
    )

    assert [(r.action, r.field_id) for r in reports] == [
        ("exists", "customfield_10050"),
        ("exists", "customfield_10060"),
        ("created", "customfield_10070"),
        ("not creatable", None),
        ("exists", "evm"),
    ]
    [post] = [c for c in calls_to(rsps, "/rest/api/3/field") if c.request.method == "POST"]
    assert body(post) == {
        "name": "EVM SPI",
        "description": "evm-sync: evm_cpi",
        "type": "com.atlassian.jira.plugin.system.customfieldtypes:float",
        "searcherKey": "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber",
    }


@pytest.mark.parametrize(
    ("value_type", "kind", "searcher"),
    [("text", "textfield", "textsearcher"), ("date", "datepicker", "daterange")],
)
def test_created_fields_have_a_searcher(rsps, make, value_type, kind, searcher):
    rsps.get(f"{API}/field", json=[])
    rsps.post(f"{API}/field", status=201, json={"id": "customfield_1"})
    [report] = make().ensure_fields([spec("EVM x", value_type)], create=True)
    assert report.action == "created"
    [post] = [c for c in rsps.calls if c.request.method == "POST"]
    prefix = "com.atlassian.jira.plugin.system.customfieldtypes:"
    assert (body(post)["type"], body(post)["searcherKey"]) == (prefix + kind, prefix + searcher)


def test_without_create_nothing_is_posted_and_a_wrong_type_is_flagged(rsps, make):
    fields_list(rsps)
    reports = make().ensure_fields(
        [spec("EVM SPI"), spec("EVM forecast finish", "number")], create=False
    )
    assert [r.action for r in reports] == ["missing", "exists"]
    assert "expected number" in reports[1].detail
    assert not [c for c in rsps.calls if c.request.method == "POST"]


def test_creation_refused_by_jira_is_reported(rsps, make):
    rsps.get(f"{API}/field", json=[])
    rsps.post(
        f"{API}/field", status=403, json={"errorMessages": ["Only Jira admins can create fields."]}
    )
    [report] = make().ensure_fields([spec("EVM CPI")], create=True)
    assert report.action == "not creatable" and "Only Jira admins" in report.detail


def test_request_counts_by_method_and_path(rsps, make):
    fields_list(rsps)
    rsps.put(f"{API}/issue/OPS-1", status=204)
    connector = make()
    connector.push([Write(EPIC, {"EVM CPI": 1.0})] * 2)
    assert connector.request_counts() == {
        "GET /rest/api/3/field": 1,
        "PUT /rest/api/3/issue/OPS-1": 2,
    }


def test_a_creation_whose_answer_was_lost_is_not_repeated(rsps, make, sleeps):
    rsps.get(f"{API}/field", json=[])
    rsps.post(f"{API}/field", body=requests.ConnectionError("connection reset"))
    rsps.get(
        f"{API}/field",
        json=[{"id": "customfield_5", "name": "EVM CPI", "schema": {"type": "number"}}],
    )
    [report] = make().ensure_fields([spec("EVM CPI")], create=True)
    assert (report.action, report.field_id) == ("created", "customfield_5")
    assert len([c for c in rsps.calls if c.request.method == "POST"]) == 1
    assert len(sleeps) == 1


def test_a_creation_refused_for_a_while_is_retried(rsps, make, sleeps):
    rsps.get(f"{API}/field", json=[])
    rsps.post(f"{API}/field", status=429, headers={"Retry-After": "3"}, json={})
    rsps.get(f"{API}/field", json=[])
    rsps.post(f"{API}/field", status=201, json={"id": "customfield_6"})
    [report] = make().ensure_fields([spec("EVM CPI")], create=True)
    assert (report.action, report.field_id) == ("created", "customfield_6")
    assert sleeps == [3.0]
