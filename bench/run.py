"""Benchmark entry point (``make bench``): calls and wall time per phase, N webhooks.

First the program-side import time of ``pulumi_onence``. Then, for each size, the five phases
with three providers in the same run, interleaved: the dynamic provider (``pulumi_onence.Webhook``),
the ``onence`` provider plugin (``onence:index:Webhook``, from the same Python program) and the
no-op provider (the engine's floor), wall and CPU, judged against 1.1x of the floor; a plain
``requests`` loop making the same calls. At N = 100 the three also run with the emulator's
latency fault on every webhook API call (``--latency-ms``), where the dynamic provider's limit of
4 calls at once shows against the engine's ``--parallel``. Then the plugin probe over gRPC.
Prints the tables, writes ``bench/results/latest.json`` and the generated part of
``bench/RESULTS.md``.

Usage::

    make bench                                   # N = 10 and 100 (3 times each), 250
    make bench BENCH_ARGS="--quick"              # N = 10 once, no latency, short probe
    make bench BENCH_ARGS="--sizes 100 --repeat-small 3"
    .venv/bin/python -m bench.run --render bench/results/latest.json   # tables again, no run

N = 250 is there because 100 webhooks fit in one list page: only past a page does a refresh
that lists per webhook show its N x pages growth.

The engine (``pulumi``) must be on PATH, as ``make bench`` arranges.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onence_emulator.harness import EmulatorProcess

from bench import calls, engine_phases, grpc_probe, import_time, report
from bench.requests_loop import DirectLoop

REPO_ROOT = Path(__file__).resolve().parents[1]

RESULTS_MD = REPO_ROOT / "bench" / "RESULTS.md"
LATEST_JSON = REPO_ROOT / "bench" / "results" / "latest.json"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,250", help="webhook counts, comma-separated")
    parser.add_argument(
        "--repeat-small", type=int, default=3, help="repeats of the smallest size (noise)"
    )
    parser.add_argument(
        "--repeat-judged",
        type=int,
        default=3,
        help=f"repeats of N = {report.JUDGED_N}, the size judged against the no-op provider",
    )
    parser.add_argument("--repeat", type=int, default=1, help="repeats of the other sizes")
    parser.add_argument("--probe-calls", type=int, default=30, help="calls per kind in the probe")
    parser.add_argument("--no-probe", action="store_true", help="skip the gRPC probe")
    parser.add_argument(
        "--import-runs", type=int, default=9, help="fresh interpreters per import line"
    )
    parser.add_argument(
        "--variants",
        default="onence,noop,plugin",
        help="providers to run: onence (the dynamic provider), noop, plugin (the onence plugin)",
    )
    parser.add_argument(
        "--latency-ms",
        default=None,
        help=f"emulator latency per webhook API call, comma-separated (default 0,150,500; 0 with"
        f" --quick); other than 0 only at N = {report.JUDGED_N} (or the largest size when it is"
        " not run)",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=16,
        help="the engine's --parallel for every phase (0: the engine's default)",
    )
    parser.add_argument(
        "--no-checkpoint-probe",
        action="store_true",
        help="skip the no-op run without engine checkpoints at the largest size",
    )
    parser.add_argument("--quick", action="store_true", help="N=10 once, 10 probe calls")
    parser.add_argument("--no-write", action="store_true", help="print only; write no file")
    parser.add_argument("--json", type=Path, default=LATEST_JSON, help="results file")
    parser.add_argument(
        "--render", type=Path, metavar="JSON", help="re-render RESULTS.md from a results file"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat_small, args.repeat, args.probe_calls = "10", 1, 1, 10
        args.repeat_judged = 1
        args.import_runs = 3
        args.no_checkpoint_probe = True
        args.latency_ms = args.latency_ms or "0"
    args.latency_ms = args.latency_ms or "0,150,500"
    return args


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration):
        mem_kib = 0
    pulumi = shutil.which("pulumi")
    version = "pulumi not on PATH"
    if pulumi:
        proc = subprocess.run(
            [pulumi, "version"], capture_output=True, text=True, timeout=60, check=False
        )
        version = f"pulumi {proc.stdout.strip()}"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": mem_kib / 1024 / 1024,
        "python": platform.python_version(),
        "pulumi": version,
        "load_before": _load(),
    }


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _loop_run(
    emulator: EmulatorProcess, n: int, kind: str, phase_counts: dict[str, dict[str, int]]
) -> dict[str, Any]:
    """The requests loop through all phases (``kind``: same calls as ours, or the minimum)."""
    emulator.admin.reset()
    loop = DirectLoop(emulator.base_url, engine_phases.USER, engine_phases.PASSWORD)
    seconds: dict[str, float] = {}
    try:
        for phase in calls.PHASES:
            counts = phase_counts.get(phase) if kind == "same" else None
            seconds[phase] = loop.run(counts or calls.minimum(phase, n))
    finally:
        loop.close()
    return {"kind": kind, "n": n, "seconds": seconds}


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.render is not None:
        generated = report.render(json.loads(args.render.read_text()))
        print(generated)
        if not args.no_write:
            report.write_results_md(RESULTS_MD, generated, _template())
        return 0
    if shutil.which("pulumi") is None:
        print("bench: `pulumi` is not on PATH; run `make bench`", file=sys.stderr)
        return 2
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    variants = [v for v in args.variants.split(",") if v]
    latencies = sorted({int(x) for x in args.latency_ms.split(",") if x.strip()}) or [0]
    latency_n = report.JUDGED_N if report.JUDGED_N in sizes else sizes[-1]
    parallel = args.parallel or None
    started_wall = time.perf_counter()
    data: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": _machine(),
        "repeats": {},
        "parallel": parallel,
        "runs": [],
        "loops": [],
        "probe": None,
        "import_time": None,
    }
    _log(f"program-side import time ({args.import_runs} fresh interpreters per line)")
    data["import_time"] = import_time.measure(REPO_ROOT, args.import_runs)
    users = {engine_phases.USER: engine_phases.PASSWORD}
    with EmulatorProcess(users=users, time_scale=0.001) as emulator:
        for n in sizes:
            repeats = args.repeat
            if n == sizes[0]:
                repeats = args.repeat_small
            elif n == report.JUDGED_N:
                repeats = args.repeat_judged
            data["repeats"][str(n)] = repeats
            for attempt in range(1, repeats + 1):
                ours_counts: dict[str, dict[str, int]] = {}
                for latency in latencies if n == latency_n else [0]:
                    for variant in variants:
                        _log(
                            f"N={n} run {attempt}/{repeats}, latency {latency} ms:"
                            f" {variant} provider, five phases"
                        )
                        emulator.admin.reset()
                        run = engine_phases.run_variant(
                            variant,
                            n,
                            emulator.base_url,
                            emulator.admin,
                            latency_ms=latency,
                            parallel=parallel,
                        )
                        data["runs"].append(run.to_json())
                        if run.error:
                            _log(f"  {variant} failed: {run.error.splitlines()[0]}")
                        if variant == "onence" and not ours_counts:
                            ours_counts = {p.phase: p.calls for p in run.phases}
                _log(f"N={n} run {attempt}/{repeats}: requests loop")
                data["loops"].append(_loop_run(emulator, n, "same", ours_counts))
                data["loops"].append(_loop_run(emulator, n, "minimum", {}))
        if not args.no_checkpoint_probe:
            n = sizes[-1]
            _log(f"N={n}: noop provider without engine checkpoints, five phases")
            emulator.admin.reset()
            run = engine_phases.run_variant(
                "noop_skip_checkpoints", n, emulator.base_url, emulator.admin, parallel=parallel
            )
            data["runs"].append(run.to_json())
        if not args.no_probe:
            _log(f"plugin probe over gRPC ({args.probe_calls} calls per kind)")
            emulator.admin.reset()
            probe = grpc_probe.run_probe(
                emulator.base_url, engine_phases.USER, engine_phases.PASSWORD, args.probe_calls
            )
            data["probe"] = probe.to_json()
        emulator.admin.reset()
    data["machine"]["load_after"] = _load()
    data["duration_s"] = time.perf_counter() - started_wall
    data["repeats"] = ", ".join(f"N={n}: {r}" for n, r in data["repeats"].items())
    generated = report.render(data)
    print(generated)
    if not args.no_write:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2) + "\n")
        report.write_results_md(RESULTS_MD, generated, _template())
        _log(f"wrote {args.json} and bench/RESULTS.md")
    return 1 if any(r.get("error") for r in data["runs"]) else 0


def _template() -> str:
    return f"# Benchmarks\n\n{report.BEGIN}\n{report.END}\n"


if __name__ == "__main__":
    sys.exit(main())
