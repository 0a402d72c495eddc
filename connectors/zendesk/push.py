"""Reading and writing EVM fields on tickets (custom fields, by id) and organizations
(``organization_fields``, by key), with field refs resolved at run time.

Ticket writes go through zenpy's ``tickets.update([...])`` (``PUT
/api/v2/tickets/update_many.json``), at most 100 tickets a call, one job at a time
(well under Zendesk's 30 queued jobs), each job polled to its end and its per-ticket
results reported. Organization writes are one ``PUT /api/v2/organizations/{id}.json``
each. Failures become ``WriteResult(ok=False)`` with Zendesk's words; none is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zenpy.lib.api_objects import Organization
from zenpy.lib.api_objects import Ticket as ZenpyTicket

from connectors.base import Target, Write, WriteResult
from connectors.errors import ConnectorError
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.fields import FieldCatalog, FieldInfo, find_field, read_value, write_value

BATCH = 100
FINISHED = frozenset({"completed", "failed", "killed"})

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobPolling:
    """How job statuses are polled: every ``interval`` seconds, for at most ``limit``."""

    interval: float = 1.0
    limit: float = 300.0
    sleep: Callable[[float], None] | None = None


def _resolve(
    fields: Sequence[FieldInfo], values: Mapping[str, Any], target: Target
) -> tuple[list[tuple[FieldInfo, Any]], str | None]:
    resolved: list[tuple[FieldInfo, Any]] = []
    for ref, value in values.items():
        field = find_field(fields, ref)
        if field is None:
            return [], f"{target}: field '{ref}' not found on Zendesk ({target.kind} fields)"
        resolved.append((field, write_value(value, field.type)))
    return resolved, None


class FieldWriter:
    """Reads and writes field values on Zendesk targets."""

    def __init__(self, client: ZendeskClient, catalog: FieldCatalog, polling: JobPolling) -> None:
        self.client = client
        self.catalog = catalog
        self.polling = polling

    # -- read -------------------------------------------------------------------------

    def read(self, targets: Sequence[Target], refs: Sequence[str]) -> dict[Target, dict[str, Any]]:
        """Typed current values of ``refs`` on each target; refs naming no field are
        left out, and so are targets that cannot be read (logged). Tickets are read
        100 at a time (``show_many``), organizations one by one."""
        out: dict[Target, dict[str, Any]] = {}
        tickets = [t for t in targets if t.kind == "zendesk_ticket" and str(t.id).isdigit()]
        for start in range(0, len(tickets), BATCH):
            chunk = tickets[start : start + BATCH]
            try:
                out.update(self._read_tickets(chunk, refs))
            except ConnectorError as error:
                log.warning(
                    "%d tickets from %s: cannot read fields: %s", len(chunk), chunk[0], error
                )
        for target in targets:
            if target.kind == "zendesk_ticket":
                continue
            try:
                out[target] = self._read_organization(target, refs)
            except ConnectorError as error:
                log.warning("%s: cannot read fields: %s", target, error)
        return out

    def _read_tickets(self, targets: Sequence[Target], refs: Sequence[str]) -> dict[Target, dict]:
        zenpy = self.client.zenpy
        fields = self.catalog.fields_for("zendesk_ticket")
        ids = [int(t.id) for t in targets]
        found = self.client.call(
            "GET /api/v2/tickets/show_many.json", lambda: list(zenpy.tickets(ids=ids))
        )
        by_id = {str(t.id): {str(e.get("id")): e.get("value") for e in t.custom_fields or ()}
                 for t in found}  # fmt: skip
        out: dict[Target, dict[str, Any]] = {}
        for target in targets:
            if target.id not in by_id:
                log.warning("%s: cannot read fields: no such ticket", target)
                continue
            out[target] = self._typed(fields, by_id[target.id], refs, lambda f: str(f.id))
        return out

    def _read_organization(self, target: Target, refs: Sequence[str]) -> dict[str, Any]:
        zenpy = self.client.zenpy
        org = self.client.call(
            f"GET /api/v2/organizations/{target.id}.json",
            lambda: zenpy.organizations(id=int(target.id)),
        )
        fields = self.catalog.fields_for(target.kind)
        stored = dict(org.organization_fields or {})
        return self._typed(fields, stored, refs, lambda f: str(f.key))

    @staticmethod
    def _typed(fields: Sequence[FieldInfo], stored: Mapping[str, Any], refs: Sequence[str],
               key_of: Callable[[FieldInfo], str]) -> dict[str, Any]:  # fmt: skip
        values: dict[str, Any] = {}
        for ref in refs:
            field = find_field(fields, ref)
            if field is not None:
                values[ref] = read_value(stored.get(key_of(field)), field.type)
        return values

    # -- write ------------------------------------------------------------------------

    def push(self, writes: Sequence[Write]) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        tickets: list[tuple[int, Write, list[tuple[FieldInfo, Any]]]] = []
        for index, write in enumerate(writes):
            target = write.target
            if target.kind not in ("zendesk_ticket", "zendesk_organization"):
                results[index] = WriteResult(target, False, f"{target}: not a Zendesk target")
                continue
            if not str(target.id).isdigit():
                results[index] = WriteResult(target, False, f"{target}: id is not a number")
                continue
            try:
                resolved, problem = _resolve(
                    self.catalog.fields_for(target.kind), write.values, target
                )
            except ConnectorError as error:
                resolved, problem = [], f"{target}: cannot read its fields: {error}"
            if problem:
                results[index] = WriteResult(target, False, problem)
            elif target.kind == "zendesk_organization":
                results[index] = self._write_organization(target, resolved)
            else:
                tickets.append((index, write, resolved))
        for start in range(0, len(tickets), BATCH):
            batch = tickets[start : start + BATCH]
            for index, result in zip(
                (i for i, _, _ in batch), self._write_tickets(batch), strict=True
            ):
                results[index] = result
        return [results[index] for index in range(len(writes))]

    def _write_organization(
        self, target: Target, resolved: list[tuple[FieldInfo, Any]]
    ) -> WriteResult:
        zenpy = self.client.zenpy
        payload = Organization(
            id=int(target.id), organization_fields={str(f.key): v for f, v in resolved}
        )
        try:
            self.client.call(
                f"PUT /api/v2/organizations/{target.id}.json",
                lambda: zenpy.organizations.update(payload),
            )
        except ConnectorError as error:
            return WriteResult(target, False, str(error))
        return WriteResult(target, True)

    def _write_tickets(
        self, batch: list[tuple[int, Write, list[tuple[FieldInfo, Any]]]]
    ) -> list[WriteResult]:
        zenpy = self.client.zenpy
        payload = [
            ZenpyTicket(
                id=int(write.target.id),
                custom_fields=[{"id": f.id, "value": v} for f, v in resolved],
            )
            for _, write, resolved in batch
        ]
        targets = [write.target for _, write, _ in batch]
        try:
            job = self.client.call(
                "PUT /api/v2/tickets/update_many.json", lambda: zenpy.tickets.update(payload)
            )
            final = self._await(job)
        except ConnectorError as error:
            return [WriteResult(t, False, str(error)) for t in targets]
        return job_results(final, targets)

    def _await(self, job: Any) -> Mapping[str, Any]:
        status = job.to_dict()
        waited = 0.0
        sleep = self.polling.sleep
        while status.get("status") not in FINISHED:
            if waited >= self.polling.limit or sleep is None:
                status = {**status, "status": "unfinished"}
                break
            sleep(self.polling.interval)
            waited += self.polling.interval
            job_id = status["id"]
            status = self.client.call(
                f"GET /api/v2/job_statuses/{job_id}.json",
                lambda job_id=job_id: self.client.zenpy.job_status(id=job_id),
            ).to_dict()
        return status


def job_results(status: Mapping[str, Any], targets: Sequence[Target]) -> list[WriteResult]:
    """One result per target from a finished job status's per-ticket ``results``."""
    by_id: dict[str, Mapping[str, Any]] = {}
    for item in status.get("results") or ():
        if isinstance(item, Mapping) and item.get("id") is not None:
            by_id[str(item["id"])] = item
    state = status.get("status")
    out: list[WriteResult] = []
    for target in targets:
        item = by_id.get(str(target.id))
        if item is not None and _succeeded(item):
            out.append(WriteResult(target, True))
        elif item is not None:
            words = [str(item[k]) for k in ("error", "details") if item.get(k)]
            reason = ": ".join(words) or str(item.get("status") or "failed")
            out.append(WriteResult(target, False, f"{target}: {reason}"))
        else:
            message = status.get("message") or ""
            reason = f"job {status.get('id')} {state} without a result for this ticket"
            out.append(WriteResult(target, False, f"{target}: {reason} {message}".strip()))
    return out


def _succeeded(item: Mapping[str, Any]) -> bool:
    if "success" in item:
        return bool(item["success"])
    return not item.get("error") and str(item.get("status", "")).lower() in ("updated", "")
