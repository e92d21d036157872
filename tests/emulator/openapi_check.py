"""A small checker of response bodies against 1NCE's published OpenAPI file (kept in data/).

It covers what that file uses: ``$ref``, types, ``required``, ``additionalProperties: false``,
``enum``, lengths, ``minItems``, ``minimum`` and ``format: date-time``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).parent / "data" / "1nce-cloud-integrator-openapi.yml"
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    response = _resolve(spec()["paths"][path][method.lower()]["responses"][str(status)])
    return _resolve(response["content"]["application/json"]["schema"])


def problems(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty when it conforms)."""
    schema = _resolve(schema)
    found: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        if isinstance(value, bool) and kind in ("integer", "number"):
            return [f"{where}: boolean where {kind} is expected"]
        if not isinstance(value, _TYPES[kind]):
            return [f"{where}: {type(value).__name__} where {kind} is expected"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            found.append(f"{where}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{where}: longer than {schema['maxLength']}")
        if schema.get("format") == "date-time" and not _DATE_TIME.match(value):
            found.append(f"{where}: {value!r} is not ISO-8601 UTC with milliseconds")
    if isinstance(value, (int, float)) and "minimum" in schema and value < schema["minimum"]:
        found.append(f"{where}: below {schema['minimum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            found.append(f"{where}: fewer than {schema['minItems']} items")
        for index, item in enumerate(value):
            found += problems(item, schema.get("items", {}), f"{where}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{where}: missing required {name!r}")
        for name, item in value.items():
            if name in properties:
                found += problems(item, properties[name], f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{where}: unexpected property {name!r}")
    return found


def assert_conforms(body: Any, path: str, method: str, status: int) -> None:
    found = problems(body, response_schema(path, method, status))
    assert not found, "\n".join(found)
