"""The demo as a newcomer runs it: both jobs synced, the pushed fields read back,
a config that works on its own; and a folder of the user's never emptied."""

from __future__ import annotations

import pytest

from evm_sync.cli import main
from evm_sync.config_loader import load_config
from evm_sync.demo import DemoFolderError, run_demo
from evm_sync.push_plan import pushed_values


def test_demo_syncs_both_jobs_and_reads_the_fields_back(tmp_path):
    outcome = run_demo(tmp_path / "demo", tickets=800)
    assert [run.job for run in outcome.runs] == ["support-queue", "platform-quarter"]
    assert all(run.pulled["tickets"] > 0 and run.pushed for run in outcome.runs)
    assert all(change.ok for run in outcome.runs for change in run.pushed)
    queue = outcome.runs[0]
    expected = pushed_values(queue.result)
    org = next(v for k, v in outcome.read_back.items() if k.startswith("zendesk_organization"))
    assert org == {"evm_cpi": expected["evm_cpi"], "evm_spi": expected["evm_spi"],
                   "evm_status": expected["evm_status"]}  # fmt: skip
    prop = outcome.read_back["jira_property:SUP-1#evm"]["evm"]
    assert prop["figures"]["status"] == outcome.runs[1].result.figures.status
    config = load_config(outcome.config_path)
    assert set(config.jobs) == {"support-queue", "platform-quarter"}
    assert 'token = "${EVM_SYNC_SANDBOX_TOKEN}"' in outcome.config_path.read_text()


def test_demo_refuses_a_folder_it_did_not_make(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(DemoFolderError):
        run_demo(mine, tickets=50)
    assert main(["demo", "--folder", str(mine), "--tickets", "50"]) == 2
    assert "was not made by the demo" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "keep me"
