"""Reading the config file: TOML -> ``Config``, with every problem named by its key path."""

from __future__ import annotations

import os
import tomllib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from evm_sync.config import Config, JiraSource, ZendeskSource, did_you_mean


class ConfigError(Exception):
    """One or more problems in the config; ``problems`` holds one line each."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def load_config(path: str | Path, *, check_secrets: bool = False) -> Config:
    """Read, parse and validate the config at ``path``.

    With ``check_secrets`` every source's secret must also resolve now (``check``).
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such config file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"{path}: cannot read: {error}"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{path}: invalid TOML: {error}"]) from None
    return parse_config(raw, check_secrets=check_secrets)


def parse_config(raw: dict[str, Any], *, check_secrets: bool = False) -> Config:
    """Validate an already parsed TOML document into a ``Config``."""
    try:
        config = Config.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(sorted(_describe(e, raw) for e in error.errors())) from None
    problems = list(cross_checks(config))
    if check_secrets:
        for name, source in config.sources.items():
            try:
                resolve_secret(source)
            except ConfigError as error:
                problems.extend(f"sources.{name}.{p}" for p in error.problems)
    if problems:
        raise ConfigError(problems)
    return config


def cross_checks(config: Config) -> Iterable[str]:
    """Problems that span sections: unknown source names, scopes and push targets."""
    for job_name, job in config.jobs.items():
        where = f"jobs.{job_name}"
        for source in job.sources:
            if source not in config.sources:
                known = did_you_mean(source, config.sources)
                yield f"{where}.sources: no source named {source!r}{known}"
        for source, scope in job.scope.items():
            if source not in job.sources:
                yield f"{where}.scope.{source}: {source!r} is not one of this job's sources"
                continue
            kind = getattr(config.sources.get(source), "kind", None)
            if kind == "zendesk" and scope.jql:
                yield f"{where}.scope.{source}.jql: jql applies to Jira sources only"
            if kind == "jira" and scope.zendesk_filters():
                yield (
                    f"{where}.scope.{source}: group/organization/brand/form/tags apply "
                    "to Zendesk sources only; use jql"
                )
        for index, push in enumerate(job.push):
            kind = push.target.kind.split("_")[0]
            candidates = [
                s for s in job.sources if getattr(config.sources.get(s), "kind", None) == kind
            ]
            if push.source is not None:
                if push.source not in candidates:
                    yield (
                        f"{where}.push[{index}].source: {push.source!r} is not "
                        f"a {kind} source of this job"
                    )
            elif len(candidates) != 1:
                count = "no" if not candidates else "several"
                yield (
                    f"{where}.push[{index}].source: the job has {count} {kind} sources; "
                    "name the one to push through"
                )


def push_source(config: Config, job_name: str, index: int) -> str:
    """The source a job's push target goes through (checked by ``cross_checks``)."""
    job = config.jobs[job_name]
    push = job.push[index]
    if push.source:
        return push.source
    kind = push.target.kind.split("_")[0]
    return next(s for s in job.sources if config.sources[s].kind == kind)


def resolve_secret(source: ZendeskSource | JiraSource) -> str:
    """The source's token, from its ``${ENV_VAR}`` or its ``token_file``."""
    if source.token is not None:
        name = source.token[2:-1]
        value = os.environ.get(name)
        if not value:
            raise ConfigError([f"token: environment variable {name} is not set"])
        return value
    path = Path(str(source.token_file)).expanduser()
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError([f"token_file: cannot read {path}: {error.strerror}"]) from None
    if not value:
        raise ConfigError([f"token_file: {path} is empty"])
    return value


def resolvable_secrets(config: Config) -> list[str]:
    """The tokens of the sources that resolve now (for redaction; the others fail
    later, in the runs that need them)."""
    found = []
    for source in config.sources.values():
        try:
            found.append(resolve_secret(source))
        except ConfigError:
            continue
    return found


def _describe(error: dict[str, Any], raw: Any) -> str:
    path, model = _walk(error["loc"], raw)
    kind, ctx, msg = error["type"], error.get("ctx") or {}, error["msg"]
    where = ".".join(path) or "(top level)"
    if kind == "extra_forbidden":
        allowed = list(model.model_fields) if model else []
        return f"{where}: unknown key{did_you_mean(path[-1], allowed)}"
    if kind == "missing":
        return f"{where}: required"
    if kind == "union_tag_invalid":
        return f"{where}.kind: {ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"{where}.kind: required"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(kind, "<=")
        limit = next(iter(ctx.values()))
        return (
            f"{where}: must be {op} {limit:g}"
            if isinstance(limit, float)
            else f"{where}: must be {op} {limit}"
        )
    if kind == "literal_error":
        return f"{where}: must be one of {ctx.get('expected')}"
    if kind in ("value_error", "assertion_error"):
        return f"{where}: {msg.removeprefix('Value error, ')}"
    return f"{where}: {msg[0].lower()}{msg[1:]}"


def _walk(loc: tuple[Any, ...], raw: Any) -> tuple[list[str], type[BaseModel] | None]:
    """Key path for display (union tags dropped, list indexes as [n]) and the model
    that holds the last key."""
    path: list[str] = []
    annotation: Any = Config
    holder: type[BaseModel] | None = None
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, list):  # a union: ``part`` is the tag or a key
            tagged = [m for m in annotation if _tag(m) == part]
            if tagged:
                annotation = tagged[0]
                continue
            annotation = _pick_by_input(annotation, raw)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            holder = annotation
            field = annotation.model_fields.get(str(part))
            path.append(str(part))
            annotation = field.annotation if field else None
        elif typing.get_origin(annotation) is dict:
            path.append(str(part))
            annotation = typing.get_args(annotation)[1]
        elif typing.get_origin(annotation) is tuple and isinstance(part, int):
            path[-1:] = [f"{path[-1]}[{part}]"] if path else [f"[{part}]"]
            annotation = typing.get_args(annotation)[0]
        else:
            path.append(str(part))
            annotation = None
        raw = _child(raw, part)
    return path, holder


def _child(raw: Any, part: Any) -> Any:
    if isinstance(raw, dict):
        return raw.get(part)
    if isinstance(raw, list) and isinstance(part, int) and part < len(raw):
        return raw[part]
    return None


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [_unwrap(a) for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else members
    return annotation


def _tag(member: Any) -> Any:
    if isinstance(member, type) and issubclass(member, BaseModel) and "kind" in member.model_fields:
        args = typing.get_args(member.model_fields["kind"].annotation)
        return args[0] if len(args) == 1 else None
    return None


def _pick_by_input(members: list[Any], raw: Any) -> Any:
    if isinstance(raw, dict):
        for member in members:
            if _tag(member) is not None and _tag(member) == raw.get("kind"):
                return member
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    return models[0] if models else None
