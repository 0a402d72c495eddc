"""What every connector offers the sync: pages of records, field reads and writes.

A connector knows nothing of EVM. It pulls normalized ``Ticket`` and ``Worklog``
records page by page, each page carrying the bookmark to store *after* the page is
stored, and it reads and writes fields on push targets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from evm_sync.model import Ticket, Worklog

Bookmark = Mapping[str, Any]
"""A JSON-serializable resume point of one stream; opaque to everyone but its connector."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of one stream, and the bookmark that is valid once it is stored."""

    stream: str
    bookmark: Bookmark
    tickets: tuple[Ticket, ...] = ()
    worklogs: tuple[Worklog, ...] = ()
    deleted_worklog_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """Where figures are pushed.

    kind: ``zendesk_ticket`` (id = ticket id), ``zendesk_organization`` (id =
    organization id), ``jira_issue`` (id = issue key) or ``jira_property`` (id =
    issue key, ``property`` = the issue property key, holding the whole summary).
    """

    kind: str
    id: str
    property: str | None = None

    def __str__(self) -> str:
        suffix = f"#{self.property}" if self.property else ""
        return f"{self.kind}:{self.id}{suffix}"


@dataclass(frozen=True, slots=True)
class Write:
    """New values for some fields of one target (field id or key -> value)."""

    target: Target
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What became of one ``Write``: ok, or the reason it was refused."""

    target: Target
    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field the config maps: EVM name, the target kind, the configured field ref
    (an id, a key or a title) and the value type (``number``, ``text``, ``date``)."""

    name: str
    target_kind: str
    ref: str
    value_type: str


@dataclass(frozen=True, slots=True)
class FieldReport:
    """The outcome of looking up (and maybe creating) one mapped field."""

    spec: FieldSpec
    field_id: str | None
    action: str  # "exists" | "created" | "missing" | "not creatable"
    detail: str = ""


@dataclass(frozen=True)
class Scope:
    """A job's scope on one source: Zendesk filters, or a Jira JQL."""

    group: tuple[str, ...] = ()
    organization: tuple[str, ...] = ()
    brand: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    jql: str | None = None


class Connector(Protocol):
    """One configured source. Streams are pulled independently, each from its bookmark."""

    name: str
    streams: tuple[str, ...]

    def pull(self, stream: str, bookmark: Bookmark | None, scope: Scope) -> Iterator[Page]:
        """Yield the pages of ``stream`` changed since ``bookmark`` (all when None)."""
        ...

    def read(
        self, targets: Sequence[Target], fields: Sequence[str]
    ) -> dict[Target, dict[str, Any]]:
        """Current values of ``fields`` on each target (a property target: its JSON)."""
        ...

    def push(self, writes: Sequence[Write]) -> list[WriteResult]:
        """Write the values; one result per write, failures reported, not raised."""
        ...

    def ensure_fields(self, specs: Sequence[FieldSpec], create: bool) -> list[FieldReport]:
        """Find each mapped field; create the missing ones when ``create``."""
        ...

    def request_counts(self) -> dict[str, int]:
        """Requests made so far, by ``"METHOD /path"``."""
        ...

    def close(self) -> None: ...
