"""The configuration: one TOML file, validated into frozen typed objects.

``load_config(path)`` reads and validates the whole file and reports every problem at
once, each with its key path (``jobs.emea.baseline.budget_hours: must be > 0``), as
one ``ConfigError``. Secrets are never literal: a ``token`` is a ``${ENV_VAR}``
reference, or ``token_file`` names a file; both are read by ``resolve_secret``
only when a connector is built.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PUSHABLE_FIELDS: tuple[str, ...] = (
    "evm_pv", "evm_ev", "evm_ac", "evm_bac", "evm_cv", "evm_sv", "evm_cpi", "evm_spi",
    "evm_eac", "evm_etc", "evm_vac", "evm_tcpi", "evm_es", "evm_spi_t",
    "evm_forecast_finish", "evm_status", "evm_as_of",
)  # fmt: skip
PER_TICKET_FIELDS: tuple[str, ...] = ("evm_weight", "evm_earned")
PER_TICKET_KIND = "zendesk_tickets"
EPICS_KIND = "jira_epics"  # each epic in scope, with the figures of its children
CLASS_ATTRIBUTES: tuple[str, ...] = (
    "type", "priority", "group", "organization", "brand", "form", "project",
    "assignee", "status", "status_category", "components", "tags",
)  # fmt: skip
ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class Strict(BaseModel):
    """Base of every config section: unknown keys are errors, objects are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StateConfig(Strict):
    url: str = "sqlite:///evm-sync.db"


class DaemonConfig(Strict):
    listen: str = "127.0.0.1:9464"
    stop_timeout: float = Field(60.0, gt=0)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:9464")
        return value


class LogConfig(Strict):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["text", "json"] = "text"


class RetryConfig(Strict):
    attempts: int = Field(6, ge=1, le=20)
    max_retry_after: float = Field(120.0, gt=0)


class _SourceBase(Strict):
    token: str | None = None
    token_file: str | None = None
    start: date | datetime | None = None
    max_quota_share: float = Field(0.5, gt=0, le=1)
    timeout: float = Field(30.0, gt=0)
    retry: RetryConfig = RetryConfig()

    @field_validator("token")
    @classmethod
    def _env_reference(cls, value: str | None) -> str | None:
        if value is not None and not ENV_REFERENCE.match(value):
            raise ValueError(
                "must be an environment reference like ${ZENDESK_TOKEN} "
                "(or use token_file); literal secrets are not accepted"
            )
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> _SourceBase:
        if (self.token is None) == (self.token_file is None):
            raise ValueError("give exactly one of token (${ENV_VAR}) or token_file")
        return self


class TimeFields(Strict):
    total: str = "Total time spent (sec)"
    last_update: str = "Time spent last update (sec)"


class ZendeskSource(_SourceBase):
    kind: Literal["zendesk"]
    subdomain: str | None = None
    url: str | None = None
    email: str
    estimate_field: str | None = None
    time_fields: TimeFields = TimeFields()
    per_page: int = Field(1000, ge=1, le=1000)
    export_per_minute: int | None = Field(None, ge=1, le=1000)

    @model_validator(mode="after")
    def _where(self) -> ZendeskSource:
        if not self.subdomain and not self.url:
            raise ValueError("give subdomain (yourcompany) or url (a base URL)")
        return self


class JiraSource(_SourceBase):
    kind: Literal["jira"]
    url: str
    email: str | None = None
    auth: Literal["basic", "bearer"] = "basic"
    deployment: Literal["auto", "cloud", "datacenter"] = "auto"
    story_points_field: str | None = None
    due_field: str | None = None
    overlap_minutes: int = Field(5, ge=0, le=1440)
    page_size: int = Field(100, ge=1, le=5000)

    @model_validator(mode="after")
    def _email_for_basic(self) -> JiraSource:
        if self.auth == "basic" and not self.email:
            raise ValueError("auth = 'basic' needs email (or use auth = 'bearer')")
        return self


Source = Annotated[ZendeskSource | JiraSource, Field(discriminator="kind")]


class WindowConfig(Strict):
    kind: Literal["month", "week", "rolling", "fixed"] = "month"
    days: int | None = Field(None, ge=1, le=3660)
    start: date | datetime | None = None
    end: date | datetime | None = None

    @model_validator(mode="after")
    def _complete(self) -> WindowConfig:
        if self.kind == "rolling" and self.days is None:
            raise ValueError("kind = 'rolling' needs days")
        if self.kind == "fixed":
            if self.start is None or self.end is None:
                raise ValueError("kind = 'fixed' needs start and end")
            if _as_comparable(self.start) >= _as_comparable(self.end):
                raise ValueError("start must be before end")
        return self


def _as_comparable(value: date | datetime) -> tuple[int, ...]:
    if isinstance(value, datetime):
        return value.timetuple()[:6]
    return (*value.timetuple()[:3], 0, 0, 0)


class CapacityBaseline(Strict):
    kind: Literal["capacity"]
    budget_hours: float | None = Field(None, gt=0)
    budget_hours_per_period: float | None = Field(None, gt=0)
    calendar: Literal["calendar", "weekdays"] = "calendar"

    @model_validator(mode="after")
    def _one_budget(self) -> CapacityBaseline:
        if (self.budget_hours is None) == (self.budget_hours_per_period is None):
            raise ValueError("give exactly one of budget_hours or budget_hours_per_period")
        return self


class DueBaseline(Strict):
    kind: Literal["due"]
    planned_finish: tuple[Literal["due_date", "sla", "sprint_end"], ...] = ("due_date", "sla")

    @field_validator("planned_finish")
    @classmethod
    def _non_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or len(set(value)) != len(value):
            raise ValueError("must list due_date, sla and/or sprint_end, each once")
        return value


Baseline = Annotated[CapacityBaseline | DueBaseline, Field(discriminator="kind")]


class WeightingConfig(Strict):
    order: tuple[Literal["estimate", "history", "table", "default"], ...] = (
        "estimate",
        "history",
        "table",
        "default",
    )
    class_by: tuple[str, ...] = ("type", "priority")
    history_days: int = Field(90, ge=1, le=3650)
    statistic: Literal["median", "mean", "p75"] = "median"
    min_samples: int = Field(5, ge=1)
    default_hours: float = Field(1.0, gt=0)
    table: dict[str, Annotated[float, Field(gt=0)]] = {}
    hours_per_point: float | None = Field(None, gt=0)

    @field_validator("order")
    @classmethod
    def _unique_rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or len(set(value)) != len(value):
            raise ValueError("must list weight rules, each once")
        return value

    @field_validator("class_by")
    @classmethod
    def _known_attributes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in CLASS_ATTRIBUTES]
        if unknown:
            raise ValueError(f"unknown attribute {unknown[0]!r}; use {', '.join(CLASS_ATTRIBUTES)}")
        return value


class EarningConfig(Strict):
    rule: Literal["0/100", "50/50", "status"] = "0/100"
    status_fractions: dict[str, Annotated[float, Field(ge=0, le=1)]] = {}

    @model_validator(mode="after")
    def _fractions_for_status(self) -> EarningConfig:
        if self.rule == "status" and not self.status_fractions:
            raise ValueError("rule = 'status' needs status_fractions, e.g. { open = 0.25 }")
        return self


class ThresholdsConfig(Strict):
    on_track: float = Field(0.95, gt=0)
    at_risk: float = Field(0.85, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdsConfig:
        if self.at_risk > self.on_track:
            raise ValueError("at_risk must not be above on_track")
        return self


class CostConfig(Strict):
    """Money mode: every hour figure priced. Planned and earned hours at the ticket's
    group rate (else ``rate``); actual hours at the agent's rate, else the ticket's
    group rate, else ``rate``."""

    currency: str = Field(min_length=1, max_length=8)
    rate: float = Field(gt=0)
    by_agent: dict[str, Annotated[float, Field(gt=0)]] = {}
    by_group: dict[str, Annotated[float, Field(gt=0)]] = {}


class ScopeConfig(Strict):
    group: tuple[str, ...] = ()
    organization: tuple[str, ...] = ()
    brand: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    jql: str | None = None

    def zendesk_filters(self) -> dict[str, tuple[str, ...]]:
        return {
            name: values
            for name in ("group", "organization", "brand", "form", "tags")
            if (values := getattr(self, name))
        }


class TargetConfig(Strict):
    kind: Literal[
        "zendesk_ticket",
        "zendesk_organization",
        "zendesk_tickets",
        "jira_issue",
        "jira_epics",
        "jira_property",
    ]
    id: str | int | None = None
    key: str | None = None
    property: str = "evm"

    @model_validator(mode="after")
    def _identified(self) -> TargetConfig:
        if self.kind in ("zendesk_ticket", "zendesk_organization") and self.id is None:
            raise ValueError(f"kind = '{self.kind}' needs id")
        if self.kind in ("jira_issue", "jira_property") and not self.key:
            raise ValueError(f"kind = '{self.kind}' needs key (e.g. SUP-1)")
        return self

    def ref(self) -> str:
        """The target's id as the connectors name it: a Zendesk id or a Jira key
        (``*`` for every weighted ticket)."""
        if self.kind in (PER_TICKET_KIND, EPICS_KIND):
            return "*"
        return str(self.id) if self.kind.startswith("zendesk") else str(self.key)


class PushConfig(Strict):
    target: TargetConfig
    source: str | None = None
    fields: dict[str, str | int] = {}

    @field_validator("fields")
    @classmethod
    def _known_figures(cls, value: dict[str, str | int]) -> dict[str, str | int]:
        known = PUSHABLE_FIELDS + PER_TICKET_FIELDS
        for name in value:
            if name not in known:
                raise ValueError(f"unknown figure {name!r}{did_you_mean(name, known)}")
        return value

    @model_validator(mode="after")
    def _fields_or_property(self) -> PushConfig:
        if self.target.kind == "jira_property" and self.fields:
            raise ValueError("a jira_property target holds the whole summary: give no fields")
        if self.target.kind != "jira_property" and not self.fields:
            raise ValueError("map at least one figure in fields, e.g. { evm_cpi = 'evm_cpi' }")
        per_ticket = self.target.kind == PER_TICKET_KIND
        wrong = [n for n in self.fields if (n in PER_TICKET_FIELDS) != per_ticket]
        if wrong and per_ticket:
            raise ValueError(
                f"a {PER_TICKET_KIND} target takes evm_weight and evm_earned only, not {wrong[0]}"
            )
        if wrong:
            raise ValueError(f"{wrong[0]} is per ticket: map it on a {PER_TICKET_KIND} target")
        return self


class JobConfig(Strict):
    sources: tuple[str, ...] = ()
    schedule: str = "*/15 * * * *"
    timezone: str = "UTC"
    window: WindowConfig = WindowConfig()
    baseline: Baseline = CapacityBaseline(kind="capacity", budget_hours=160.0)
    weighting: WeightingConfig = WeightingConfig()
    earning: EarningConfig = EarningConfig()
    eac: Literal["cpi", "remaining", "cpi_spi"] = "cpi"
    period: Literal["day", "week"] = "day"
    thresholds: ThresholdsConfig = ThresholdsConfig()
    cost: CostConfig | None = None
    scope: dict[str, ScopeConfig] = {}
    push: tuple[PushConfig, ...] = ()

    @model_validator(mode="after")
    def _epics_need_a_plan(self) -> JobConfig:
        epics = any(push.target.kind == EPICS_KIND for push in self.push)
        if epics and self.baseline.kind != "due":
            raise ValueError(
                "a jira_epics target needs baseline kind = 'due': an epic's plan is the "
                "planned finishes of its children"
            )
        return self

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as error:
            raise ValueError(f"not a cron expression ({error})") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. UTC, Europe/Berlin)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Config(Strict):
    state: StateConfig = StateConfig()
    daemon: DaemonConfig = DaemonConfig()
    log: LogConfig = LogConfig()
    sources: dict[str, Source] = {}
    jobs: dict[str, JobConfig] = {}


def did_you_mean(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
