"""``onence-receiver``: returns once listening, serves in the background, logs no header value."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from onence_emulator import __version__, receiver_cli
from onence_emulator.harness import wait_until

EMULATOR_DIR = Path(__file__).resolve().parents[2] / "emulator"
SECRET = "header-value-that-must-not-be-logged"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # Output captured through pipes: the command must not leave them open in its server.
    return subprocess.run(
        [sys.executable, "-m", "onence_emulator.receiver_cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[subprocess.CompletedProcess[str], Path]]:
    """``onence-receiver`` on a free port; the server it left running is stopped afterwards."""
    result = _run(
        "--port",
        "0",
        "--ca-file",
        str(tmp_path / "ca.pem"),
        "--log",
        str(tmp_path / "received.log"),
        "--pid-file",
        str(tmp_path / "receiver.pid"),
    )
    try:
        yield result, tmp_path
    finally:
        pid_file = tmp_path / "receiver.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGTERM)


def test_it_returns_once_listening_and_its_ca_file_verifies_it(
    started: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, directory = started
    assert result.returncode == 0, result.stderr
    match = re.fullmatch(
        r"receiver listening at (https://127\.0\.0\.1:\d+) \(pid (\d+)\); deliveries go to (.+)\n",
        result.stdout,
    )
    assert match, result.stdout
    url, pid = match.group(1), int(match.group(2))
    assert (directory / "receiver.pid").read_text() == f"{pid}\n"
    os.kill(pid, 0)  # still serving after the command returned
    response = requests.post(url + "/hook", json={}, verify=str(directory / "ca.pem"), timeout=10)
    assert response.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):  # not trusted without its CA
        requests.post(url + "/hook", json={}, timeout=10)


def test_it_logs_header_names_but_never_their_values(
    started: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, directory = started
    url = result.stdout.split()[3]
    requests.post(
        url + "/1nce?iccid=8988280666000002864",
        json={"type": "TELEMETRY_DATA", "payload": {"t": 21.5}},
        headers={"x-api-key": SECRET, "Authorization": f"Bearer {SECRET}"},
        verify=str(directory / "ca.pem"),
        timeout=10,
    ).raise_for_status()
    log = directory / "received.log"
    assert wait_until(lambda: log.exists() and "body:" in log.read_text(), timeout=10)
    text = log.read_text()
    assert "received POST /1nce type=TELEMETRY_DATA headers: authorization,x-api-key\n" in text
    assert '"payload": {"t": 21.5}' in text
    assert SECRET not in text + result.stdout + result.stderr


def test_a_busy_port_is_reported_and_nothing_keeps_running(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run(
            "--port",
            str(port),
            "--ca-file",
            str(tmp_path / "ca.pem"),
            "--log",
            str(tmp_path / "received.log"),
            "--pid-file",
            str(tmp_path / "receiver.pid"),
        )
    assert result.returncode == 1
    assert f"receiver: error: not listening on 127.0.0.1:{port}" in result.stderr
    assert not (tmp_path / "receiver.pid").exists()


def test_version_and_the_console_script() -> None:
    result = _run("--version")
    assert (result.returncode, result.stdout) == (0, f"onence-receiver {__version__}\n")
    project = tomllib.loads((EMULATOR_DIR / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["onence-receiver"] == "onence_emulator.receiver_cli:main"
    assert receiver_cli.build_parser().prog == "onence-receiver"
