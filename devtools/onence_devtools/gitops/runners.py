"""GitOps runners: each a fresh clone of the stack repository with its own PULUMI_HOME.

A pipeline runner is ephemeral: it clones the repository, gets a few secrets from the CI system
and runs `pulumi`. So a `Runner` has nothing of its own but its clone: its `pulumi` and `onence`
commands get ``step_env``, the variables the workflow gives the step the runner plays (the backend
URL, the bucket's credentials, the passphrase and, for the jobs that call 1NCE, a 1NCE user; see
`onence_devtools.gitops.workflow`), and its other commands (git, the checkout) get none of them.
The committed stack config holds no 1NCE credential. Every process a runner starts gets a session
of its own (see `onence_devtools.gitops.processes`) and every output is kept, so a test can show
that all of them ended and that no secret reached any output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from onence_devtools.gitops.processes import kill_session, wait_session_empty

VENV = Path(sys.prefix)
COMMAND_TIMEOUT_S = 300.0
PROJECT = "onence-gitops"
STACK = "prod"
POLICY_CONFIG = "policies/local-receiver.json"
"""The stack repository's pack config: its webhooks go to a local receiver (see the pack's
``webhook-url-public-host`` rule)."""

# Variables a runner never inherits from the machine running the tests: a runner gets its
# backend, credentials and Pulumi settings from the pipeline only.
_NOT_INHERITED = ("PULUMI_", "AWS_", "ONENCE_", "GIT_")


@dataclass(frozen=True)
class Shared:
    """What the pipeline's state backend is: its URL, the passphrase and the bucket's
    read-write credentials (the runners get them through their workflow step's variables)."""

    backend_url: str
    passphrase: str
    storage_env: Mapping[str, str]
    """The bucket's credentials (``AWS_ACCESS_KEY_ID``, ...)."""

    def secrets(self) -> list[str]:
        return [self.passphrase, self.storage_env["AWS_SECRET_ACCESS_KEY"]]


@dataclass
class Run:
    """A finished command of a runner."""

    argv: list[str]
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def __str__(self) -> str:
        command = " ".join(self.argv)
        return f"`{command}` exited {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


@dataclass
class Background:
    """A command of a runner running in the background, in its own session."""

    runner: Runner
    argv: list[str]
    process: subprocess.Popen[bytes]
    out_path: Path
    err_path: Path
    _out: IO[bytes]
    _err: IO[bytes]

    @property
    def session(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float = COMMAND_TIMEOUT_S) -> Run:
        code = self.process.wait(timeout)
        return self._finish(code)

    def _finish(self, code: int) -> Run:
        self._out.close()
        self._err.close()
        run = Run(
            self.argv,
            code,
            self.out_path.read_text(errors="replace"),
            self.err_path.read_text(errors="replace"),
        )
        self.runner.transcript.append(run)
        return run

    def pause(self) -> None:
        """SIGSTOP every process of the command (it keeps whatever it holds, e.g. a lock)."""
        kill_session(self.session, signal.SIGSTOP)

    def resume(self) -> None:
        kill_session(self.session, signal.SIGCONT)

    def kill_engine(self) -> Run:
        """SIGKILL the `pulumi` process itself, as when a runner is killed mid-`up`.

        Its plugins are not killed here: a request they had already sent still lands, as it would
        once it has left a dying machine. `kill_all` ends them.
        """
        self.process.send_signal(signal.SIGKILL)
        return self._finish(self.process.wait(30))

    def kill_all(self) -> None:
        kill_session(self.session, signal.SIGKILL)
        kill_session(self.session, signal.SIGCONT)


@dataclass
class Runner:
    """One pipeline runner: a fresh clone of the stack repository, nothing else of its own."""

    name: str
    root: Path
    origin: Path
    step_env: Mapping[str, str]
    """What the workflow step this runner plays sets (its secrets included)."""
    pulumi: str
    transcript: list[Run] = field(default_factory=list)
    sessions: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dir = self.root / f"runner-{self.name}"
        self.dir.mkdir(parents=True)
        self.home = self.dir / "pulumi-home"
        self.checkout = self.dir / "repo"

    # --- environment -----------------------------------------------------------------------
    @property
    def base_env(self) -> dict[str, str]:
        """What every command of the runner gets: the machine's, no secret."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
        env.update(
            {
                "PULUMI_HOME": str(self.home),
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_SKIP_CONFIRMATIONS": "true",
                # No ~/.aws of the machine: the runner's storage credentials come from the env.
                "AWS_CONFIG_FILE": str(self.dir / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.dir / "no-aws-credentials"),
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": str(self.dir / "gitconfig"),
                "GIT_AUTHOR_NAME": f"runner {self.name}",
                "GIT_AUTHOR_EMAIL": f"runner-{self.name.lower()}@ci.example.com",
                "GIT_COMMITTER_NAME": f"runner {self.name}",
                "GIT_COMMITTER_EMAIL": f"runner-{self.name.lower()}@ci.example.com",
                "NO_COLOR": "1",
            }
        )
        return env

    @property
    def env(self) -> dict[str, str]:
        """What the runner's `pulumi` and `onence` commands get: its step's variables too."""
        return {**self.base_env, **self.step_env}

    # --- commands ----------------------------------------------------------------------------
    def run(
        self,
        argv: list[str],
        *,
        cwd: Path | None = None,
        check: bool = True,
        stdin: str | None = None,
        timeout: float = COMMAND_TIMEOUT_S,
        env: Mapping[str, str] | None = None,
    ) -> Run:
        """Run a command in its own session, wait for it, keep its output.

        ``env``: the command's whole environment (default: ``self.env``).
        """
        proc = subprocess.Popen(
            argv,
            cwd=cwd or self.checkout,
            env=dict(self.env if env is None else env),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.sessions.append(proc.pid)
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_session(proc.pid)
            out, err = proc.communicate()
            raise AssertionError(f"runner {self.name}: `{' '.join(argv)}` timed out") from None
        run = Run(argv, proc.returncode, out, err)
        self.transcript.append(run)
        if check and run.code != 0:
            raise AssertionError(f"runner {self.name}: {run}")
        return run

    def start(self, argv: list[str], *, cwd: Path | None = None) -> Background:
        """Start a command in the background, in its own session."""
        index = len(self.sessions)
        out_path = self.dir / f"bg-{index}.out"
        err_path = self.dir / f"bg-{index}.err"
        out, err = out_path.open("wb"), err_path.open("wb")
        process = subprocess.Popen(
            argv,
            cwd=cwd or self.checkout,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        self.sessions.append(process.pid)
        return Background(self, argv, process, out_path, err_path, out, err)

    def git(self, *args: str, cwd: Path | None = None) -> Run:
        return self.run(["git", *args], cwd=cwd or self.checkout, env=self.base_env)

    def pulumi_argv(self, *args: str) -> list[str]:
        return [self.pulumi, *args, "--stack", STACK, "--non-interactive", "--color", "never"]

    def pulumi_cmd(self, *args: str, check: bool = True, cwd: Path | None = None) -> Run:
        return self.run(self.pulumi_argv(*args), check=check, cwd=cwd)

    def onence(self, *args: str) -> Run:
        argv = [str(VENV / "bin" / "onence"), *args, "--stack", STACK, "--cwd", str(self.checkout)]
        return self.run(argv, cwd=self.dir, check=False)

    # --- the pipeline's steps -----------------------------------------------------------------
    def clone(self, ref: str = "main", into: Path | None = None) -> Path:
        """`git clone` the repository at ``ref`` (a branch or a commit) and install the venv."""
        target = into or self.checkout
        self.git("clone", "--quiet", str(self.origin), str(target), cwd=self.dir)
        self.git("checkout", "--quiet", ref, cwd=target)
        # What `python -m venv .venv && pip install ...` gives a real runner: the project's venv;
        # and what `pulumi install` in the pack's directory gives it: the pack's venv (both hold
        # pulumi-onence with its `policy` extra).
        (target / ".venv").symlink_to(VENV)
        if (target / "policies" / "requirements.txt").is_file():
            (target / "policies" / "venv").symlink_to(VENV)
        return target

    def pack_args(self, pack_root: Path | None = None) -> list[str]:
        """``--policy-pack`` and its config, from ``pack_root`` (default: the runner's checkout)."""
        root = pack_root or self.checkout
        return [
            "--policy-pack",
            str(root / "policies"),
            "--policy-pack-config",
            str(root / POLICY_CONFIG),
        ]

    def up_argv(self) -> list[str]:
        return self.pulumi_argv("up", "--yes", "--skip-preview", *self.pack_args())

    def output_text(self) -> str:
        return "\n".join(run.text for run in self.transcript)

    def left_running(self) -> list[int]:
        """Processes of this runner that are still alive (after a bounded wait)."""
        return [pid for session in self.sessions for pid in wait_session_empty(session)]


def write_files(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def webhooks_yaml(entries: Iterable[Mapping[str, str]]) -> str:
    """The fleet program's webhooks file: each entry a resource, a name and a URL."""
    lines = ["webhooks:"]
    for entry in entries:
        lines += [
            f"  - resource: {entry['resource']}",
            f"    name: {entry['name']}",
            f'    url: "{entry["url"]}"',
            "    eventTypes: [TELEMETRY_DATA, LIFECYCLE]",
            "    headers:",
            "      x-api-key: {secret: ingestKey}",
        ]
    return "\n".join(lines) + "\n"
