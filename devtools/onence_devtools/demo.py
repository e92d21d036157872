"""`make demo`: the main job, end to end, against the local emulator.

It starts a local HTTPS receiver (its own trustme CA) and the 1NCE emulator (trusting that CA),
applies the fleet example with `pulumi up`, has 1NCE send a test message and a telemetry event
and shows them arriving with their headers, shows that a second `pulumi up` writes nothing, that
`pulumi refresh` brings in what 1NCE changed by itself (the first delivery activates a webhook)
and that a preview then finds no drift, destroys the stack and stops everything it started.
Every step says what it shows, as measured, not as hoped. Header values are shown only as
"matches the configured secret": the demo prints no secret.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver

from onence_devtools.stack import REPO_ROOT as REPO
from onence_devtools.stack import PulumiStack

USER, PASSWORD = "demo", "demo-password-not-a-real-one"
TELEMETRY_KEY = "demo-telemetry-key-7f3a"
OPS_TOKEN = "Bearer demo-ops-token-91c2"  # noqa: S105 (a demo value, shown masked)
WAIT_S = 30


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def show(text: str) -> None:
    for line in text.strip().splitlines():
        print(f"    {line}")


def describe(record: object, secrets: dict[str, str]) -> tuple[str, bool]:
    """One received request, with header values replaced by whether they match the secret."""
    headers = {k.lower(): v for k, v in getattr(record, "headers", {}).items()}
    body = getattr(record, "json", None) or {}
    path = str(getattr(record, "path", "?"))
    query = str(getattr(record, "query", ""))
    parts = [f"{path}?{query}".rstrip("?"), f"type={body.get('type')}"]
    ok = True
    for name, secret in secrets.items():
        value = headers.get(name)
        matches = value == secret
        ok = ok and matches
        parts.append(f"{name}: {'= the configured secret' if matches else 'MISSING OR WRONG'}")
    return "  ".join(parts), ok


# What `pulumi refresh` may change by itself: fields 1NCE sets, never ones the program declares.
WATCHED_OUTPUTS = ("state", "lastSuccessfulMessageDelivery", "error")


def outputs_by_resource(stack: PulumiStack) -> dict[str, dict[str, object]]:
    """The webhooks' non-secret outputs that 1NCE sets, by resource name, from the state."""
    return {
        str(r["urn"]).rsplit("::", 1)[-1]: {k: r.get("outputs", {}).get(k) for k in WATCHED_OUTPUTS}
        for r in stack.resources()
    }


def state_changes(
    before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]
) -> list[str]:
    """One line per changed field: `resource: field old -> new`."""
    return [
        f"{name}: {key} {before.get(name, {}).get(key)} -> {value}"
        for name, fields in sorted(after.items())
        for key, value in fields.items()
        if before.get(name, {}).get(key) != value
    ]


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="onence-demo-") as tmp, HttpsReceiver() as receiver:
        step(f"local HTTPS receiver listening at {receiver.url} (certificate from a trustme CA)")
        with EmulatorProcess(
            users={USER: PASSWORD},
            time_scale=0.001,
            ca_bundle=receiver.ca_pem,
            allow_private_endpoints=True,
        ) as emulator:
            step(f"1NCE emulator at {emulator.base_url} (trusts only the receiver's CA)")
            webhooks_file = Path(tmp) / "webhooks.yaml"
            webhooks_file.write_text(
                "webhooks:\n"
                "  - resource: telemetry\n"
                "    name: demo-telemetry\n"
                f'    url: "{receiver.url}/telemetry?iccid=:iccid:&imsi=:imsi:"\n'
                "    eventTypes: [TELEMETRY_DATA]\n"
                "    jsonPayloadEnabled: true\n"
                "    headers: {x-api-key: {secret: telemetryKey}}\n"
                "  - resource: lifecycle\n"
                "    name: demo-lifecycle\n"
                f'    url: "{receiver.url}/lifecycle"\n'
                "    eventTypes: [LIFECYCLE, ERROR]\n"
                "    headers: {authorization: {secret: opsToken}, x-source: 1nce}\n"
            )
            stack = PulumiStack(
                Path(tmp) / "project", program="", project="onence-webhooks", stack="demo"
            )
            # The fleet example is the program; the demo only supplies its own stack config.
            (stack.workdir / "__main__.py").unlink()
            (stack.workdir / "Pulumi.yaml").write_text(
                (stack.workdir / "Pulumi.yaml")
                .read_text()
                .replace("runtime:", f"main: {REPO / 'examples' / 'fleet'}\nruntime:", 1)
            )
            step(
                "pulumi stack init demo (local file backend, passphrase secrets), then its config: "
                "the emulator's URL and user, the header secrets"
            )
            stack.init()
            stack.configure_emulator(emulator.base_url, USER, PASSWORD)
            stack.set_config("webhooksFile", str(webhooks_file))
            stack.set_config("telemetryKey", TELEMETRY_KEY, secret=True)
            stack.set_config("opsToken", OPS_TOKEN, secret=True)

            step("pulumi up: create the webhooks declared in webhooks.yaml")
            show(stack.up().stdout)
            hooks = stack.resources()
            print(f"    {len(hooks)} webhooks in the stack; 1NCE API calls so far:")
            for call in emulator.admin.calls():
                print(f"      {call['method']:6} {call['path']} -> {call['status']}")

            step("onence test: 1NCE sends a TEST_MESSAGE to every webhook of the stack")
            test = subprocess.run(
                ["onence", "test", "--stack", "demo", "--cwd", str(stack.workdir)],
                env=stack.env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            show(test.stdout or test.stderr)
            # Which header each endpoint must receive, by the path of its webhook URL.
            expected = {
                "/telemetry": {"x-api-key": TELEMETRY_KEY},
                "/lifecycle": {"authorization": OPS_TOKEN},
            }
            if test.returncode != 0 or not receiver.wait_for(2, timeout=WAIT_S):
                print("    the test messages did not arrive")
                return 1
            for record in receiver.requests:
                line, ok = describe(record, expected[record.path])
                print(f"    received {line}")
                if not ok:
                    return 1

            step("a device sends telemetry; 1NCE forwards it to the telemetry webhook")
            before = len(receiver.requests)
            device = {
                "iccid": "8988280666000002864",
                "imsi": "901405100002864",
                "ip": "100.91.200.24",
            }
            emulator.admin.inject_event(
                "TELEMETRY_DATA", device=device, payload={"temperature": 21.5}
            )
            emulator.admin.drain(timeout=WAIT_S)
            if not receiver.wait_for(before + 1, timeout=WAIT_S):
                print("    the telemetry event did not arrive")
                return 1
            for record in receiver.requests[before:]:
                line, ok = describe(record, expected[record.path])
                print(f"    received {line}")
                print(f"    payload: {(record.json or {}).get('payload')}")
                if not ok or device["iccid"] not in record.query:
                    return 1

            step("pulumi up again: the same program, so no write to 1NCE")
            emulator.admin.clear_calls()
            second = stack.up()
            show(second.stdout)
            writes = [
                c
                for c in emulator.admin.calls()
                if c["method"] in {"POST", "PATCH", "DELETE"}
                and not c["path"].endswith("/oauth/token")
            ]
            if writes:
                print(f"    UNEXPECTED writes on a no-op up: {writes}")
                return 1
            print("    no POST, PATCH or DELETE reached 1NCE (`up` does not read 1NCE back)")

            step("pulumi refresh: read every webhook back from 1NCE into the state")
            prior = outputs_by_resource(stack)
            show(stack.refresh().stdout)
            changed = state_changes(prior, outputs_by_resource(stack))
            if changed:
                print("    what the refresh changed in the state (fields 1NCE sets itself):")
                for line in changed:
                    print(f"      {line}")
            else:
                print("    the refresh changed nothing in the state")
            print(
                "    (the Outputs the refresh prints are the last up's; "
                "the program recomputes them in the next preview)"
            )

            step(
                "pulumi preview --expect-no-changes: no drift, no webhook to create, update "
                "or delete (the command fails otherwise)"
            )
            preview = stack.preview("--expect-no-changes")
            show(preview.stdout)
            if any("~" in line and "webhookStates" in line for line in preview.stdout.splitlines()):
                print(
                    "    the `~ webhookStates` lines are the stack's exported outputs following "
                    "the refreshed state, not a change to 1NCE"
                )

            step("pulumi destroy: remove the webhooks, then the stack")
            emulator.admin.clear_calls()
            show(stack.destroy().stdout)
            stack.run("stack", "rm", "--yes", "demo")
            print("    pulumi stack rm demo: the stack's history and config are removed too")
            deleted = [
                c for c in emulator.admin.calls() if c["method"] == "DELETE" and c["status"] == 204
            ]
            print(f"    1NCE answered 204 to {len(deleted)} DELETE calls for {len(hooks)} webhooks")
            if len(deleted) != len(hooks):
                return 1

            leaked = [s for s in (PASSWORD, TELEMETRY_KEY, OPS_TOKEN) if s in stack.output_text()]
            if leaked:
                print("    a secret appeared in the CLI output: failing the demo")
                return 1
    step(f"done in {time.monotonic() - started:.0f} s; every process the demo started has stopped")
    return 0
