"""``JiraConnector``: the Connector protocol for one Jira Cloud or Data Center site."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from connectors.base import (
    Bookmark,
    FieldReport,
    FieldSpec,
    Page,
    Scope,
    Target,
    Write,
    WriteResult,
)
from connectors.errors import FatalError
from connectors.jira.client import ClientSettings, JiraClient, Rejected
from connectors.jira.fields import (
    FieldCatalog,
    clause_map,
    parse_fields,
    plan_creation,
    report_existing,
)
from connectors.jira.normalize import IssueFields
from connectors.jira.pull import IssueBookmark, pull_issues
from connectors.jira.push import push_writes, read_targets
from connectors.jira.worklogs import pull_worklogs_cloud, pull_worklogs_datacenter
from connectors.retry import limits_from, retrying


class JiraConnector:
    """Pulls ``issues`` and ``worklogs``; reads and writes issue fields and properties."""

    streams = ("issues", "worklogs")

    def __init__(self, name: str, client: JiraClient, options: Mapping[str, Any]) -> None:
        self.name = name
        self.client = client
        self.start = options.get("start")
        self.overlap = timedelta(minutes=int(options.get("overlap_minutes", 5)))
        self.page_size = int(options.get("page_size", 100))
        self.story_points_ref: str | None = options.get("story_points_field")
        self.due_ref: str | None = options.get("due_field")
        self._catalog: FieldCatalog | None = None

    @classmethod
    def from_options(
        cls,
        name: str,
        options: Mapping[str, Any],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> JiraConnector:
        policy, gate = limits_from(name, options, sleep=sleep, clock=clock)
        settings = ClientSettings(
            source=name,
            url=str(options["url"]),
            email=options.get("email"),
            token=str(options["token"]),
            auth=str(options.get("auth", "basic")),
            deployment=str(options.get("deployment", "auto")),
            timeout=float(options.get("timeout", 30)),
        )
        return cls(name, JiraClient(settings, policy, gate), options)

    def __repr__(self) -> str:
        return f"JiraConnector({self.name!r}, {self.client.base!r})"

    # -- fields -----------------------------------------------------------------------

    def catalog(self) -> FieldCatalog:
        """The site's fields, read once (and again after ``ensure_fields`` creates some)."""
        if self._catalog is None:
            raw = self.client.request("GET", f"{self.client.api}/field") or []
            self._catalog = FieldCatalog(parse_fields(raw))
            # The library translates search field names through this cache; filling it
            # from the list just read spares it a second ``GET /field``.
            self.client.jira._fields_cache_value = clause_map(raw)
        return self._catalog

    def issue_fields(self) -> IssueFields:
        catalog = self.catalog()
        story_points = catalog.story_points(self.story_points_ref)
        if self.story_points_ref and story_points is None:
            raise FatalError(
                f"story_points_field '{self.story_points_ref}' is not a Jira field",
                source=self.name,
            )
        due = catalog.field_id(self.due_ref) if self.due_ref else None
        if self.due_ref and due is None:
            raise FatalError(f"due_field '{self.due_ref}' is not a Jira field", source=self.name)
        return IssueFields(story_points=story_points, due=due, sprint=catalog.sprint())

    def ensure_fields(self, specs: Sequence[FieldSpec], create: bool) -> list[FieldReport]:
        """Find each ``jira_issue`` field by id or name; create the missing ones with a
        searcher (so JQL and dashboards can use them) when ``create``."""
        reports = []
        for spec in specs:
            if spec.target_kind == "jira_property":
                reports.append(FieldReport(spec, spec.ref, "exists", "an issue property"))
                continue
            if spec.target_kind != "jira_issue":
                reports.append(FieldReport(spec, None, "not creatable", "not a Jira target"))
                continue
            found = self.catalog().find(spec.ref)
            if found:
                reports.append(report_existing(spec, found))
                continue
            plan = plan_creation(spec)
            if isinstance(plan, str):
                reports.append(
                    FieldReport(spec, None, "not creatable" if create else "missing", plan)
                )
            elif not create:
                reports.append(FieldReport(spec, None, "missing", f"no field named '{spec.ref}'"))
            else:
                reports.append(self._create(spec, plan))
        return reports

    def _create(self, spec: FieldSpec, body: dict[str, str]) -> FieldReport:
        """POST the field; before any repeat, look whether the lost try made it after all
        (a creation is not idempotent: a blind retry could make a twin field)."""
        tries = 0

        def create_once() -> dict[str, Any]:
            nonlocal tries
            if tries:
                self._catalog = None
                existing = self.catalog().find(spec.ref)
                if existing:
                    return {"id": existing.id}
            tries += 1
            path = f"{self.client.api}/field"
            return self.client.request("POST", path, body=body, skippable=(400, 403), retry=False)

        try:
            made = retrying(self.client.policy, create_once)
        except Rejected as error:
            return FieldReport(spec, None, "not creatable", error.message)
        self._catalog = None
        kinds = f"{body['type']} / {body['searcherKey']}"
        return FieldReport(spec, str(made["id"]), "created", kinds)

    # -- the protocol -----------------------------------------------------------------

    def pull(self, stream: str, bookmark: Bookmark | None, scope: Scope) -> Iterator[Page]:
        if stream == "issues":
            return pull_issues(
                self.client,
                IssueBookmark.load(bookmark, self.name),
                scope.jql,
                extra=self.issue_fields(),
                start=self.start,
                overlap=self.overlap,
                page_size=self.page_size,
            )
        if stream == "worklogs":
            if self.client.cloud:
                return pull_worklogs_cloud(self.client, bookmark, start=self.start)
            return pull_worklogs_datacenter(
                self.client,
                bookmark,
                scope.jql,
                start=self.start,
                overlap=self.overlap,
                page_size=self.page_size,
            )
        raise ValueError(f"source '{self.name}': no stream '{stream}' (streams: issues, worklogs)")

    def read(
        self, targets: Sequence[Target], fields: Sequence[str]
    ) -> dict[Target, dict[str, Any]]:
        return read_targets(self.client, self.catalog, targets, fields)

    def push(self, writes: Sequence[Write]) -> list[WriteResult]:
        return push_writes(self.client, self.catalog, writes)

    def request_counts(self) -> dict[str, int]:
        return self.client.request_counts()

    def close(self) -> None:
        self.client.close()
