"""The pack's ``__main__.py`` as the language host starts it: a process that prints its gRPC port
and serves the analyzer (no engine needed)."""

from __future__ import annotations

import selectors
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pulumi_onence.policy as onence_rules
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tests.policies.policy_harness import POLICIES_DIR, passing_props, to_struct, urn


@pytest.fixture(scope="module")
def pack_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # `python -u -m pulumi.policy ENGINE DIR` runs DIR with runpy, which puts DIR on sys.path;
    # `python -u DIR` does the same without needing an engine address.
    stderr_path = tmp_path_factory.mktemp("pack") / "stderr.txt"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-u", str(POLICIES_DIR)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=30)
        line = process.stdout.readline().strip() if ready else ""
        if not line.isdigit():
            pytest.fail(f"the pack printed no port: {line!r}\n{stderr_path.read_text()}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=20)
        try:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
        finally:
            channel.close()
    finally:
        process.kill()
        process.communicate(timeout=10)


def test_pack_serves_every_rule_under_its_name(pack_stub: Any) -> None:
    info = pack_stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=20)
    assert info.name == onence_rules.POLICY_PACK_NAME
    assert [p.name for p in info.policies] == [p.name for p in onence_rules.POLICIES]


def test_pack_rejects_an_http_webhook(pack_stub: Any) -> None:
    props = passing_props()
    props["url"] = "http://ingest.example.com/1nce"
    response = pack_stub.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type=onence_rules.WEBHOOK_TYPE,
            properties=to_struct(props),
            urn=urn("hook"),
            name="hook",
        ),
        timeout=20,
    )
    assert [(d.policyName, d.enforcementLevel) for d in response.diagnostics] == [
        ("webhook-url-https", analyzer_pb2.MANDATORY)
    ]
