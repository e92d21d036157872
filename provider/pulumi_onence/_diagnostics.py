"""Messages a user sees in the output of ``pulumi up`` / ``pulumi refresh``.

A provider process has no ``pulumi.log`` connection to the engine, but the engine passes it its
own address on the command line, so a message is sent there as a real ``warning:``/``error:``
diagnostic attached to the resource; stderr remains the fallback. The dynamic provider's plugin
(``python -m pulumi.dynamic``) hands a provider method no URN, so :func:`warn` and friends find
it in the calling gRPC handler's request; the provider plugin knows its address and each call's
URN and uses :func:`send` directly.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import Any

__all__ = ["engine_address", "error", "info", "resource_urn", "send", "warn"]

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


def send(severity: str, message: str, *, address: str | None, urn: str) -> None:
    """``message`` as an engine diagnostic (``warning``, ``info``, ``error``) on ``urn``; on
    stderr when there is no engine to send it to."""
    if address is not None:
        try:
            from pulumi.runtime.proto import engine_pb2

            level = getattr(engine_pb2, severity.upper())
            request = engine_pb2.LogRequest(severity=level, message=message, urn=urn)
            _engine_stub(address).Log(request, timeout=5)
            return
        except Exception as exc:  # a lost message must not fail the operation
            print(f"(engine log unavailable: {type(exc).__name__})", file=sys.stderr)
    print(f"{severity}: {message}", file=sys.stderr, flush=True)


def _send(severity: str, message: str) -> None:
    address = engine_address()
    send(severity, message, address=address, urn=resource_urn() if address else "")


def warn(message: str) -> None:
    """Show ``message`` as a warning of the running Pulumi command (never put secrets in it)."""
    _send("warning", message)


def info(message: str) -> None:
    """Show ``message`` as an informational line of the running Pulumi command."""
    _send("info", message)


def error(message: str) -> None:
    """Show ``message`` as an error of the running Pulumi command, before the failure itself."""
    _send("error", message)
