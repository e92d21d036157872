"""Serve ``OnenceProvider`` to the engine over gRPC, as ``pulumi-resource-onence``.

Like ``pulumi.provider.experimental.server.main``, with one difference: that server appends the
Python traceback to the message of every exception, so an expected failure (1NCE refused, no
credentials, an unreachable API) would reach the user as a traceback. Here a
``UserFacingError`` ends the call with its one line; anything else keeps the traceback, which a
bug report needs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from .._version import __version__
from ._provider import OnenceProvider, UserFacingError

__all__ = ["serve"]

_CALLS = ("CheckConfig", "Configure", "Check", "Diff", "Create", "Read", "Update", "Delete")


class _OneLineServicer(ProviderServicer):
    """The SDK's servicer; a ``UserFacingError`` aborts the call with just its message."""


def _one_line(name: str) -> Callable[..., Awaitable[Any]]:
    handler = getattr(ProviderServicer, name)

    async def call(self: ProviderServicer, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await handler(self, request, context)
        except Exception as exc:
            # The SDK re-raises with the traceback appended; the original is its context.
            cause = exc if isinstance(exc, UserFacingError) else exc.__context__
            if isinstance(cause, UserFacingError):
                await context.abort(grpc.StatusCode.UNKNOWN, str(cause))
            raise

    call.__name__ = name
    return call


for _name in _CALLS:
    setattr(_OneLineServicer, _name, _one_line(_name))


def serve(argv: Sequence[str] | None = None) -> None:
    """Start the plugin: print the port the engine should call, then serve until stopped."""
    parser = argparse.ArgumentParser(description="The onence provider plugin (gRPC server).")
    parser.add_argument("engine", nargs="?", help="the engine's address")
    parser.add_argument("--logflow", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--logtostderr", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-v", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tracing", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    provider = OnenceProvider(engine_address=args.engine)

    async def run() -> None:
        server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
        servicer = _OneLineServicer(rest, __version__, provider, engine_address=args.engine)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port(address="127.0.0.1:0")
        await server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.buffer.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
