"""Did a stack converge? 1NCE's webhooks (the emulator's store) against the state's records.

A stack has converged when every declared webhook exists in 1NCE exactly once, with its
declared URL, and the state records each of them under its live id; anything else in 1NCE with
a declared name or URL is an orphan nobody would ever delete.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from onence_devtools.stack import PulumiStack

from tests.e2e.conftest import OnenceApi


@dataclass
class Convergence:
    """What is wrong, by kind; all empty when the stack has converged."""

    duplicates: dict[str, int] = field(default_factory=dict)  # declared name -> webhooks in 1NCE
    missing: list[str] = field(default_factory=list)  # declared, not in 1NCE
    orphans: list[str] = field(default_factory=list)  # "id name" in 1NCE, recorded by no state
    unrecorded: list[str] = field(default_factory=list)  # declared, absent from the state
    stale: list[str] = field(default_factory=list)  # "resource id" in state, gone from 1NCE
    wrong: list[str] = field(default_factory=list)  # recorded id whose name or URL differ

    @property
    def converged(self) -> bool:
        return not any(
            (self.duplicates, self.missing, self.orphans, self.unrecorded, self.stale, self.wrong)
        )


def recorded(stack: PulumiStack) -> dict[str, dict[str, Any]]:
    """The state's webhooks by name: ``{name: {"id", "url", "urn"}}`` (a name twice is kept twice
    as ``name#2``, so a double record is not hidden)."""
    result: dict[str, dict[str, Any]] = {}
    for resource in stack.resources():
        outputs = resource.get("outputs") or {}
        name = str(outputs.get("name"))
        key = name if name not in result else f"{name}#{len(result)}"
        result[key] = {"id": resource.get("id"), "url": outputs.get("url"), "urn": resource["urn"]}
    return result


def check(declared: list[dict[str, Any]], api: OnenceApi, stack: PulumiStack) -> Convergence:
    """Compare the declared webhooks with 1NCE (list + get-one per webhook) and the state."""
    want = {spec["name"]: spec["url"] for spec in declared}
    live = api.webhooks()
    by_id = {hook["id"]: hook for hook in live}
    names = Counter(hook["name"] for hook in live)
    state = recorded(stack)
    state_ids = {entry["id"] for entry in state.values()}
    result = Convergence()
    result.duplicates = {name: n for name, n in names.items() if n > 1}
    result.missing = sorted(name for name in want if names[name] == 0)
    result.orphans = sorted(
        f"{hook['id']} {hook['name']}" for hook in live if hook["id"] not in state_ids
    )
    result.unrecorded = sorted(name for name in want if name not in state)
    for name, entry in sorted(state.items()):
        hook = by_id.get(entry["id"])
        if hook is None:
            result.stale.append(f"{entry['urn'].rsplit('::', 1)[-1]} {entry['id']}")
            continue
        url = api.get(entry["id"]).get("url")
        if hook["name"] != name or name not in want or url != want[name] or entry["url"] != url:
            result.wrong.append(f"{entry['id']}: state {name!r}, 1NCE {hook['name']!r} at {url}")
    return result
