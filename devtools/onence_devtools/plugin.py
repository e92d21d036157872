"""Drive a real provider plugin over gRPC, as the Pulumi engine does, with a stand-in engine that
records the plugin's log messages: the dynamic provider's (``python -u -m pulumi.dynamic``) or
the onence plugin (``python -u -m pulumi_onence.plugin``). The protocol tests and the
benchmark's probe share it."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc

from onence_devtools.stack import REPO_ROOT as REPO


class RecordingEngine(engine_pb2_grpc.EngineServicer):
    """The engine's Log endpoint, keeping (severity, message) pairs and the URN of each."""

    def __init__(self) -> None:
        self.logs: list[tuple[int, str]] = []
        self.urns: list[str] = []

    def Log(self, request: engine_pb2.LogRequest, context: Any) -> empty_pb2.Empty:  # noqa: N802 (gRPC name)
        self.logs.append((request.severity, request.message))
        self.urns.append(request.urn)
        return empty_pb2.Empty()


@contextmanager
def recording_engine() -> Iterator[tuple[RecordingEngine, str]]:
    engine = RecordingEngine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield engine, f"127.0.0.1:{port}"
    finally:
        server.stop(0)


def dynamic_plugin(
    engine_address: str, project: str = "fleet", timeout: float = 60.0
) -> contextlib.AbstractContextManager[provider_pb2_grpc.ResourceProviderStub]:
    """The dynamic provider's plugin, started as the engine starts it."""
    return provider_plugin("pulumi.dynamic", engine_address, project, timeout)


def onence_plugin(
    engine_address: str, project: str = "fleet", timeout: float = 60.0
) -> contextlib.AbstractContextManager[provider_pb2_grpc.ResourceProviderStub]:
    """The onence provider plugin (``pulumi-resource-onence``), started as the engine starts it."""
    return provider_plugin("pulumi_onence.plugin", engine_address, project, timeout)


@contextmanager
def provider_plugin(
    module: str, engine_address: str, project: str = "fleet", timeout: float = 60.0
) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """Start ``python -u -m MODULE ENGINE`` as the engine does (cwd = project root), yield a
    connected stub (its output lines in ``stub.stdout_lines`` and ``stub.stderr_lines``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONENCE_")}
    env["PULUMI_PROJECT"] = project
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", module, engine_address],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stderr_lines: list[str] = []
    stdout_lines: list[str] = []
    assert process.stdout is not None
    assert process.stderr is not None
    out, err = process.stdout, process.stderr

    def pump() -> None:
        for line in out:
            stdout_lines.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    threading.Thread(target=lambda: stderr_lines.extend(err), daemon=True).start()
    channel = None
    try:
        port = lines.get(timeout=timeout).strip()
        assert port.isdigit(), f"plugin printed {port!r}; stderr: {''.join(stderr_lines)}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=timeout)
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        stub.stderr_lines = stderr_lines  # type: ignore[attr-defined]
        stub.stdout_lines = stdout_lines  # type: ignore[attr-defined]
        yield stub
    finally:
        if channel is not None:
            channel.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
