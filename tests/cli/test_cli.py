"""The CLI as a user meets it: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evm_sync.cli import main
from evm_sync.model import FIGURE_KEYS

CONFIG = """
[jobs.q]
window = { kind = "fixed", start = "2026-11-01T00:00:00Z", end = "2026-11-11T00:00:00Z" }
baseline = { kind = "capacity", budget_hours = 100.0 }
weighting = { order = ["estimate", "default"], default_hours = 2.0 }
"""
TICKETS = [
    {"id": 1, "type": "incident", "priority": "high", "status": "solved",
     "created_at": "2026-11-01T09:00:00Z", "resolved_at": "2026-11-03T10:00:00Z", "estimate_hours": 10},
    {"id": 2, "type": "question", "priority": None, "status": "open", "created_at": "2026-11-02T09:00:00Z"},
    {"id": 3, "status": "solved", "created_at": "2026-11-02T09:00:00+01:00",
     "resolved_at": "2026-11-04T09:00:00+01:00"},
]  # fmt: skip
WORKLOGS = [
    {
        "id": "a",
        "ticket_id": 1,
        "author": "x",
        "started_at": "2026-11-02T09:00:00Z",
        "seconds": 36000,
    },
    {
        "id": "b",
        "ticket_id": 3,
        "author": "x",
        "started_at": "2026-11-03T09:00:00Z",
        "seconds": 7200,
    },
]


def write(path: Path, lines) -> Path:
    path.write_text(
        "\n".join(json.dumps(line) if not isinstance(line, str) else line for line in lines) + "\n"
    )
    return path


@pytest.fixture
def files(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    return config, write(tmp_path / "t.jsonl", TICKETS), write(tmp_path / "w.jsonl", WORKLOGS)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_compute_json_has_exactly_the_documented_keys(files, capsys):
    config, tickets, worklogs = files
    code, out, _ = run(capsys, "compute", "--config", config, "--job", "q", "--tickets", tickets,
                       "--worklogs", worklogs, "--as-of", "2026-11-06T00:00:00Z", "--json")  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"job", "as_of", "window", "figures", "kpis", "weights"}
    assert tuple(doc["figures"]) == FIGURE_KEYS
    assert set(doc["window"]) == {"start", "end"}
    assert all(set(w) == {"ticket_id", "hours", "rule", "detail"} for w in doc["weights"])
    f = doc["figures"]
    # By hand: PV = 100 h x 5/10 days; EV = 10 (estimate) + 2 (default); AC = 10 h + 2 h.
    assert (f["pv"], f["ev"], f["ac"]) == (50.0, 12.0, 12.0)
    assert f["es"] == pytest.approx(1.2) and f["at"] == pytest.approx(5.0)
    assert f["forecast_finish"] == "2026-12-12T16:00:00+00:00"  # start + 10 / 0.24 days
    assert f["tcpi"] == 1.0 and f["status"] == "off track"


def test_compute_table_output(files, capsys):
    config, tickets, worklogs = files
    code, out, _ = run(capsys, "compute", "-c", config, "--tickets", tickets, "--worklogs", worklogs,
                       "--as-of", "2026-11-06T00:00:00Z")  # fmt: skip
    assert code == 0
    assert "off track" in out and "estimate 10 h" in out and "CPI" in out


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "t.jsonl:4: invalid JSON"),
        ('{"id": 9, "created_at": "2026-11-01T09:00:00"}', "t.jsonl:4: created_at: '2026-11-01T09:00:00' has no time zone"),
        ('{"id": 1, "created_at": "2026-11-01T09:00:00Z"}', "t.jsonl:4: id: duplicate ticket '1'"),
        ('{"created_at": "2026-11-01T09:00:00Z"}', "t.jsonl:4: id: required"),
        ('{"id": 9, "created_at": "yesterday"}', "t.jsonl:4: created_at: 'yesterday' is not ISO 8601"),
        ('{"id": 9, "created_at": "2026-11-01T09:00:00Z", "estimate_hours": "2h"}', "estimate_hours: expected a number"),
    ],
)  # fmt: skip
def test_bad_ticket_lines_are_one_line_errors(files, capsys, line, message):
    config, tickets, worklogs = files
    write(tickets, [*TICKETS, line])
    code, out, err = run(
        capsys, "compute", "-c", config, "--tickets", tickets, "--worklogs", worklogs
    )
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_negative_duration_and_unknown_ticket(files, capsys):
    config, tickets, worklogs = files
    bad = {"id": "n", "ticket_id": 1, "started_at": "2026-11-02T09:00:00Z", "seconds": -5}
    write(worklogs, [*WORKLOGS, bad])
    code, _, err = run(
        capsys, "compute", "-c", config, "--tickets", tickets, "--worklogs", worklogs
    )
    assert code == 2 and "w.jsonl:3: seconds: must be >= 0, got -5" in err
    stray = {"id": "s", "ticket_id": 77, "started_at": "2026-11-02T09:00:00Z", "seconds": 5}
    write(worklogs, [*WORKLOGS, stray])
    code, _, err = run(
        capsys, "compute", "-c", config, "--tickets", tickets, "--worklogs", worklogs, "--json"
    )
    assert code == 0 and "1 worklogs name a ticket not in the tickets file" in err


def test_check_lists_jobs_and_reports_config_errors(files, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    config, _, _ = files
    code, out, _ = run(capsys, "check", "--config", config)
    assert code == 0 and "1 jobs" in out and "capacity 100 h (calendar)" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[jobs.a]\nbaseline = { kind = "capacity", budget_hours = -1 }\neac = "x"\n')
    code, _, err = run(capsys, "check", "--config", bad)
    assert code == 2
    assert "error: jobs.a.baseline.budget_hours: must be > 0" in err
    assert "error: jobs.a.eac: must be one of" in err


def test_unknown_job_and_bad_as_of(files, capsys):
    config, tickets, _ = files
    code, _, err = run(capsys, "compute", "-c", config, "--job", "qq", "--tickets", tickets)
    assert code == 2 and "--job: no job named 'qq' (did you mean 'q'?)" in err
    with pytest.raises(SystemExit) as exit_info:
        main(
            ["compute", "-c", str(config), "--tickets", str(tickets), "--as-of", "2026-11-06T00:00"]
        )
    assert exit_info.value.code == 2
    assert "has no time zone" in capsys.readouterr().err


def test_console_script_version():
    done = subprocess.run(
        [sys.executable, "-m", "evm_sync.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("evm-sync ")
