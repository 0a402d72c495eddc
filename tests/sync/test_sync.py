"""One sync of a job against the sandbox over loopback: full, no-change, incremental,
dry run, faults, interruption, and the same on PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from evm_sync.push_plan import pushed_values
from evm_sync.sync import SyncStopped, run_job

PUSHED = ("evm_cpi", "evm_spi", "evm_status", "evm_eac")


def fields_on_helpdesk(helpdesk, job: str) -> dict[str, dict]:
    """What each push target of ``job`` holds, read back through the connectors."""
    from evm_sync.push_plan import target_of

    live = helpdesk.connectors()
    out = {}
    for push in helpdesk.config.jobs[job].push:
        target = target_of(push.target)
        source = "zd" if target.kind.startswith("zendesk") else "jr"
        refs = [str(r) for r in push.fields.values()] or [str(target.property)]
        out[str(target)] = live[source].read([target], refs)[target]
    return out


def expected_fields(helpdesk, job: str, run) -> dict[str, dict]:
    values = pushed_values(run.result)
    out = {}
    for push in helpdesk.config.jobs[job].push:
        key = f"{push.target.kind}:{push.target.ref()}"
        if push.target.kind == "jira_property":
            continue
        out[key] = {str(ref): values[name] for name, ref in push.fields.items()}
    return out


def test_full_sync_pulls_everything_and_pushes_the_figures(helpdesk):
    sb = helpdesk.sandbox
    run = helpdesk.sync("queue")
    assert run.pulled["tickets"] == len(sb.zendesk.tickets)
    assert run.result.figures.ac > 0 and run.result.figures.ev > 0
    held = fields_on_helpdesk(helpdesk, "queue")
    for target, values in expected_fields(helpdesk, "queue", run).items():
        assert held[target] == values, target
    assert {c.field for c in run.pushed} >= set(PUSHED)
    assert all(c.ok for c in run.pushed)
    snapshots = helpdesk.store.snapshots("queue")
    assert [s.run_id for s in snapshots] == [run.run_id]
    assert len(helpdesk.store.pushes("queue")) == len(run.pushed)

    jira = helpdesk.sync("quarter")
    assert jira.pulled["tickets"] == sum(
        key.startswith("SUP-") for key in sb.jira.issues
    )  # the JQL scope
    prop = fields_on_helpdesk(helpdesk, "quarter")["jira_property:SUP-1#evm"]["evm"]
    assert prop["figures"]["status"] == jira.result.figures.status
    assert prop["figures"]["ev"] == pytest.approx(jira.result.figures.ev)


def test_no_change_sync_reads_once_per_stream_and_writes_nothing(helpdesk):
    helpdesk.sync("queue")
    helpdesk.sync("quarter")
    helpdesk.sandbox.reset_requests()
    again = helpdesk.sync("queue")
    jira = helpdesk.sync("quarter")
    assert again.pushed == () and jira.pushed == ()
    assert helpdesk.writes() == []
    assert again.requests["GET /api/v2/incremental/tickets/cursor.json"] == 1
    assert again.requests["GET /api/v2/incremental/ticket_events.json"] == 1
    assert jira.requests["GET /rest/api/3/search/jql"] == 1
    assert jira.requests["GET /rest/api/3/worklog/updated"] == 1


def test_incremental_sync_reads_only_changes_and_matches_a_fresh_full_sync(
    helpdesk, helpdesk_factory, tmp_path
):
    first = helpdesk.sync("queue")
    sb = helpdesk.sandbox
    open_ids = [t["id"] for t in sb.zendesk.tickets.values() if t["status"] in ("open", "new")][:3]
    sb.advance(3600)
    for ticket_id in open_ids:
        sb.zendesk.update_ticket(ticket_id, status="solved")
        sb.zendesk.add_time_entry(ticket_id, 5400, author_id=9001)
    sb.advance(120)  # past the export's withheld last minute
    second = helpdesk.sync("queue")
    assert (
        second.pulled["tickets"] <= len(open_ids) + 1
    )  # the summary ticket we wrote may come back
    assert second.pulled["worklogs"] >= len(open_ids)
    assert second.result.figures.ac == pytest.approx(first.result.figures.ac + 1.5 * len(open_ids))
    assert second.result.figures.ev > first.result.figures.ev

    # A fresh store, pulled in full, reaches the same figures. (Our own push to the
    # summary ticket is withheld by the export for a minute, as Zendesk does.)
    sb.advance(120)
    from evm_sync.state import StateStore
    from tests.sync.conftest import Helpdesk, make_config

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with StateStore.open(url) as fresh_store:
        fresh = Helpdesk(sb, make_config(sb, url), fresh_store)
        again = fresh.sync("queue", dry_run=True, as_of=second.as_of)
    assert again.result.figures.as_dict() == second.result.figures.as_dict()


def test_dry_run_writes_nothing_and_shows_the_diff(helpdesk):
    helpdesk.sandbox.reset_requests()
    run = helpdesk.sync("queue", dry_run=True)
    assert helpdesk.writes() == []
    assert run.dry_run and run.pushed
    assert all(c.old is None for c in run.pushed)  # fields were created empty
    values = pushed_values(run.result)
    assert {(c.field, c.new) for c in run.pushed} >= {(n, values[n]) for n in PUSHED}
    assert helpdesk.store.snapshots("queue") == [] and helpdesk.store.pushes("queue") == []
    real = helpdesk.sync("queue")
    assert [(c.target, c.field, c.new) for c in real.pushed] == [
        (c.target, c.field, c.new) for c in run.pushed
    ]


def test_sync_under_faults_reaches_the_clean_figures_and_fields(helpdesk_factory):
    clean = helpdesk_factory(tickets=1200)
    clean_run = clean.sync("queue")
    faulty = helpdesk_factory(tickets=1200)
    faulty.sandbox.set_faults("429=0.08,500=0.04,502=0.03,503=0.03,drop=0.03,partial=0.5", seed=3)
    run = faulty.sync("queue")
    assert run.result.figures == clean_run.result.figures
    faulty.sandbox.set_faults("")
    if run.failed_writes:
        retried = faulty.sync("queue")  # the next run writes what the partial failure left
        assert retried.failed_writes == 0
    held = fields_on_helpdesk(faulty, "queue")
    assert held == fields_on_helpdesk(clean, "queue")
    hits = [r.status for r in faulty.sandbox.requests]
    assert any(status in (429, 500, 502, 503) for status in hits)


def test_stopped_between_pages_then_rerun_reaches_the_same_figures(helpdesk_factory):
    whole = helpdesk_factory(tickets=2500)
    reference = whole.sync("queue", dry_run=True)
    counts = whole.store.counts()["zd"]

    broken = helpdesk_factory(tickets=2500)
    stop = threading.Event()

    def stop_after_first_page(source, stream, records):
        if stream == "time_entries" and records:
            stop.set()

    with pytest.raises(SyncStopped):
        broken.sync("queue", dry_run=True, stop=stop, progress=stop_after_first_page)
    assert broken.store.runs("queue")[0].outcome == "skipped"
    partial = broken.store.counts()["zd"]
    assert partial["worklogs"] < counts["worklogs"]
    rerun = broken.sync("queue", dry_run=True)
    assert broken.store.counts()["zd"] == counts
    assert rerun.result.figures == reference.result.figures


def test_a_job_already_running_elsewhere_is_refused(helpdesk):
    from evm_sync.sync import JobLocked

    assert helpdesk.store.try_lock("job:queue", "another-host:1:abc", 600)
    with pytest.raises(JobLocked, match="being synced by another process"):
        run_job(helpdesk.config, "queue", store=helpdesk.store, live=helpdesk.connectors())


@pytest.mark.postgres
def test_full_and_no_change_sync_on_postgresql(helpdesk_factory, pg_url):
    helpdesk = helpdesk_factory(tickets=800, state_url=pg_url)
    first = helpdesk.sync("queue")
    assert first.pulled["tickets"] == 800 and first.pushed
    helpdesk.sandbox.reset_requests()
    again = helpdesk.sync("queue")
    assert again.pushed == () and helpdesk.writes() == []
    assert again.result.figures == first.result.figures


def test_per_ticket_weight_and_earned_fields(helpdesk_factory, tmp_path):
    import math

    from tests.sync.conftest import make_config

    helpdesk = helpdesk_factory(tickets=1500)
    sb = helpdesk.sandbox
    per_ticket = {"target": {"kind": "zendesk_tickets"},
                  "fields": {"evm_weight": "EVM weight", "evm_earned": "EVM earned"}}  # fmt: skip
    helpdesk.config = make_config(sb, f"sqlite:///{tmp_path / 'per-ticket.db'}", tickets={
        "sources": ["zd"], "baseline": {"kind": "capacity", "budget_hours": 2000.0},
        "earning": {"rule": "50/50"}, "push": [per_ticket]})  # fmt: skip
    helpdesk.create_fields()
    sb.reset_requests()
    run = helpdesk.sync("tickets")
    weights = {w.ticket_id: w for w in run.result.weights}
    written = {c.target.split(":")[1] for c in run.pushed if c.ok}
    closed = {str(t["id"]) for t in sb.zendesk.tickets.values() if t["status"] == "closed"}
    assert written and written == set(weights) - closed
    bulk = [r for r in sb.requests if r.method == "PUT" and r.path.endswith("update_many.json")]
    assert len(bulk) == math.ceil(len(written) / 100)
    field_ids = {f["title"]: str(f["id"]) for f in sb.zendesk.ticket_fields}
    for ticket_id in list(written)[:20]:
        held = {
            str(c["id"]): c["value"] for c in sb.zendesk.tickets[int(ticket_id)]["custom_fields"]
        }
        weight = weights[ticket_id]
        assert float(held[field_ids["EVM weight"]]) == round(weight.hours, 1)
        assert float(held[field_ids["EVM earned"]]) == round(weight.earned, 1)
        assert weight.earned in (weight.hours, weight.hours / 2)  # 50/50: half or all
    sb.advance(120)
    sb.reset_requests()
    again = helpdesk.sync("tickets")
    assert again.pushed == () and helpdesk.writes() == []


def test_a_run_that_loses_its_lock_stops_after_the_page(helpdesk):
    from evm_sync.sync import JobLocked

    def steal(source, stream, records):
        # Another process takes the lock, as if our lease had run out.
        helpdesk.store.release_lock("job:queue", "us")
        helpdesk.store.try_lock("job:queue", "them", 600)

    with pytest.raises(JobLocked, match="lost its lock"):
        helpdesk.sync("queue", owner="us", progress=steal)
    assert helpdesk.store.runs("queue")[0].outcome == "failed"
    assert not helpdesk.store.try_lock("job:queue", "us", 600)  # theirs now, not released by us


def test_resync_pulls_everything_again_and_drops_what_left_the_scope(helpdesk):
    first = helpdesk.sync("quarter")
    stored = helpdesk.store.counts()["jr"]
    # A record that the helpdesk no longer has (as if it left the JQL scope).
    from tests.factories import ticket

    stray = ticket("999999", source="jr", key="SUP-999999")
    helpdesk.store.save_page(
        "jr", "issues", {"updated": "x"}, tickets=[stray], scope_key="job:quarter"
    )
    assert helpdesk.store.counts()["jr"]["tickets"] == stored["tickets"] + 1
    again = helpdesk.sync("quarter", resync=True)
    assert again.pulled["tickets"] == first.pulled["tickets"]
    assert helpdesk.store.counts()["jr"] == stored
    assert again.result.figures == first.result.figures


def test_each_epic_in_scope_gets_its_childrens_figures(helpdesk_factory, tmp_path):
    from evm_sync.evm import compute
    from tests.sync.conftest import make_config

    helpdesk = helpdesk_factory(tickets=2000)
    sb = helpdesk.sandbox
    epics_job = {
        "sources": ["jr"], "period": "week", "scope": {"jr": {"jql": "project = SUP"}},
        "window": {"kind": "fixed", "start": "2026-09-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"},
        "baseline": {"kind": "due", "planned_finish": ["due_date"]},
        "weighting": {"order": ["estimate", "default"], "hours_per_point": 4.0},
        "push": [{"target": {"kind": "jira_epics"},
                  "fields": {"evm_cpi": "EVM CPI", "evm_status": "EVM status"}}],
    }  # fmt: skip
    helpdesk.config = make_config(sb, f"sqlite:///{tmp_path / 'epics.db'}", epics=epics_job)
    helpdesk.create_fields()
    run = helpdesk.sync("epics")
    epic_keys = {k for k, i in sb.jira.issues.items()
                 if k.startswith("SUP-") and i["fields"]["issuetype"]["name"] == "Epic"}  # fmt: skip
    assert epic_keys and {c.target.split(":")[1] for c in run.pushed} <= epic_keys
    written = {c.target.split(":")[1] for c in run.pushed if c.field == "evm_status"}
    assert written == epic_keys  # every epic gets a status, "no data" included

    # One epic, recomputed from its children alone (weights need no history here).
    epic = max(epic_keys, key=lambda k: sum(
        1 for i in sb.jira.issues.values() if (i["fields"].get("parent") or {}).get("key") == k))  # fmt: skip
    stored = helpdesk.store.tickets(["jr"], {"jr": "job:epics"})
    children = [t for t in stored if t.parent == epic]
    ids = {t.id for t in children}
    logs = [w for w in helpdesk.store.worklogs(["jr"]) if w.ticket_id in ids]
    alone = compute(helpdesk.config.jobs["epics"], children, logs, run.as_of).figures
    status_field = next(f["id"] for f in sb.jira.fields if f.get("name") == "EVM status")
    assert sb.jira.issues[epic]["fields"][status_field] == alone.status
    sb.advance(120)
    sb.reset_requests()
    again = helpdesk.sync("epics")
    assert again.pushed == () and helpdesk.writes() == []
