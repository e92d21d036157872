"""The testing API users put in their own CI: ``running_emulator()`` and the pytest plugin."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests
from onence_emulator.receiver import HttpsReceiver
from onence_emulator.testing import DEFAULT_USERNAME, running_emulator

pytest_plugins = ["pytester"]

TOKEN_BODY = {"grant_type": "client_credentials"}
WEBHOOKS = "/v1/integrate/clouds/webhooks"


def _token_status(env: dict[str, str]) -> int:
    response = requests.post(
        env["ONENCE_API_URL"] + "/oauth/token",
        auth=(env["ONENCE_USERNAME"], env["ONENCE_PASSWORD"]),
        json=TOKEN_BODY,
        timeout=10,
    )
    return response.status_code


def test_the_context_manager_starts_a_process_and_stops_it_on_exit() -> None:
    with running_emulator() as onence:
        assert onence.process.running
        assert onence.base_url.startswith("http://127.0.0.1:")
        assert onence.base_url.endswith("/management-api")
        assert requests.get(onence.base_url + "/v1/integrate/clouds", timeout=10).status_code == 401
        base_url = onence.base_url
    assert not onence.process.running
    with pytest.raises(requests.ConnectionError):
        requests.get(base_url + "/v1/integrate/clouds", timeout=5)


def test_its_env_and_config_log_in_with_a_generated_password() -> None:
    with running_emulator() as first, running_emulator() as second:
        env = first.env()
        assert set(env) == {"ONENCE_API_URL", "ONENCE_USERNAME", "ONENCE_PASSWORD"}
        assert env["ONENCE_USERNAME"] == DEFAULT_USERNAME
        assert _token_status(env) == 200
        assert first.password != second.password  # generated for each run
        assert len(first.password) >= 24
        assert first.pulumi_config() == {
            "onence:apiUrl": env["ONENCE_API_URL"],
            "onence:username": env["ONENCE_USERNAME"],
            "onence:password": env["ONENCE_PASSWORD"],
        }
        assert _token_status({**env, "ONENCE_PASSWORD": "wrong"}) == 400


def test_given_users_are_served_and_the_first_one_is_env() -> None:
    users = {"ci-user": "ci-password-1", "other": "other-password-2"}
    with running_emulator(users=users) as onence:
        assert (onence.username, onence.password) == ("ci-user", "ci-password-1")
        assert _token_status(onence.env()) == 200
        other = {**onence.env(), "ONENCE_USERNAME": "other", "ONENCE_PASSWORD": "other-password-2"}
        assert _token_status(other) == 200


def test_the_password_is_never_shown() -> None:
    with running_emulator(extra_args=["--log-level", "debug"]) as onence:
        password = onence.password
        shown = [repr(onence), str(onence), repr(onence.process), repr(onence.admin)]
        assert all(password not in text for text in shown)
        assert onence.base_url in repr(onence)
        assert _token_status(onence.env()) == 200
        process = onence.process._process
        assert process is not None
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert password.encode() not in command_line
        onence.process.stop()  # stdout and the log are complete once the process has exited
        stdout, log = onence.process.stdout_text(), onence.process.log_text()
    assert stdout == onence.base_url + "\n"  # the one line it prints: its URL
    assert "Started server process" in log  # the log was captured
    assert password not in stdout + log


@pytest.mark.parametrize(
    "users", [{}, {"a,b": "p"}, {"a": "p,q"}, {"a:b": "p"}, {"": "p"}, {"a": ""}]
)
def test_users_the_process_cannot_take_are_refused(users: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="user"), running_emulator(users=users):
        pass


def test_a_receiver_brings_its_ca_and_allows_local_delivery() -> None:
    with HttpsReceiver() as receiver, running_emulator(receiver=receiver) as onence:
        assert onence.receiver is receiver
        assert onence.process.allow_private_endpoints
        assert onence.process.ca_bundle == Path(receiver.ca_pem)
        api = requests.Session()
        env = onence.env()
        token = api.post(
            onence.base_url + "/oauth/token",
            auth=(env["ONENCE_USERNAME"], env["ONENCE_PASSWORD"]),
            json=TOKEN_BODY,
            timeout=10,
        ).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        created = api.post(
            onence.base_url + WEBHOOKS,
            json={
                "name": "local",
                "url": receiver.url + "/hook",
                "headers": {"x-api-key": "local-key"},
                "eventTypes": [{"type": "TELEMETRY_DATA"}],
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
        assert [item["name"] for item in onence.admin.integrations()] == ["local"]
        onence.admin.inject_event("TELEMETRY_DATA", device={"iccid": "8988280666000002864"})
        assert receiver.wait_for(1, timeout=10)
        (delivered,) = receiver.received
        assert delivered.header("x-api-key") == "local-key"
        assert "local-key" not in repr(delivered) + repr(receiver)


def test_a_receiver_and_a_ca_bundle_are_refused_together(tmp_path: Path) -> None:
    with (
        HttpsReceiver() as receiver,
        pytest.raises(TypeError, match="ca_bundle"),
        running_emulator(receiver=receiver, ca_bundle=tmp_path / "ca.pem"),
    ):
        pass


def test_reset_forgets_state_and_restarts_a_stopped_process() -> None:
    with running_emulator() as onence:
        onence.admin.add_fault("rate_limit", path="/oauth/token")
        assert _token_status(onence.env()) == 429
        onence.process.stop()  # an outage of 1NCE, as a test might play it
        onence.reset()
        assert onence.process.running
        assert _token_status(onence.env()) == 200
        assert onence.admin.integrations() == []


def test_the_testing_api_imports_without_pytest_or_trustme() -> None:
    code = (
        "import sys, onence_emulator.testing; "
        "print(sorted({'pytest', 'trustme'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


# --- the pytest plugin, in a pytest run of its own -----------------------------------------

PLUGIN_CONFTEST = """
    pytest_plugins = ["onence_emulator.pytest_plugin"]
"""

PLUGIN_TESTS = """
    import requests

    seen = {}


    def token(env):
        return requests.post(
            env["ONENCE_API_URL"] + "/oauth/token",
            auth=(env["ONENCE_USERNAME"], env["ONENCE_PASSWORD"]),
            json={"grant_type": "client_credentials"},
            timeout=10,
        )


    def test_the_emulator_serves_the_env(onence_emulator):
        seen["url"] = onence_emulator.base_url
        assert token(onence_emulator.env()).status_code == 200
        onence_emulator.admin.add_fault("error_before", path="/oauth/token")
        assert onence_emulator.receiver is None
        assert not onence_emulator.process.allow_private_endpoints  # 1NCE's rules


    def test_it_is_one_process_reset_before_each_test(onence_emulator):
        assert onence_emulator.base_url == seen["url"]
        assert onence_emulator.admin.calls() == []
        assert token(onence_emulator.env()).status_code == 200  # the fault is gone


    def test_the_receiver_records_deliveries(onence_emulator_with_receiver, onence_receiver):
        onence = onence_emulator_with_receiver
        assert onence.receiver is onence_receiver
        assert onence.base_url != seen["url"]  # its own process: loopback allowed, CA trusted
        auth = {"Authorization": "Bearer " + token(onence.env()).json()["access_token"]}
        created = requests.post(
            onence.base_url + "/v1/integrate/clouds/webhooks",
            headers=auth,
            json={
                "name": "plugin",
                "url": onence_receiver.url + "/hook",
                "headers": {"x-api-key": "plugin-key"},
                "eventTypes": [{"type": "TELEMETRY_DATA"}],
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
        onence.admin.inject_event("TELEMETRY_DATA", payload={"t": 1})
        assert onence_receiver.wait_for(1, timeout=10)
        assert onence_receiver.received[0].header("x-api-key") == "plugin-key"
        onence_receiver.status = 500


    def test_the_receiver_is_cleared_before_each_test(onence_receiver):
        assert onence_receiver.received == []
        assert onence_receiver.status == 200
"""


def test_the_plugin_fixtures_work_in_a_users_test_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(textwrap.dedent(PLUGIN_CONFTEST))
    pytester.makepyfile(test_stack=textwrap.dedent(PLUGIN_TESTS))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_the_plugin_options_fixture_reaches_the_emulator(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        textwrap.dedent(
            """
            import pytest

            pytest_plugins = ["onence_emulator.pytest_plugin"]


            @pytest.fixture(scope="session")
            def onence_emulator_options():
                return {"paging": "refuse-over-50", "users": {"ci": "ci-secret"}}
            """
        )
    )
    pytester.makepyfile(
        test_options="""
        def test_options(onence_emulator):
            assert onence_emulator.username == "ci"
            assert onence_emulator.process.paging == "refuse-over-50"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_plugin_is_not_loaded_unless_a_conftest_asks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_alone="def test_alone(onence_emulator):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'onence_emulator' not found*"])
