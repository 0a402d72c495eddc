"""Zendesk Support endpoints for fields and organizations: list, create, write."""

from __future__ import annotations

from typing import Any

from evm_sync.sandbox.app import BadRequest, Call, Reply, zendesk_route
from evm_sync.sandbox.clock import zendesk_time
from evm_sync.sandbox.links import BASE
from evm_sync.sandbox.zendesk_data import field_object
from evm_sync.sandbox.zendesk_render import with_url
from evm_sync.sandbox.zendesk_store import ZendeskError, not_found

FIELD_TYPES = {
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "partialcreditcard",
    "multiselect",
    "tagger",
    "lookup",
    "dropdown",
}


def listing(name: str, items: list[dict[str, Any]]) -> Reply:
    """A one-page Zendesk list: the items under ``name``, no next or previous page."""
    return Reply(
        body={name: list(items), "next_page": None, "previous_page": None, "count": len(items)}
    )


def list_ticket_fields(call: Call) -> Reply:
    return listing("ticket_fields", call.app.zendesk.ticket_fields)


def create_ticket_field(call: Call) -> Reply:
    spec = call.json().get("ticket_field")
    store = call.app.zendesk
    if not isinstance(spec, dict) or not spec.get("title") or spec.get("type") not in FIELD_TYPES:
        raise ZendeskError(422, "RecordInvalid", "ticket_field needs a title and a valid type")
    with store.lock:
        fid = store.allocate_field_id()
        stamp = zendesk_time(store.clock.epoch())
        field = field_object(
            fid, spec["type"], spec["title"], len(store.ticket_fields), True, spec.get("key"), stamp
        )
        field.update({k: v for k, v in spec.items() if k in ("description", "active", "tag")})
        store.ticket_fields.append(field)
    return Reply(201, {"ticket_field": field})


def _org(call: Call, org_id: str) -> dict[str, Any]:
    org = call.app.zendesk.organizations.get(int(org_id)) if org_id.isdigit() else None
    if org is None:
        raise not_found()
    return org


def get_organization(call: Call, org_id: str) -> Reply:
    return Reply(body={"organization": _org(call, org_id)})


def put_organization(call: Call, org_id: str) -> Reply:
    changes = call.json().get("organization")
    if not isinstance(changes, dict):
        raise BadRequest('The body must be {"organization": {...}}')
    org = call.app.zendesk.update_organization(_org(call, org_id)["id"], changes)
    return Reply(body={"organization": org})


def list_organization_fields(call: Call) -> Reply:
    return listing("organization_fields", call.app.zendesk.organization_fields)


def create_organization_field(call: Call) -> Reply:
    spec = call.json().get("organization_field")
    store = call.app.zendesk
    if (
        not isinstance(spec, dict)
        or not spec.get("key")
        or not spec.get("title")
        or spec.get("type") not in FIELD_TYPES
    ):
        raise ZendeskError(422, "RecordInvalid", "organization_field needs key, title and type")
    with store.lock:
        if any(f["key"] == spec["key"] for f in store.organization_fields):
            raise ZendeskError(422, "RecordInvalid", f"Key '{spec['key']}' is already taken")
        fid = store.allocate_field_id()
        stamp = zendesk_time(store.clock.epoch())
        field = with_url(
            {
                "id": fid,
                "key": spec["key"],
                "type": spec["type"],
                "title": spec["title"],
                "raw_title": spec["title"],
                "description": spec.get("description", ""),
                "raw_description": spec.get("description", ""),
                "position": len(store.organization_fields),
                "active": True,
                "system": False,
                "regexp_for_validation": None,
                "created_at": stamp,
                "updated_at": stamp,
            },
            BASE,
            "organization_fields",
        )
        store.organization_fields.append(field)
        for org in store.organizations.values():
            org["organization_fields"].setdefault(spec["key"], None)
    return Reply(201, {"organization_field": field})


ROUTES = [
    zendesk_route("GET", "/ticket_fields", list_ticket_fields),
    zendesk_route("POST", "/ticket_fields", create_ticket_field),
    zendesk_route("GET", "/organization_fields", list_organization_fields),
    zendesk_route("POST", "/organization_fields", create_organization_field),
    zendesk_route("GET", "/organizations/{org_id}", get_organization),
    zendesk_route("PUT", "/organizations/{org_id}", put_organization),
]
