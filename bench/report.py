"""Figures to tables: the generated part of ``bench/RESULTS.md`` (also printed by a run).

The generated part sits between two markers, so the hand-written interpretation around it
survives a re-run.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench import calls

BEGIN = "<!-- results:begin (written by bench/run.py) -->"
END = "<!-- results:end -->"
_CALL_COLUMNS = ("token", "list", "get", "post", "patch", "delete", "other")
#: The bound on ours / no-op (wall and CPU) that the benchmark judges each phase against.
TARGET_RATIO = 1.1
#: The size at which the provider is judged against the no-op provider (repeated for noise).
JUDGED_N = 100
#: With latency, the plugin's first up and destroy should take at most this times the floor
#: (the no-op provider's time plus N x latency / parallel) ...
LATENCY_FLOOR_RATIO = 1.3
#: ... and be at least this much faster than the dynamic provider's (4 calls at once).
LATENCY_SPEEDUP = 1.7
#: The providers that call 1NCE, as the tables name them.
PROVIDERS = {"onence": "dynamic", "plugin": "plugin"}
#: The phases whose calls can run side by side (a no-op up makes none).
CALLING_PHASES = ("up", "refresh", "update", "destroy")


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _fmt_ratio(a: float | None, b: float | None, digits: int = 1) -> str:
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.{digits}f}x"


def _within(a: float | None, b: float | None) -> bool | None:
    if a is None or b is None or b <= 0:
        return None
    return a / b <= TARGET_RATIO


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _calls_text(counts: Mapping[str, int] | None) -> str:
    if counts is None:
        return "n/a"
    parts = [f"{calls.LABELS[c]} {counts[c]}" for c in _CALL_COLUMNS if counts.get(c)]
    if counts.get("errors"):
        parts.append(f"non-2xx {counts['errors']}")
    return ", ".join(parts) or "none"


class Summary:
    """Medians over repeats, per size, variant and phase."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.sizes: list[int] = sorted(
            {
                int(r["n"])
                for r in data["runs"]
                if r["variant"] in ("onence", "noop", "plugin") and _latency(r) == 0
            }
        )
        self.providers = [v for v in PROVIDERS if any(r["variant"] == v for r in data["runs"])]

    def _runs(self, variant: str, n: int, latency: int = 0) -> list[Mapping[str, Any]]:
        return [
            r
            for r in self.data["runs"]
            if r["variant"] == variant and int(r["n"]) == n and _latency(r) == latency
        ]

    def latencies(self, n: int) -> list[int]:
        return sorted({_latency(r) for r in self.data["runs"] if int(r["n"]) == n})

    def parallel(self, n: int, latency: int) -> int | None:
        found = {r.get("parallel") for r in self._runs("noop", n, latency)}
        return found.pop() if len(found) == 1 else None

    def seconds(self, variant: str, n: int, phase: str, latency: int = 0) -> float | None:
        samples = [
            float(p["seconds"])
            for r in self._runs(variant, n, latency)
            for p in r["phases"]
            if p["phase"] == phase
        ]
        return _median(samples)

    def cpu(self, variant: str, n: int, phase: str, latency: int = 0) -> float | None:
        samples = [
            float(p["cpu_seconds"])
            for r in self._runs(variant, n, latency)
            for p in r["phases"]
            if p["phase"] == phase and "cpu_seconds" in p
        ]
        return _median(samples)

    def peak(self, variant: str, n: int, phase: str, latency: int) -> str:
        """The most calls held at once in the emulator (highest over the repeats)."""
        peaks = [
            int(p["peak_at_once"])
            for r in self._runs(variant, n, latency)
            for p in r["phases"]
            if p["phase"] == phase and p.get("peak_at_once") is not None
        ]
        return str(max(peaks)) if peaks else "n/a"

    def load(self, n: int, latency: int = 0) -> str:
        loads = [
            float(r["load_before"])
            for r in self.data["runs"]
            if int(r["n"]) == n and _latency(r) == latency and "load_before" in r
        ]
        return "n/a" if not loads else f"{min(loads):.1f} to {max(loads):.1f}"

    def counts(self, variant: str, n: int, phase: str, latency: int = 0) -> dict[str, int] | None:
        for run in self._runs(variant, n, latency):
            for p in run["phases"]:
                if p["phase"] == phase:
                    return dict(p["calls"])
        return None

    def counts_vary(self, variant: str, n: int, phase: str, latency: int = 0) -> bool:
        seen = {
            tuple(sorted(p["calls"].items()))
            for r in self._runs(variant, n, latency)
            for p in r["phases"]
            if p["phase"] == phase
        }
        return len(seen) > 1

    def floor(self, n: int, phase: str, latency: int) -> float | None:
        """The no-op provider's time plus the least time the latency adds: N x latency /
        parallel for the writes (every call waits once, ``parallel`` at a time), one wait per
        list page for a refresh (the pages come one after another; the token is not delayed)."""
        noop = self.seconds("noop", n, phase, latency)
        parallel = self.parallel(n, latency)
        if noop is None or (latency and parallel is None):
            return None
        if phase == "refresh":
            return noop + calls.list_pages(n) * latency / 1000
        waits = calls.total(calls.minimum(phase, n)) - calls.minimum(phase, n)["token"]
        return noop + (waits * latency / 1000 / parallel if latency and parallel else 0.0)

    def loop_seconds(self, kind: str, n: int, phase: str) -> float | None:
        samples = [
            float(loop["seconds"][phase])
            for loop in self.data["loops"]
            if loop["kind"] == kind and int(loop["n"]) == n and phase in loop["seconds"]
        ]
        return _median(samples)

    def errors(self) -> list[str]:
        return [
            f"{r['variant']} N={r['n']}: {r['error']}" for r in self.data["runs"] if r.get("error")
        ]

    def first(self, variant: str, n: int, key: str) -> Any:
        for run in self._runs(variant, n):
            if run.get(key) is not None:
                return run[key]
        return None


def _latency(run: Mapping[str, Any]) -> int:
    return int(run.get("latency_ms") or 0)


def _verdict(wall: bool | None, cpu: bool | None) -> str:
    if wall is None or cpu is None:
        return "n/a"
    if wall and cpu:
        return "yes"
    over = [name for name, ok in (("wall", wall), ("CPU", cpu)) if not ok]
    return "no (" + ", ".join(over) + ")"


def phase_table(summary: Summary, n: int) -> list[str]:
    """Per phase and provider: calls, then beside the no-op provider (wall and CPU), then
    against the no-op provider plus the HTTP the phase needs (the loop's minimum calls)."""
    rows = []
    for phase in calls.PHASES:
        need = calls.minimum(phase, n)
        t_noop = summary.seconds("noop", n, phase)
        c_noop = summary.cpu("noop", n, phase)
        t_loop = summary.loop_seconds("same", n, phase)
        t_min = summary.loop_seconds("minimum", n, phase)
        t_http = None if t_noop is None or t_min is None else t_noop + t_min
        for variant in summary.providers:
            ours = summary.counts(variant, n, phase)
            t_ours = summary.seconds(variant, n, phase)
            c_ours = summary.cpu(variant, n, phase)
            no_calls = ours is not None and calls.total(ours) == 0
            total = "n/a" if ours is None else str(calls.total(ours))
            if ours is not None and summary.counts_vary(variant, n, phase):
                total += " (varies)"
            rows.append(
                [
                    calls.PHASE_LABELS[phase],
                    PROVIDERS[variant],
                    _calls_text(ours),
                    total,
                    str(calls.total(need)),
                    _fmt_s(t_ours),
                    _fmt_s(t_noop),
                    _fmt_ratio(t_ours, t_noop, 2),
                    _fmt_s(c_ours),
                    _fmt_s(c_noop),
                    _fmt_ratio(c_ours, c_noop, 2),
                    _verdict(_within(t_ours, t_noop), _within(c_ours, c_noop)),
                    _fmt_ratio(t_ours, t_http, 2),
                    _fmt_s(t_loop),
                    _fmt_s(t_min),
                    "n/a (no calls)" if no_calls else _fmt_ratio(t_ours, t_loop),
                ]
            )
    header = [
        "phase",
        "provider",
        "API calls",
        "total",
        "minimum",
        "s",
        "no-op provider s",
        "/ no-op",
        "CPU s",
        "no-op CPU s",
        "/ no-op CPU",
        f"within {TARGET_RATIO}x",
        "/ (no-op + HTTP)",
        "requests loop s (same calls)",
        "requests loop s (minimum calls)",
        "/ loop",
    ]
    return _table(header, rows)


def latency_table(summary: Summary, n: int) -> list[str]:
    """Every latency side by side: calls, wall against the floor (the no-op provider plus the
    least wait the latency adds), the dynamic provider against the plugin, and CPU."""
    rows = []
    for latency in summary.latencies(n):
        for phase in CALLING_PHASES:
            floor = summary.floor(n, phase, latency)
            t_dyn = summary.seconds("onence", n, phase, latency)
            t_plug = summary.seconds("plugin", n, phase, latency)
            rows.append(
                [
                    str(latency),
                    calls.PHASE_LABELS[phase],
                    _calls_text(summary.counts("onence", n, phase, latency)),
                    _calls_text(summary.counts("plugin", n, phase, latency)),
                    _fmt_s(t_dyn),
                    _fmt_s(t_plug),
                    _fmt_s(summary.seconds("noop", n, phase, latency)),
                    _fmt_s(floor),
                    f"{summary.peak('onence', n, phase, latency)}"
                    f" / {summary.peak('plugin', n, phase, latency)}",
                    _fmt_ratio(t_dyn, floor, 2),
                    _fmt_ratio(t_plug, floor, 2),
                    _fmt_ratio(t_dyn, t_plug, 2),
                    _fmt_s(summary.cpu("onence", n, phase, latency)),
                    _fmt_s(summary.cpu("plugin", n, phase, latency)),
                    _fmt_s(summary.cpu("noop", n, phase, latency)),
                ]
            )
    header = [
        "latency ms",
        "phase",
        "calls: dynamic",
        "calls: plugin",
        "dynamic s",
        "plugin s",
        "no-op s",
        "floor s",
        "calls at once: dynamic / plugin",
        "dynamic / floor",
        "plugin / floor",
        "dynamic / plugin",
        "dynamic CPU s",
        "plugin CPU s",
        "no-op CPU s",
    ]
    return _table(header, rows)


def latency_verdicts(summary: Summary, n: int) -> list[str]:
    """The targets with latency, computed: at the largest latency the plugin's first up and
    destroy within 1.3x of the floor and 1.7x faster than the dynamic provider; and per
    latency, whether each front door's refresh is within 1.1x of the floor plus its HTTP."""
    lines = []
    latency = max(summary.latencies(n))
    if latency:
        for phase in ("up", "destroy"):
            floor = summary.floor(n, phase, latency)
            t_plug = summary.seconds("plugin", n, phase, latency)
            t_dyn = summary.seconds("onence", n, phase, latency)
            if floor is None or t_plug is None or t_dyn is None:
                lines.append(f"- {calls.PHASE_LABELS[phase]} at {latency} ms: not measured.")
                continue
            near = t_plug / floor <= LATENCY_FLOOR_RATIO
            fast = t_dyn / t_plug >= LATENCY_SPEEDUP
            lines.append(
                f"- {calls.PHASE_LABELS[phase]} at {latency} ms: plugin {t_plug:.2f} s against"
                f" the floor {floor:.2f} s = {t_plug / floor:.2f}x"
                f" ({'within' if near else 'over'} {LATENCY_FLOOR_RATIO}x); the dynamic provider"
                f" {t_dyn:.2f} s = {t_dyn / t_plug:.2f}x the plugin's"
                f" ({'at least' if fast else 'under'} {LATENCY_SPEEDUP}x)."
            )
    t_min = summary.loop_seconds("minimum", n, "refresh")
    for lat in summary.latencies(n):
        floor = summary.floor(n, "refresh", lat)
        if floor is None or t_min is None:
            continue
        parts = []
        for variant in summary.providers:
            t = summary.seconds(variant, n, "refresh", lat)
            if t is not None:
                ratio = t / (floor + t_min)
                verdict = "within" if ratio <= TARGET_RATIO else "over"
                parts.append(f"{PROVIDERS[variant]} {t:.2f} s = {ratio:.2f}x ({verdict})")
        lines.append(
            f"- refresh at {lat} ms against the floor plus its HTTP"
            f" ({floor:.2f} + {t_min:.2f} s): {'; '.join(parts)}."
        )
    return lines


def import_table(measured: Mapping[str, Any] | None) -> list[str]:
    """The program-side import line of ours against the no-op provider's (fresh interpreters)."""
    if not measured:
        return ["(not run)"]
    lines = measured["lines"]
    header = ["import line (after `import pulumi`)", "median ms", "min ms", "max ms", "loads"]
    rows = []
    for key in ("onence", "onence_package", "noop"):
        item = lines.get(key)
        if item is None:
            continue
        samples = item["samples_ms"]
        watched = ", ".join(item["watched"]) or "no pydantic, no requests"
        rows.append(
            [
                f"`{item['line']}`",
                f"{item['median_ms']:.1f}",
                f"{min(samples):.1f}",
                f"{max(samples):.1f}",
                watched,
            ]
        )
    out = _table(header, rows)
    ours, noop = lines.get("onence"), lines.get("noop")
    if ours is not None and noop is not None:
        out.append("")
        out.append(
            f"Median of {measured['runs']} fresh interpreters each, interleaved. The program's"
            f" import of `pulumi_onence` costs {ours['median_ms'] - noop['median_ms']:.0f} ms"
            " more than the no-op provider's; a Pulumi run pays it once in the program (and the"
            ' plugin pays its own import at its first call: "first Check" below).'
        )
    return out


def growth_table(summary: Summary) -> list[str]:
    """The dynamic provider per phase: calls, list calls and time at each size; ms per extra
    webhook between sizes."""
    sizes = summary.sizes
    pairs = list(itertools.pairwise(sizes))
    rows = []
    for phase in calls.PHASES:
        counts = [summary.counts("onence", n, phase) for n in sizes]
        row = [
            calls.PHASE_LABELS[phase],
            " / ".join("n/a" if c is None else str(calls.total(c)) for c in counts),
            " / ".join("n/a" if c is None else str(c["list"]) for c in counts),
            " / ".join(_fmt_s(summary.seconds("onence", n, phase)) for n in sizes),
            " / ".join(_fmt_s(summary.cpu("onence", n, phase)) for n in sizes),
            " / ".join(_fmt_s(summary.cpu("noop", n, phase)) for n in sizes),
        ]
        for variant in ("onence", "noop"):
            for a, b in pairs:
                t_a, t_b = summary.seconds(variant, a, phase), summary.seconds(variant, b, phase)
                row.append(
                    "n/a" if t_a is None or t_b is None else f"{(t_b - t_a) / (b - a) * 1000:.0f}"
                )
        rows.append(row)
    sizes_text = " / ".join(str(n) for n in sizes)
    header = [
        "phase",
        f"calls (N = {sizes_text})",
        "list calls",
        "dynamic s",
        "dynamic CPU s",
        "no-op CPU s",
        *[f"dynamic ms per extra webhook {a}->{b}" for a, b in pairs],
        *[f"no-op ms per extra webhook {a}->{b}" for a, b in pairs],
    ]
    return _table(header, rows)


def findings(summary: Summary) -> list[str]:
    """Every phase whose calls exceed the minimum, by class; token and list growth checks."""
    lines = []
    for n in summary.sizes:
        for latency, phase, variant in itertools.product(
            summary.latencies(n), calls.PHASES, summary.providers
        ):
            ours = summary.counts(variant, n, phase, latency)
            if ours is None:
                continue
            where = f"N={n}, {latency} ms, {PROVIDERS[variant]}, {calls.PHASE_LABELS[phase]}"
            need = calls.minimum(phase, n)
            extra = {c: ours[c] - need[c] for c in _CALL_COLUMNS if ours[c] > need[c]}
            if extra:
                text = ", ".join(f"+{v} {calls.LABELS[c]}" for c, v in extra.items())
                lines.append(f"- {where}: {text} over the minimum.")
            if ours["token"] > 1:
                lines.append(
                    f"- {where}: {ours['token']} token requests in one engine run (limit: 1)."
                )
            if summary.counts_vary(variant, n, phase, latency):
                lines.append(f"- {where}: the calls differed between repeats.")
    refresh = [(n, summary.counts("onence", n, "refresh")) for n in summary.sizes]
    known = [(n, c) for n, c in refresh if c is not None]
    if len(known) >= 2:
        per_webhook = [c["list"] / n for n, c in known]
        text = ", ".join(f"{c['list']} at N={n}" for n, c in known)
        per_text = " / ".join(f"{x:.2f}" for x in per_webhook)
        if per_webhook[-1] > 1.5 * max(per_webhook[0], 1e-9):
            verdict = "list calls per webhook grow with N: refresh is quadratic in list calls"
        elif per_webhook[-1] >= 0.5:
            verdict = (
                "about one list request per webhook: linear while one page holds every"
                " integration, quadratic (N x pages) beyond"
            )
        else:
            verdict = "list calls do not grow with N per webhook"
        lines.append(f"- refresh list calls: {text} (per webhook {per_text}): {verdict}.")
    return lines or [
        "- Every phase of every provider made the minimum number of calls, the same in every"
        " repeat and at every latency."
    ]


def probe_table(probe: Mapping[str, Any] | None) -> list[str]:
    if not probe:
        return ["(not run)"]
    lines: list[str] = []
    header = [
        "provider",
        "`__provider` chars",
        "first Check ms",
        "Check ms",
        "Diff ms",
        "Create ms",
        "Create - HTTP ms",
        "Delete ms",
        "Delete - HTTP ms",
        "unpickle ms",
        "configure ms",
        "check() ms",
        "diff() ms",
    ]
    rows = []
    http_create, http_delete = float(probe["http_create_ms"]), float(probe["http_delete_ms"])
    for p in probe["providers"]:
        real = p["provider"] == "onence"
        rows.append(
            [
                PROVIDERS.get(p["provider"], p["provider"]),
                str(p["provider_chars"]),
                f"{p['first_check_ms']:.1f}",
                f"{p['check_ms']:.2f}",
                f"{p['diff_ms']:.2f}",
                f"{p['create_ms']:.2f}",
                f"{p['create_ms'] - http_create:.2f}" if real else "(no HTTP)",
                f"{p['delete_ms']:.2f}",
                f"{p['delete_ms'] - http_delete:.2f}" if real else "(no HTTP)",
                f"{p['unpickle_ms']:.3f}",
                f"{p['configure_ms']:.3f}",
                f"{p['check_method_ms']:.3f}",
                f"{p['diff_method_ms']:.3f}",
            ]
        )
    lines += _table(header, rows)
    lines.append("")
    lines.append(
        f"Plugin start to ready (port printed, channel connected): "
        f"{probe['plugin_start_ms']:.0f} ms. Plain `requests` on one"
        f" keep-alive session: POST {http_create:.2f} ms, DELETE {http_delete:.2f} ms (median"
        f" of {probe['calls']})."
    )
    if probe.get("error"):
        lines.append(f"Probe error: {probe['error']}")
    return lines


def size_table(summary: Summary) -> list[str]:
    rows = []
    for variant in ("onence", "plugin", "noop"):
        if not any(r["variant"] == variant for r in summary.data["runs"]):
            continue
        per = []
        for n in summary.sizes:
            state = summary.first(variant, n, "state_bytes")
            per.append("n/a" if state is None else f"{state / n:.0f}")
        marginal = "n/a"
        if len(summary.sizes) >= 2:
            small, large = summary.sizes[0], summary.sizes[-1]
            s_small = summary.first(variant, small, "state_bytes")
            s_large = summary.first(variant, large, "state_bytes")
            if s_small is not None and s_large is not None:
                marginal = f"{(s_large - s_small) / (large - small):.0f}"
        cipher = summary.first(variant, summary.sizes[-1], "provider_ciphertext_chars")
        label = PROVIDERS.get(variant, variant)
        rows.append([label, *per, marginal, "n/a" if cipher is None else str(cipher)])
    header = [
        "provider",
        *[f"state bytes / webhook (N={n})" for n in summary.sizes],
        "bytes per extra webhook",
        "`__provider` in state (chars)",
    ]
    return _table(header, rows)


def checkpoint_table(summary: Summary) -> list[str]:
    """The no-op provider with and without the engine's per-step state checkpoints."""
    variant = "noop_skip_checkpoints"
    sizes = sorted({int(r["n"]) for r in summary.data["runs"] if r["variant"] == variant})
    if not sizes:
        return ["(not run)"]
    n = sizes[-1]
    rows = []
    for phase in calls.PHASES:
        rows.append(
            [
                calls.PHASE_LABELS[phase],
                _fmt_s(summary.seconds("noop", n, phase)),
                _fmt_s(summary.cpu("noop", n, phase)),
                _fmt_s(summary.seconds(variant, n, phase)),
                _fmt_s(summary.cpu(variant, n, phase)),
            ]
        )
    header = [
        f"phase (N = {n}, no-op provider)",
        "with checkpoints s",
        "CPU s",
        "PULUMI_SKIP_CHECKPOINTS=true s",
        "CPU s",
    ]
    return _table(header, rows)


def render(data: Mapping[str, Any]) -> str:
    """The generated Markdown: machine, per-size tables, growth, findings, probe, sizes."""
    summary = Summary(data)
    machine = data["machine"]
    out = [
        f"Run {data['started']} ({data['duration_s']:.0f} s), command `{data['command']}`.",
        f"Machine: {machine['cores']} cores, {machine['cpu']}, {machine['memory_gib']:.0f} GiB;"
        f" load average {machine['load_before']} before, {machine['load_after']} after;"
        f" Python {machine['python']}, {machine['pulumi']}.",
        f"Repeats: {data['repeats']} (times are medians; calls are from one run and flagged"
        " where repeats differed).",
        "",
    ]
    for n in summary.sizes:
        out.append(f"### N = {n} webhooks")
        out.append("")
        out.append(f"Load average (1 min) at the start of each engine run: {summary.load(n)}.")
        out.append("")
        out += phase_table(summary, n)
        out.append("")
    for n in summary.sizes:
        if len(summary.latencies(n)) < 2:
            continue
        parallel = summary.parallel(n, max(summary.latencies(n)))
        out.append(f"### N = {n} webhooks with latency, --parallel {parallel or 'default'}")
        out.append("")
        loads = ", ".join(f"{lat} ms: {summary.load(n, lat)}" for lat in summary.latencies(n))
        out.append(f"Load average (1 min) at the start of each engine run: {loads}.")
        out.append(
            "The latency is the emulator's `latency` fault on every webhook API call (paths"
            " under `/v1/`), not the token endpoint. Floor: the no-op provider's time plus"
            " N x latency / parallel (writes) or one latency per list page (refresh). Calls at"
            " once: the most webhook calls the emulator held at the same time (from its call"
            " log), highest over the repeats."
        )
        out.append("")
        out += latency_table(summary, n)
        out.append("")
        out += latency_verdicts(summary, n)
        out.append("")
    if len(summary.sizes) >= 2:
        out.append("### Growth with N")
        out.append("")
        out += growth_table(summary)
        out.append("")
    out.append("### Program-side import time")
    out.append("")
    out += import_table(data.get("import_time"))
    out.append("")
    out.append("### Calls over the minimum (computed)")
    out.append("")
    out += findings(summary)
    errors = summary.errors()
    if errors:
        out.append("")
        out.append("### Failures")
        out.append("")
        out += ["```", *errors, "```"]
    out.append("")
    out.append("### Engine checkpoints (file backend)")
    out.append("")
    out += checkpoint_table(summary)
    out.append("")
    out.append("### Provider process overhead per call (plugin over gRPC)")
    out.append("")
    out += probe_table(data.get("probe"))
    out.append("")
    out.append("### State size")
    out.append("")
    out += size_table(summary)
    return "\n".join(out) + "\n"


def write_results_md(path: Path, generated: str, template: str) -> None:
    """Replace the generated part of ``path`` (or write ``template`` with it)."""
    text = path.read_text() if path.exists() else template
    if BEGIN not in text or END not in text:
        text = template
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{generated}{END}{tail}")
