"""``evm-sync run`` as an admin calls it, against the sandbox: JSON shape, the dry-run
diff, JSON logs with job and run id, exit codes, and no secret in any output."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest

from evm_sync.model import FIGURE_KEYS

CONFIG = """
[state]
url = "sqlite:///{state}"

[sources.zd]
kind = "zendesk"
url = "{url}"
email = "{email}"
token = "${{EVM_TEST_TOKEN}}"

[jobs.queue]
sources = ["zd"]
baseline = {{ kind = "capacity", budget_hours = 2000.0 }}

[[jobs.queue.push]]
target = {{ kind = "zendesk_organization", id = {org} }}
fields = {{ evm_cpi = "evm_cpi", evm_status = "evm_status" }}
"""


@pytest.fixture
def admin(start_sandbox, tmp_path):
    sb = start_sandbox(tickets=600, seed=2, now="2026-11-20T12:00:00Z")
    config = tmp_path / "c.toml"
    org = next(iter(sb.zendesk.organizations))
    config.write_text(CONFIG.format(state=tmp_path / "s.db", url=sb.url, email=sb.email, org=org))
    env = {**os.environ, "EVM_TEST_TOKEN": sb.token}
    secrets = [sb.token, base64.b64encode(f"{sb.email}/token:{sb.token}".encode()).decode()]

    def cli(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "evm_sync.cli", *args, "--config", str(config)],
                              capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
        for secret in secrets:
            assert secret not in done.stdout and secret not in done.stderr
        assert "Authorization" not in done.stdout + done.stderr
        return done

    return sb, cli, config


def test_run_json_dry_run_then_real_run(admin):
    sb, cli, _ = admin
    report = cli("fields")
    assert report.returncode == 1 and "missing" in report.stdout and "--create" in report.stdout
    assert not [r for r in sb.requests if r.method == "POST"]
    created = cli("fields", "--create")
    assert created.returncode == 0 and "created" in created.stdout
    assert cli("fields").returncode == 0
    dry = cli(
        "run", "--dry-run", "--json", "--as-of", "2026-11-20T12:00:00Z", "--log-level", "debug"
    )
    assert dry.returncode == 0, dry.stderr
    doc = json.loads(dry.stdout)
    (job,) = doc["jobs"]
    assert set(job) == {"job", "as_of", "dry_run", "figures", "pulled", "pushed", "requests"}
    assert job["dry_run"] is True and tuple(job["figures"]) == FIGURE_KEYS
    assert job["pulled"]["tickets"] == 600
    assert {p["field"] for p in job["pushed"]} == {"evm_cpi", "evm_status"}
    assert all(p["old"] is None for p in job["pushed"])
    assert job["requests"]["GET /api/v2/incremental/tickets/cursor.json"] == 1
    assert not [r for r in sb.requests if r.method == "PUT"]

    real = cli("run", "--json", "--as-of", "2026-11-20T12:00:00Z", "--log-format", "json")
    assert real.returncode == 0, real.stderr
    pushed = json.loads(real.stdout)["jobs"][0]["pushed"]
    assert [(p["field"], p["new"]) for p in pushed] == [
        (p["field"], p["new"]) for p in job["pushed"]
    ]
    events = [json.loads(line) for line in real.stderr.splitlines() if line.startswith("{")]
    synced = [e for e in events if "pulled_tickets" in e]
    assert synced and synced[-1]["job"] == "queue" and synced[-1]["run_id"]

    table = cli("run", "--as-of", "2026-11-20T12:00:00Z")
    assert table.returncode == 0 and "0 field changes pushed" in table.stdout


def test_run_with_a_wrong_token_fails_with_one_line_per_job(admin, monkeypatch):
    _, _, config = admin
    monkeypatch.setenv("EVM_TEST_TOKEN", "wrong-token")
    done = subprocess.run([sys.executable, "-m", "evm_sync.cli", "run", "--config", str(config)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "job 'queue'" in errors[0] and "401" in errors[0]
    assert "Traceback" not in done.stderr and "wrong-token" not in done.stderr
