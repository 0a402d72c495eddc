"""A sync killed (SIGKILL) at a random page, then run again, reaches the figures of an
uninterrupted sync, with no worklog counted twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evm_sync.config_loader import load_config
from evm_sync.state import StateStore
from evm_sync.sync import LOCK_LEASE_SECONDS, JobLocked, run_job

CONFIG = """
[state]
url = "sqlite:///{state}"

[sources.zd]
kind = "zendesk"
url = "{url}"
email = "{email}"
token = "${{EVM_TEST_TOKEN}}"
per_page = 100

[jobs.queue]
sources = ["zd"]
baseline = {{ kind = "capacity", budget_hours = 2000.0 }}
"""


def write_config(folder: Path, name: str, sb) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(CONFIG.format(state=folder / f"{name}.db", url=sb.url, email=sb.email))
    return path


@pytest.mark.slow
def test_killed_sync_resumes_to_the_same_figures(start_sandbox, tmp_path, monkeypatch):
    sb = start_sandbox(tickets=2000, seed=9, now="2026-11-20T12:00:00Z")
    monkeypatch.setenv("EVM_TEST_TOKEN", sb.token)
    as_of = sb.now()

    reference_config = load_config(write_config(tmp_path, "reference", sb))
    with StateStore.open(reference_config.state.url) as store:
        reference = run_job(reference_config, "queue", store=store, as_of=as_of, dry_run=True)
        reference_counts = store.counts()

    config_path = write_config(tmp_path, "crashed", sb)
    config = load_config(config_path)
    sb.set_faults("slow=1,delay=0.05")  # every request takes 50 ms: time to kill mid-way
    pages_before_kill = random.Random(os.getpid()).randint(2, 15)
    child = subprocess.Popen(
        [sys.executable, "-m", "evm_sync.cli", "run", "--config", str(config_path), "--dry-run",
         "--as-of", as_of.isoformat()],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip
    try:
        with StateStore.open(config.state.url) as watcher:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                stored = watcher.counts().get("zd", {}).get("tickets", 0)
                if stored >= pages_before_kill * 100:
                    break
                assert child.poll() is None, child.stderr.read().decode()
                time.sleep(0.02)
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
            interrupted = watcher.counts()["zd"]
    finally:
        if child.poll() is None:
            child.kill()
    assert interrupted["tickets"] < reference_counts["zd"]["tickets"]

    sb.set_faults("")
    # The dead process holds the job's lock until its lease ends: before, a rerun is
    # refused; after (simulated by taking the expired lease), it goes ahead.
    with StateStore.open(config.state.url) as store:
        with pytest.raises(JobLocked):
            run_job(config, "queue", store=store, as_of=as_of, dry_run=True)
        later = datetime.now(UTC) + timedelta(seconds=LOCK_LEASE_SECONDS + 1)
        assert store.try_lock("job:queue", "operator", 1, now=later)
        store.release_lock("job:queue", "operator")
        rerun = run_job(config, "queue", store=store, as_of=as_of, dry_run=True)
        assert store.counts() == reference_counts
    assert rerun.result.figures == reference.result.figures
