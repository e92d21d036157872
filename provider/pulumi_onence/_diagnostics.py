"""Messages a user sees in the output of ``pulumi up`` / ``pulumi refresh``.

Inside the dynamic-provider plugin (``python -m pulumi.dynamic``) ``pulumi.log`` has no
engine connection and only prints to stderr, which the CLI shows as a plain info line. The
engine does pass the plugin its own address as the last command-line argument, so a message
is sent there as a real ``warning:``/``error:`` diagnostic; stderr remains the fallback.

The SDK hands a provider method no resource URN, but its gRPC handler (a caller of the
method) holds the request, which has one: the message is attached to that resource, so it is
shown under the resource's name rather than the stack's.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import Any

__all__ = ["engine_address", "error", "info", "resource_urn", "warn"]

_ADDRESS = re.compile(r"^[\w.\-\[\]:]+:\d{1,5}$")
#: How many calling frames are searched for the engine's request (client code included).
_MAX_FRAMES = 40
_stub: Any = None
_stub_lock = threading.Lock()


def engine_address(argv: list[str] | None = None, main_module: str | None = None) -> str | None:
    """The engine's gRPC address when running as the dynamic-provider plugin, else ``None``."""
    if main_module is None:
        main = sys.modules.get("__main__")
        spec = getattr(main, "__spec__", None)
        main_module = getattr(spec, "name", None) or ""
    if main_module != "pulumi.dynamic.__main__":
        return None
    args = sys.argv[1:] if argv is None else argv
    for arg in reversed(args):
        if _ADDRESS.match(arg):
            return arg
    return None


def resource_urn() -> str:
    """The URN of the resource the current engine call is about, or ``""`` if none is found."""
    frame = sys._getframe(1)
    for _ in range(_MAX_FRAMES):
        if frame is None:
            break
        urn = getattr(frame.f_locals.get("request"), "urn", None)
        if isinstance(urn, str) and urn.startswith("urn:pulumi:"):
            return urn
        frame = frame.f_back  # type: ignore[assignment]
    return ""


def _engine_stub(address: str) -> Any:
    global _stub
    with _stub_lock:
        if _stub is None:
            import grpc
            from pulumi.runtime.proto import engine_pb2_grpc

            _stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))
        return _stub


def _send(severity: str, message: str) -> None:
    address = engine_address()
    if address is not None:
        try:
            from pulumi.runtime.proto import engine_pb2

            level = getattr(engine_pb2, severity.upper())
            request = engine_pb2.LogRequest(severity=level, message=message, urn=resource_urn())
            _engine_stub(address).Log(request, timeout=5)
            return
        except Exception as exc:  # a lost message must not fail the operation
            print(f"(engine log unavailable: {type(exc).__name__})", file=sys.stderr)
    print(f"{severity}: {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    """Show ``message`` as a warning of the running Pulumi command (never put secrets in it)."""
    _send("warning", message)


def info(message: str) -> None:
    """Show ``message`` as an informational line of the running Pulumi command."""
    _send("info", message)


def error(message: str) -> None:
    """Show ``message`` as an error of the running Pulumi command, before the failure itself."""
    _send("error", message)
