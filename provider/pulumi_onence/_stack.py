"""Read a stack's webhooks and config, and store secret config, through the Pulumi CLI.

Why the CLI: it already knows whatever backend the user is logged into and how to decrypt the
stack's secrets (passphrase, cloud KMS, Pulumi Cloud), so the stack commands work wherever
``pulumi up`` works. The subprocess calls live behind :class:`PulumiCli`; the commands only see
the :class:`StackReader` protocol, so tests can hand them a fake stack.

Nothing read here is ever echoed. The state is read with its secrets decrypted only so that the
header values it holds can be blanked out of every message (1NCE's test and restart answers may
quote the receiver's reply); a failing ``pulumi`` call is reduced to one line of its stderr, passed
through :func:`pulumi_onence._redact.redact`. A secret is stored with the value on stdin, never
on a command line.

Example::

    reader = PulumiCli(stack="dev", cwd=Path("infra"))
    state = reader.state()             # StackState(name='dev', webhooks=[StackWebhook(...)], ...)
    settings = load_settings(reader.config(), os.environ)
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from ._errors import ConfigurationError
from ._redact import redact
from ._stack_data import (
    Drift,
    PendingWebhook,
    StackState,
    StackWebhook,
    config_values,
    drift_from_preview,
    state_from_export,
    webhooks_from_export,
)
from ._tokens import DYNAMIC_WEBHOOK

__all__ = [
    "WEBHOOK_TYPE",
    "Drift",
    "PendingWebhook",
    "PulumiCli",
    "StackError",
    "StackReader",
    "StackState",
    "StackWebhook",
    "config_values",
    "drift_from_preview",
    "one_line_error",
    "state_from_export",
    "webhooks_from_export",
]

WEBHOOK_TYPE = DYNAMIC_WEBHOOK
"""The resource type token of :class:`pulumi_onence.Webhook` in a stack's state."""

_MAX_ERROR_CHARS = 480  # a provider line names the call, the URL, 1NCE's words and the fix
_SECRET_ENV = frozenset(
    {
        "PULUMI_CONFIG_PASSPHRASE",
        "PULUMI_ACCESS_TOKEN",
        "ONENCE_PASSWORD",
        # The state backends' and secrets providers' credentials (S3, Azure Blob, GCS, KMS): a
        # backend's error may quote them.
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AZURE_STORAGE_KEY",
        "AZURE_STORAGE_SAS_TOKEN",
        "AZURE_CLIENT_SECRET",
        "ARM_CLIENT_SECRET",
        "ARM_ACCESS_KEY",
        "GOOGLE_CREDENTIALS",
        "GOOGLE_OAUTH_ACCESS_TOKEN",
    }
)
"""Environment variables whose values are blanked out of ``pulumi``'s error lines."""


class StackError(ConfigurationError):
    """The stack could not be read: no ``pulumi`` CLI, no such stack, no passphrase, ...

    The message is one line, free of secret values, and says what to check.
    """


class StackReader(Protocol):
    """What the stack commands need from a stack."""

    def state(self) -> StackState:
        """The stack's recorded webhooks."""
        ...

    def config(self) -> dict[str, str]:
        """The stack's config, decrypted, keys namespaced (``onence:apiUrl``)."""
        ...


class StackWriter(StackReader, Protocol):
    """A stack whose config ``onence import --write-config`` can extend."""

    def stack_name(self) -> str | None:
        """The stack's name, also for a stack that was never deployed."""
        ...

    def set_secret(self, key: str, value: str) -> None:
        """``pulumi config set --secret KEY`` with ``value`` on stdin."""
        ...

    def drift(self) -> list[Drift]:
        """What `pulumi up` would change after a refresh (``pulumi preview --refresh``)."""
        ...


Runner = Callable[
    [Sequence[str], Mapping[str, str], float, "str | None"], "subprocess.CompletedProcess[str]"
]
"""Runs an argv with an environment, a timeout and optional stdin; returns the finished process."""


class PulumiCli:
    """A :class:`StackReader` that asks the ``pulumi`` CLI.

    Example::

        PulumiCli(stack="dev").state().webhooks

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
        runner: Runner | None = None,
    ) -> None:
        self.stack = stack
        self.cwd = cwd
        self._pulumi = pulumi
        env = dict(os.environ if environ is None else environ)
        # No update check: it costs a network round trip and adds lines to stderr.
        env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
        self._env = env
        self._timeout = timeout
        self._runner = runner or self._run
        self._secrets: set[str] = {v for k, v in env.items() if v and k in _SECRET_ENV}
        self._lock = threading.Lock()  # state() and config() may run in parallel
        self._children: set[subprocess.Popen[str]] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"PulumiCli(stack={self.stack!r}, cwd={self.cwd!r})"

    def state(self) -> StackState:
        """Run ``pulumi stack export --show-secrets`` and pick out the webhooks."""
        doc = self._json(["stack", "export", "--show-secrets"], what="read the stack's state")
        state = state_from_export(doc)
        with self._lock:
            self._secrets.update(s for hook in state.webhooks for s in hook.secrets)
        return state

    def config(self) -> dict[str, str]:
        """Run ``pulumi config --show-secrets --json``: every key, secrets decrypted."""
        doc = self._json(["config", "--show-secrets", "--json"], what="read the stack's config")
        values, secret = config_values(doc)
        with self._lock:
            self._secrets.update(values[k] for k in secret if values[k])
        return values

    def stack_name(self) -> str | None:
        """``pulumi stack --show-name``: the stack's name even before its first deployment."""
        done = self._call(["stack", "--show-name"], what="read the stack's name")
        return done.stdout.strip() or None

    def set_secret(self, key: str, value: str) -> None:
        """Store ``key`` as a secret in the stack config; the value travels on stdin only."""
        with self._lock:
            self._secrets.add(value)
        self._call(["config", "set", "--secret", key], what=f"set the secret {key!r}", stdin=value)

    def drift(self) -> list[Drift]:
        """``pulumi preview --refresh --json``: read every resource back, then plan. Nothing is
        written to the state; only names, operations and property names are kept."""
        done = self._call(
            ["preview", "--refresh", "--json"],
            what="plan the stack",
            ok_codes=(0, 1, 255),  # a failed plan exits 1 (or 255) with its errors in the JSON
            timeout=900,
        )
        with self._lock:
            secrets = tuple(self._secrets)
        try:
            doc = json.loads(done.stdout)
        except ValueError:
            # Never quote the output: it may hold decrypted values.
            reason = (
                one_line_error(done.stderr, secrets)
                if done.returncode
                else "pulumi printed no JSON plan"
            )
            raise StackError(f"could not plan {self._where()}: {reason}") from None
        errors = [
            d
            for d in doc.get("diagnostics") or []
            if isinstance(d, dict) and d.get("severity") == "error"
        ]
        if errors or done.returncode != 0:
            # The cause is the first error of a resource (the provider's one line); the engine
            # follows it with the SDK's traceback and a bare "preview failed".
            first = next((d for d in errors if d.get("urn")), errors[0] if errors else None)
            said = str(first.get("message", "")) if first is not None else done.stderr
            reason = one_line_error(said, secrets)
            raise StackError(f"could not plan {self._where()}: {reason}")
        return drift_from_preview(doc)

    def close(self) -> None:
        """Stop every ``pulumi`` still running for this reader (Ctrl-C must not wait for them)."""
        with self._lock:
            self._closed = True
            children = list(self._children)
        for child in children:
            child.kill()

    # --- running pulumi ------------------------------------------------------------------

    def _run(
        self, argv: Sequence[str], env: Mapping[str, str], timeout: float, stdin: str | None
    ) -> subprocess.CompletedProcess[str]:
        child = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with self._lock:
            if self._closed:
                child.kill()
            self._children.add(child)
        try:
            out, err = child.communicate(stdin, timeout=timeout)
        except BaseException:
            child.kill()
            child.wait()
            raise
        finally:
            with self._lock:
                self._children.discard(child)
        return subprocess.CompletedProcess(list(argv), child.returncode, out, err)

    def _call(
        self,
        args: list[str],
        *,
        what: str,
        stdin: str | None = None,
        ok_codes: Sequence[int] = (0,),
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        argv = [self._pulumi, *args, "--non-interactive"]
        if self.stack is not None:
            argv += ["--stack", self.stack]
        if self.cwd is not None:
            argv += ["--cwd", str(self.cwd)]
        where = self._where()
        try:
            done = self._runner(argv, self._env, timeout or self._timeout, stdin)
        except FileNotFoundError as exc:
            raise StackError(
                f"could not {what}: the pulumi CLI ({self._pulumi}) was not found on PATH"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise StackError(
                f"could not {what} of {where}: pulumi did not answer within "
                f"{timeout or self._timeout:g}s"
            ) from exc
        if done.returncode not in ok_codes:
            with self._lock:
                secrets = tuple(self._secrets)
            reason = one_line_error(done.stderr, secrets)
            raise StackError(f"could not {what} of {where}: {reason}")
        return done

    def _json(self, args: list[str], *, what: str) -> Any:
        done = self._call(args, what=what)
        try:
            return json.loads(done.stdout)
        except ValueError:
            # Never quote the output: it holds decrypted values.
            raise StackError(
                f"could not {what} of {self._where()}: pulumi printed something that is not JSON"
            ) from None

    def _where(self) -> str:
        return f"stack {self.stack!r}" if self.stack is not None else "the selected stack"


def one_line_error(stderr: str | None, secrets: Iterable[str] = ()) -> str:
    """Reduce a ``pulumi`` stderr to its last ``error:`` line, secrets blanked, length capped."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error:")]
    line = (errors or lines or ["pulumi failed without a message"])[-1]
    if line.lower().startswith("error:"):
        line = line[len("error:") :].strip()
    line = redact(line, secrets)
    if len(line) > _MAX_ERROR_CHARS:
        line = line[: _MAX_ERROR_CHARS - 3].rstrip() + "..."
    return line
