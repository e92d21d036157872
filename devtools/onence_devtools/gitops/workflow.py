"""A GitHub Actions workflow as the pipeline player reads it: what each step's process gets.

GitHub builds a step's environment from the workflow's ``env:``, then the job's, then the step's
(a later level wins), with every ``${{ ... }}`` expression evaluated: ``secrets.NAME`` and
``vars.NAME`` from the GitHub environment the job names (a secret it does not hold is the empty
string), ``inputs.NAME`` from the event (none on a schedule). The player gives a runner's
commands exactly that, so a secret the workflow hands only to one step reaches no other, and a
secret it forgets to hand a step is missing there as it would be on GitHub.

The expressions understood are the ones the example workflows use: context references, string,
boolean and null literals, ``!``, ``==``, ``!=``, ``&&``, ``||`` and parentheses. Anything else
fails loudly rather than being guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "Environment",
    "ExpressionError",
    "Workflow",
    "evaluate",
    "step_key",
]

Value = str | bool | None

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\))"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.-]*))"
)


class ExpressionError(ValueError):
    """An expression the player does not understand (it never guesses)."""


@dataclass(frozen=True)
class Environment:
    """A GitHub environment: the secrets and variables a job that names it may read."""

    secrets: Mapping[str, str] = field(default_factory=dict)
    vars: Mapping[str, str] = field(default_factory=dict)


def _truthy(value: Value) -> bool:
    return value not in (None, False, "")


def _text(value: Value) -> str:
    """A value as GitHub puts it into an environment variable."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def evaluate(expression: str, contexts: Mapping[str, Mapping[str, Any]]) -> Value:
    """The value of one expression (the text between ``${{`` and ``}}``)."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = expression.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"cannot read {text!r} at {text[position:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1

    index = 0

    def peek() -> tuple[str, str] | None:
        return tokens[index] if index < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal index
        if index >= len(tokens):
            raise ExpressionError(f"{text!r} ends too soon")
        index += 1
        return tokens[index - 1]

    def binary(operand: Callable[[], Value], operator: str) -> Callable[[], Value]:
        def parse() -> Value:
            left = operand()
            while peek() == ("op", operator):
                take()
                right = operand()
                if operator == "||":
                    left = left if _truthy(left) else right
                elif operator == "&&":
                    left = right if _truthy(left) else left
                elif operator == "==":
                    left = left == right
                else:
                    left = left != right
            return left

        return parse

    def unary() -> Value:
        kind, value = take()
        if (kind, value) == ("op", "!"):
            return not _truthy(unary())
        if (kind, value) == ("op", "("):
            inner = disjunction()
            if take() != ("op", ")"):
                raise ExpressionError(f"unbalanced parentheses in {text!r}")
            return inner
        if kind == "string":
            return value[1:-1].replace("''", "'")
        if kind == "word":
            if value in ("true", "false"):
                return value == "true"
            if value == "null":
                return None
            context, _, name = value.partition(".")
            if context not in contexts or not name or "." in name:
                raise ExpressionError(f"unknown reference {value!r} in {text!r}")
            found: Value = contexts[context].get(name)
            return found
        raise ExpressionError(f"unexpected {value!r} in {text!r}")

    equality = binary(binary(unary, "=="), "!=")
    disjunction = binary(binary(equality, "&&"), "||")
    result = disjunction()
    if index != len(tokens):
        raise ExpressionError(f"unexpected {tokens[index][1]!r} in {text!r}")
    return result


def step_key(step: Mapping[str, Any]) -> str:
    """How `Workflow.step_envs` names a step: its ``id``, else its ``name``, else its ``uses``."""
    return str(step.get("id") or step.get("name") or step.get("uses"))


def _interpolate(value: object, contexts: Mapping[str, Mapping[str, Any]]) -> str:
    """A workflow value with every ``${{ ... }}`` replaced by its value, as text."""
    text = _text(value) if isinstance(value, (str, bool, type(None))) else str(value)
    return _EXPRESSION.sub(lambda m: _text(evaluate(m.group(1), contexts)), text)


class Workflow:
    """One workflow file, parsed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        document: dict[Any, Any] = yaml.safe_load(path.read_text())
        document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads `on` as True
        self.document = document

    def job(self, name: str) -> dict[str, Any]:
        job: dict[str, Any] = self.document["jobs"][name]
        return job

    def step_env(
        self,
        job: str,
        step: dict[str, Any],
        environments: Mapping[str, Environment],
        *,
        repository_vars: Mapping[str, str] | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> dict[str, str]:
        """The variables the workflow sets for ``step`` of ``job``, evaluated as GitHub does.

        ``environments``: the GitHub environments by name; the job reads the secrets (and the
        variables, over ``repository_vars``) of the one it names, and none without one.
        """
        spec = self.job(job)
        environment = environments.get(str(spec.get("environment", "")), Environment())
        contexts: dict[str, Mapping[str, Any]] = {
            "secrets": environment.secrets,
            "vars": {**(repository_vars or {}), **environment.vars},
            "inputs": inputs or {},
        }
        env: dict[str, str] = {}
        for level in (self.document.get("env"), spec.get("env"), step.get("env")):
            for name, value in (level or {}).items():
                env[str(name)] = _interpolate(value, contexts)
        return env

    def step_envs(
        self,
        job: str,
        environments: Mapping[str, Environment],
        *,
        repository_vars: Mapping[str, str] | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> dict[str, dict[str, str]]:
        """Every step's variables, by the step's ``id``, else its ``name``, else its ``uses``."""
        envs: dict[str, dict[str, str]] = {}
        for step in self.job(job)["steps"]:
            key = step_key(step)
            if key in envs:
                raise AssertionError(f"{self.path.name}: two steps of {job} are called {key!r}")
            envs[key] = self.step_env(
                job, step, environments, repository_vars=repository_vars, inputs=inputs
            )
        return envs
