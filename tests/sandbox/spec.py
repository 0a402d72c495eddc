"""The official API descriptions in ../shared/api, loaded for contract tests.

Known faults of the specs (see ../shared/api/README.md) are tolerated here, in one
place: every schema is made nullable (enums accept null), ticket status enums gain
"deleted", oneOf is read as anyOf (two nullable branches would both match null),
and the three described below (EVENT, REQUEST_FAULTS, Jira 4xx bodies).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator

API = Path(__file__).resolve().parents[2] / ".." / "shared" / "api"
ZENDESK = API / "zendesk-support-oas.yaml"
JIRA = API / "jira-cloud-platform-v3.swagger-v3.v3.json"
RECORDED = API / "recorded"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"reference data {path} is absent")
    return path


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):
    """The Zendesk YAML has bare `=` values, tagged as the YAML 'value' type."""


_Loader.add_constructor(
    "tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node)
)


def _tolerant(node: Any) -> Any:
    if isinstance(node, dict):
        out = {("anyOf" if k == "oneOf" else k): _tolerant(v) for k, v in node.items()}
        if "type" in out or "properties" in out:
            out["nullable"] = True
        if isinstance(out.get("enum"), list):
            out["enum"] = [*out["enum"], None] + (["deleted"] if "solved" in out["enum"] else [])
        return out
    if isinstance(node, list):
        return [_tolerant(v) for v in node]
    return node


@cache
def load(api: str) -> dict[str, Any]:
    if api == "zendesk":
        spec = yaml.load(require(ZENDESK).read_text(), Loader=_Loader)
    else:
        spec = json.loads(require(JIRA).read_text())
    return _tolerant(spec)


def _deref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def operation(api: str, path: str, method: str) -> dict[str, Any]:
    spec = load(api)
    return spec["paths"][path][method.lower()]


def response_schema(api: str, path: str, method: str, status: int) -> dict[str, Any] | None:
    """The schema the spec gives for a response; None when it declares no body."""
    spec = load(api)
    responses = operation(api, path, method)["responses"]
    if str(status) not in responses:
        raise AssertionError(f"{method} {path}: the spec declares no {status} response")
    content = _deref(spec, responses[str(status)]).get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), None)
    return _deref(spec, media["schema"]) if media else None


def request_schema(api: str, path: str, method: str) -> dict[str, Any] | None:
    spec = load(api)
    body = operation(api, path, method).get("requestBody")
    if not body:
        return None
    media = _deref(spec, body).get("content", {}).get("application/json")
    return media.get("schema") if media else None


@cache
def _validator(api: str, path: str, method: str, status: int, part: str) -> OAS30Validator | None:
    """A validator for a response (part "response") or request body, spec faults included."""
    if part == "request":
        schema = REQUEST_FAULTS.get((path, method)) or request_schema(api, path, method)
    else:
        schema = response_schema(api, path, method, status)
        if path == "/api/v2/incremental/ticket_events":
            # Spec fault: it describes ticket *metric* events; check the envelope and the
            # documented event shape instead.
            props = {**schema["properties"], "ticket_events": {"type": "array", "items": EVENT}}
            schema = {**schema, "properties": props}
        if schema is None and status >= 400 and api == "jira":
            # The spec names Jira's 4xx without a body; real ones carry an ErrorCollection.
            schema = {"$ref": "#/components/schemas/ErrorCollection"}
    if schema is None:
        return None
    return OAS30Validator({**schema, "components": load(api)["components"]})


def errors(api: str, path: str, method: str, status: int, body: Any, part: str = "response"):
    """Validation errors of a body against the spec, as short lines; [] when it conforms."""
    validator = _validator(api, path, method, status, part)
    if validator is None:
        return [] if body is None or part == "request" else [f"{method} {path}: no body declared"]
    return [
        f"{method} {path} {status} {part} {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator.iter_errors(body)
    ][:10]


def check(exchange: Any) -> list[str]:
    """Errors of one recorded sandbox exchange (request and response) against the spec.
    Statuses the spec does not declare (Cloud's 410 for /search) are not checked."""
    declared = operation(exchange.api, exchange.spec_path, exchange.method)["responses"]
    if str(exchange.status) not in declared:
        return []
    body = json.loads(exchange.response) if exchange.response else None
    found = errors(exchange.api, exchange.spec_path, exchange.method, exchange.status, body)
    if exchange.request:
        request = json.loads(exchange.request)
        found += errors(exchange.api, exchange.spec_path, exchange.method, 0, request, "request")
    return found


EVENT = {
    "type": "object",
    "required": [
        "id",
        "ticket_id",
        "timestamp",
        "created_at",
        "updater_id",
        "event_type",
        "child_events",
    ],
    "properties": {
        "id": {"type": "integer"},
        "ticket_id": {"type": "integer"},
        "timestamp": {"type": "integer"},
        "created_at": {"type": "string"},
        "updater_id": {"type": "integer"},
        "event_type": {"type": "string", "enum": ["Audit"]},
        "child_events": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "event_type"],
                "properties": {
                    "id": {"type": "integer"},
                    "event_type": {"type": "string"},
                    "field_name": {"type": "string"},
                    "value": {"nullable": True},
                    "previous_value": {"nullable": True},
                },
            },
        },
    },
}

# Spec fault: the ticket update's custom_fields items are described with the *field
# definition* schema (key, type, title required); the documented body is [{id, value}].
REQUEST_FAULTS = {
    ("/api/v2/tickets/{ticket_id}", "PUT"): {
        "type": "object",
        "required": ["ticket"],
        "properties": {
            "ticket": {
                "type": "object",
                "properties": {
                    "custom_fields": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "value"],
                            "properties": {"id": {"type": "integer"}},
                        },
                    }
                },
            }
        },
    },
}
