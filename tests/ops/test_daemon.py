"""The daemon end to end: ``evm-sync daemon`` processes against the sandbox, jobs on
one-second schedules (``--every 1``), the store's run records as the witness."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from evm_sync.sandbox import Sandbox
from evm_sync.state import RunRecord, StateStore
from tests.ops.conftest import BAD_TOKEN, NOW, DaemonProcess, sandbox_config, wait_until

JOBS = ("zd", "jr")


def _runs(url: str, job: str) -> list[RunRecord]:
    with StateStore.open(url) as store:
        return sorted(store.runs(job), key=lambda r: r.started_at)


def _count(url: str, job: str, outcome: str) -> int:
    return sum(r.outcome == outcome for r in _runs(url, job))


def _assert_no_overlap(runs: list[RunRecord]) -> None:
    for earlier, later in itertools.pairwise(runs):
        assert earlier.finished_at is not None
        assert later.started_at >= earlier.finished_at, (
            f"runs {earlier.run_id} and {later.run_id} of job {earlier.job} overlap"
        )


def _assert_no_secrets(*daemons: DaemonProcess, token: str) -> None:
    for daemon in daemons:
        log = daemon.log()
        assert log.strip(), "the daemon logged nothing"
        assert token not in log
        assert BAD_TOKEN not in log


def test_two_daemons_on_one_store_never_overlap_a_job(
    store_url: str, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    with Sandbox.start(tickets=200, seed=5, now=NOW) as sb:
        # slow answers make runs long, so the two daemons keep reaching for a job
        # while the other holds it; their different intervals let each win in turn
        sb.set_faults("slow=0.5,delay=0.2", seed=1)
        config = tmp_path / "config.toml"
        config.write_text(sandbox_config(sb.url, sb.email, store_url, per_page=50))
        first = DaemonProcess(config, tmp_path / "first.log", sb.token, "--every", "1")
        daemons.append(first)
        second = DaemonProcess(config, tmp_path / "second.log", sb.token, "--every", "0.7")
        daemons.append(second)
        wait_until(
            lambda: all(_count(store_url, job, "ok") >= 3 for job in JOBS),
            40,
            "three good runs of each job",
        )
        samples = [first.metrics(), second.metrics()]
        healths = [first.health(), second.health()]
        assert (first.terminate(), second.terminate()) == (0, 0)
    for job in JOBS:
        _assert_no_overlap(_runs(store_url, job))
    skipped = sum(
        m.get(f'evm_sync_runs_total{{job="{job}",outcome="skipped"}}', 0)
        for m in samples
        for job in JOBS
    )
    assert skipped > 0, "the store lock never turned a run away: the test proves nothing"
    for m in samples:
        assert sum(m.get(f'evm_sync_runs_total{{job="{j}",outcome="ok"}}', 0) for j in JOBS) > 0
    # the failing job failed at its slots while the others went on
    bad = _runs(store_url, "bad")
    assert len(bad) >= 2 and {r.outcome for r in bad} == {"failed"}
    assert any(r.started_at > bad[0].finished_at for r in _runs(store_url, "zd"))
    assert all("401" in (r.error or "") for r in bad)
    assert sum(h["jobs"]["bad"]["runs"].get("failed", 0) for h in healths) > 0
    _assert_no_secrets(first, second, token=sb.token)


def test_metrics_and_health_count_what_the_daemon_did(
    tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with Sandbox.start(tickets=150, seed=6, now=NOW) as sb:
        config = tmp_path / "config.toml"
        config.write_text(sandbox_config(sb.url, sb.email, url))
        daemon = DaemonProcess(config, tmp_path / "daemon.log", sb.token, "--every", "1")
        daemons.append(daemon)
        wait_until(
            lambda: _count(url, "zd", "ok") >= 2 and _count(url, "bad", "failed") >= 2,
            30,
            "two runs of each job",
        )
        # a quiet moment: no run in flight and nothing changed around the reads
        for _ in range(100):
            before = daemon.health()
            metrics = daemon.metrics()
            statuses = Counter(str(r.status) for r in sb.requests)
            after = daemon.health()
            if before == after and not any(j["running"] for j in after["jobs"].values()):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the daemon never sat still between runs")
        assert daemon.terminate() == 0
    for status, count in statuses.items():
        assert metrics[f'evm_sync_api_requests_total{{status="{status}"}}'] == count
    assert "401" in statuses and "200" in statuses
    for job in ("zd", "jr", "bad"):
        runs = _runs(url, job)
        by_outcome = Counter(r.outcome for r in runs)
        assert after["jobs"][job]["runs"] == dict(by_outcome)
        for outcome, count in by_outcome.items():
            assert metrics[f'evm_sync_runs_total{{job="{job}",outcome="{outcome}"}}'] == count
        assert after["jobs"][job]["last_outcome"] == runs[-1].outcome
    for job in JOBS:
        runs = _runs(url, job)
        pulled = sum(r.pulled_tickets for r in runs)
        assert pulled > 0
        assert metrics[f'evm_sync_records_pulled_total{{job="{job}",kind="tickets"}}'] == pulled
        last_ok = max(r.finished_at for r in runs if r.outcome == "ok")
        gauge = metrics[f'evm_sync_last_success_timestamp_seconds{{job="{job}"}}']
        assert abs(gauge - last_ok.timestamp()) < 1
    assert 'evm_sync_last_success_timestamp_seconds{job="bad"}' not in metrics
    _assert_no_secrets(daemon, token=sb.token)


def test_sigterm_stops_the_run_after_its_page_in_flight(
    tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    delay = 0.3
    with Sandbox.start(tickets=600, seed=8, now=NOW) as sb:
        sb.set_faults(f"slow=1,delay={delay}", seed=1)  # every page takes `delay` seconds
        config = tmp_path / "config.toml"
        config.write_text(sandbox_config(sb.url, sb.email, url, per_page=20, failing_job=False))
        daemon = DaemonProcess(config, tmp_path / "daemon.log", sb.token, "--every", "1")
        daemons.append(daemon)

        def pages() -> int:
            return sum("incremental/tickets" in r.path for r in sb.requests)

        def zendesk_requests() -> int:
            return sum(r.path.startswith("/api/v2/") for r in sb.requests)

        wait_until(lambda: pages() >= 2, 20, "the first pages of a long pull")
        served = zendesk_requests()
        began = time.monotonic()
        daemon.process.send_signal(15)
        code = daemon.process.wait(20)
        took = time.monotonic() - began
        after = zendesk_requests()
    assert code == 0
    # the whole pull is 30 pages (9 s): stopping after one page takes a fraction
    assert took < 5, f"stopping took {took:.1f} s"
    # (the sandbox records a request when it has answered: the page in flight counts)
    assert after - served <= 1, "a page was requested after the stop"
    runs = _runs(url, "zd")
    assert [r.outcome for r in runs] == ["skipped"]
    assert "stopped after a page" in (runs[0].error or "")
    assert runs[0].finished_at - runs[0].started_at < timedelta(seconds=9)
    with StateStore.open(url) as store:
        assert store.bookmark("zd", "tickets") is not None, "the stored pages are kept"
    assert "stop requested" in daemon.log()
