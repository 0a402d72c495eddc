"""What we send, checked against Atlassian's official Jira Cloud v3 description."""

from __future__ import annotations

import json
from functools import cache

import pytest
from openapi_schema_validator import OAS30Validator

from connectors.base import FieldSpec, Scope
from tests.jira.conftest import API, RECORDED, body, calls_to, query, site

SPEC = RECORDED.parent / "jira-cloud-platform-v3.swagger-v3.v3.json"


@cache
def spec():
    if not SPEC.exists():
        pytest.skip(f"official spec not present: {SPEC}")
    return json.loads(SPEC.read_text())


def request_schema(path, method):
    op = spec()["paths"][path][method]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    return {**schema, "components": spec()["components"]}


def query_names(path, method):
    return {
        p["name"] for p in spec()["paths"][path][method].get("parameters", []) if p["in"] == "query"
    }


@pytest.mark.parametrize("value_type", ["number", "text", "date"])
def test_field_creation_bodies_match_create_custom_field(rsps, make, value_type):
    rsps.get(f"{API}/field", json=[])
    rsps.post(f"{API}/field", status=201, json={"id": "customfield_1"})
    make().ensure_fields([FieldSpec("evm_x", "jira_issue", "EVM x", value_type)], create=True)
    [post] = [c for c in rsps.calls if c.request.method == "POST"]
    # the schema's searcherKey enum lists only valid searchers
    OAS30Validator(request_schema("/rest/api/3/field", "post")).validate(body(post))


def test_search_and_worklog_requests_use_documented_parameters(rsps, make):
    site(rsps)
    rsps.get(f"{API}/search/jql", json={"issues": [], "nextPageToken": "n", "isLast": False})
    rsps.get(f"{API}/search/jql", json={"issues": [], "isLast": True})
    rsps.get(
        f"{API}/worklog/updated",
        json={"values": [{"worklogId": 1, "updatedTime": 9}], "lastPage": True},
    )
    rsps.post(f"{API}/worklog/list", json=[])
    rsps.get(f"{API}/worklog/deleted", json={"values": [], "lastPage": True})
    connector = make()
    list(connector.pull("issues", None, Scope()))
    list(connector.pull("worklogs", None, Scope()))

    for call in calls_to(rsps, "/rest/api/3/search/jql"):
        assert set(query(call)) <= query_names("/rest/api/3/search/jql", "get")
    assert set(query(calls_to(rsps, "/rest/api/3/worklog/updated")[0])) <= {"since", "expand"}
    [listing] = calls_to(rsps, "/rest/api/3/worklog/list")
    OAS30Validator(request_schema("/rest/api/3/worklog/list", "post")).validate(body(listing))
