"""Find a stack's webhooks and its ``onence:*`` config through the Pulumi CLI.

Why the CLI: it already knows whatever backend the user is logged into and how to decrypt the
stack's secrets (passphrase, cloud KMS, Pulumi Cloud), so the stack commands work wherever
``pulumi up`` works. The subprocess calls live behind :class:`PulumiCli`; the commands only see
the :class:`StackReader` protocol, so tests can hand them a fake stack.

Nothing read here is ever echoed: the decrypted config stays in memory, and a failing ``pulumi``
call is reduced to one line of its stderr with every known secret value blanked out.

Example::

    reader = PulumiCli(stack="dev", cwd=Path("infra"))
    hooks = reader.webhooks()          # [StackWebhook(resource='telemetry', id='Jv2c...', ...)]
    settings = load_settings(reader.config(), os.environ)
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ._errors import ConfigurationError

__all__ = [
    "CONFIG_NAMESPACE",
    "WEBHOOK_TYPE",
    "PulumiCli",
    "StackError",
    "StackReader",
    "StackWebhook",
    "one_line_error",
    "onence_config",
    "webhooks_from_export",
]

WEBHOOK_TYPE = "pulumi-python:dynamic/onence:Webhook"
"""The resource type token of :class:`pulumi_onence.Webhook` in a stack's state."""

CONFIG_NAMESPACE = "onence:"
"""Only config keys in this namespace are kept from the stack's config."""

_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 - a marker, not a secret
"""The key Pulumi's state uses to mark a secret value (its ciphertext is never decoded here)."""

_MAX_ERROR_CHARS = 240
_REDACTED = "[secret]"


class StackError(ConfigurationError):
    """The stack could not be read: no ``pulumi`` CLI, no such stack, no passphrase, ...

    The message is one line, free of secret values, and says what to check.
    """


@dataclass(frozen=True)
class StackWebhook:
    """One ``onence:Webhook`` resource as the stack's state records it."""

    resource: str
    """The Pulumi resource name (the last part of its URN), e.g. ``telemetry``."""
    id: str
    """The 1NCE integration id."""
    name: str | None
    """The webhook's name in 1NCE (``None`` when the state holds it as a secret)."""


class StackReader(Protocol):
    """What the stack commands need from a stack."""

    def webhooks(self) -> list[StackWebhook]:
        """The stack's webhooks, in state order."""
        ...

    def config(self) -> dict[str, str]:
        """The stack's ``onence:*`` config, decrypted, keys namespaced (``onence:apiUrl``)."""
        ...


Runner = Callable[[Sequence[str], Mapping[str, str], float], "subprocess.CompletedProcess[str]"]
"""Runs an argv with an environment and a timeout; returns the finished process (text mode)."""


def _run(
    argv: Sequence[str], env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


class PulumiCli:
    """A :class:`StackReader` that asks the ``pulumi`` CLI.

    Example::

        PulumiCli(stack="dev").webhooks()

    Parameters:
        stack: the stack name (``--stack``); ``None`` uses the currently selected stack.
        cwd: the project directory (``--cwd``); ``None`` uses the current directory.
        pulumi: the ``pulumi`` executable to run.
        environ: the environment for ``pulumi`` (backend, passphrase); defaults to ``os.environ``.
        timeout: seconds one ``pulumi`` call may take.
        runner: what runs the subprocess; tests inject a fake.
    """

    def __init__(
        self,
        stack: str | None = None,
        cwd: Path | None = None,
        *,
        pulumi: str = "pulumi",
        environ: Mapping[str, str] | None = None,
        timeout: float = 120.0,
        runner: Runner = _run,
    ) -> None:
        self.stack = stack
        self.cwd = cwd
        self._pulumi = pulumi
        env = dict(os.environ if environ is None else environ)
        # No update check: it costs a network round trip and adds lines to stderr.
        env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
        self._env = env
        self._timeout = timeout
        self._runner = runner
        self._secrets: set[str] = {
            v for k, v in env.items() if v and k in {"PULUMI_CONFIG_PASSPHRASE", "ONENCE_PASSWORD"}
        }
        self._lock = threading.Lock()  # webhooks() and config() may run in parallel

    def __repr__(self) -> str:
        return f"PulumiCli(stack={self.stack!r}, cwd={self.cwd!r})"

    def webhooks(self) -> list[StackWebhook]:
        """Run ``pulumi stack export`` (secrets stay encrypted) and pick out the webhooks."""
        doc = self._json(["stack", "export"], what="read the stack's state")
        return webhooks_from_export(doc)

    def config(self) -> dict[str, str]:
        """Run ``pulumi config --show-secrets --json`` and keep the ``onence:*`` keys."""
        doc = self._json(["config", "--show-secrets", "--json"], what="read the stack's config")
        config = onence_config(doc)
        with self._lock:
            self._secrets.update(v for v in config.values() if v)
        return config

    def _json(self, args: list[str], *, what: str) -> Any:
        argv = [self._pulumi, *args, "--non-interactive"]
        if self.stack is not None:
            argv += ["--stack", self.stack]
        if self.cwd is not None:
            argv += ["--cwd", str(self.cwd)]
        where = f"stack {self.stack!r}" if self.stack is not None else "the selected stack"
        try:
            done = self._runner(argv, self._env, self._timeout)
        except FileNotFoundError as exc:
            raise StackError(
                f"could not {what}: the pulumi CLI ({self._pulumi}) was not found on PATH"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise StackError(
                f"could not {what} of {where}: pulumi did not answer within {self._timeout:g}s"
            ) from exc
        if done.returncode != 0:
            with self._lock:
                secrets = tuple(self._secrets)
            reason = one_line_error(done.stderr, secrets)
            raise StackError(f"could not {what} of {where}: {reason}")
        try:
            return json.loads(done.stdout)
        except ValueError:
            # Never quote the output: for `config --show-secrets` it holds decrypted values.
            raise StackError(
                f"could not {what} of {where}: pulumi printed something that is not JSON"
            ) from None


def webhooks_from_export(doc: Any) -> list[StackWebhook]:
    """The webhooks in a ``pulumi stack export`` document, in state order.

    Resources pending deletion are left out: they are on their way out of 1NCE.
    """
    deployment = doc.get("deployment") if isinstance(doc, dict) else None
    resources = deployment.get("resources") if isinstance(deployment, dict) else None
    found: list[StackWebhook] = []
    for res in resources or []:
        if not isinstance(res, dict) or res.get("type") != WEBHOOK_TYPE or res.get("delete"):
            continue
        id_ = _plain(res.get("id"))
        if not id_:
            continue
        outputs = res.get("outputs")
        outputs = outputs if isinstance(outputs, dict) else {}
        urn = str(res.get("urn", ""))
        found.append(
            StackWebhook(
                resource=urn.rsplit("::", 1)[-1] or id_,
                id=id_,
                name=_plain(outputs.get("name")),
            )
        )
    return found


def onence_config(doc: Any) -> dict[str, str]:
    """The ``onence:*`` string values of a ``pulumi config --json`` document."""
    config: dict[str, str] = {}
    if not isinstance(doc, dict):
        return config
    for key, entry in doc.items():
        if not (isinstance(key, str) and key.startswith(CONFIG_NAMESPACE)):
            continue
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, str):
            config[key] = value
    return config


def one_line_error(stderr: str | None, secrets: Iterable[str] = ()) -> str:
    """Reduce a ``pulumi`` stderr to its last ``error:`` line, secrets blanked, length capped."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error:")]
    line = (errors or lines or ["pulumi failed without a message"])[-1]
    if line.lower().startswith("error:"):
        line = line[len("error:") :].strip()
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        line = line.replace(secret, _REDACTED)
    if len(line) > _MAX_ERROR_CHARS:
        line = line[: _MAX_ERROR_CHARS - 3].rstrip() + "..."
    return line


def _plain(value: Any) -> str | None:
    """A state value as text; ``None`` for secrets (ciphertext) and missing values."""
    if isinstance(value, dict) and _SECRET_SIG_KEY in value:
        return None
    if isinstance(value, str):
        return value
    return None
