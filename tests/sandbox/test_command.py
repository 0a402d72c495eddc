"""`evm-sync sandbox` hooks: run in a process, print credentials, stop on a signal."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys

import pytest
import requests

from evm_sync.sandbox import command

NOW = "2026-11-20T12:00:00Z"


def start(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evm_sync.sandbox.command",
            "--port",
            "0",
            "--tickets",
            "40",
            "--now",
            NOW,
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_json_line_first_then_serves_until_signalled(sig):
    process = start("--json")
    try:
        info = json.loads(process.stdout.readline())
        assert set(info) == {"zendesk_url", "jira_url", "email", "token"}
        answer = requests.get(
            f"{info['zendesk_url']}/api/v2/ticket_fields.json",
            auth=(f"{info['email']}/token", info["token"]),
            timeout=10,
        )
        assert answer.status_code == 200
        jira = requests.get(
            f"{info['jira_url']}/rest/api/3/myself", auth=(info["email"], info["token"]), timeout=10
        )
        assert jira.json()["emailAddress"] == info["email"]
    finally:
        process.send_signal(sig)
        assert process.wait(timeout=20) == 0


def test_token_is_random_unless_set_in_the_environment():
    tokens = []
    for env in ({}, {}, {"EVM_SYNC_SANDBOX_TOKEN": "fixed-token-123"}):
        process = start("--json", env=env)
        try:
            tokens.append(json.loads(process.stdout.readline())["token"])
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert tokens[0] != tokens[1] and tokens[2] == "fixed-token-123"


def test_plain_output_describes_urls_and_credentials():
    process = start(env={"EVM_SYNC_SANDBOX_TOKEN": "tok-abc"})
    try:
        lines = [process.stdout.readline() for _ in range(8)]
    finally:
        process.terminate()
        process.wait(timeout=20)
    text = "".join(lines)
    assert "/api/v2/" in text and "/rest/api/3/" in text and "tok-abc" in text


@pytest.mark.parametrize(
    "args",
    [
        ["--faults", "500=7"],
        ["--rate-limit", "fast"],
        ["--now", "yesterday"],
        ["--seed", "/nonexistent.json"],
        ["--port", "99999"],
        ["--tickets", "-1"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, capsys):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    assert command.run(parser.parse_args(["--port", "0", *args])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("evm-sync sandbox: ")
