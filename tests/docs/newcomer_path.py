"""Time the newcomer path: `git clone`, then the quickstart's commands exactly as written.

Run from the repository root: `.venv/bin/python -m tests.docs.newcomer_path`. It clones this
checkout's committed HEAD into a temporary directory, runs the quickstart's blocks in one bash
process (the real `make venv engine` included, so a new virtualenv is built; the engine comes from
its cache), and prints the elapsed time after each block. It uses your HOME (pip's and the
engine's caches) and ~/.onence-quickstart, which it removes before and after; ports 8765 and 8766
must be free. The README's timings come from here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.docs.pages import DOC_PORTS, REPO, blocks, port_in_use

PAGE = REPO / "examples" / "quickstart" / "README.md"
MARKS = {"pulumi up --yes": "first webhook created", "onence test": "first test message received"}
TIMEOUT_S = 1800


def script(clone: Path) -> str:
    """The blocks, with a time stamp after each, behind `git clone`."""
    lines = [
        "set -e -o pipefail",
        'stamp() { echo "@@ $(date +%s.%N) $1"; }',
        "stamp start",
        f"git clone -q {REPO} {clone}",
        f"cd {clone}",
        "stamp 'git clone'",
    ]
    for block in blocks(PAGE):
        if block.skip_reason is None:
            label = next((m for c, m in MARKS.items() if c in block.code), f"line {block.lineno}")
            lines += [block.code, f"stamp {label!r}"]
    return "\n".join(lines) + "\n"


def main() -> int:
    busy = [p for p in DOC_PORTS if port_in_use(p)]
    if busy:
        print(f"ports {busy} are in use", file=sys.stderr)
        return 2
    state = Path.home() / ".onence-quickstart"
    shutil.rmtree(state, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "ONENCE_"))}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if ".venv" not in p)
    with tempfile.TemporaryDirectory(prefix="onence-newcomer-") as tmp:
        proc = subprocess.run(
            ["bash", "-c", script(Path(tmp) / "pulumi-onence")],
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    shutil.rmtree(state, ignore_errors=True)
    stamps = [line.split(" ", 2)[1:] for line in proc.stdout.splitlines() if line.startswith("@@")]
    start = float(stamps[0][0]) if stamps else 0.0
    for when, label in stamps[1:]:
        print(f"{float(when) - start:7.1f} s  {label}")
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
