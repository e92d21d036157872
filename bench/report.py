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
            {int(r["n"]) for r in data["runs"] if r["variant"] in ("onence", "noop")}
        )

    def _runs(self, variant: str, n: int) -> list[Mapping[str, Any]]:
        return [r for r in self.data["runs"] if r["variant"] == variant and int(r["n"]) == n]

    def seconds(self, variant: str, n: int, phase: str) -> float | None:
        samples = [
            float(p["seconds"])
            for r in self._runs(variant, n)
            for p in r["phases"]
            if p["phase"] == phase
        ]
        return _median(samples)

    def cpu(self, variant: str, n: int, phase: str) -> float | None:
        samples = [
            float(p["cpu_seconds"])
            for r in self._runs(variant, n)
            for p in r["phases"]
            if p["phase"] == phase and "cpu_seconds" in p
        ]
        return _median(samples)

    def load(self, n: int) -> str:
        loads = [
            float(r["load_before"])
            for r in self.data["runs"]
            if int(r["n"]) == n and "load_before" in r
        ]
        return "n/a" if not loads else f"{min(loads):.1f} to {max(loads):.1f}"

    def counts(self, variant: str, n: int, phase: str) -> dict[str, int] | None:
        for run in self._runs(variant, n):
            for p in run["phases"]:
                if p["phase"] == phase:
                    return dict(p["calls"])
        return None

    def counts_vary(self, variant: str, n: int, phase: str) -> bool:
        seen = {
            tuple(sorted(p["calls"].items()))
            for r in self._runs(variant, n)
            for p in r["phases"]
            if p["phase"] == phase
        }
        return len(seen) > 1

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


def _verdict(wall: bool | None, cpu: bool | None) -> str:
    if wall is None or cpu is None:
        return "n/a"
    if wall and cpu:
        return "yes"
    over = [name for name, ok in (("wall", wall), ("CPU", cpu)) if not ok]
    return "no (" + ", ".join(over) + ")"


def phase_table(summary: Summary, n: int) -> list[str]:
    """Per phase: calls, then ours beside the no-op provider (wall and CPU), then the loops."""
    rows = []
    for phase in calls.PHASES:
        ours = summary.counts("onence", n, phase)
        need = calls.minimum(phase, n)
        t_ours = summary.seconds("onence", n, phase)
        t_noop = summary.seconds("noop", n, phase)
        c_ours = summary.cpu("onence", n, phase)
        c_noop = summary.cpu("noop", n, phase)
        t_loop = summary.loop_seconds("same", n, phase)
        t_min = summary.loop_seconds("minimum", n, phase)
        no_calls = ours is not None and calls.total(ours) == 0
        total = "n/a" if ours is None else str(calls.total(ours))
        if ours is not None and summary.counts_vary("onence", n, phase):
            total += " (varies)"
        minimum = str(calls.total(need))
        rows.append(
            [
                calls.PHASE_LABELS[phase],
                _calls_text(ours),
                total,
                minimum,
                _fmt_s(t_ours),
                _fmt_s(t_noop),
                _fmt_ratio(t_ours, t_noop, 2),
                _fmt_s(c_ours),
                _fmt_s(c_noop),
                _fmt_ratio(c_ours, c_noop, 2),
                _verdict(_within(t_ours, t_noop), _within(c_ours, c_noop)),
                _fmt_s(t_loop),
                _fmt_s(t_min),
                "n/a (no calls)" if no_calls else _fmt_ratio(t_ours, t_loop),
            ]
        )
    header = [
        "phase",
        "API calls (ours)",
        "total",
        "minimum",
        "ours s",
        "no-op provider s",
        "ours / no-op",
        "ours CPU s",
        "no-op CPU s",
        "ours / no-op CPU",
        f"within {TARGET_RATIO}x",
        "requests loop s (same calls)",
        "requests loop s (minimum calls)",
        "ours / loop",
    ]
    return _table(header, rows)


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
    """Per phase: calls, list calls and time at each size; ms per extra webhook between sizes."""
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
        "ours s",
        "ours CPU s",
        "no-op CPU s",
        *[f"ours ms per extra webhook {a}->{b}" for a, b in pairs],
        *[f"no-op ms per extra webhook {a}->{b}" for a, b in pairs],
    ]
    return _table(header, rows)


def findings(summary: Summary) -> list[str]:
    """Every phase whose calls exceed the minimum, by class; token and list growth checks."""
    lines = []
    for n in summary.sizes:
        for phase in calls.PHASES:
            ours = summary.counts("onence", n, phase)
            if ours is None:
                continue
            need = calls.minimum(phase, n)
            extra = {c: ours[c] - need[c] for c in _CALL_COLUMNS if ours[c] > need[c]}
            if extra:
                text = ", ".join(f"+{v} {calls.LABELS[c]}" for c, v in extra.items())
                lines.append(f"- N={n}, {calls.PHASE_LABELS[phase]}: {text} over the minimum.")
            if ours["token"] > 1:
                lines.append(
                    f"- N={n}, {calls.PHASE_LABELS[phase]}: {ours['token']} token requests in"
                    " one engine run (limit: 1)."
                )
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
    return lines or ["- Every phase made the minimum number of calls."]


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
                p["provider"],
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
    for variant in ("onence", "noop"):
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
        rows.append([variant, *per, marginal, "n/a" if cipher is None else str(cipher)])
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
