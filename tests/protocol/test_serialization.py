"""What the engine stores as ``__provider``: a class reference, small, with no secret, that
unpickles and works in a fresh process (as the plugin does on every run)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap

from onence_devtools.stack import REPO_ROOT as REPO
from onence_emulator.harness import EmulatorProcess
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi_onence._client import OnenceClient
from pulumi_onence._config import Settings
from pulumi_onence._provider import WebhookProvider

PASSWORD = "pass"

FRESH_PROCESS = textwrap.dedent(
    """
    import base64, json, sys
    import dill
    from pulumi.dynamic import Config, ConfigureRequest

    blob, api_url = sys.stdin.read().split()
    provider = dill.loads(base64.b64decode(blob))
    provider.configure(ConfigureRequest(Config({
        "onence:apiUrl": api_url, "onence:username": "user", "onence:password": "pass",
    }, "fleet")))
    checked = provider.check({}, {
        "url": "https://ingest.example.com/pickled", "eventTypes": ["ERROR"],
        "__autoName": "pickled-abcdefg",
    })
    created = provider.create(checked.inputs)
    print(json.dumps({
        "type": type(provider).__module__ + "." + type(provider).__name__,
        "failures": [f.reason for f in checked.failures],
        "id": created.id,
        "name": created.outs["name"],
    }))
    """
)


def test_the_provider_pickles_by_reference_to_a_few_bytes() -> None:
    blob = serialize_provider(WebhookProvider())
    assert len(blob) < 1024
    raw = base64.b64decode(blob)
    assert b"pulumi_onence._provider" in raw
    assert b"WebhookProvider" in raw
    assert b"co_code" not in raw  # no bytecode: nothing pickled by value


def test_a_configured_provider_pickles_without_its_credentials(
    emulator: EmulatorProcess,
) -> None:
    provider = WebhookProvider()
    provider.configure(
        ConfigureRequest(
            Config(
                {
                    "onence:apiUrl": emulator.base_url,
                    "onence:username": "user",
                    "onence:password": "pickle-must-not-hold-this",
                },
                "fleet",
            )
        )
    )
    with_client = WebhookProvider(OnenceClient(Settings(emulator.base_url, "user", PASSWORD)))
    fresh = serialize_provider(WebhookProvider())
    assert serialize_provider(provider) == fresh
    assert serialize_provider(with_client) == fresh
    assert b"pickle-must-not-hold-this" not in base64.b64decode(serialize_provider(provider))


def test_the_blob_unpickles_and_works_in_a_fresh_process(emulator: EmulatorProcess) -> None:
    blob = serialize_provider(WebhookProvider())
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONENCE_")}
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS],
        input=f"{blob} {emulator.base_url}",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["type"] == "pulumi_onence._provider.WebhookProvider"
    assert answer["failures"] == []
    assert answer["name"] == "pickled-abcdefg"
    live = OnenceClient(Settings(emulator.base_url, "user", PASSWORD)).list_webhooks()
    assert [hook.id for hook in live] == [answer["id"]]
