"""A user's own Pulumi project, outside this checkout, made only from the release's wheels.

What a new user does: a project directory of their own, a virtualenv with `pulumi-onence[policy]`
and `onence-emulator[receiver]` from the package index (here: the built wheels through
``PIP_FIND_LINKS``, as the project is not on the index yet), the emulator and the local HTTPS
receiver started from that virtualenv, then up, refresh, update, the shipped policy pack and a
standalone copy of it (`onence policy-pack init`, made ready by `pulumi install`), `onence
status` and `onence test`, destroy. PATH holds only that virtualenv and the engine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.policies.engine_harness import findings
from tests.release.distributions import REPO, Wheels, engine_only_path

pytestmark = pytest.mark.e2e

USER, PASSWORD = "acme-ci", "acme-api-password-never-printed"
VERSION = (REPO / "provider" / "pulumi_onence" / "VERSION").read_text().strip()
HEADER_VALUE = "acme-ingest-key-5e0b1d"
PASSPHRASE = "acme-passphrase"
TIMEOUT_S = 300

PROGRAM = """\
import pulumi
from pulumi_onence import EventType, Webhook

config = pulumi.Config()
hook = Webhook(
    "telemetry",
    name="acme-telemetry",
    url=config.require("endpointUrl"),
    headers={"x-api-key": config.require_secret("ingestKey")},
    event_types=[EventType(t) for t in config.require_object("eventTypes")],
)
pulumi.export("webhookId", hook.id)
"""

PULUMI_YAML = """\
name: acme-webhooks
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: venv
"""


@dataclass
class Shell:
    """Commands in the user's project, with only its virtualenv and the engine on PATH."""

    cwd: Path
    env: dict[str, str]
    transcript: list[str]

    def __call__(
        self, *argv: str, ok: bool = True, stdin: str | None = None, cwd: Path | None = None
    ) -> str:
        done = subprocess.run(
            list(argv),
            cwd=cwd or self.cwd,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        text = done.stdout + done.stderr
        self.transcript.append(text)
        if ok and done.returncode != 0:
            raise AssertionError(f"`{' '.join(argv)}` exited {done.returncode}\n{text}")
        if not ok and done.returncode == 0:
            raise AssertionError(f"`{' '.join(argv)}` succeeded but should not have\n{text}")
        return text


@dataclass
class Background:
    """A server the user started from the virtualenv (stopped at the end)."""

    process: subprocess.Popen[str]
    first_line: str


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    assert REPO not in home.resolve().parents
    return home


@pytest.fixture
def shell(user_home: Path, wheels: Wheels, engine_dir: Path, tmp_path: Path) -> Shell:
    project = user_home / "acme-webhooks"
    project.mkdir()
    venv_bin = project / "venv" / "bin"
    engine = engine_only_path(engine_dir, tmp_path / "engine")
    env = {
        "PATH": f"{venv_bin}:{engine}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(user_home),
        "PULUMI_HOME": str(user_home / ".pulumi"),
        "PULUMI_BACKEND_URL": f"file://{user_home / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "NO_COLOR": "1",
        # Not on the package index yet: pip finds the release's wheels here.
        "PIP_FIND_LINKS": str(wheels.directory),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
    }
    (user_home / "state").mkdir()
    return Shell(project, env, [])


@pytest.fixture
def servers(shell: Shell) -> Iterator[list[Background]]:
    started: list[Background] = []
    yield started
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=15)


def start_emulator(shell: Shell, servers: list[Background], ca_file: Path) -> str:
    """`onence-emulator` from the project's virtualenv; returns the base URL it prints."""
    env = {**shell.env, "ONENCE_EMULATOR_USERS": f"{USER}:{PASSWORD}"}
    process = subprocess.Popen(
        [
            "onence-emulator",
            "--port",
            "0",
            "--time-scale",
            "0.001",
            "--allow-private-endpoints",
            "--ca-bundle",
            str(ca_file),
        ],
        cwd=shell.cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    servers.append(Background(process, line))
    assert line.startswith("http://127.0.0.1:"), line
    return line


def test_a_project_outside_the_repository_made_only_from_the_wheels(
    shell: Shell, servers: list[Background], wheels: Wheels, user_home: Path
) -> None:
    run = shell
    project = shell.cwd
    (project / "Pulumi.yaml").write_text(PULUMI_YAML)
    (project / "__main__.py").write_text(PROGRAM)
    (project / "requirements.txt").write_text("pulumi-onence[policy]\nonence-emulator[receiver]\n")

    # The user's virtualenv, from the index (the wheels): nothing from this checkout.
    run(sys.executable, "-m", "venv", "venv")
    run("venv/bin/python", "-m", "pip", "install", "-r", "requirements.txt")
    versions = run("venv/bin/python", "-m", "pip", "list", "--format", "json")
    installed = {p["name"].lower(): p for p in json.loads(versions)}
    for name in ("pulumi-onence", "onence-emulator"):
        assert "editable_project_location" not in installed[name], installed[name]
    where = run("python", "-c", "import pulumi_onence, sys; print(pulumi_onence.__file__)")
    assert where.startswith(str(project / "venv")), where
    assert run("onence", "--version").strip() == f"onence {installed['pulumi-onence']['version']}"

    # The local HTTPS endpoint and the emulator, both from the virtualenv.
    ca_file = user_home / "receiver-ca.pem"
    log = user_home / "received.log"
    said = run(
        "onence-receiver",
        "--port",
        "0",
        "--ca-file",
        str(ca_file),
        "--log",
        str(log),
        "--pid-file",
        str(user_home / "receiver.pid"),
    )
    receiver_pid = int((user_home / "receiver.pid").read_text())
    try:
        receiver_url = said.split("listening at ", 1)[1].split()[0]
        api_url = start_emulator(shell, servers, ca_file)

        run("pulumi", "stack", "init", "dev", "--secrets-provider", "passphrase")
        run("pulumi", "config", "set", "onence:apiUrl", api_url)
        run("pulumi", "config", "set", "onence:username", USER)
        run("pulumi", "config", "set", "--secret", "onence:password", stdin=PASSWORD)
        run("pulumi", "config", "set", "--secret", "ingestKey", stdin=HEADER_VALUE)
        run("pulumi", "config", "set", "endpointUrl", f"{receiver_url}/1nce?iccid=:iccid:")
        run("pulumi", "config", "set", "--path", "eventTypes[0]", "TELEMETRY_DATA")

        # Policies: the shipped pack (the active virtualenv's python runs it) passes the stack
        # (loopback endpoints allowed by its config, as for any local receiver) ...
        pack = run("onence", "policy-pack", "path").strip()
        assert Path(pack).is_relative_to(project / "venv")
        local = user_home / "local-receiver.json"
        local.write_text('{"webhook-url-public-host": {"allowPrivateEndpoints": true}}\n')
        config = ["--policy-pack-config", str(local)]
        run("pulumi", "preview", "--policy-pack", pack, *config)

        up = run("pulumi", "up", "--yes", "--policy-pack", pack, *config)
        assert "onence:Webhook telemetry created" in up, up
        run("pulumi", "refresh", "--yes")
        run("pulumi", "config", "set", "--path", "eventTypes[1]", "LIFECYCLE")
        updated = run("pulumi", "up", "--yes")
        assert "1 updated" in updated, updated
        run("pulumi", "preview", "--expect-no-changes")

        # ... and fails an http:// webhook, mandatory.
        run("pulumi", "config", "set", "endpointUrl", "http://ingest.example.com/1nce")
        refused = run("pulumi", "preview", "--policy-pack", pack, *config, ok=False)
        assert ("mandatory", "webhook-url-https", "telemetry") in findings(refused), refused
        assert f"onence-webhooks@v{VERSION}" in refused, refused  # the package's version

        # A standalone pack for the team's own repository: `pulumi install` makes its
        # virtualenv from its requirements (this version of pulumi-onence, from the wheels).
        run("onence", "policy-pack", "init", "policy")
        run("pulumi", "install", cwd=project / "policy")
        assert (project / "policy" / "venv" / "bin" / "python").is_file()
        team = run(
            "pulumi", "preview", "--policy-pack", "policy", "--policy-pack-config", str(local),
            ok=False,
        )  # fmt: skip
        assert ("mandatory", "webhook-url-https", "telemetry") in findings(team), team
        assert f"onence-webhooks@v{VERSION}" in team, team
        run("pulumi", "config", "set", "endpointUrl", f"{receiver_url}/1nce?iccid=:iccid:")
        run("pulumi", "preview", "--policy-pack", "policy", "--policy-pack-config", str(local))

        # The stack commands, from the virtualenv.
        status = json.loads(run("onence", "status", "--json"))
        assert status["ok"] is True
        assert [h["name"] for h in status["webhooks"]] == ["acme-telemetry"]
        tested = json.loads(run("onence", "test", "--json"))
        assert [h["result"] for h in tested["webhooks"]] == ["SUCCESS"]
        assert "TEST_MESSAGE" in log.read_text()

        run("pulumi", "destroy", "--yes")
        run("pulumi", "stack", "rm", "--yes", "dev")
    finally:
        os.kill(receiver_pid, 15)

    said_everything = "\n".join(shell.transcript)
    for secret in (PASSWORD, HEADER_VALUE, PASSPHRASE):
        assert secret not in said_everything
    state_files = [path for path in (user_home / "state").rglob("*") if path.is_file()]
    assert state_files, "the file backend holds nothing: the search below would prove nothing"
    for path in state_files:
        content = path.read_text(errors="replace")
        assert PASSWORD not in content, path
        assert HEADER_VALUE not in content, path


def page_blocks(page: Path, language: str) -> list[str]:
    """The fenced ``language`` code blocks of a page, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", page.read_text(), flags=re.M | re.S)


def test_the_testing_page_runs_in_a_users_project(shell: Shell) -> None:
    """docs/testing.md as a user follows it: its install line, its conftest.py and its test of
    the quickstart's stack, run by the project's own pytest against the emulator's fixtures."""
    page = REPO / "docs" / "testing.md"
    (install,) = [b for b in page_blocks(page, "bash") if "pip install" in b]
    (conftest,) = [b for b in page_blocks(page, "python") if b.startswith("pytest_plugins")]
    (stack_test,) = [b for b in page_blocks(page, "python") if "def test_up_creates" in b]
    run = shell
    project = shell.cwd
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((REPO / "examples" / "quickstart" / name).read_text())
    (project / "conftest.py").write_text(conftest)
    (project / "tests").mkdir()
    (project / "tests" / "test_stack.py").write_text(stack_test)

    run(sys.executable, "-m", "venv", "venv")
    run("bash", "-c", install.strip())  # the page's line, with the project's venv first on PATH
    tested = run("bash", "-c", "pytest tests -q -p no:cacheprovider")

    assert "1 passed" in tested, tested
    assert not list(project.glob("Pulumi.*.yaml"))  # the page's test removed its stack
    assert "test-key" not in tested  # the header value the test declared
