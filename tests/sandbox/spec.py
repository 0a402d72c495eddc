"""The official API descriptions in ../shared/api, loaded for contract tests.

Known faults of the specs (see ../shared/api/README.md) are tolerated here, in one
place: every schema is made nullable (enums accept null), ticket status enums gain
"deleted", and oneOf is read as anyOf (two nullable branches would both match null).
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


def errors(api: str, schema: dict[str, Any], instance: Any) -> list[str]:
    """Validation errors of `instance` against a schema of the spec, as short lines."""
    root = {**schema, "components": load(api)["components"]}
    validator = OAS30Validator(root)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator.iter_errors(instance)
    ][:10]
