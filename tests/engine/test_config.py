"""The config: every problem at once, with its key path; secrets never literal."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from evm_sync.config import Config
from evm_sync.config_loader import ConfigError, load_config, parse_config, resolve_secret

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def problems(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return caught.value.problems


def _all_keys(model: type[BaseModel]) -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(name)
        for inner in _models_in(field.annotation):
            keys |= _all_keys(inner)
    return keys


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def test_example_config_is_valid_and_documents_every_key():
    config = load_config(EXAMPLE)
    assert config.jobs and config.sources
    text = EXAMPLE.read_text()
    missing = sorted(k for k in _all_keys(Config) if not re.search(rf"\b{k}\b", text))
    assert missing == []


def test_every_problem_reported_with_its_key_path():
    found = problems({
        "sources": {"zd": {"kind": "zendesk", "subdomian": "acme", "email": "a@b", "token": "x"}},
        "jobs": {"emea": {"baseline": {"kind": "capacity", "budget_hours": 0},
                          "window": {"kind": "rolling"}, "eac": "cpii"}},
    })  # fmt: skip
    assert "jobs.emea.baseline.budget_hours: must be > 0" in found
    assert "jobs.emea.window: kind = 'rolling' needs days" in found
    assert any(p.startswith("jobs.emea.eac: must be one of") for p in found)
    assert "sources.zd.subdomian: unknown key (did you mean 'subdomain'?)" in found
    assert any(p.startswith("sources.zd.token: must be an environment reference") for p in found)
    assert len(found) == 5


def test_literal_token_never_echoed():
    found = problems({"sources": {"j": {"kind": "jira", "url": "http://x", "email": "e",
                                        "token": "s3cr3t-literal"}}})  # fmt: skip
    assert not any("s3cr3t-literal" in p for p in found)


def test_unknown_top_level_and_job_keys_get_suggestions():
    found = problems({"jobz": {}, "jobs": {"a": {"sorces": []}}})
    assert "jobz: unknown key (did you mean 'jobs'?)" in found
    assert "jobs.a.sorces: unknown key (did you mean 'sources'?)" in found


def test_union_kind_errors():
    found = problems({"jobs": {"a": {"baseline": {"kind": "dues"}}},
                      "sources": {"s": {"kind": "servicenow"}}})  # fmt: skip
    assert "jobs.a.baseline.kind: 'dues' is not one of 'capacity', 'due'" in found
    assert any(p.startswith("sources.s.kind: 'servicenow' is not one of") for p in found)


def test_cross_section_problems():
    found = problems({
        "sources": {"zd": {"kind": "zendesk", "subdomain": "a", "email": "e", "token": "${T}"}},
        "jobs": {"a": {"sources": ["zd", "jra"], "scope": {"zd": {"jql": "project = X"}},
                       "push": [{"target": {"kind": "jira_issue", "key": "X-1"},
                                 "fields": {"evm_cpi": "customfield_1"}}]}},
    })  # fmt: skip
    assert "jobs.a.sources: no source named 'jra'" in found
    assert "jobs.a.scope.zd.jql: jql applies to Jira sources only" in found
    assert any(p.startswith("jobs.a.push[0].source: the job has no jira sources") for p in found)


def test_push_fields_must_be_known_figures_and_property_takes_none():
    found = problems({"jobs": {"a": {"push": [
        {"target": {"kind": "zendesk_organization", "id": 1}, "fields": {"evm_cpii": "x"}},
        {"target": {"kind": "jira_property", "key": "X-1"}, "fields": {"evm_cpi": "x"}},
    ]}}})  # fmt: skip
    assert "jobs.a.push[0].fields: unknown figure 'evm_cpii' (did you mean 'evm_cpi'?)" in found
    assert any(p.startswith("jobs.a.push[1]: a jira_property target") for p in found)


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("[jobs\nx = 1\n")
    with pytest.raises(ConfigError, match=r"c.toml: invalid TOML: .*line 1"):
        load_config(bad)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "none.toml")


def test_secrets_from_env_and_file(tmp_path, monkeypatch):
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    config = parse_config({"sources": {
        "a": {"kind": "zendesk", "subdomain": "x", "email": "e", "token": "${EVM_T}"},
        "b": {"kind": "jira", "url": "http://j", "auth": "bearer", "token_file": str(secret)},
    }})  # fmt: skip
    monkeypatch.setenv("EVM_T", "from-env")
    assert resolve_secret(config.sources["a"]) == "from-env"
    assert resolve_secret(config.sources["b"]) == "from-file"
    monkeypatch.delenv("EVM_T")
    with pytest.raises(ConfigError, match="environment variable EVM_T is not set"):
        resolve_secret(config.sources["a"])


def test_config_objects_are_frozen():
    config = parse_config({"jobs": {"a": {}}})
    with pytest.raises(ValueError):
        config.jobs["a"].eac = "remaining"  # type: ignore[misc]


def test_per_ticket_fields_go_on_a_per_ticket_target_only():
    found = problems({"jobs": {"a": {"push": [
        {"target": {"kind": "zendesk_tickets"}, "fields": {"evm_weight": "w", "evm_cpi": "c"}},
        {"target": {"kind": "zendesk_ticket", "id": 5}, "fields": {"evm_earned": "e"}},
    ]}}})  # fmt: skip
    assert (
        "jobs.a.push[0]: a zendesk_tickets target takes evm_weight and evm_earned only, not evm_cpi"
        in found
    )
    assert "jobs.a.push[1]: evm_earned is per ticket: map it on a zendesk_tickets target" in found
    fine = parse_config({
        "sources": {"zd": {"kind": "zendesk", "subdomain": "a", "email": "e", "token": "${T}"}},
        "jobs": {"a": {"sources": ["zd"], "push": [
            {"target": {"kind": "zendesk_tickets"}, "fields": {"evm_weight": "EVM weight"}}]}},
    })  # fmt: skip
    assert fine.jobs["a"].push[0].target.ref() == "*"


def test_an_epics_target_needs_the_due_baseline():
    epics = {"target": {"kind": "jira_epics"}, "fields": {"evm_cpi": "EVM CPI"}}
    found = problems({"jobs": {"a": {"push": [epics]}}})
    assert any(
        p.startswith("jobs.a: a jira_epics target needs baseline kind = 'due'") for p in found
    )
