"""A `pulumi up` that dies of SIGKILL half way, as when a CI runner is killed.

Only the `pulumi` process is killed, like a kill -9 of the CLI: its plugins (the dynamic
provider's Python process among them) keep running and finish the creates they were given.
`stop_leftovers` ends them once the test has seen that, so no process of the test outlives it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import uuid
from pathlib import Path
from types import TracebackType

from onence_devtools.stack import PulumiStack
from onence_emulator.harness import wait_until

_MARKER_VARIABLE = "ONENCE_E2E_KILLED_RUN"


def _marked(marker: str) -> list[int]:
    """Live (non-zombie) processes whose environment carries ``marker``, from /proc.

    The engine starts each plugin in a process group of its own, and a killed engine's children
    are re-parented, so neither the group nor the parent finds them: the environment, which
    every process the run starts inherits, does.
    """
    needle = marker.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat = (entry / "stat").read_text()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        # The fields after the command (which may hold spaces) start after the last ')'.
        state = stat.rsplit(")", 1)[1].split()[0]
        if state != "Z" and needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


class KilledUp:
    """`pulumi up` started in the background, in a process group of its own."""

    def __init__(self, stack: PulumiStack, log_dir: Path) -> None:
        self.stack = stack
        self.stdout_path = log_dir / "killed-up.stdout"
        self.stderr_path = log_dir / "killed-up.stderr"
        self.process: subprocess.Popen[bytes] | None = None
        self.marker = uuid.uuid4().hex  # in the environment of every process of the run

    def start(self) -> KilledUp:
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [
                    self.stack.pulumi,
                    "up",
                    "--yes",
                    "--skip-preview",
                    "--stack",
                    self.stack.stack,
                    "--non-interactive",
                    "--color",
                    "never",
                ],
                cwd=self.stack.workdir,
                env={**self.stack.env, _MARKER_VARIABLE: self.marker},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill_engine(self) -> None:
        """SIGKILL the `pulumi` process only (its plugins are left running)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.stack.transcript.append(self.output())

    def leftovers(self) -> list[int]:
        """Processes the run started that still run (the engine's plugins, the program)."""
        return _marked(f"{_MARKER_VARIABLE}={self.marker}")

    def stop_leftovers(self) -> None:
        """SIGKILL the engine (if running) and every process it started; wait until gone."""
        if self.process is None:
            return
        if self.running:
            self.process.kill()
            self.process.wait(timeout=30)
        for pid in self.leftovers():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not self.leftovers(), timeout=30, interval=0.1)

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )

    def __enter__(self) -> KilledUp:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_leftovers()
