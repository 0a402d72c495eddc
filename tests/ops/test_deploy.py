"""The systemd unit and the Dockerfile: what operations rely on, checked; the unit
verified by systemd-analyze and the image built where those tools work."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evm_sync.config import DaemonConfig

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "evm-sync.service"
DOCKERFILE = ROOT / "Dockerfile"


def _unit() -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def _seconds(value: str) -> float:
    found = re.fullmatch(r"(\d+)\s*(s|min)?", value)
    assert found, f"unexpected time span {value!r}"
    return int(found.group(1)) * (60 if found.group(2) == "min" else 1)


def test_the_unit_stops_gracefully_and_restarts_on_failure() -> None:
    service = _unit()["Service"]
    assert service["ExecStart"][0].split()[1:] == [
        "daemon",
        "--config",
        "/etc/evm-sync/config.toml",
    ]
    assert service["KillSignal"] == ["SIGTERM"]
    stop_timeout = DaemonConfig().stop_timeout
    assert _seconds(service["TimeoutStopSec"][0]) >= stop_timeout + 15
    assert service["Restart"] == ["on-failure"]
    assert service["Type"][0] in ("simple", "notify")


def test_the_unit_runs_confined_as_its_own_user() -> None:
    service = _unit()["Service"]
    assert service["User"][0] not in ("", "root", "0")
    assert service["EnvironmentFile"] == ["/etc/evm-sync/evm-sync.env"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["NoNewPrivileges"] == ["yes"]
    assert service["StateDirectory"] == ["evm-sync"]


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    # the unit as installed, but starting this venv's evm-sync (which exists here)
    executable = Path(sys.executable).with_name("evm-sync")
    text = UNIT.read_text().replace("/opt/evm-sync/bin/evm-sync", str(executable))
    copy = tmp_path / "evm-sync.service"
    copy.write_text(text)
    done = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if "evm-sync" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_dockerfile_runs_the_daemon_as_a_non_root_user() -> None:
    steps = _instructions()
    last = {name: value for name, value in steps}
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert json.loads(last["ENTRYPOINT"]) == ["evm-sync"], "exec form, so SIGTERM reaches us"
    assert json.loads(last["CMD"]) == ["daemon", "--config", "/etc/evm-sync/config.toml"]
    assert last["STOPSIGNAL"] == "SIGTERM"
    assert last["USER"] not in ("root", "0")
    user_at = max(i for i, (name, _) in enumerate(steps) if name == "USER")
    assert all(name != "RUN" for name, _ in steps[user_at:]), "nothing runs as root after USER"
    assert any(name == "RUN" and "pip install ." in value for name, value in steps)


def test_what_the_dockerfile_copies_exists_and_reaches_the_builder() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for name, value in _instructions():
        if name != "COPY":
            continue
        for source in value.split()[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            assert f"!{source}" in ignored, f".dockerignore keeps {source} from the builder"


def _docker_works() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return "docker is not installed"
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        first = (info.stderr.strip().splitlines() or ["no reason given"])[-1]
        return f"docker has no engine here (docker info failed: {first})"
    return None


@pytest.mark.slow
def test_the_image_builds_and_starts_the_cli() -> None:
    reason = _docker_works()
    if reason:
        pytest.skip(reason)
    tag = "evm-sync:ops-test"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=900)
    try:
        shown = subprocess.run(
            ["docker", "run", "--rm", tag, "--help"], capture_output=True, text=True, timeout=120
        )
        assert shown.returncode == 0 and "daemon" in shown.stdout
        inspected = subprocess.run(
            ["docker", "image", "inspect", tag], capture_output=True, text=True, check=True
        )
        settings = json.loads(inspected.stdout)[0]["Config"]
        assert settings["User"] == "evm-sync"
        assert settings["Entrypoint"] == ["evm-sync"]
        assert settings["StopSignal"] == "SIGTERM"
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True)
