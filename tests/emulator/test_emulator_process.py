"""The running program: command line, persistence across restarts, load, secrets."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import onence_emulator
import requests
from onence_emulator.app import create_app
from onence_emulator.harness import EmulatorProcess
from onence_emulator.settings import Settings
from onence_emulator.store import DB_FILE

from tests.conftest import EmulatorApi

CLOUDS = "/v1/integrate/clouds"
WEBHOOKS = CLOUDS + "/webhooks"
TOKEN_BODY = {"grant_type": "client_credentials"}


def _token(base_url: str, user: str = "u", password: str = "p") -> str:
    response = requests.post(
        base_url + "/oauth/token", auth=(user, password), json=TOKEN_BODY, timeout=10
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def test_state_and_tokens_survive_a_restart_with_a_data_dir(tmp_path: Path) -> None:
    with EmulatorProcess(users={"u": "p"}, data_dir=tmp_path) as emulator:
        token = _token(emulator.base_url)
        headers = {"Authorization": f"Bearer {token}"}
        created = requests.post(
            emulator.base_url + WEBHOOKS,
            headers=headers,
            json={
                "name": "durable",
                "url": "https://durable.example.com/x",
                "headers": {"x-api-key": "persisted-secret"},
                "eventTypes": [{"type": "LIFECYCLE"}],
            },
            timeout=10,
        ).json()
        aws = emulator.admin.seed_aws("aws")
        base_url = emulator.base_url
        emulator.restart()
        assert emulator.base_url == base_url  # same port after a restart
        fetched = requests.get(
            f"{emulator.base_url}{CLOUDS}/{created['id']}", headers=headers, timeout=10
        )
        assert fetched.status_code == 200
        assert fetched.json() == {**created, "headers": {"x-api-key": "persisted-secret"}}
        listed = requests.get(emulator.base_url + CLOUDS, headers=headers, timeout=10).json()
        assert [item["id"] for item in listed["items"]] == [created["id"], aws["id"]]
    database = tmp_path / DB_FILE
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    with sqlite3.connect(database) as connection:
        stored_tokens = [row[0] for row in connection.execute("SELECT hash FROM tokens")]
    assert token not in stored_tokens  # only hashes are kept
    assert token.encode() not in database.read_bytes()


def test_without_a_data_dir_a_restart_starts_empty() -> None:
    with EmulatorProcess(users={"u": "p"}) as emulator:
        token = _token(emulator.base_url)
        emulator.admin.seed_aws("aws")
        emulator.restart()
        headers = {"Authorization": f"Bearer {token}"}
        assert (
            requests.get(emulator.base_url + CLOUDS, headers=headers, timeout=10).status_code == 401
        )
        fresh = {"Authorization": f"Bearer {_token(emulator.base_url)}"}
        assert (
            requests.get(emulator.base_url + CLOUDS, headers=fresh, timeout=10).json()["items"]
            == []
        )


def test_serves_200_concurrent_requests_without_an_error(emulator) -> None:
    token = _token(emulator.base_url, "user", "pass")
    headers = {"Authorization": f"Bearer {token}"}
    barrier = threading.Barrier(200, timeout=30)

    def one(index: int) -> int:
        barrier.wait()
        if index % 2 == 0:
            response = requests.post(
                emulator.base_url + WEBHOOKS,
                headers=headers,
                json={
                    "name": f"load-{index}",
                    "url": f"https://load.example.com/{index}",
                    "headers": {},
                    "eventTypes": [{"type": "ERROR"}],
                },
                timeout=60,
            )
        else:
            response = requests.get(emulator.base_url + CLOUDS, headers=headers, timeout=60)
        return response.status_code

    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(pool.map(one, range(200)))
    assert statuses.count(201) == 100
    assert statuses.count(200) == 100
    listed = requests.get(
        emulator.base_url + CLOUDS, headers=headers, params={"pageSize": 100}, timeout=10
    ).json()
    assert len({item["id"] for item in listed["items"]}) == 100


def _run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onence_emulator", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_malformed_user_is_refused_without_echoing_the_password() -> None:
    result = _run_cli("--user", "no-colon-secretpw")
    assert result.returncode == 2
    assert "NAME:PASSWORD" in result.stderr
    assert "secretpw" not in result.stderr + result.stdout


def test_busy_port_is_reported_clearly(emulator) -> None:
    result = _run_cli("--port", str(emulator.port), "--user", "u:p")
    assert result.returncode == 2
    assert "cannot listen" in result.stderr


def test_missing_ca_bundle_is_reported(tmp_path: Path) -> None:
    result = _run_cli("--ca-bundle", str(tmp_path / "absent.pem"), "--user", "u:p")
    assert result.returncode == 2
    assert "CA bundle not found" in result.stderr


def test_users_from_the_environment_can_get_tokens() -> None:
    with EmulatorProcess(users={"env-a": "pw-a", "env-b": "pw:with:colons"}) as emulator:
        assert _token(emulator.base_url, "env-a", "pw-a")
        assert _token(emulator.base_url, "env-b", "pw:with:colons")


def test_secrets_never_reach_stdout_or_the_log(receiver) -> None:
    # Its own process at debug level, so that the log holds everything the server says.
    with EmulatorProcess(
        users={"user": "user-pw-secret"},
        ca_bundle=receiver.ca_pem,
        allow_private_endpoints=True,
        extra_args=["--log-level", "debug"],
    ) as emulator:
        api = EmulatorApi(emulator.base_url, "user", "user-pw-secret")
        token = api.token
        hook = {
            "name": "s",
            "headers": {"x-key": "hdr-secret-1"},
            "eventTypes": [{"type": "ERROR"}],
        }
        assert api.post(WEBHOOKS, json={**hook, "url": receiver.url + "/s"}).status_code == 201
        bad_header = {"x-key": "hdr-secret-2\n"}
        refused = api.post(WEBHOOKS, json={**hook, "url": "http://x", "headers": bad_header})
        assert refused.status_code == 400
        api.session.close()
        requests.post(
            emulator.base_url + "/oauth/token",
            auth=("user", "wrong-pw"),
            json=TOKEN_BODY,
            timeout=10,
        )
        emulator.admin.inject_event("ERROR")
        assert emulator.admin.drain(10)
        assert receiver.wait_for(1, timeout=10)
        assert receiver.requests[0].header("x-key") == "hdr-secret-1"  # it was really sent
        observed = str(emulator.admin.calls()) + str(emulator.admin.deliveries())
        emulator.stop()  # stdout and the log are complete once the process has exited
        stdout, log = emulator.stdout_text(), emulator.log_text()
    assert stdout == emulator.base_url + "\n"  # the one line it prints: its URL
    assert "Started server process" in log  # the log was captured
    for secret in ("hdr-secret-1", "hdr-secret-2", "wrong-pw", "user-pw-secret", token):
        assert secret not in stdout
        assert secret not in log
        assert secret not in observed


def test_version_comes_from_the_one_version_file() -> None:
    version_file = Path(__file__).resolve().parents[2] / "provider" / "pulumi_onence" / "VERSION"
    version = version_file.read_text().strip()
    result = _run_cli("--version")
    assert (result.returncode, result.stdout) == (0, f"onence-emulator {version}\n")
    assert onence_emulator.__version__ == version
    assert create_app(Settings()).version == version
