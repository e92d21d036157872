"""What the program's import line costs: ``pulumi_onence`` against the no-op provider's.

A Pulumi program imports ``pulumi`` anyway, so each sample is a fresh interpreter that imports
``pulumi`` first and then times only the line a stack program adds to use the provider
(``from pulumi_onence import EventType, Webhook, WebhookArgs``, as the benchmark's programs do).
The same is done for the no-op provider's line, so the difference is the part of the import
that is ours. Each sample also lists the top-level packages the line brought in, which says
why it costs what it costs (pydantic and requests are the heavy ones).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import programs

LINES = {
    "onence": programs.ONENCE_IMPORT,
    "noop": programs.NOOP_IMPORT,
    "onence_package": "import pulumi_onence",
}
#: Third-party packages whose presence after the import line is reported by name.
WATCHED = ("pydantic", "pydantic_core", "requests", "urllib3", "yaml", "grpc")

_SAMPLE = textwrap.dedent(
    """\
    import json, sys, time
    import pulumi
    before = {name.split(".")[0] for name in sys.modules}
    started = time.perf_counter()
    exec(compile(sys.argv[1], "<program>", "exec"), {})
    seconds = time.perf_counter() - started
    after = {name.split(".")[0] for name in sys.modules}
    print(json.dumps({"seconds": seconds, "new_packages": sorted(after - before)}))
    """
)


@dataclass
class ImportTiming:
    """Median and samples of one import line, with the packages it loads."""

    line: str
    samples_ms: list[float] = field(default_factory=list)
    new_packages: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def watched(self) -> list[str]:
        return [name for name in WATCHED if name in self.new_packages]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "median_ms": self.median_ms, "watched": self.watched}


def _sample(line: str, repo_root: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _SAMPLE, line],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"`{line}` failed in a fresh interpreter: {last}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(repo_root: Path, runs: int = 9) -> dict[str, Any]:
    """``runs`` fresh interpreters per line, interleaved so load changes hit every line alike."""
    timings = {key: ImportTiming(line) for key, line in LINES.items()}
    for _ in range(max(1, runs)):
        for timing in timings.values():
            sample = _sample(timing.line, repo_root)
            timing.samples_ms.append(float(sample["seconds"]) * 1000)
            timing.new_packages = list(sample["new_packages"])
    return {"runs": runs, "lines": {key: t.to_json() for key, t in timings.items()}}
