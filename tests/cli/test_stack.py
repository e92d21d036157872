"""Finding a stack's webhooks and config through the Pulumi CLI, with a fake `pulumi`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from pulumi_onence._errors import ConfigurationError
from pulumi_onence._stack import (
    WEBHOOK_TYPE,
    PendingWebhook,
    PulumiCli,
    StackError,
    StackWebhook,
    config_values,
    one_line_error,
    state_from_export,
    webhooks_from_export,
)

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "ciphertext": "v1:abc",
}


def webhook_resource(
    resource: str, id_: str, type_: str = WEBHOOK_TYPE, **outputs: object
) -> dict[str, object]:
    return {
        "urn": f"urn:pulumi:dev::proj::{type_}::{resource}",
        "type": type_,
        "id": id_,
        "outputs": {
            "name": f"{resource}-hook",
            "url": f"https://example.com/{resource}",
            **outputs,
        },
    }


def export_doc(*resources: Mapping[str, object]) -> dict[str, object]:
    stack = {
        "urn": "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev",
        "type": "pulumi:pulumi:Stack",
    }
    return {"version": 3, "deployment": {"manifest": {}, "resources": [stack, *resources]}}


class FakePulumi:
    """Answers `pulumi` argv with canned processes and records what it was asked."""

    def __init__(self, **answers: tuple[int, str, str]) -> None:
        self.answers = answers
        self.calls: list[tuple[list[str], dict[str, str]]] = []
        self.stdin: list[str | None] = []

    def __call__(
        self, argv: Sequence[str], env: Mapping[str, str], timeout: float, stdin: str | None
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), dict(env)))
        self.stdin.append(stdin)
        code, out, err = self.answers[argv[1]]
        return subprocess.CompletedProcess(list(argv), code, out, err)


class TestWebhooksFromExport:
    def test_finds_webhooks_with_resource_name_id_and_name(self):
        doc = export_doc(webhook_resource("telemetry", "id-1"), webhook_resource("errors", "id-2"))

        assert webhooks_from_export(doc) == [
            StackWebhook("telemetry", "id-1", "telemetry-hook"),
            StackWebhook("errors", "id-2", "errors-hook"),
        ]

    def test_finds_webhooks_of_the_provider_plugin_too(self):
        doc = export_doc(
            webhook_resource("dynamic", "id-1"),
            webhook_resource("plugin", "id-2", type_="onence:index:Webhook"),
        )

        assert [w.id for w in webhooks_from_export(doc)] == ["id-1", "id-2"]

    def test_ignores_other_resource_types(self):
        other = {
            "urn": "urn:pulumi:dev::proj::random:index:RandomId::x",
            "type": "random:index:RandomId",
            "id": "x",
        }

        assert webhooks_from_export(export_doc(other)) == []

    def test_skips_webhooks_pending_deletion(self):
        doomed = {**webhook_resource("old", "id-old"), "delete": True}

        assert [
            w.id
            for w in webhooks_from_export(export_doc(doomed, webhook_resource("new", "id-new")))
        ] == ["id-new"]

    def test_secret_outputs_are_not_decoded(self):
        doc = export_doc(webhook_resource("t", "id-1", name=SECRET))

        assert webhooks_from_export(doc)[0].name is None

    def test_empty_stack_has_no_webhooks(self):
        assert webhooks_from_export({"version": 3, "deployment": {"manifest": {}}}) == []


class TestConfigValues:
    def test_keeps_every_key_with_secrets_decrypted_and_says_which_are_secret(self):
        doc = {
            "onence:apiUrl": {"value": "http://127.0.0.1:1/management-api", "secret": False},
            "onence:password": {"value": "pw", "secret": True},
            "proj:ingestKey": {"value": "other", "secret": True},
            "onence:tags": {"value": '["a"]', "objectValue": ["a"], "secret": False},
        }

        assert config_values(doc) == (
            {
                "onence:apiUrl": "http://127.0.0.1:1/management-api",
                "onence:password": "pw",
                "proj:ingestKey": "other",
                "onence:tags": '["a"]',
            },
            {"onence:password", "proj:ingestKey"},
        )


class TestOneLineError:
    def test_keeps_the_last_error_line_without_prefix(self):
        stderr = "warning: something\nerror: no stack named 'prod' found\n"

        assert one_line_error(stderr) == "no stack named 'prod' found"

    def test_blanks_secret_values(self):
        stderr = "error: bad passphrase 'hunter2' for stack"

        assert one_line_error(stderr, {"hunter2"}) == "bad passphrase '[secret]' for stack"

    def test_a_short_secret_leaves_ordinary_words_alone(self):
        # The passphrase "pass" must not turn "passphrase" into "[secret]phrase".
        stderr = "error: incorrect passphrase; pass was rejected"

        line = one_line_error(stderr, {"pass"})

        assert line == "incorrect passphrase; [secret] was rejected"

    def test_caps_the_length_but_keeps_a_providers_whole_line(self):
        assert len(one_line_error("error: " + "x" * 5000)) <= 480
        provider_line = (
            "refresh of webhook 't1' (am8gGZ6dDgOVS1WPM4-mO): read integration "
            "am8gGZ6dDgOVS1WPM4-mO failed at https://api.1nce.com/management-api: 400 the token "
            "request was refused (credentials not accepted): User does not exist.; check "
            "onence:username and onence:password (or ONENCE_USERNAME and ONENCE_PASSWORD)"
        )
        assert one_line_error(f"error: {provider_line}") == provider_line


class TestPulumiCli:
    def test_stack_and_cwd_are_passed_to_every_call(self, tmp_path: Path):
        fake = FakePulumi(stack=(0, json.dumps(export_doc()), ""), config=(0, "{}", ""))
        cli = PulumiCli("prod", tmp_path, environ={}, runner=fake)

        cli.state()
        cli.config()

        assert [argv[1:3] for argv, _ in fake.calls] == [
            ["stack", "export"],
            ["config", "--show-secrets"],
        ]
        for argv, _ in fake.calls:
            assert argv[argv.index("--stack") + 1] == "prod"
            assert argv[argv.index("--cwd") + 1] == str(tmp_path)
            assert "--non-interactive" in argv

    def test_without_stack_uses_the_selected_stack(self):
        fake = FakePulumi(stack=(0, json.dumps(export_doc()), ""))

        PulumiCli(environ={}, runner=fake).state()

        assert "--stack" not in fake.calls[0][0]

    def test_users_environment_reaches_pulumi(self):
        fake = FakePulumi(stack=(0, json.dumps(export_doc()), ""))
        environ = {"PULUMI_BACKEND_URL": "file:///tmp/state", "PULUMI_CONFIG_PASSPHRASE": "pp"}

        PulumiCli(environ=environ, runner=fake).state()

        env = fake.calls[0][1]
        assert env["PULUMI_BACKEND_URL"] == "file:///tmp/state"
        assert env["PULUMI_CONFIG_PASSPHRASE"] == "pp"

    def test_config_is_read_with_secrets_shown(self):
        doc = {"onence:password": {"value": "pw", "secret": True}}
        fake = FakePulumi(config=(0, json.dumps(doc), ""))

        assert PulumiCli(environ={}, runner=fake).config() == {"onence:password": "pw"}
        assert "--show-secrets" in fake.calls[0][0]

    def test_missing_stack_is_a_configuration_error_in_one_line(self):
        fake = FakePulumi(stack=(255, "", "error: no stack named 'nope' found\n"))

        with pytest.raises(StackError) as info:
            PulumiCli("nope", environ={}, runner=fake).state()

        assert isinstance(info.value, ConfigurationError)
        assert "\n" not in str(info.value)
        assert "no stack named 'nope' found" in str(info.value)

    def test_passphrase_never_appears_in_an_error(self):
        stderr = "error: decrypting secret value with 'sesame-passphrase' failed\n"
        fake = FakePulumi(config=(255, "", stderr))
        cli = PulumiCli(environ={"PULUMI_CONFIG_PASSPHRASE": "sesame-passphrase"}, runner=fake)

        with pytest.raises(StackError) as info:
            cli.config()

        assert "sesame-passphrase" not in str(info.value)

    def test_access_token_never_appears_in_an_error(self):
        stderr = "error: the token 'pul-0a1b2c3d4e' was rejected by the backend\n"
        fake = FakePulumi(stack=(255, "", stderr))
        cli = PulumiCli(environ={"PULUMI_ACCESS_TOKEN": "pul-0a1b2c3d4e"}, runner=fake)

        with pytest.raises(StackError) as info:
            cli.state()

        assert "pul-0a1b2c3d4e" not in str(info.value)
        assert str(info.value).endswith("the token '[secret]' was rejected by the backend")

    @pytest.mark.parametrize(
        "variable",
        [
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AZURE_STORAGE_KEY",
            "ARM_CLIENT_SECRET",
            "GOOGLE_CREDENTIALS",
        ],
    )
    def test_state_backend_credentials_never_appear_in_an_error(self, variable: str):
        stderr = "error: s3://state: access denied for key wJalrXUtnFEMI/K7MDENG\n"
        fake = FakePulumi(stack=(255, "", stderr))
        cli = PulumiCli(environ={variable: "wJalrXUtnFEMI/K7MDENG"}, runner=fake)

        with pytest.raises(StackError) as info:
            cli.state()

        assert str(info.value).endswith("s3://state: access denied for key [secret]")

    def test_unparsable_config_output_is_not_quoted(self):
        fake = FakePulumi(config=(0, "onence:password=topsecret-value", ""))

        with pytest.raises(StackError) as info:
            PulumiCli(environ={}, runner=fake).config()

        assert "topsecret-value" not in str(info.value)

    def test_missing_pulumi_cli_says_so(self):
        def absent(
            argv: Sequence[str], env: Mapping[str, str], timeout: float, stdin: str | None
        ) -> subprocess.CompletedProcess[str]:
            raise FileNotFoundError(argv[0])

        with pytest.raises(StackError, match="not found on PATH"):
            PulumiCli(environ={}, runner=absent).state()

    def test_pulumi_that_hangs_is_reported(self):
        def hangs(
            argv: Sequence[str], env: Mapping[str, str], timeout: float, stdin: str | None
        ) -> subprocess.CompletedProcess[str]:
            raise subprocess.TimeoutExpired(list(argv), timeout)

        with pytest.raises(StackError, match="did not answer"):
            PulumiCli(environ={}, runner=hangs, timeout=5).state()

    def test_real_subprocess_runner_reports_a_missing_executable(self, tmp_path: Path):
        cli = PulumiCli(pulumi=str(tmp_path / "no-such-pulumi"), environ={})

        with pytest.raises(StackError, match="not found on PATH"):
            cli.state()

    def test_state_is_read_with_secrets_shown_and_header_values_kept_for_redaction(self):
        headers = {SECRET_SIG: SECRET[SECRET_SIG], "plaintext": json.dumps({"x-key": "hv-123"})}
        doc = export_doc(webhook_resource("t", "id-1", headers=headers))
        fake = FakePulumi(stack=(0, json.dumps(doc), ""), config=(255, "", "error: hv-123 bad"))
        cli = PulumiCli(environ={}, runner=fake)

        [hook] = cli.state().webhooks
        with pytest.raises(StackError) as info:
            cli.config()

        assert "--show-secrets" in fake.calls[0][0]
        assert hook.secrets == ("hv-123",)
        assert "hv-123" not in repr(hook)
        assert str(info.value).endswith("[secret] bad")

    def test_a_secret_is_set_with_its_value_on_stdin_only(self):
        fake = FakePulumi(config=(0, "", ""))

        PulumiCli("dev", environ={}, runner=fake).set_secret("ingestKey", "value-on-stdin")

        [(argv, _)] = fake.calls
        assert argv[:5] == ["pulumi", "config", "set", "--secret", "ingestKey"]
        assert "value-on-stdin" not in " ".join(argv)
        assert fake.stdin == ["value-on-stdin"]


class TestStateFromExport:
    def test_names_the_stack_and_project_from_the_urns(self):
        state = state_from_export(export_doc(webhook_resource("t", "id-1")))

        assert (state.name, state.project) == ("dev", "proj")

    def test_lists_webhook_creates_an_interrupted_run_left_pending(self):
        doc = export_doc()
        pending = {
            "type": "creating",
            "resource": {
                "urn": f"urn:pulumi:dev::proj::{WEBHOOK_TYPE}::orphan",
                "type": WEBHOOK_TYPE,
                "inputs": {"name": "orphan-hook"},
            },
        }
        doc["deployment"]["pending_operations"] = [pending]  # type: ignore[index]

        assert state_from_export(doc).pending == [PendingWebhook("orphan", "orphan-hook")]
