"""Jira's field list, read at run time: refs (id or name) to ids, the story-points and
sprint fields discovered by their schema, and custom fields created for push targets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import FieldReport, FieldSpec

STORY_POINTS_TYPE = "com.pyxis.greenhopper.jira:jsw-story-points"
SPRINT_TYPE = "com.pyxis.greenhopper.jira:gh-sprint"
STORY_POINTS_NAMES = ("story points", "story point estimate")
ID_PATTERN = re.compile(r"^customfield_\d+$")

_CF = "com.atlassian.jira.plugin.system.customfieldtypes:"
CREATE_TYPES: dict[str, tuple[str, str]] = {
    # value type -> (custom field type, searcher key), as the createCustomField docs pair them
    "number": (_CF + "float", _CF + "exactnumber"),
    "text": (_CF + "textfield", _CF + "textsearcher"),
    "date": (_CF + "datepicker", _CF + "daterange"),
}
SCHEMA_TYPES = {"number": "number", "text": "string", "date": "date"}


@dataclass(frozen=True, slots=True)
class JiraField:
    id: str
    name: str
    schema_type: str | None = None
    custom_type: str | None = None


def parse_fields(raw: Iterable[Mapping[str, Any]]) -> tuple[JiraField, ...]:
    """The entries of ``GET /field`` as ``JiraField`` (entries without an id skipped)."""
    out = []
    for entry in raw:
        if not isinstance(entry, Mapping) or not entry.get("id"):
            continue
        schema = entry.get("schema") or {}
        out.append(
            JiraField(
                id=str(entry["id"]),
                name=str(entry.get("name") or entry["id"]),
                schema_type=schema.get("type"),
                custom_type=schema.get("custom"),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class FieldCatalog:
    fields: tuple[JiraField, ...]

    def find(self, ref: str) -> JiraField | None:
        """The field whose id is ``ref``, else the first whose name matches (any case)."""
        for field in self.fields:
            if field.id == ref:
                return field
        wanted = ref.strip().casefold()
        return next((f for f in self.fields if f.name.casefold() == wanted), None)

    def field_id(self, ref: str) -> str | None:
        """The id for ``ref``; an id-shaped ref is taken as is even when unlisted."""
        found = self.find(ref)
        if found:
            return found.id
        return ref if ID_PATTERN.match(ref) else None

    def story_points(self, configured: str | None) -> str | None:
        """The story-points field: the configured one, else by schema, else by name."""
        if configured:
            return self.field_id(configured)
        by_type = [f for f in self.fields if f.custom_type == STORY_POINTS_TYPE]
        if by_type:
            return by_type[0].id
        return next((f.id for f in self.fields if f.name.casefold() in STORY_POINTS_NAMES), None)

    def sprint(self) -> str | None:
        return next((f.id for f in self.fields if f.custom_type == SPRINT_TYPE), None)


def clause_map(raw: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """JQL clause name -> field id: the shape of the jira library's own field cache."""
    return {
        name: str(entry["id"])
        for entry in raw
        if isinstance(entry, Mapping) and entry.get("id")
        for name in entry.get("clauseNames") or ()
    }


def report_existing(spec: FieldSpec, field: JiraField) -> FieldReport:
    """``exists``, with a warning when the field's type does not hold the spec's values."""
    expected = SCHEMA_TYPES.get(spec.value_type)
    if expected and field.schema_type and field.schema_type != expected:
        detail = f"'{field.name}' holds {field.schema_type}, expected {expected}"
    else:
        detail = f"'{field.name}'"
    return FieldReport(spec, field.id, "exists", detail)


def plan_creation(spec: FieldSpec) -> dict[str, str] | str:
    """The ``POST /field`` body for a missing spec, or why it cannot be created."""
    if spec.value_type not in CREATE_TYPES:
        return f"no Jira field type for value type '{spec.value_type}'"
    if ID_PATTERN.match(spec.ref):
        return f"no field with id '{spec.ref}'; configure a field name to have it created"
    kind, searcher = CREATE_TYPES[spec.value_type]
    return {
        "name": spec.ref,
        "description": f"evm-sync: {spec.name}",
        "type": kind,
        "searcherKey": searcher,
    }
