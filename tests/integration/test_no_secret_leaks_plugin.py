"""The provider plugin, in its own process and driven over gRPC as the engine drives it, never
lets a header value, the password or a token out, whatever goes wrong: not in an error the
engine shows, a log message it receives, the plugin's stdout or stderr, nor a property it
returns outside a secret (headers and the verification's fingerprint come back as secrets).

The failures are those of the dynamic provider's sweep (test_no_secret_leaks.py), plus a
verification whose test 1NCE reports as failed and a Check that refuses bad input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from onence_devtools.plugin import RecordingEngine, onence_plugin, recording_engine
from onence_emulator.harness import EmulatorProcess
from pulumi.runtime.proto import provider_pb2

from tests.protocol.wire import from_struct, secret, to_struct

USER = "plugin-leak-user"
PASSWORD = "Pw-plugin-leak-3d9b71"
WRONG_PASSWORD = "Pw-plugin-wrong-0e4c52"
HEADER_VALUE = "hv-plugin-leak-6a2f90"
ROTATED_VALUE = "hv-plugin-rotated-b71c3e"
SECRETS = (PASSWORD, WRONG_PASSWORD, HEADER_VALUE, ROTATED_VALUE)
# The emulator's access tokens are JWTs: a base64url JSON header, "eyJ...", then two segments.
TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
WEBHOOK_URN = "urn:pulumi:dev::fleet::onence:index:Webhook::telemetry"
VERIFICATION_URN = "urn:pulumi:dev::fleet::onence:index:WebhookVerification::telemetry-check"
SECRET_KEY = "4dabf18193072939515e22adb298388d"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(users={USER: PASSWORD}, time_scale=0.001) as process:
        yield process


@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[RecordingEngine, str]]:
    with recording_engine() as running:
        yield running


def configure(plugin: Any, api_url: str, password: str) -> None:
    args = {"apiUrl": api_url, "username": USER, "password": secret(password)}
    plugin.Configure(
        provider_pb2.ConfigureRequest(args=to_struct(args), acceptSecrets=True, variables={})
    )


def public_part(value: Any) -> Any:
    """``value`` with every secret-wrapped part blanked: what the engine may show in the clear."""
    if isinstance(value, dict):
        if SECRET_KEY in value:
            return "[secret]"
        return {key: public_part(item) for key, item in value.items()}
    if isinstance(value, list):
        return [public_part(item) for item in value]
    return value


class Sweep:
    """Everything the plugin said, in the clear."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.secret_outputs: list[Any] = []

    def attempt(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except grpc.RpcError as exc:
            self.said.append(f"{exc.code()}: {exc.details()}")
            return None

    def returned(self, struct: Any, *secret_paths: str) -> dict[str, Any]:
        """A returned property map: its clear part kept; ``secret_paths`` must be secrets."""
        props = from_struct(struct)
        for path in secret_paths:
            assert isinstance(props.get(path), dict), path
            assert SECRET_KEY in props[path], path
            self.secret_outputs.append(props[path])
        self.said.append(json.dumps(public_part(props), default=str))
        return props


def test_nothing_the_plugin_says_in_the_clear_contains_a_secret(
    emulator: EmulatorProcess, engine: tuple[RecordingEngine, str]
) -> None:
    recorder, address = engine
    sweep = Sweep()
    stubs = []
    with onence_plugin(address) as plugin, onence_plugin(address) as wrong:
        stubs = [plugin, wrong]
        configure(plugin, emulator.base_url, PASSWORD)
        configure(wrong, emulator.base_url, WRONG_PASSWORD)
        declared = {
            "name": "plugin-leak",
            "url": "https://ingest.example.com/plugin-leak",
            "headers": secret({"x-api-key": HEADER_VALUE}),
            "eventTypes": ["TELEMETRY_DATA"],
        }

        def check(news: dict[str, Any], urn: str = WEBHOOK_URN) -> Any:
            checked = plugin.Check(provider_pb2.CheckRequest(urn=urn, news=to_struct(news)))
            sweep.said.extend(f"{f.property}: {f.reason}" for f in checked.failures)
            return checked

        # Bad input: a header value with a line break, a plain-HTTP URL.
        bad = {**declared, "url": "http://x", "headers": secret({"x-api-key": HEADER_VALUE + "\n"})}
        assert len(check(bad).failures) == 2
        inputs = check(declared).inputs

        # An ambiguous create (1NCE created it, the answer was lost): adopted, with a warning.
        emulator.admin.add_fault("error_after", method="POST", path="/webhooks$", times=1)
        created = plugin.Create(provider_pb2.CreateRequest(urn=WEBHOOK_URN, properties=inputs))
        outs = sweep.returned(created.properties, "headers")
        # The same URL again: 1NCE's conflict message.
        second = check({**declared, "name": "plugin-leak-2"}).inputs
        sweep.attempt(
            lambda: plugin.Create(provider_pb2.CreateRequest(urn=WEBHOOK_URN, properties=second))
        )
        # Rate limited beyond the budget, a server error, forbidden.
        rotated = check({**declared, "headers": secret({"x-api-key": ROTATED_VALUE})}).inputs

        def update() -> Any:
            request = provider_pb2.UpdateRequest(
                id=created.id, urn=WEBHOOK_URN, olds=created.properties, news=rotated
            )
            return plugin.Update(request, timeout=120)

        # (Retry-After beyond the client's 60 s budget: it gives up at once.)
        emulator.admin.add_fault("rate_limit", method="PATCH", retry_after=90)
        sweep.attempt(update)
        emulator.admin.clear_faults()
        emulator.admin.add_fault("error_before", method="PATCH")
        sweep.attempt(update)
        emulator.admin.clear_faults()

        def read(properties: Any) -> Any:
            request = provider_pb2.ReadRequest(
                id=created.id, urn=WEBHOOK_URN, properties=properties, inputs=rotated
            )
            return plugin.Read(request, timeout=120)

        emulator.admin.add_fault("forbidden", method="GET")
        sweep.attempt(lambda: read(created.properties))
        emulator.admin.clear_faults()
        # The token expires mid-run; then an update and a refresh succeed.
        emulator.admin.expire_tokens()
        updated = update()
        sweep.returned(updated.properties, "headers")
        sweep.returned(read(updated.properties).properties, "headers")
        # Wrong credentials.
        sweep.attempt(lambda: wrong.Read(provider_pb2.ReadRequest(id=created.id, urn=WEBHOOK_URN)))

        # A verification: 1NCE's test reaches no endpoint (FAILURE), the up fails in one line.
        verification = plugin.Check(
            provider_pb2.CheckRequest(
                urn=VERIFICATION_URN, news=to_struct({"webhookId": created.id})
            )
        )
        assert list(verification.failures) == []
        sweep.returned(verification.inputs, "webhookFingerprint")
        sweep.attempt(
            lambda: plugin.Create(
                provider_pb2.CreateRequest(
                    urn=VERIFICATION_URN, properties=verification.inputs, timeout=60
                ),
                timeout=120,
            )
        )

        # The webhook vanishes: the next refresh (a new plugin process, as each `pulumi
        # refresh` starts one) says so.
        emulator.admin.reset()
        with onence_plugin(address) as later:
            stubs.append(later)
            configure(later, emulator.base_url, PASSWORD)
            request = provider_pb2.ReadRequest(
                id=created.id, urn=WEBHOOK_URN, properties=updated.properties, inputs=rotated
            )
            assert later.Read(request, timeout=120).id == ""

    logs = [message for _, message in recorder.logs]
    output = [line for stub in stubs for line in (*stub.stdout_lines, *stub.stderr_lines)]
    everything = "\n".join([*sweep.said, *logs, *output])
    assert outs["name"] == "plugin-leak"
    assert any("already used" in line for line in sweep.said), sweep.said  # 1NCE's message
    assert any("429" in line for line in sweep.said), sweep.said
    assert any("403" in line for line in sweep.said), sweep.said
    assert any("test" in line.lower() and "plugin-leak" in line for line in sweep.said)
    assert any("no longer exists" in line or "deleted" in line for line in logs), logs
    assert len(sweep.said) >= 12, sweep.said
    for value in SECRETS:
        assert value not in everything
    assert not TOKEN.search(everything)
    # The header value did go somewhere: into the secrets, so the search above means something.
    assert HEADER_VALUE in json.dumps(sweep.secret_outputs[0])
    assert ROTATED_VALUE in json.dumps(sweep.secret_outputs[1:])
