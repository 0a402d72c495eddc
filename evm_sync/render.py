"""Turning results into what people read: JSON documents and rich tables (no printing)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from connectors.base import FieldReport
from evm_sync.config import Config
from evm_sync.evm import Result
from evm_sync.model import Weight

if TYPE_CHECKING:
    from evm_sync.sync import JobRun

HOUR_FIGURES = ("bac", "pv", "ev", "ac", "cv", "sv", "eac", "etc", "vac")
INDEX_FIGURES = ("cpi", "spi", "tcpi", "tcpi_eac", "spi_t")
PERIOD_FIGURES = ("es", "at", "sv_t", "ieac_t")


def weight_json(weight: Weight) -> dict[str, Any]:
    return {
        "ticket_id": weight.ticket_id,
        "hours": weight.hours,
        "rule": weight.rule,
        "detail": weight.detail,
    }


def result_json(job: str, result: Result) -> dict[str, Any]:
    """The document ``compute --json`` prints."""
    return {
        "job": job,
        "as_of": result.as_of.isoformat(),
        "window": {"start": result.window.start.isoformat(), "end": result.window.end.isoformat()},
        "figures": result.figures.as_dict(),
        "kpis": result.kpis.as_dict(),
        "weights": [weight_json(w) for w in result.weights],
    }


def _shown(value: Any, decimals: int, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{decimals}f}{suffix}"
    return str(value)


def figures_table(job: str, result: Result) -> Table:
    """Figures of one job, grouped as a lead reads them."""
    figures = result.figures.as_dict()
    table = Table(title=f"{job}: {result.window.start:%Y-%m-%d} to {result.window.end:%Y-%m-%d}, "
                  f"as of {result.as_of:%Y-%m-%d %H:%M} UTC")  # fmt: skip
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("status", f"[bold]{figures['status']}[/bold]")
    for name in HOUR_FIGURES:
        table.add_row(name.upper(), _shown(figures[name], 1, f" {result.unit}"))
    for name in INDEX_FIGURES:
        table.add_row(
            name.upper().replace("_T", "(t)").replace("_EAC", " (EAC)"), _shown(figures[name], 2)
        )
    table.add_row("% complete", _shown(_percent(figures["pct_complete"]), 1, " %"))
    table.add_row("% spent", _shown(_percent(figures["pct_spent"]), 1, " %"))
    for name in PERIOD_FIGURES:
        table.add_row(
            name.upper().replace("_T", "(t)"), _shown(figures[name], 2, f" {result.period}s")
        )
    table.add_row("forecast finish", _shown(figures["forecast_finish"], 0))
    return table


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def kpi_table(result: Result) -> Table:
    table = Table(title="support KPIs")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for name, value in result.kpis.as_dict().items():
        table.add_row(name.replace("_", " "), _shown(value, 2))
    return table


def weights_table(weights: Sequence[Weight], limit: int = 8) -> Table:
    """A few weights with the reason for each (the explanation a lead asks for)."""
    table = Table(title=f"weights ({len(weights)} tickets; first {min(limit, len(weights))})")
    for column in ("ticket", "hours", "rule", "why"):
        table.add_column(column, justify="right" if column == "hours" else "left")
    for weight in weights[:limit]:
        table.add_row(
            f"{weight.source}/{weight.ticket_id}", f"{weight.hours:.2f}", weight.rule, weight.detail
        )
    return table


def jobs_summary(config: Config) -> Table:
    """What ``check`` found: a block of lines per job, readable at any width."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for name, job in config.jobs.items():
        baseline = job.baseline
        plan = (
            f"capacity {baseline.budget_hours or baseline.budget_hours_per_period:g} h"
            + ("" if baseline.budget_hours else " per period")
            + f" ({baseline.calendar})"
            if baseline.kind == "capacity"
            else f"due ({', '.join(baseline.planned_finish)})"
        )
        window = job.window.kind + (f" {job.window.days} days" if job.window.days else "")
        if job.window.kind == "fixed":
            window += f" {job.window.start} to {job.window.end}"
        targets = ", ".join(
            f"{p.target.kind}:{p.target.ref()} "
            + (f"({len(p.fields)} fields)" if p.fields else "(whole summary)")
            for p in job.push
        )
        table.add_row(f"job {name}", "")
        for label, value in (
            ("sources", ", ".join(job.sources) or "none (compute from files only)"),
            ("schedule", f"{job.schedule} ({job.timezone})"),
            ("window", window),
            ("baseline", plan),
            (
                "weights",
                f"{' > '.join(job.weighting.order)}; class ({', '.join(job.weighting.class_by)})",
            ),
            ("earning", f"{job.earning.rule}; EAC {job.eac}; period {job.period}"),
            ("push", targets or "nothing"),
        ):
            table.add_row(f"  {label}", value)
    return table


def run_json(run: JobRun) -> dict[str, Any]:
    """One job of ``run --json``."""
    return {
        "job": run.job,
        "as_of": run.as_of.isoformat(),
        "dry_run": run.dry_run,
        "figures": run.result.figures.as_dict(),
        "pulled": run.pulled,
        "pushed": [
            {"target": c.target, "field": c.field, "old": c.old, "new": c.new}
            | ({} if c.ok else {"error": c.error})
            for c in run.pushed
        ],
        "requests": dict(sorted(run.requests.items())),
    }


def _short(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def changes_table(run: JobRun, limit: int = 40) -> Table:
    """The diff a push made (or, in a dry run, would make): target, field, old -> new."""
    verb = "planned" if run.dry_run else "pushed"
    pulled = f"{run.pulled['tickets']:,} tickets, {run.pulled['worklogs']:,} worklogs pulled"
    table = Table(title=f"{run.job}: {len(run.pushed)} field changes {verb} ({pulled})")
    for column in ("target", "field", "current", "new", "result"):
        table.add_column(column)
    for change in run.pushed[:limit]:
        result = "planned" if run.dry_run else "ok" if change.ok else f"failed: {change.error}"
        table.add_row(change.target, change.field, _short(change.old), _short(change.new), result)
    if len(run.pushed) > limit:
        table.add_row(
            f"... and {len(run.pushed) - limit} more (all of them with --json)", "", "", "", ""
        )
    return table


def fields_table(reports: Sequence[tuple[str, FieldReport]]) -> Table:
    table = Table(title="fields")
    for column in ("source", "target", "figure", "configured as", "field id", "status"):
        table.add_column(column)
    for source, report in reports:
        spec = report.spec
        status = report.action + (f": {report.detail}" if report.detail else "")
        table.add_row(source, spec.target_kind, spec.name, spec.ref, report.field_id or "—", status)
    return table


def read_back_table(values: dict[str, dict[str, Any]]) -> Table:
    """What the targets hold after the sync, read back through the APIs."""
    table = Table(title="read back from the helpdesk")
    for column in ("target", "field", "value"):
        table.add_column(column)
    for target, fields in values.items():
        for name, value in fields.items():
            shown = (
                f"summary JSON, status {value['figures']['status']!r}"
                if isinstance(value, dict)
                else _short(value)
            )
            table.add_row(target, name, shown)
    return table
