"""Drive the real Pulumi CLI against a throwaway stack, offline.

Each `PulumiStack` lives in its own directory with a local file backend, a passphrase secrets
provider and the project's virtualenv as the program's runtime, so tests never touch a user's
Pulumi login and can run side by side. Every command's output is kept in `transcript`, so a
test or the demo can check at the end that no secret reached the CLI's output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
COMMAND_TIMEOUT_S = 300


ENGINE_MISSING = (
    "the Pulumi engine is not on PATH: put the directory `bash scripts/provide-engine.sh` prints"
    " on PATH (`make demo` and `make test` do)"
)


class EngineMissingError(RuntimeError):
    """No `pulumi` executable on PATH."""


def find_engine() -> str:
    """The `pulumi` executable on PATH."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise EngineMissingError(ENGINE_MISSING)
    return pulumi


@dataclass
class PulumiStack:
    """A project directory plus a stack in a private file backend."""

    workdir: Path
    program: str
    project: str = "onence-e2e"
    stack: str = "dev"
    passphrase: str = "e2e-passphrase"  # noqa: S105 (a throwaway stack's own passphrase)
    extra_env: dict[str, str] = field(default_factory=dict)
    virtualenv: Path = VENV
    """The program's virtualenv (the one running this driver, unless told otherwise)."""
    provider_plugins: dict[str, Path] = field(default_factory=dict)
    """Provider plugins the engine takes from a directory (name -> directory holding
    ``pulumi-resource-NAME``), as Pulumi.yaml's ``plugins: providers``, so a checkout's plugin
    is used without the warning an ambient plugin from PATH gets."""
    transcript: list[str] = field(default_factory=list)
    secret_values: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pulumi = find_engine()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.state_dir = self.workdir / ".state"
        self.state_dir.mkdir(exist_ok=True)
        project = textwrap.dedent(
            f"""\
            name: {self.project}
            runtime:
              name: python
              options:
                toolchain: pip
                virtualenv: {self.virtualenv}
            """
        )
        if self.provider_plugins:
            project += "plugins:\n  providers:\n" + "".join(
                f"    - name: {name}\n      path: {json.dumps(str(path))}\n"
                for name, path in self.provider_plugins.items()
            )
        (self.workdir / "Pulumi.yaml").write_text(project)
        self.write_program(self.program)

    # --- environment and raw commands ----------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "PULUMI_BACKEND_URL": f"file://{self.state_dir}",
                "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_SKIP_CONFIRMATIONS": "true",
                "PULUMI_HOME": str(self.workdir / ".pulumi-home"),
                "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
                "NO_COLOR": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def run(self, *args: str, check: bool = True, timeout: float = COMMAND_TIMEOUT_S) -> Any:
        """Run `pulumi ARGS` in the project; keeps the output; raises with it on failure."""
        cmd = [self.pulumi, *args, "--non-interactive", "--color", "never"]
        proc = subprocess.run(
            cmd,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.transcript.append(proc.stdout + proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"`pulumi {' '.join(args)}` exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
        return proc

    # --- the project ---------------------------------------------------------------------
    def write_program(self, source: str) -> None:
        (self.workdir / "__main__.py").write_text(textwrap.dedent(source))

    def declare(self, webhooks: list[dict[str, Any]]) -> None:
        """Make the program declare ``webhooks`` (see ``program_for``)."""
        self.write_program(program_for(webhooks))

    def init(self) -> PulumiStack:
        self.run("stack", "init", self.stack, "--secrets-provider", "passphrase")
        return self

    def set_config(self, key: str, value: str, *, secret: bool = False) -> None:
        args = ["config", "set", key, "--stack", self.stack]
        if secret:
            args.append("--secret")
            self.secret_values.append(value)
        # The value goes through stdin so it never appears in a process listing.
        proc = subprocess.run(
            [self.pulumi, *args, "--non-interactive"],
            input=value,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        self.transcript.append(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise AssertionError(f"`pulumi config set {key}` failed: {proc.stderr}")

    def configure_emulator(self, base_url: str, username: str, password: str) -> None:
        self.set_config("onence:apiUrl", base_url)
        self.set_config("onence:username", username)
        self.set_config("onence:password", password, secret=True)

    # --- the operations ------------------------------------------------------------------
    def up(self, *extra: str, check: bool = True) -> Any:
        return self.run("up", "--yes", "--skip-preview", "--stack", self.stack, *extra, check=check)

    def preview(self, *extra: str, check: bool = True) -> Any:
        return self.run("preview", "--diff", "--stack", self.stack, *extra, check=check)

    def refresh(self, *extra: str, check: bool = True) -> Any:
        return self.run(
            "refresh", "--yes", "--skip-preview", "--stack", self.stack, *extra, check=check
        )

    def destroy(self, *extra: str, check: bool = True) -> Any:
        return self.run(
            "destroy", "--yes", "--skip-preview", "--stack", self.stack, *extra, check=check
        )

    def export(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "export", "--stack", self.stack).stdout)  # type: ignore[no-any-return]

    def outputs(self, *, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json", "--stack", self.stack]
        if show_secrets:
            args.append("--show-secrets")
        return json.loads(self.run(*args).stdout)  # type: ignore[no-any-return]

    def resources(
        self,
        type_token: str = "pulumi-python:dynamic/onence:Webhook",  # noqa: S107 (a type token)
    ) -> list[dict[str, Any]]:
        """The stack's resources of one type, from `pulumi stack export`."""
        deployment = self.export().get("deployment", {})
        return [r for r in deployment.get("resources") or [] if r.get("type") == type_token]

    def output_text(self) -> str:
        return "\n".join(self.transcript)


def program_for(webhooks: list[dict[str, Any]], exports: bool = True) -> str:
    """A stack program declaring `webhooks` (keyword arguments of `Webhook`, plus `resource`).

    Header values given as {"secret": KEY} are read with `config.require_secret(KEY)`.
    """
    lines = [
        "import pulumi",
        "from pulumi_onence import EventType, Webhook, WebhookArgs",
        "config = pulumi.Config()",
        "hooks = {}",
    ]
    for spec in webhooks:
        spec = dict(spec)
        resource = spec.pop("resource")
        headers = spec.pop("headers", None)
        args = [f"{key}={value!r}" for key, value in spec.items()]
        if headers is not None:
            parts = []
            for key, value in headers.items():
                if isinstance(value, dict):
                    parts.append(f"{key!r}: config.require_secret({value['secret']!r})")
                else:
                    parts.append(f"{key!r}: {value!r}")
            args.append("headers={" + ", ".join(parts) + "}")
        lines.append(f"hooks[{resource!r}] = Webhook({resource!r}, {', '.join(args)})")
    if exports:
        lines.append("pulumi.export('ids', {k: h.id for k, h in hooks.items()})")
        lines.append("pulumi.export('states', {k: h.state for k, h in hooks.items()})")
    return "\n".join(lines) + "\n"
