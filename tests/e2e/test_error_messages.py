"""What a user reads when `pulumi up` cannot do its job: one clear line first, no secret.

For each class of failure the first ``error:`` line of the output names the API URL and the
fix (bad credentials, an API that cannot be reached, a refusal by 1NCE with its message); a
URL carrying a password is never printed; an idempotent create says in one line that it
adopted the webhook an earlier run made.
"""

from __future__ import annotations

import socket

import pytest
from onence_devtools.stack import PulumiStack, program_for

from tests.e2e.conftest import PASSWORD, USER, writes

pytestmark = pytest.mark.e2e

HOOK = {
    "resource": "telemetry",
    "name": "e2e-errors",
    "url": "https://ingest.example.com/errors",
    "headers": {"x-api-key": {"secret": "ingestKey"}},
    "event_types": ["TELEMETRY_DATA"],
}
HEADER_SECRET = "hdr-secret-errors-2d8f-never-print"
WRONG_PASSWORD = "wrong-password-5c1e-never-print"


def first_error_line(output: str) -> str:
    for line in output.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    raise AssertionError(f"no error line in:\n{output}")


def stack_for(tmp_path, api_url: str, password: str = PASSWORD, hooks=(HOOK,)) -> PulumiStack:
    stack = PulumiStack(tmp_path / "errors", program=program_for(list(hooks)))
    stack.init()
    stack.configure_emulator(api_url, USER, password)
    stack.set_config("ingestKey", HEADER_SECRET, secret=True)
    return stack


def assert_no_secret(stack: PulumiStack, *secrets: str) -> None:
    for secret in (PASSWORD, HEADER_SECRET, *secrets):
        assert secret not in stack.output_text()


def test_bad_credentials_read_as_one_line_with_the_url_and_the_fix(tmp_path, emulator):
    stack = stack_for(tmp_path, emulator.base_url, password=WRONG_PASSWORD)

    up = stack.up(check=False)

    assert up.returncode != 0
    line = first_error_line(up.stdout + up.stderr)
    assert line.startswith("create webhook 'e2e-errors' failed at " + emulator.base_url)
    assert "check onence:username and onence:password" in line
    assert "During handling of the above exception" not in up.stdout + up.stderr
    assert_no_secret(stack, WRONG_PASSWORD)


def test_an_unreachable_api_reads_as_one_line_with_the_url_and_the_fix(tmp_path, emulator):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api_url = f"http://127.0.0.1:{port}/management-api"
    stack = stack_for(tmp_path, api_url)

    up = stack.up(check=False)

    assert up.returncode != 0
    line = first_error_line(up.stdout + up.stderr)
    assert line.startswith(f"create webhook 'e2e-errors' failed at {api_url}")
    assert "check onence:apiUrl" in line
    assert "During handling of the above exception" not in up.stdout + up.stderr
    assert_no_secret(stack)


def test_a_refusal_by_1nce_reads_as_one_line_with_its_message_and_the_fix(
    tmp_path, emulator, onence_api
):
    other = onence_api.create(
        name="someone-elses", url=HOOK["url"], headers={}, eventTypes=[{"type": "ERROR"}]
    )
    stack = stack_for(tmp_path, emulator.base_url)

    up = stack.up(check=False)

    assert up.returncode != 0
    line = first_error_line(up.stdout + up.stderr)
    assert line.startswith(f"create webhook 'e2e-errors' failed at {emulator.base_url}: 409 ")
    assert "The URL is already used by another webhook integration" in line  # 1NCE's words
    assert other["id"] in line
    assert "someone-elses" in line
    assert "adopt_id" in line
    assert "During handling of the above exception" not in up.stdout + up.stderr
    assert_no_secret(stack)


def test_a_url_with_a_password_is_never_printed_when_check_refuses_it(tmp_path, emulator):
    password_in_url = "pa55-in-url-8e3b-never-print"
    hook = {**HOOK, "url": f"https://user:{password_in_url}@ingest.example.com/x"}
    stack = stack_for(tmp_path, emulator.base_url, hooks=(hook,))

    preview = stack.preview(check=False)
    up = stack.up(check=False)

    for result in (preview, up):
        assert result.returncode != 0
        text = result.stdout + result.stderr
        assert "must not contain user:password@" in text
        assert "[secret]" in text
    assert_no_secret(stack, password_in_url, "ingest.example.com/x")


def test_a_webhook_an_earlier_run_created_is_adopted_with_one_line(tmp_path, emulator, onence_api):
    earlier = onence_api.create(
        name=HOOK["name"],
        url=HOOK["url"],
        headers={"x-api-key": HEADER_SECRET},
        eventTypes=[{"type": "TELEMETRY_DATA"}],
    )
    stack = stack_for(tmp_path, emulator.base_url)
    emulator.admin.clear_calls()

    up = stack.up()

    notice = (
        f"adopted existing webhook e2e-errors ({earlier['id']}) instead of creating a duplicate"
    )
    # The provider says it once; the engine lists its diagnostics once each at the end.
    diagnostics = up.stdout.split("Diagnostics:", 1)[1].split("Resources:", 1)[0]
    assert diagnostics.count(notice) == 1
    assert [w["id"] for w in onence_api.webhooks()] == [earlier["id"]]
    assert [r["id"] for r in stack.resources()] == [earlier["id"]]
    assert [c for c in writes(emulator.admin.calls()) if c[0] != "POST"] == []
    assert_no_secret(stack)
    stack.destroy()
