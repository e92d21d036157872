"""Warnings a user sees in the output of ``pulumi up`` / ``pulumi refresh``.

Inside the dynamic-provider plugin (``python -m pulumi.dynamic``) ``pulumi.log`` has no
engine connection and only prints to stderr, which the CLI shows as a plain info line. The
engine does pass the plugin its own address as the last command-line argument, so a warning
is sent there as a real ``warning:`` diagnostic; stderr remains the fallback.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import Any

__all__ = ["engine_address", "warn"]

_ADDRESS = re.compile(r"^[\w.\-\[\]:]+:\d{1,5}$")
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


def _engine_stub(address: str) -> Any:
    global _stub
    with _stub_lock:
        if _stub is None:
            import grpc
            from pulumi.runtime.proto import engine_pb2_grpc

            _stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))
        return _stub


def warn(message: str) -> None:
    """Show ``message`` as a warning of the running Pulumi command (never put secrets in it)."""
    address = engine_address()
    if address is not None:
        try:
            from pulumi.runtime.proto import engine_pb2

            _engine_stub(address).Log(
                engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn=""),
                timeout=5,
            )
            return
        except Exception as exc:  # a lost warning must not fail the operation
            print(f"(engine log unavailable: {type(exc).__name__})", file=sys.stderr)
    print(f"warning: {message}", file=sys.stderr, flush=True)
