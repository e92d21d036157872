"""The fleet file: webhooks declared in YAML, as ``examples/fleet`` and the root project read it.

``onence import`` reads it (which webhooks are declared, which resource names are taken) and
appends to it. The format, one entry per webhook::

    webhooks:
      - resource: telemetry            # the Pulumi resource name
        name: fleet-telemetry          # the 1NCE name (optional: auto-named)
        adoptId: Jv2cS-pPcy0NdtQ64ycZJ # optional: take over this existing webhook, no write
        url: "https://ingest.example.com/1nce?iccid=:iccid:"
        eventTypes: [TELEMETRY_DATA]
        jsonPayloadEnabled: true
        headers:
          x-api-key: {secret: telemetryKey}   # read from the stack's secret config
          x-source: 1nce                      # a plain value

Which file a stack uses: its config ``webhooksFile`` (or the project's default for it in
``Pulumi.yaml``), relative to the project directory; ``webhooks.yaml`` there otherwise.
PyYAML comes with the Pulumi SDK.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ._errors import ConfigurationError

__all__ = [
    "DEFAULT_FILE",
    "FILE_KEY",
    "Declaration",
    "Declared",
    "Project",
    "append_declarations",
    "find_project",
    "read_declared",
    "render_declarations",
]

FILE_KEY = "webhooksFile"
"""The stack config key naming the fleet file."""
DEFAULT_FILE = "webhooks.yaml"

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_NEW_FILE_HEADER = (
    "# Each entry becomes one 1NCE webhook integration. A header value written as {secret: KEY}\n"
    "# is read from the stack's secret config (`pulumi config set --secret KEY`), never from "
    "this file.\n"
)


@dataclass(frozen=True)
class Project:
    """A Pulumi project: its directory, name and the default of ``webhooksFile``, if any."""

    directory: Path
    name: str
    default_file: str | None = None

    def webhooks_file(self, config: Mapping[str, str]) -> Path:
        """The stack's fleet file, as the fleet program resolves it."""
        value = config.get(f"{self.name}:{FILE_KEY}") or self.default_file or DEFAULT_FILE
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.directory / path


def find_project(start: Path) -> Project:
    """The project whose ``Pulumi.yaml`` is in ``start`` or above it, as ``pulumi`` finds it."""
    for directory in [start.resolve(), *start.resolve().parents]:
        for candidate in ("Pulumi.yaml", "Pulumi.yml"):
            path = directory / candidate
            if path.is_file():
                return _read_project(path)
    raise ConfigurationError(
        f"no Pulumi project in {start} or above it (no Pulumi.yaml); run the command in the "
        "project directory of the stack or pass --cwd"
    )


def _read_project(path: Path) -> Project:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read {path}: {type(exc).__name__}") from None
    doc = doc if isinstance(doc, dict) else {}
    name = str(doc.get("name") or path.parent.name)
    config = doc.get("config")
    config = config if isinstance(config, dict) else {}
    default = None
    for key in (FILE_KEY, f"{name}:{FILE_KEY}"):
        entry = config.get(key)
        value = entry.get("default", entry.get("value")) if isinstance(entry, dict) else entry
        if isinstance(value, str) and value:
            default = value
    return Project(path.parent, name, default)


@dataclass(frozen=True)
class Declared:
    """What an existing entry of a fleet file tells ``onence import``."""

    resource: str
    name: str | None
    adopt_id: str | None


def read_declared(path: Path) -> list[Declared]:
    """The entries of a fleet file (none when it does not exist)."""
    return [
        Declared(
            resource=str(entry.get("resource", "")),
            name=entry.get("name") if isinstance(entry.get("name"), str) else None,
            adopt_id=entry.get("adoptId") if isinstance(entry.get("adoptId"), str) else None,
        )
        for entry in _entries(path)
        if isinstance(entry, dict)
    ]


def _entries(path: Path) -> list[Any]:
    if not path.exists():
        return []
    return _webhooks_of(_load(path, path.read_text(encoding="utf-8")))


def _webhooks_of(doc: Any) -> list[Any]:
    entries = doc.get("webhooks") if isinstance(doc, dict) else None
    return entries if isinstance(entries, list) else []


def _load(path: Path, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigurationError(f"{path} is not valid YAML{where}; fix it or use --out") from None


@dataclass(frozen=True)
class Declaration:
    """One webhook to declare for adoption, exactly as 1NCE holds it."""

    resource: str
    adopt_id: str
    name: str
    url: str
    event_types: tuple[str, ...]
    json_payload_enabled: bool
    headers: dict[str, str] = field(default_factory=dict)
    """Header name to the secret config key holding its value."""

    def to_yaml_object(self) -> dict[str, Any]:
        """The entry as the fleet program reads it."""
        entry: dict[str, Any] = {
            "resource": self.resource,
            "name": self.name,
            "adoptId": self.adopt_id,
            "url": self.url,
            "eventTypes": list(self.event_types),
            "jsonPayloadEnabled": self.json_payload_enabled,
        }
        if self.headers:
            entry["headers"] = {h: {"secret": key} for h, key in self.headers.items()}
        return entry


def _scalar(value: str) -> str:
    """A YAML scalar for ``value``: plain when it reads back as the same string, else quoted."""
    if _PLAIN.match(value) and yaml.safe_load(value) == value:
        return value
    return '"' + "".join(_escaped(c) for c in value) + '"'


def _escaped(char: str) -> str:
    """One character inside a double-quoted YAML scalar: itself when YAML reads it back as it
    is, else an escape (YAML rejects some characters raw and folds its own line breaks)."""
    if char in '"\\':
        return "\\" + char
    if char.isprintable() and char not in "\x85\u2028\u2029":
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def render_declarations(declarations: Sequence[Declaration], indent: int = 2) -> str:
    """Fleet-file list items for ``declarations``, the dash at column ``indent``."""
    pad = " " * indent
    lines: list[str] = []
    for decl in declarations:
        lines.append(f"{pad}# imported from 1NCE by `onence import`: adopted, no write")
        lines.append(f"{pad}- resource: {_scalar(decl.resource)}")
        lines.append(f"{pad}  name: {_scalar(decl.name)}")
        lines.append(f"{pad}  adoptId: {_scalar(decl.adopt_id)}")
        lines.append(f"{pad}  url: {_scalar(decl.url)}")
        lines.append(f"{pad}  eventTypes: [{', '.join(_scalar(t) for t in decl.event_types)}]")
        lines.append(
            f"{pad}  jsonPayloadEnabled: {'true' if decl.json_payload_enabled else 'false'}"
        )
        if decl.headers:
            lines.append(f"{pad}  headers:")
            for header, key in decl.headers.items():
                lines.append(f"{pad}    {_scalar(header)}: {{secret: {_scalar(key)}}}")
    return "\n".join(lines) + "\n"


def append_declarations(path: Path, declarations: Sequence[Declaration]) -> None:
    """Append ``declarations`` to the fleet file at ``path`` (created if missing).

    The file's own text, comments included, stays as it is: the entries are added at the end of
    its ``webhooks`` list, and the result is checked to read back as the old entries plus the new
    ones before it replaces the file. A file whose list cannot be extended this way is refused.
    """
    wanted = [d.to_yaml_object() for d in declarations]
    if not path.exists():
        text = _NEW_FILE_HEADER + "webhooks:\n" + render_declarations(declarations)
        old: list[Any] = []
    else:
        original = path.read_text(encoding="utf-8")
        old = _webhooks_of(_load(path, original))
        text = _extended(path, original, declarations)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    if not isinstance(doc, dict) or doc.get("webhooks") != old + wanted:
        raise _not_last(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.onence-import")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _extended(path: Path, original: str, declarations: Sequence[Declaration]) -> str:
    """``original`` with the entries added to its ``webhooks`` block list."""
    try:
        root = yaml.compose(original)
    except yaml.YAMLError:
        _load(path, original)  # raises the one-line error
        raise
    body = original if original.endswith("\n") or not original else original + "\n"
    if root is None:
        return body + "webhooks:\n" + render_declarations(declarations)
    if not isinstance(root, yaml.MappingNode):
        raise ConfigurationError(f"cannot append to {path}: it is not a map with a webhooks list")
    for position, (key, value) in enumerate(root.value):
        if key.value != "webhooks":
            continue
        if position != len(root.value) - 1:
            break  # entries appended at the end would land in another block
        if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
            return body + render_declarations(declarations, indent=value.start_mark.column)
        if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null"):
            return body + render_declarations(declarations)
        raise ConfigurationError(
            f"cannot append to {path}: write its webhooks list as a block list ('- ...' lines) "
            "or use --out"
        )
    else:
        return body + "webhooks:\n" + render_declarations(declarations)
    raise _not_last(path)


def _not_last(path: Path) -> ConfigurationError:
    return ConfigurationError(
        f"cannot append to {path}: its webhooks list is not the last block of the file; "
        "move it to the end or write to another file with --out"
    )
