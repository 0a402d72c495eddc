"""Ticket and organization fields: found by id, title or key at run time, created on
demand, and values typed by the field's type on read and on write."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from zenpy.lib.api_objects import OrganizationField, TicketField

from connectors.base import FieldReport, FieldSpec
from connectors.errors import ConnectorError
from connectors.zendesk.client import ZendeskClient

FIELD_TYPE_FOR: Mapping[str, str] = {"number": "decimal", "text": "text", "date": "date"}
TEXT_TYPES = frozenset({"text", "textarea", "regexp", "tagger", "partialcreditcard"})


@dataclass(frozen=True)
class FieldInfo:
    """One custom field as the API describes it (``key`` for organization fields)."""

    id: int
    title: str
    type: str
    key: str | None = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> FieldInfo:
        return cls(
            id=int(raw["id"]),
            title=str(raw.get("title") or raw.get("raw_title") or ""),
            type=str(raw.get("type") or ""),
            key=raw.get("key"),
        )


def find_field(fields: Sequence[FieldInfo], ref: str | int) -> FieldInfo | None:
    """The field named by ``ref``: its id, its key, its exact title, else the one
    title equal ignoring case."""
    text = str(ref).strip()
    for field in fields:
        if text == str(field.id) or (field.key is not None and text == field.key):
            return field
    exact = [field for field in fields if field.title == text]
    if exact:
        return exact[0]
    loose = [field for field in fields if field.title.casefold() == text.casefold()]
    return loose[0] if len(loose) == 1 else None


def read_value(value: Any, field_type: str) -> Any:
    """A stored value as the sync compares it: decimal -> float, integer -> int,
    date -> ``"YYYY-MM-DD"``, checkbox -> bool, text -> str."""
    if value is None or (isinstance(value, str) and value == "" and field_type != "text"):
        return None
    if field_type == "decimal":
        return float(value)
    if field_type == "integer":
        return int(float(value))
    if field_type == "date":
        return str(value)[:10]
    if field_type == "checkbox":
        return bool(value)
    if field_type in TEXT_TYPES:
        return str(value)
    return value


def write_value(value: Any, field_type: str) -> Any:
    """A value as Zendesk takes it for a field of ``field_type``."""
    if value is None:
        return None
    if field_type == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return str(value)[:10]
    if field_type == "decimal":
        return float(value)
    if field_type == "integer":
        return round(float(value))
    if field_type in TEXT_TYPES:
        return str(value)
    return value


class FieldCatalog:
    """The account's ticket and organization fields, read when first needed and again
    once older than ``max_age`` seconds (fields are renamed and created meanwhile)."""

    def __init__(
        self,
        client: ZendeskClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = 300.0,
    ) -> None:
        self.client = client
        self.clock = clock
        self.max_age = max_age
        self._read_at: float | None = None
        self._ticket: tuple[FieldInfo, ...] | None = None
        self._organization: tuple[FieldInfo, ...] | None = None

    def _expire(self) -> None:
        now = self.clock()
        if self._read_at is None or now - self._read_at > self.max_age:
            self.reset()
            self._read_at = now

    def ticket_fields(self) -> tuple[FieldInfo, ...]:
        self._expire()
        if self._ticket is None:
            zenpy = self.client.zenpy
            self._ticket = self.client.call(
                "GET /api/v2/ticket_fields.json",
                lambda: tuple(FieldInfo.from_api(f.to_dict()) for f in zenpy.ticket_fields()),
            )
        return self._ticket

    def organization_fields(self) -> tuple[FieldInfo, ...]:
        self._expire()
        if self._organization is None:
            zenpy = self.client.zenpy
            self._organization = self.client.call(
                "GET /api/v2/organization_fields.json",
                lambda: tuple(FieldInfo.from_api(f.to_dict()) for f in zenpy.organization_fields()),
            )
        return self._organization

    def fields_for(self, target_kind: str) -> tuple[FieldInfo, ...]:
        if target_kind == "zendesk_ticket":
            return self.ticket_fields()
        if target_kind == "zendesk_organization":
            return self.organization_fields()
        raise ValueError(f"{target_kind} is not a Zendesk target kind")

    def reset(self) -> None:
        self._ticket = self._organization = None
        self._read_at = None

    def ensure(self, specs: Iterable[FieldSpec], create: bool) -> list[FieldReport]:
        """Find each spec's field; create the missing ones when ``create``."""
        reports = [self._ensure_one(spec, create) for spec in specs]
        if any(report.action == "created" for report in reports):
            self.reset()
        return reports

    def _ensure_one(self, spec: FieldSpec, create: bool) -> FieldReport:
        if spec.target_kind not in ("zendesk_ticket", "zendesk_organization"):
            return FieldReport(spec, None, "not creatable", f"{spec.target_kind} is not Zendesk")
        wanted = FIELD_TYPE_FOR.get(spec.value_type, "text")
        found = find_field(self.fields_for(spec.target_kind), spec.ref)
        if found is not None:
            detail = f"'{found.title}' ({found.type})"
            if found.type != wanted and not (wanted == "decimal" and found.type == "integer"):
                detail += f", expected a {wanted} field for {spec.value_type} values"
            return FieldReport(spec, str(found.id), "exists", detail)
        if spec.target_kind == "zendesk_ticket" and str(spec.ref).isdigit():
            return FieldReport(
                spec, None, "not creatable", f"no ticket field has id {spec.ref}; map a title"
            )
        if not create:
            return FieldReport(spec, None, "missing", f"would create a {wanted} field")
        try:
            created = self._create(spec, wanted)
        except ConnectorError as error:
            return FieldReport(spec, None, "not creatable", error.message)
        return FieldReport(spec, str(created.id), "created", f"{wanted} field '{created.title}'")

    def _create(self, spec: FieldSpec, field_type: str) -> FieldInfo:
        zenpy = self.client.zenpy
        ref = str(spec.ref)
        if spec.target_kind == "zendesk_ticket":
            made = self.client.call(
                "POST /api/v2/ticket_fields.json",
                lambda: zenpy.ticket_fields.create(TicketField(type=field_type, title=ref)),
            )
        else:
            made = self.client.call(
                "POST /api/v2/organization_fields.json",
                lambda: zenpy.organization_fields.create(
                    OrganizationField(type=field_type, key=ref, title=ref)
                ),
            )
        return FieldInfo.from_api(made.to_dict())
