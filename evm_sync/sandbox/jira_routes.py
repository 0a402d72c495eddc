"""Jira endpoints, each under /rest/api/2 and /rest/api/3 (Cloud) and, for the Data
Center flavour, under /jira-dc/rest/api/2 (with /search instead of /search/jql)."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from evm_sync.sandbox.app import BadRequest, Call, Reply, jira_route
from evm_sync.sandbox.clock import jira_time
from evm_sync.sandbox.jira_data import custom_field
from evm_sync.sandbox.jira_render import parse_fields, render_issue, select
from evm_sync.sandbox.jira_store import JiraError
from evm_sync.sandbox.jira_worklogs import ROUTES as WORKLOG_ROUTES
from evm_sync.sandbox.jql import JqlError, compile_jql, sort_issues
from evm_sync.sandbox.links import BASE

MAX_IDS_ONLY = 5000
MAX_NAMED_FIELDS = 1000
MAX_ALL_FIELDS = 100
FIELD_TYPES = {
    "com.atlassian.jira.plugin.system.customfieldtypes:float": "number",
    "com.atlassian.jira.plugin.system.customfieldtypes:textfield": "string",
    "com.atlassian.jira.plugin.system.customfieldtypes:textarea": "string",
    "com.atlassian.jira.plugin.system.customfieldtypes:datetime": "datetime",
    "com.atlassian.jira.plugin.system.customfieldtypes:datepicker": "date",
}


def _params(call: Call) -> dict[str, Any]:
    """Search parameters from the query string (GET) or the JSON body (POST)."""
    if call.request.method == "POST":
        body = call.json()
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object.")
        return body
    args = call.request.args
    params: dict[str, Any] = {k: args.get(k) for k in args if k != "fields"}
    if "fields" in args:
        params["fields"] = args.getlist("fields")
    return params


def _int(params: dict[str, Any], name: str, default: int) -> int:
    try:
        return int(params.get(name, default))
    except (TypeError, ValueError):
        raise BadRequest(f"'{name}' must be an integer.") from None


def _matching(call: Call, jql: str, bounded: bool) -> list[str]:
    """Keys matching the query, sorted; cached until the data or the clock changes."""
    store = call.app.jira
    now = call.app.clock.now().timestamp()
    cache_key = (jql, bounded, store.version, len(store.issues), now)
    with store.lock:
        cached = store.search_cache
        if cached and cached[0] == cache_key:
            return cached[1]
        try:
            accept, order = compile_jql(jql, now, bounded)
        except JqlError as exc:
            raise JiraError(400, [str(exc)]) from None
        keys = [
            i["key"] for i in sort_issues([i for i in store.issues.values() if accept(i)], order)
        ]
        store.search_cache = (cache_key, keys)
        return keys


def search_jql(call: Call) -> Reply:
    """Cloud search: nextPageToken paging, no total, ids only unless fields are named."""
    if call.dc:
        raise JiraError(404, ["null for uri: /rest/api/2/search/jql"])
    params = _params(call)
    jql = params.get("jql") or ""
    wanted = parse_fields(params.get("fields"), "id")
    chosen = select(call.app.jira, wanted)
    cap = (
        MAX_IDS_ONLY
        if chosen is None
        else (MAX_ALL_FIELDS if {"*all", "*navigable"} & set(wanted) else MAX_NAMED_FIELDS)
    )
    size = min(max(_int(params, "maxResults", 50), 1), cap)
    offset = _decode_token(params.get("nextPageToken"), jql)
    keys = _matching(call, jql, bounded=True)
    page = keys[offset : offset + size]
    store = call.app.jira
    with store.lock:
        props = parse_fields(params.get("properties"), "")
        issues = [render_issue(store, store.issues[k], chosen, call.version, props) for k in page]
    body: dict[str, Any] = {"issues": issues}
    if offset + size < len(keys):
        body["nextPageToken"] = _encode_token(offset + size, jql)
    body["isLast"] = offset + size >= len(keys)
    return Reply(body=body)


def _encode_token(offset: int, jql: str) -> str:
    raw = json.dumps({"o": offset, "q": zlib.crc32(jql.encode())}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str | None, jql: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["q"] != zlib.crc32(jql.encode()):
            raise ValueError
        return int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise JiraError(400, ["The provided next page token is invalid or expired."]) from None


def search_legacy(call: Call) -> Reply:
    """/search: removed on Cloud (410); Data Center pages with startAt and total."""
    if not call.dc:
        raise JiraError(
            410,
            [
                "The requested API has been removed. Please migrate to the "
                "/rest/api/3/search/jql API."
            ],
        )
    params = _params(call)
    start = max(_int(params, "startAt", 0), 0)
    size = min(max(_int(params, "maxResults", 50), 0), MAX_NAMED_FIELDS)
    chosen = select(call.app.jira, parse_fields(params.get("fields"), "*navigable"))
    keys = _matching(call, params.get("jql") or "", bounded=False)
    store = call.app.jira
    with store.lock:
        issues = [
            render_issue(store, store.issues[k], chosen or set(), "2")
            for k in keys[start : start + size]
        ]
    return Reply(
        body={
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(keys),
            "issues": issues,
        }
    )


def list_fields(call: Call) -> Reply:
    return Reply(body=list(call.app.jira.fields))


def create_field(call: Call) -> Reply:
    body = call.json()
    store = call.app.jira
    kind = FIELD_TYPES.get(body.get("type", "")) if isinstance(body, dict) else None
    if not kind or not body.get("name"):
        raise JiraError(400, [], {"type": "Field type must be one of: " + ", ".join(FIELD_TYPES)})
    with store.lock:
        field = custom_field(store.allocate_field_id(), body["name"], kind, body["type"])
        store.fields.append(field)
        store.screen.add(field["id"])
    return Reply(201, field)


def get_issue(call: Call, key: str) -> Reply:
    store = call.app.jira
    wanted = parse_fields(call.request.args.getlist("fields"), "*all")
    with store.lock:
        issue = store.issue(key)
        props = parse_fields(call.request.args.getlist("properties"), "")
        chosen = select(store, wanted) or set()
        return Reply(body=render_issue(store, issue, chosen, call.version, props))


def put_issue(call: Call, key: str) -> Reply:
    body = call.json()
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    fields = dict(body.get("fields") or {})
    for field_id, operations in (body.get("update") or {}).items():
        for op in operations:
            if set(op) != {"set"}:
                raise JiraError(
                    400,
                    [],
                    {field_id: "The sandbox supports only the 'set' operation in 'update'."},
                )
            fields[field_id] = op["set"]
    call.app.jira.update_issue(key, fields)
    return Reply(204)


def list_properties(call: Call, key: str) -> Reply:
    store = call.app.jira
    with store.lock:
        issue = store.issue(key)
        names = store.properties.get(issue["key"], {})
    return Reply(
        body={
            "keys": [
                {
                    "self": f"{BASE}/rest/api/{call.version}/issue/{issue['id']}/properties/{name}",
                    "key": name,
                }
                for name in names
            ]
        }
    )


def get_property(call: Call, key: str, prop: str) -> Reply:
    return Reply(body={"key": prop, "value": call.app.jira.get_property(key, prop)})


def put_property(call: Call, key: str, prop: str) -> Reply:
    created = call.app.jira.set_property(key, prop, call.json())
    return Reply(201 if created else 200)


def delete_property(call: Call, key: str, prop: str) -> Reply:
    store = call.app.jira
    with store.lock:
        store.get_property(key, prop)
        del store.properties[store.issue(key)["key"]][prop]
    return Reply(204)


def myself(call: Call) -> Reply:
    user = next(iter(call.app.jira.users.values()))
    return Reply(
        body={
            **user,
            "emailAddress": call.app.email,
            "displayName": "Sandbox Admin",
            "locale": "en_US",
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
        }
    )


def server_info(call: Call) -> Reply:
    now = call.app.clock.now().timestamp()
    return Reply(
        body={
            "baseUrl": BASE,
            "displayUrl": BASE,
            "version": "1001.0.0-SNAPSHOT" if not call.dc else "9.12.0",
            "versionNumbers": [1001, 0, 0] if not call.dc else [9, 12, 0],
            "deploymentType": "Server" if call.dc else "Cloud",
            "buildNumber": 100270,
            "buildDate": "2026-11-01T00:00:00.000+0000",
            "serverTime": jira_time(now),
            "scmInfo": "sandbox",
            "serverTitle": "Jira (evm-sync sandbox)",
        }
    )


ROUTES = [
    *WORKLOG_ROUTES,
    jira_route("GET", "/search/jql", search_jql),
    jira_route("POST", "/search/jql", search_jql),
    jira_route("GET", "/search", search_legacy),
    jira_route("POST", "/search", search_legacy),
    jira_route("GET", "/field", list_fields),
    jira_route("POST", "/field", create_field),
    jira_route("GET", "/issue/{key}", get_issue),
    jira_route("PUT", "/issue/{key}", put_issue),
    jira_route("GET", "/issue/{key}/properties", list_properties),
    jira_route("GET", "/issue/{key}/properties/{prop}", get_property),
    jira_route("PUT", "/issue/{key}/properties/{prop}", put_property),
    jira_route("DELETE", "/issue/{key}/properties/{prop}", delete_property),
    jira_route("GET", "/myself", myself),
    jira_route("GET", "/serverInfo", server_info),
]
