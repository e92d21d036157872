"""Run a Markdown page's shell and Python blocks in order, as a newcomer would type them.

The blocks are read by pytest-codeblocks (`extract_from_file`), which also reads a page's
markers: `<!--pytest.mark.skip(reason="...")-->` before a block skips it (every skip must say
why), and `<!--pytest-codeblocks:cont-->` joins a block to the one before. pytest-codeblocks
runs each block in a fresh process from wherever pytest runs; a page, though, is one terminal
session (`cd` and `export` carry over, a server started with `&` keeps running for the next
block). So the blocks run here, one after the other, in ONE bash process in a copy of the
repository, with an environment that holds no Pulumi backend, passphrase or 1NCE credential:
the page has to set them up itself.

A block fails when any command in it fails (bash's ERR trap, with `pipefail`), as a newcomer
would see an error there; the page stops at its first failing block. Every process the page
started (its own process group) is stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_codeblocks import CodeBlock, extract_from_file

REPO = Path(__file__).resolve().parents[2]
RUNNABLE = {"sh": "sh", "bash": "bash", "python": "python"}
# What the pages use: the emulator (one documented address) and the quickstart's receiver.
DOC_PORTS = (8765, 8766)
BLOCK_TIMEOUT_S = 600.0
LOCK_FILE = Path("/tmp/pulumi-onence-docs.lock")
# Left out of the copy: the virtualenv is linked instead, the rest is local clutter.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".hypothesis", "*.egg-info", "build", "dist", ".pulumi*",
)  # fmt: skip
# Anything that would let a page work without setting up its own backend and credentials.
SCRUBBED_ENV = (
    "PULUMI_BACKEND_URL",
    "PULUMI_ACCESS_TOKEN",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "PULUMI_HOME",
    "PULUMI_STACK",
    "ONENCE_API_URL",
    "ONENCE_USERNAME",
    "ONENCE_PASSWORD",
    "ONENCE_EMULATOR_USERS",
    "VIRTUAL_ENV",
)


def pages() -> list[Path]:
    """Every page whose blocks must run: README.md, the examples', the pack's and docs/."""
    found = [REPO / "README.md", REPO / "policies" / "README.md"]
    found += sorted(REPO.glob("examples/*/README.md"))
    found += sorted(REPO.glob("docs/*.md"))
    return [page for page in found if page.is_file()]


@dataclass(frozen=True)
class Block:
    """One block to run (or skip, with the page's reason)."""

    page: Path
    lineno: int
    syntax: str
    code: str
    skip_reason: str | None

    @property
    def where(self) -> str:
        shown = self.page.relative_to(REPO) if self.page.is_relative_to(REPO) else self.page
        return f"{shown}:{self.lineno}"


def _skip_reason(block: CodeBlock) -> str | None:
    """The reason a marked block is skipped, with the markers read as pytest-codeblocks does."""
    for text in block.marks:
        mark = eval(text, {"sys": sys, "pytest": pytest}).mark  # noqa: S307 (the tool's own syntax)
        if mark.name == "skip":
            return str(mark.kwargs.get("reason") or (mark.args[0] if mark.args else ""))
        if mark.name == "skipif" and mark.args and mark.args[0]:
            return str(mark.kwargs.get("reason", ""))
    return None


def blocks(page: Path) -> list[Block]:
    """The page's shell and Python blocks, in order."""
    return [
        Block(page, b.lineno, RUNNABLE[b.syntax], b.code, _skip_reason(b))
        for b in extract_from_file(page)
        if b.syntax in RUNNABLE
    ]


def venv_out_of_date() -> list[str]:
    """The files `make venv` installs from that are newer than its stamp (Makefile's STAMP)."""
    stamp = REPO / ".venv" / ".installed"
    sources = [REPO / "pyproject.toml", REPO / "emulator" / "pyproject.toml"]
    if not stamp.exists():
        return [str(s.relative_to(REPO)) for s in sources]
    return [str(s.relative_to(REPO)) for s in sources if s.stat().st_mtime > stamp.stat().st_mtime]


class BlockFailedError(AssertionError):
    """A block of a page did not run as written."""


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _session_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    real_home = Path(os.environ.get("HOME") or Path.home())
    env.update(
        {
            # A fresh home: `pulumi login --local` and ~/.pulumi stay inside the test.
            "HOME": str(home),
            # ... but the engine built once stays where scripts/provide-engine.sh caches it.
            "ONENCE_ENGINE_CACHE": os.environ.get(
                "ONENCE_ENGINE_CACHE", str(real_home / ".cache" / "pulumi-onence" / "engine")
            ),
            # ... and the language host it installs names the real virtualenv's python, not
            # this copy's link to it (which is gone after the test).
            "ONENCE_HOST_BIN": str(REPO / ".venv" / "bin"),
            # ... and pip's download cache is the user's, as on a newcomer's machine.
            "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(real_home / ".cache" / "pip")),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "NO_COLOR": "1",
            "TERM": "dumb",
        }
    )
    return env


class PageSession:
    """One bash process in a copy of the repository; `run(block)` types a block into it."""

    def __init__(self, workdir: Path) -> None:
        stale = venv_out_of_date()
        if stale:
            # A page's `make venv` would then reinstall the project into the shared virtualenv
            # from this throw-away copy.
            raise RuntimeError(f"the virtualenv is older than {stale}: run `make venv` first")
        self.workdir = workdir
        self.repo = workdir / "repo"
        self.home = workdir / "home"
        self.meta = workdir / "session"
        for path in (self.home, self.meta):
            path.mkdir(parents=True)
        shutil.copytree(REPO, self.repo, ignore=NOT_COPIED, symlinks=True)
        # The pages' `make venv` must find the virtualenv up to date (and never reinstall the
        # project from this copy): the copy keeps the files' times, the venv is linked.
        (self.repo / ".venv").symlink_to(REPO / ".venv")
        self.failures = self.meta / "failures"
        self.failures.touch()
        self.count = 0
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=self.repo,
            env=_session_env(self.home),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._send(
            "set -E -o pipefail\n"
            f'trap \'printf "%s\\t%s\\n" "$?" "$BASH_COMMAND" >> {self.failures}\' ERR\n'
        )

    def _send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def run(self, block: Block, timeout: float = BLOCK_TIMEOUT_S) -> str:
        """Run one block in the session; its output, or `BlockFailedError` naming the command."""
        self.count += 1
        suffix = "py" if block.syntax == "python" else "sh"
        script = self.meta / f"block-{self.count}.{suffix}"
        script.write_text(block.code)
        output = self.meta / f"block-{self.count}.out"
        done = self.meta / f"block-{self.count}.done"
        command = f"python {script}" if block.syntax == "python" else f"source {script}"
        self._send(f"{{ {command} ; }} > {output} 2>&1 < /dev/null; echo $? > {done}\n")
        deadline = time.monotonic() + timeout
        while not done.exists():
            if self.process.poll() is not None:
                raise BlockFailedError(
                    self._report(block, output, "the shell exited (`exit` in a block?)")
                )
            if time.monotonic() > deadline:
                raise BlockFailedError(
                    self._report(block, output, f"still running after {timeout:.0f} s")
                )
            time.sleep(0.1)
        text = output.read_text(errors="replace") if output.exists() else ""
        failed = self.failures.read_text().strip()
        status = done.read_text().strip()
        if failed:
            code, _, cmd = failed.splitlines()[0].partition("\t")
            raise BlockFailedError(self._report(block, output, f"`{cmd}` exited {code}"))
        if block.syntax == "python" and status != "0":
            raise BlockFailedError(self._report(block, output, f"python exited {status}"))
        return text

    def _report(self, block: Block, output: Path, what: str) -> str:
        text = output.read_text(errors="replace") if output.exists() else ""
        tail = "\n".join(text.splitlines()[-60:])
        return (
            f"{block.where}: the {block.syntax} block does not run as written: {what}\n"
            f"--- the block\n{block.code}--- its output (last 60 lines)\n{tail}"
        )

    def close(self) -> None:
        """Stop the shell and everything the page started (its process group)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _group_alive(self.process.pid):
                self.process.poll()  # reap the shell, so only the page's own processes count
                time.sleep(0.1)
            if not _group_alive(self.process.pid):
                break
        self.process.wait(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
