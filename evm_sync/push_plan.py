"""What a job pushes: figure values as the helpdesk shows them, and the diff against
what the targets hold (pure)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base import FieldSpec, Target
from evm_sync.config import EPICS_KIND, PER_TICKET_KIND, JobConfig
from evm_sync.evm import Result
from evm_sync.model import Weight

HOURS = {
    "evm_pv",
    "evm_ev",
    "evm_ac",
    "evm_bac",
    "evm_cv",
    "evm_sv",
    "evm_eac",
    "evm_etc",
    "evm_vac",
}
INDICES = {"evm_cpi", "evm_spi", "evm_tcpi", "evm_spi_t", "evm_es"}
DATES = {"evm_forecast_finish"}
TEXTS = {"evm_status", "evm_as_of"}
DESCRIBES_OTHERS = "evm_as_of"  # written only when another field of its target changes


@dataclass(frozen=True, slots=True)
class PushChange:
    """One field of one target: what it held, what it gets; after a push, how it went."""

    target: str
    field: str
    old: Any
    new: Any
    ok: bool = True
    error: str | None = None


def value_type(name: str) -> str:
    """The helpdesk field type a figure needs: ``number``, ``date`` or ``text``."""
    return "date" if name in DATES else "text" if name in TEXTS else "number"


def pushed_values(result: Result) -> dict[str, Any]:
    """Every pushable figure as written: hours to 1 decimal, indices and periods to 2,
    the forecast finish as a date, the status and as-of as text."""
    f = result.figures
    values: dict[str, Any] = {}
    for name in HOURS | INDICES:
        raw = getattr(f, name.removeprefix("evm_"))
        values[name] = None if raw is None else round(raw, 1 if name in HOURS else 2)
    values["evm_forecast_finish"] = (
        f.forecast_finish.date().isoformat() if f.forecast_finish else None
    )
    values["evm_status"] = f.status
    values["evm_as_of"] = result.as_of.strftime("%Y-%m-%dT%H:%MZ")
    return values


def summary(job_name: str, result: Result) -> dict[str, Any]:
    """The whole summary, for an issue property read by dashboard gadgets."""
    return {
        "job": job_name,
        "as_of": result.as_of.isoformat(),
        "window": {"start": result.window.start.isoformat(), "end": result.window.end.isoformat()},
        "unit": result.unit,
        "figures": result.figures.as_dict(),
        "kpis": result.kpis.as_dict(),
    }


def same(old: Any, new: Any) -> bool:
    """Whether a target already holds ``new`` (numbers compared as numbers)."""
    if isinstance(new, dict) and isinstance(old, dict):
        strip = {"as_of"}
        return {k: v for k, v in old.items() if k not in strip} == {
            k: v for k, v in new.items() if k not in strip
        }
    if isinstance(new, int | float) and not isinstance(new, bool):
        try:
            return old is not None and math.isclose(float(old), float(new), abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if old in ("", None) and new is None:
        return True
    return old == new


def target_of(push_target) -> Target:
    """The connectors' ``Target`` for a configured target."""
    kind = push_target.kind
    return Target(
        kind, push_target.ref(), push_target.property if kind == "jira_property" else None
    )


def targets_for(
    push, source: str, result: Result, closed: Collection[tuple[str, str]],
    epics: Mapping[tuple[str, str], Result],
) -> list[Target]:  # fmt: skip
    """What one push entry writes to: its target; per ticket, each weighted ticket of
    its source that the helpdesk still lets us update; per epic, each epic in scope."""
    if push.target.kind == PER_TICKET_KIND:
        return [
            Target("zendesk_ticket", w.ticket_id)
            for w in result.weights
            if w.source == source and (w.source, w.ticket_id) not in closed
        ]
    if push.target.kind == EPICS_KIND:
        return [Target("jira_issue", key) for src, key in epics if src == source]
    return [target_of(push.target)]


def field_specs(job: JobConfig) -> list[tuple[int, FieldSpec]]:
    """The fields a job's push section maps, with the push index they belong to."""
    return [
        (index, FieldSpec(name, _field_home(push.target.kind), str(ref), value_type(name)))
        for index, push in enumerate(job.push)
        for name, ref in push.fields.items()
    ]


def _field_home(kind: str) -> str:
    """Where a push entry's fields live: ticket fields, issue fields, ..."""
    return {PER_TICKET_KIND: "zendesk_ticket", EPICS_KIND: "jira_issue"}.get(kind, kind)


def plan(
    job_name: str,
    job: JobConfig,
    result: Result,
    targets: Mapping[int, Sequence[Target]],
    current: Mapping[tuple[int, Target], Mapping[str, Any]],
    epics: Mapping[tuple[str, str], Result] | None = None,
    sources: Mapping[int, str] | None = None,
) -> list[tuple[int, Target, dict[str, Any], list[PushChange]]]:
    """Per target: the values to write (by field ref) and the changes they make.

    ``targets`` holds each push entry's targets (``targets_for``), ``sources`` its
    source, ``epics`` each epic's own result; ``current`` what each target holds
    now, by field ref (a property target: its property key). Targets with nothing
    to change are left out.
    """
    summary_values = pushed_values(result)
    by_ticket = {w.ticket_id: w for w in result.weights}
    planned = []
    for index, push in enumerate(job.push):
        for target in targets.get(index, ()):
            held = current.get((index, target), {})
            if target.kind == "jira_property":
                key = str(target.property)
                new = summary(job_name, result)
                if not same(held.get(key), new):
                    change = PushChange(str(target), key, held.get(key), new)
                    planned.append((index, target, {key: new}, [change]))
                continue
            if push.target.kind == PER_TICKET_KIND:
                values = ticket_values(by_ticket[target.id])
            elif push.target.kind == EPICS_KIND:
                values = pushed_values((epics or {})[(sources or {})[index], target.id])
            else:
                values = summary_values
            changed = _changes(push.fields, values, held, str(target))
            if changed:
                writes = {ref: change.new for ref, change in changed}
                planned.append((index, target, writes, [change for _, change in changed]))
    return planned


def ticket_values(weight: Weight) -> dict[str, Any]:
    """A ticket's own fields: its weight and what it has earned, hours to 1 decimal."""
    return {"evm_weight": round(weight.hours, 1), "evm_earned": round(weight.earned, 1)}


def _changes(
    fields: Mapping[str, str | int], values: Mapping[str, Any], held: Mapping[str, Any], where: str
) -> list[tuple[str, PushChange]]:
    """The (ref, change) pairs that differ; ``evm_as_of`` only along with another."""
    changed = [
        (str(ref), PushChange(where, name, held.get(str(ref)), values[name]))
        for name, ref in fields.items()
        if name != DESCRIBES_OTHERS and not same(held.get(str(ref)), values[name])
    ]
    if changed and DESCRIBES_OTHERS in fields:
        ref = str(fields[DESCRIBES_OTHERS])
        new = values[DESCRIBES_OTHERS]
        changed.append((ref, PushChange(where, DESCRIBES_OTHERS, held.get(ref), new)))
    return changed
