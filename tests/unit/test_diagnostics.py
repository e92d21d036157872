"""Warnings reach the user: through the engine inside the plugin, on stderr elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_onence._diagnostics import engine_address, warn

PLUGIN = "pulumi.dynamic.__main__"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["127.0.0.1:40123"], "127.0.0.1:40123"),
        (
            ["--logtostderr", "-v=9", "--tracing", "127.0.0.1:1", "127.0.0.1:40123"],
            "127.0.0.1:40123",
        ),
        (["[::1]:40123"], "[::1]:40123"),
        (["localhost:5"], "localhost:5"),
        ([], None),
        (["--logtostderr"], None),
    ],
)
def test_the_plugin_finds_the_engine_address_in_its_last_argument(
    argv: list[str], expected: str | None
) -> None:
    assert engine_address(argv, main_module=PLUGIN) == expected


def test_outside_the_plugin_there_is_no_engine_address() -> None:
    assert engine_address(["127.0.0.1:40123"], main_module="pytest.__main__") is None


def test_outside_the_plugin_a_warning_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    warn("webhook 'x' (id1) no longer exists in 1NCE")
    captured = capsys.readouterr()
    assert captured.err == "warning: webhook 'x' (id1) no longer exists in 1NCE\n"
    assert captured.out == ""


def test_a_message_is_attached_to_the_resource_of_the_engine_call_in_progress() -> None:
    from types import SimpleNamespace

    from pulumi_onence._diagnostics import resource_urn

    def provider_method() -> str:
        return resource_urn()

    def grpc_handler(request: Any) -> str:
        return provider_method()

    urn = "urn:pulumi:dev::proj::pulumi-python:dynamic/onence:Webhook::telemetry"
    assert grpc_handler(SimpleNamespace(urn=urn)) == urn
    assert provider_method() == ""


def test_outside_the_plugin_info_and_errors_go_to_stderr_labelled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pulumi_onence._diagnostics import error, info

    info("webhook 'x' (id1) was already healthy")
    error("create webhook 'x' failed at https://api.example.com: 401; check onence:username")
    assert capsys.readouterr().err.splitlines() == [
        "info: webhook 'x' (id1) was already healthy",
        "error: create webhook 'x' failed at https://api.example.com: 401; check onence:username",
    ]
