"""``report``: a job's stored history as table, JSON, CSV and the S-curve PNG. The
history is made by real syncs of the sandbox at twenty instants of one month."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from evm_sync.model import FIGURE_KEYS
from evm_sync.report import add_report_arguments, current_window, run_report
from evm_sync.sandbox import Sandbox
from evm_sync.state import Snapshot, StateStore
from evm_sync.sync import run_job
from tests.conftest import remember_secret
from tests.ops.conftest import NOW, TOKEN_ENV

DAYS = 20


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config whose store holds snapshots of job ``zd`` on 1..20 November."""
    from evm_sync.config_loader import load_config

    folder = tmp_path_factory.mktemp("report")
    with Sandbox.start(tickets=300, seed=7, now=NOW) as sb:
        remember_secret(sb.token, sb.email)
        path = folder / "config.toml"
        path.write_text(
            f'[state]\nurl = "sqlite:///{folder / "state.db"}"\n'
            f'[sources.zd]\nkind = "zendesk"\nurl = "{sb.url}"\nemail = "{sb.email}"\n'
            f'token = "${{{TOKEN_ENV}}}"\n'
            '[jobs.zd]\nsources = ["zd"]\nbaseline = { kind = "capacity", budget_hours = 300.0 }\n'
            '[jobs.other]\nsources = ["zd"]\n'
        )
        os.environ[TOKEN_ENV] = sb.token
        try:
            config = load_config(path)
            with StateStore.open(config.state.url) as store:
                for day in range(1, DAYS + 1):
                    as_of = datetime(2026, 11, day, 18, tzinfo=UTC)
                    run_job(config, "zd", store=store, as_of=as_of)
        finally:
            del os.environ[TOKEN_ENV]
    yield path


def _args(config: Path, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path)
    add_report_arguments(parser)
    return parser.parse_args(["--config", str(config), *argv])


def _stored(config: Path) -> list[Snapshot]:
    from evm_sync.config_loader import load_config

    with StateStore.open(load_config(config).state.url) as store:
        return store.snapshots("zd")


def test_json_holds_every_snapshot_with_its_figures(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_report(_args(config_path, "--job", "zd", "--format", "json")) == 0
    document = json.loads(capsys.readouterr().out)
    stored = _stored(config_path)
    assert document["job"] == "zd" and len(document["snapshots"]) == DAYS == len(stored)
    for row, snapshot in zip(document["snapshots"], stored, strict=True):
        assert datetime.fromisoformat(row["as_of"]) == snapshot.as_of
        assert {k: row[k] for k in FIGURE_KEYS} == {k: snapshot.figures[k] for k in FIGURE_KEYS}
    assert document["snapshots"][-1]["ac"] > document["snapshots"][0]["ac"]


def test_since_and_until_select_snapshots(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("--job", "zd", "--format", "json", "--since", "2026-11-05", "--until", "2026-11-09")
    assert run_report(_args(config_path, *argv)) == 0
    days = [row["as_of"][:10] for row in json.loads(capsys.readouterr().out)["snapshots"]]
    assert days == [f"2026-11-0{d}" for d in range(5, 9)]


def test_csv_has_a_header_and_one_row_per_snapshot(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_report(_args(config_path, "--job", "zd", "--format", "csv")) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    stored = _stored(config_path)
    assert len(rows) == DAYS
    assert [float(r["ev"]) for r in rows] == pytest.approx([s.figures["ev"] for s in stored])
    assert rows[-1]["status"] == stored[-1].figures["status"]


def test_table_shows_the_latest_status(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_report(_args(config_path, "--job", "zd")) == 0
    out = capsys.readouterr().out
    assert f"zd: {DAYS} snapshot(s)" in out
    assert _stored(config_path)[-1].figures["status"] in out


def test_png_draws_the_s_curve(
    config_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_report(_args(config_path, "--job", "zd", "--format", "png")) == 0
    pixels = image.imread(tmp_path / "evm-zd.png")
    assert pixels.shape[:2] == (560, 1000)
    rgb = pixels[..., :3]
    assert rgb.std() > 0.05, "the image is blank"

    def near(color: str) -> int:
        target = np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        return int((np.abs(rgb - target).max(axis=2) < 0.08).sum())

    for curve in ("#1f77b4", "#2ca02c", "#d62728"):  # PV, EV, AC in matplotlib's tab colours
        assert near(curve) > 300, f"no {curve} curve drawn"
    assert near("#ff7f0e") > 100, "no forecast finish marked"


def test_png_to_a_chosen_file(config_path: Path, tmp_path: Path) -> None:
    output = tmp_path / "chart.png"
    assert (
        run_report(_args(config_path, "--job", "zd", "--format", "png", "--output", str(output)))
        == 0
    )
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_chart_keeps_to_the_latest_window() -> None:
    def snap(day: int, month: int) -> Snapshot:
        start = datetime(2026, month, 1, tzinfo=UTC)
        return Snapshot(
            "j", start + timedelta(days=day), "r", {}, {}, start, start + timedelta(days=30)
        )

    snapshots = [snap(27, 10), snap(28, 10), snap(1, 11), snap(2, 11)]
    assert current_window(snapshots) == snapshots[2:]
    assert current_window([]) == []


def test_an_unknown_job_is_a_usage_error(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_report(_args(config_path, "--job", "zdd")) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "no job named 'zdd' (did you mean 'zd'?)" in line


def test_several_jobs_need_a_choice(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_report(_args(config_path)) == 2
    assert "jobs: zd, other" in capsys.readouterr().err


def test_a_job_without_snapshots(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_report(_args(config_path, "--job", "other", "--format", "png")) == 1
    assert "has no snapshots yet" in capsys.readouterr().err
    assert run_report(_args(config_path, "--job", "other", "--format", "json")) == 0
    assert json.loads(capsys.readouterr().out) == {"job": "other", "snapshots": []}


def test_a_bad_time_is_refused(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        _args(config_path, "--since", "last week")
    assert exit_.value.code == 2
    assert "'last week' is not ISO 8601" in capsys.readouterr().err


def test_the_cli_command_reports(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evm_sync.cli import main

    assert main(["report", "--config", str(config_path), "--job", "zd", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == DAYS + 1
