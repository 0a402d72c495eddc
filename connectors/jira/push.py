"""Reading and writing push targets: custom fields on issues (``jira_issue``) and an
issue property holding the whole summary as JSON (``jira_property``).

Values are keyed by the configured refs (a field id or name); names are resolved
through the field list at run time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from connectors.base import Target, Write, WriteResult
from connectors.errors import FatalError
from connectors.jira.client import JiraClient, Rejected
from connectors.jira.fields import FieldCatalog

ITEM_STATUSES = (400, 403, 404, 409, 422)
PROPERTY_LIMIT = 32768
ISSUE = "jira_issue"
PROPERTY = "jira_property"


def plain(value: Any) -> Any:
    """A field value as we compare it: numbers as float, dates and text as str."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping) and "value" in value:  # option fields
        return value["value"]
    return value


def resolve(catalog: FieldCatalog, refs: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """ref -> field id for the refs Jira knows, and the refs it does not."""
    found: dict[str, str] = {}
    unknown: list[str] = []
    for ref in refs:
        field_id = catalog.field_id(ref)
        if field_id:
            found[ref] = field_id
        else:
            unknown.append(ref)
    return found, unknown


def _issue_path(client: JiraClient, key: str) -> str:
    return f"{client.api}/issue/{quote(key, safe='')}"


def _property_path(client: JiraClient, key: str, prop: str) -> str:
    return f"{_issue_path(client, key)}/properties/{quote(prop, safe='')}"


def read_targets(
    client: JiraClient,
    catalog: Callable[[], FieldCatalog],
    targets: Sequence[Target],
    refs: Sequence[str],
) -> dict[Target, dict[str, Any]]:
    """Current values; a missing property reads as None. Unknown fields raise."""
    out: dict[Target, dict[str, Any]] = {}
    for target in targets:
        if target.kind == PROPERTY:
            keys = [target.property] if target.property else list(refs) or ["evm"]
            out[target] = {k: _read_property(client, target.id, k) for k in keys}
        elif target.kind == ISSUE:
            ids, unknown = resolve(catalog(), refs)
            if unknown:
                raise FatalError(f"{target}: no Jira field named {', '.join(map(repr, unknown))}")
            params = {"fields": ",".join(dict.fromkeys(ids.values()))}
            issue = client.request("GET", _issue_path(client, target.id), params=params)
            fields = (issue or {}).get("fields") or {}
            out[target] = {ref: plain(fields.get(fid)) for ref, fid in ids.items()}
        else:
            raise FatalError(f"{target}: the Jira connector does not write '{target.kind}'")
    return out


def _read_property(client: JiraClient, key: str, prop: str) -> Any:
    try:
        body = client.request("GET", _property_path(client, key, prop), skippable=(404,))
    except Rejected:
        return None
    return (body or {}).get("value")


def push_writes(
    client: JiraClient, catalog: Callable[[], FieldCatalog], writes: Sequence[Write]
) -> list[WriteResult]:
    """One result per write; a refused write is reported, a failing site raises."""
    return [_push_one(client, catalog, write) for write in writes]


def _push_one(client: JiraClient, catalog: Callable[[], FieldCatalog], write: Write) -> WriteResult:
    target = write.target
    if not write.values:
        return WriteResult(target, ok=True)
    try:
        if target.kind == ISSUE:
            return _push_fields(client, catalog(), write)
        if target.kind == PROPERTY:
            return _push_property(client, write)
    except Rejected as error:
        return WriteResult(target, ok=False, error=f"{target} -> {error.status}: {error.message}")
    return WriteResult(target, ok=False, error=f"{target}: the Jira connector does not write it")


def _push_fields(client: JiraClient, catalog: FieldCatalog, write: Write) -> WriteResult:
    target = write.target
    ids, unknown = resolve(catalog, list(write.values))
    if unknown:
        names = ", ".join(repr(u) for u in unknown)
        return WriteResult(
            target, ok=False, error=f"issue {target.id}: no Jira field named {names}"
        )
    body = {"fields": {ids[ref]: value for ref, value in write.values.items()}}
    try:
        client.request("PUT", _issue_path(client, target.id), body=body, skippable=ITEM_STATUSES)
    except Rejected as error:
        return WriteResult(target, ok=False, error=_explain(target, ids, error))
    return WriteResult(target, ok=True)


def _explain(target: Target, ids: Mapping[str, str], error: Rejected) -> str:
    """Name each refused field (its id and the configured ref) and the issue."""
    if not error.field_errors:
        return f"issue {target.id} -> {error.status}: {error.message}"
    refs = {fid: ref for ref, fid in ids.items()}
    parts = []
    for fid, message in error.field_errors.items():
        ref = refs.get(fid)
        named = f"field '{fid}'" + (f" ({ref})" if ref and ref != fid else "")
        parts.append(f"{named} on issue {target.id}: {message}")
    return "; ".join(parts)


def _push_property(client: JiraClient, write: Write) -> WriteResult:
    target = write.target
    for prop, value in write.values.items():
        size = len(json.dumps(value).encode())
        if size > PROPERTY_LIMIT:
            return WriteResult(
                target,
                ok=False,
                error=f"issue {target.id} property '{prop}': {size} bytes, over Jira's 32768",
            )
        client.request(
            "PUT", _property_path(client, target.id, prop), body=value, skippable=ITEM_STATUSES
        )
    return WriteResult(target, ok=True)
