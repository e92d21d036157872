"""check and diff: what the engine sees before any API call (no network here)."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN
from pulumi_onence._errors import NotFoundError, ServerError
from pulumi_onence._models import Integration, RestartResult
from pulumi_onence._provider import WebhookProvider
from pulumi_onence._redact import MARK
from pulumi_onence._state import AUTO_NAME_KEY

SECRET = "header-secret-value"


def declared(**changes: Any) -> dict[str, Any]:
    """New inputs as the engine sends them to check (secrets already plain)."""
    props: dict[str, Any] = {
        "__provider": "serialized-provider",
        "name": "fleet-telemetry",
        "url": "https://ingest.example.com/1nce",
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": True,
    }
    props.update(changes)
    return {k: v for k, v in props.items() if v is not None}


def applied(**changes: Any) -> dict[str, Any]:
    """Old outputs as stored after a create."""
    outs: dict[str, Any] = {
        "name": "fleet-telemetry",
        "url": "https://ingest.example.com/1nce",
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": True,
        "restartIfFailed": False,
        "state": "ROLLOUT_DONE",
        "createdTime": "2026-01-01T00:00:00.000Z",
        "updatedTime": "2026-01-01T00:00:00.000Z",
        "__provider": "serialized-provider",
    }
    outs.update(changes)
    return {k: v for k, v in outs.items() if v is not None}


@pytest.fixture
def provider() -> WebhookProvider:
    return WebhookProvider(warn=lambda _: None)


# --- check --------------------------------------------------------------------------------


def test_check_accepts_valid_inputs_and_fills_defaults(provider: WebhookProvider) -> None:
    result = provider.check({}, declared(jsonPayloadEnabled=None, headers=None))
    assert result.failures == []
    assert result.inputs == {
        "name": "fleet-telemetry",
        "url": "https://ingest.example.com/1nce",
        "headers": {},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": False,
        "restartIfFailed": False,
    }


def test_check_reports_one_failure_per_bad_property(provider: WebhookProvider) -> None:
    result = provider.check(
        {},
        declared(
            url="http://plain.example.com",
            eventTypes=[],
            headers={"x-api-key": 5},
            adoptId="",
            restartIfFailed="yes",
        ),
    )
    assert sorted(f.property for f in result.failures) == [
        "adoptId",
        "eventTypes",
        "headers",
        "restartIfFailed",
        "url",
    ]
    assert all(SECRET not in f.reason for f in result.failures)


# The plugin passes unknowns as Unknown objects; the wire sentinel string must work as well.
UNKNOWNS = [pytest.param(Unknown, id="object"), pytest.param(lambda: UNKNOWN, id="sentinel")]


@pytest.mark.parametrize("unknown", UNKNOWNS)
def test_check_tolerates_values_unknown_during_preview(
    provider: WebhookProvider, unknown: Any
) -> None:
    url = unknown()
    result = provider.check(
        {},
        declared(
            url=url,
            headers={"x-api-key": unknown()},
            eventTypes=["TELEMETRY_DATA", unknown()],
            jsonPayloadEnabled=unknown(),
            restartIfFailed=unknown(),
            adoptId=unknown(),
        ),
    )
    assert result.failures == []
    assert result.inputs["url"] is url


@pytest.mark.parametrize("unknown", UNKNOWNS)
def test_check_still_reports_known_bad_values_next_to_unknown_ones(
    provider: WebhookProvider, unknown: Any
) -> None:
    result = provider.check({}, declared(url=unknown(), name=""))
    assert [f.property for f in result.failures] == ["name"]


def test_a_plan_of_unchanged_inputs_does_not_load_the_models() -> None:
    # Every `up` of an unchanged program checks each webhook: the plugin answers without
    # importing pydantic (tens of milliseconds per engine run); a new webhook is validated.
    script = (
        "import sys, json; from pulumi_onence._provider import WebhookProvider; "
        "olds, news = json.loads(sys.argv[1]); result = WebhookProvider().check(olds, news); "
        "print(json.dumps(['pydantic' in sys.modules, result.inputs, result.failures]))"
    )
    recorded = WebhookProvider().check({}, declared()).inputs

    def plugin_check(olds: dict[str, Any]) -> list[Any]:
        argv = [sys.executable, "-c", script, json.dumps([olds, declared()])]
        done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60)
        answer: list[Any] = json.loads(done.stdout)
        return answer

    assert plugin_check(recorded) == [False, recorded, []]
    assert plugin_check({}) == [True, recorded, []]


@pytest.mark.parametrize(
    ("prop", "value"),
    [("jsonPayloadEnabled", 1), ("url", "http://ingest.example.com/1nce")],
)
def test_a_changed_input_is_validated_even_when_it_compares_equal(
    provider: WebhookProvider, prop: str, value: Any
) -> None:
    recorded = provider.check({}, declared()).inputs
    result = provider.check(recorded, declared(**{prop: value}))
    assert [f.property for f in result.failures] == [prop]


def test_check_names_a_new_webhook_from_the_resource_name(provider: WebhookProvider) -> None:
    result = provider.check({}, declared(name=None, **{AUTO_NAME_KEY: "telemetry-abc1234"}))
    assert result.failures == []
    assert result.inputs["name"] == "telemetry-abc1234"
    assert AUTO_NAME_KEY not in result.inputs


def test_check_keeps_the_name_chosen_earlier(provider: WebhookProvider) -> None:
    olds = {"name": "telemetry-first01", "url": "https://ingest.example.com/1nce"}
    result = provider.check(olds, declared(name=None, **{AUTO_NAME_KEY: "telemetry-other99"}))
    assert result.inputs["name"] == "telemetry-first01"


def test_check_prefers_an_explicit_name(provider: WebhookProvider) -> None:
    olds = {"name": "telemetry-first01"}
    result = provider.check(olds, declared(name="explicit", **{AUTO_NAME_KEY: "telemetry-x"}))
    assert result.inputs["name"] == "explicit"


def test_an_adoption_check_without_1nce_keeps_the_declared_values_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("ONENCE_USERNAME", "ONENCE_PASSWORD", "ONENCE_API_URL"):
        monkeypatch.delenv(name, raising=False)
    warnings: list[str] = []
    provider = WebhookProvider(warn=warnings.append)
    result = provider.check({}, declared(name=None, adoptId="Jv2cS-pPcy0NdtQ64ycZJ"))
    assert result.failures == []
    assert result.inputs["url"] == declared()["url"]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "could not read integration Jv2cS-pPcy0NdtQ64ycZJ from 1NCE to adopt it (1NCE credentials "
        "are missing"
    )
    assert warnings[0].endswith(
        "this plan and the policy pack see the declared values, not the live ones, and "
        "`pulumi up` adopts it if 1NCE answers then"
    )


def test_check_leaves_an_adopted_webhook_unnamed(provider: WebhookProvider) -> None:
    result = provider.check({}, declared(name=None, adoptId="Jv2cS-pPcy0NdtQ64ycZJ"))
    assert result.failures == []
    assert "name" not in result.inputs


def test_check_collapses_duplicate_event_types(provider: WebhookProvider) -> None:
    result = provider.check({}, declared(eventTypes=["ERROR", "LIFECYCLE", "ERROR"]))
    assert result.inputs["eventTypes"] == ["ERROR", "LIFECYCLE"]


def test_check_plans_a_restart_when_refresh_saw_a_failed_webhook(
    provider: WebhookProvider,
) -> None:
    olds = {"name": "fleet-telemetry", "state": "INTEGRATION_FAILED", "restartIfFailed": True}
    planned = provider.check(olds, declared(restartIfFailed=True))
    assert planned.inputs["state"] == "INTEGRATION_ACTIVE"
    not_asked = provider.check(olds, declared(restartIfFailed=False))
    assert "state" not in not_asked.inputs


# --- diff ---------------------------------------------------------------------------------


def test_diff_answers_no_change_explicitly(provider: WebhookProvider) -> None:
    result = provider.diff("id1", applied(), provider.check({}, declared()).inputs)
    assert result.changes is False
    assert result.replaces == []


def test_diff_compares_event_types_as_a_set(provider: WebhookProvider) -> None:
    news = declared(eventTypes=["LIFECYCLE", "TELEMETRY_DATA", "LIFECYCLE"])
    assert provider.diff("id1", applied(), news).changes is False


def test_diff_sees_an_added_event_type(provider: WebhookProvider) -> None:
    news = declared(eventTypes=["LIFECYCLE", "TELEMETRY_DATA", "ERROR"])
    result = provider.diff("id1", applied(), news)
    assert (result.changes, result.replaces) == (True, [])


@pytest.mark.parametrize(
    "change",
    [
        {"url": "https://other.example.com/1nce"},
        {"headers": {"x-api-key": "rotated-value"}},
        {"headers": {}},
        {"jsonPayloadEnabled": False},
    ],
)
def test_diff_updates_in_place(provider: WebhookProvider, change: dict[str, Any]) -> None:
    result = provider.diff("id1", applied(), declared(**change))
    assert result.changes is True
    assert result.replaces == []


def test_diff_compares_headers_with_the_last_applied_value_not_an_echo(
    provider: WebhookProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_api() -> None:
        raise AssertionError("diff must not ask 1NCE")

    monkeypatch.setattr(provider, "_api", no_api)
    # The outputs hold what was applied; a masked echo never gets there, so no perpetual diff.
    assert provider.diff("id1", applied(), declared()).changes is False
    # A masked old value does not hide a change either (PagerDuty #923).
    masked = applied(headers={"x-api-key": "****"})
    assert provider.diff("id1", masked, declared()).changes is True


def test_diff_updates_headers_of_an_adopted_webhook_whose_headers_are_unknown(
    provider: WebhookProvider,
) -> None:
    olds = applied()
    del olds["headers"]
    assert provider.diff("id1", olds, declared()).changes is True


def test_diff_treats_a_missing_json_flag_as_false(provider: WebhookProvider) -> None:
    olds = applied()
    del olds["jsonPayloadEnabled"]
    assert provider.diff("id1", olds, declared(jsonPayloadEnabled=False)).changes is False


def test_a_new_name_replaces_deleting_first_when_the_url_stays(provider: WebhookProvider) -> None:
    result = provider.diff("id1", applied(), declared(name="renamed"))
    assert result.changes is True
    assert result.replaces == ["name"]
    assert result.delete_before_replace is True


def test_a_new_name_with_a_new_url_creates_before_deleting(provider: WebhookProvider) -> None:
    result = provider.diff(
        "id1", applied(), declared(name="renamed", url="https://new.example.com")
    )
    assert result.replaces == ["name"]
    assert result.delete_before_replace is False


@pytest.mark.parametrize("unknown", UNKNOWNS)
def test_diff_reports_unknown_values_as_changes(provider: WebhookProvider, unknown: Any) -> None:
    assert provider.diff("id1", applied(), declared(url=unknown())).changes is True
    assert provider.diff("id1", applied(), declared(headers={"k": unknown()})).changes is True
    renamed = provider.diff("id1", applied(), declared(name=unknown()))
    assert renamed.replaces == ["name"]
    assert renamed.delete_before_replace is True


def test_diff_plans_a_restart_of_a_failed_webhook_only_when_asked(
    provider: WebhookProvider,
) -> None:
    failed = applied(state="INTEGRATION_FAILED")
    assert provider.diff("id1", failed, declared(restartIfFailed=True)).changes is True
    assert provider.diff("id1", failed, declared(restartIfFailed=False)).changes is False
    healthy = applied(state="INTEGRATION_ACTIVE", restartIfFailed=True)
    assert provider.diff("id1", healthy, declared(restartIfFailed=True)).changes is False


class _NoCallsExpected:
    """A 1NCE client that fails the test on any call."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"1NCE was called: {name}")


@pytest.mark.parametrize(("before", "after"), [(False, True), (True, False)])
def test_changing_only_restart_if_failed_is_recorded_without_calling_1nce(
    provider: WebhookProvider, before: bool, after: bool
) -> None:
    healthy = applied(state="INTEGRATION_ACTIVE", restartIfFailed=before)
    planned = provider.diff("id1", healthy, declared(restartIfFailed=after))
    assert (planned.changes, planned.replaces) == (True, [])

    quiet = WebhookProvider(_NoCallsExpected(), warn=lambda _: None)  # type: ignore[arg-type]
    result = quiet.update("id1", healthy, declared(restartIfFailed=after))

    assert result.outs is not None
    assert result.outs["restartIfFailed"] is after  # a later refresh plans from this
    assert result.outs["state"] == "INTEGRATION_ACTIVE"


def test_an_adopted_webhook_is_not_replaced_afterwards(provider: WebhookProvider) -> None:
    olds = applied(adoptId="id1")
    news = declared(name=None, adoptId="id1")
    result = provider.diff("id1", olds, news)
    assert (result.changes, result.replaces) == (False, [])


def test_pointing_adopt_id_at_another_integration_replaces(provider: WebhookProvider) -> None:
    result = provider.diff("id1", applied(adoptId="id1"), declared(adoptId="id2"))
    assert result.replaces == ["adoptId"]


# --- update: restart warnings ---------------------------------------------------------------


class _RestartFailsEchoingTheHeader:
    """A client whose restart fails with a message quoting the receiver's answer."""

    def __init__(self, echo: str = SECRET) -> None:
        self.echo = echo

    def restart_webhook(self, integration_id: str) -> RestartResult:
        return RestartResult.model_validate(
            {
                "restartStatus": "FAILURE",
                "message": f"receiver answered 401: bad key {self.echo}",
                "integration": {"id": integration_id, "name": "n", "state": "INTEGRATION_FAILED"},
            }
        )


def test_a_failed_restart_warns_without_quoting_a_header_value() -> None:
    warnings: list[str] = []
    provider = WebhookProvider(
        _RestartFailsEchoingTheHeader(),  # type: ignore[arg-type]
        warn=warnings.append,
    )
    olds = applied(state="INTEGRATION_FAILED", restartIfFailed=True)

    result = provider.update("hook-1", olds, declared(restartIfFailed=True))

    assert result.outs is not None
    assert result.outs["state"] == "INTEGRATION_FAILED"
    assert len(warnings) == 1
    assert "FAILURE" in warnings[0]
    assert SECRET not in warnings[0]


def test_a_failed_restart_warns_without_quoting_a_url_that_carries_a_credential() -> None:
    url = "https://ingest.example.com/1nce?token=tk-5b7d20e9aa"
    warnings: list[str] = []
    provider = WebhookProvider(
        _RestartFailsEchoingTheHeader(echo=url),  # type: ignore[arg-type]
        warn=warnings.append,
    )
    olds = applied(url=url, state="INTEGRATION_FAILED", restartIfFailed=True)

    provider.update("hook-1", olds, declared(url=url, restartIfFailed=True))

    (warning,) = warnings
    assert "tk-5b7d20e9aa" not in warning
    assert warning.endswith(f"bad key {MARK}")


class _FailedWebhookQuotingItsUrl:
    """A client whose failed webhook's 1NCE error quotes the endpoint URL."""

    def __init__(self, url: str) -> None:
        self.url = url

    def list_integrations(self) -> list[Integration]:
        return []

    def get_integration(self, integration_id: str) -> Integration:
        return Integration.model_validate(
            {
                "id": integration_id,
                "name": "fleet-telemetry",
                "type": "WEBHOOK",
                "state": "INTEGRATION_FAILED",
                "url": self.url,
                "error": f"delivery to {self.url} failed",
            }
        )


def test_a_refresh_warning_does_not_quote_a_url_that_carries_a_credential() -> None:
    url = "https://ingest.example.com/1nce?token=tk-0c41aa7e93"
    warnings: list[str] = []
    provider = WebhookProvider(
        _FailedWebhookQuotingItsUrl(url),  # type: ignore[arg-type]
        warn=warnings.append,
    )

    provider.read("hook-1", applied(url=url))

    (warning,) = warnings
    assert "tk-0c41aa7e93" not in warning
    assert f"(1NCE: delivery to {MARK} failed)" in warning


# --- robustness and the first use of the client ------------------------------------------


@pytest.mark.parametrize("prop", ["headers", "eventTypes", "url", "name"])
def test_check_answers_a_failure_for_input_nested_hundreds_of_levels_deep(
    provider: WebhookProvider, prop: str
) -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    result = provider.check(
        {}, declared(**{prop: {"x-api-key": deep} if prop == "headers" else deep})
    )
    assert [(f.property, f.reason) for f in result.failures] == [
        (prop, "is nested too deeply to be valid")
    ]


def test_check_refuses_a_header_value_1nce_cannot_send_naming_the_header_only(
    provider: WebhookProvider,
) -> None:
    result = provider.check({}, declared(headers={"x-api-key": "schl\u00fcssel-\u2603"}))
    (failure,) = result.failures
    assert failure.property == "headers"
    assert "'x-api-key'" in failure.reason
    assert "Latin-1" in failure.reason
    assert "\u2603" not in failure.reason


def test_concurrent_first_use_builds_exactly_one_client(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import pulumi_onence._client as client_module

    built: list[object] = []
    barrier = threading.Barrier(8)

    class CountingClient:
        def __init__(self, settings: Any) -> None:
            built.append(self)
            threading.Event().wait(0.05)  # widen the window a second builder would use

    monkeypatch.setattr(client_module, "OnenceClient", CountingClient)
    provider = WebhookProvider(warn=lambda _: None)
    provider._api.configure({"onence:username": "u", "onence:password": "p"})
    seen: list[object] = []

    def first_use() -> None:
        barrier.wait(timeout=30)
        seen.append(provider._api())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(built) == 1
    assert len(seen) == 8
    assert all(c is built[0] for c in seen)


class _RefusingClient:
    """A client whose every call fails as a wrong password does."""

    def create_webhook(self, *_: Any, **__: Any) -> Any:
        from pulumi_onence._errors import AuthenticationError

        try:
            raise KeyError("inner detail")
        except KeyError:
            raise AuthenticationError(
                401,
                "Unauthorized",
                operation="create webhook 'fleet-telemetry'",
                api_url="https://api.example.com/management-api",
            ) from None


def test_a_provider_error_is_one_line_without_a_chain_and_a_short_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import traceback

    from pulumi_onence._errors import AuthenticationError

    provider = WebhookProvider(_RefusingClient(), warn=lambda _: None)  # type: ignore[arg-type]
    props = provider.check({}, declared()).inputs
    with pytest.raises(AuthenticationError) as caught:
        provider.create(props)

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "create webhook 'fleet-telemetry' failed at https://api.example.com/management-api: "
        "401 Unauthorized; check onence:username and onence:password"
    )
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    frames = traceback.extract_tb(caught.value.__traceback__)
    # The caller's frame, then the boundary: nothing from inside the provider or client.
    assert [f.name for f in frames][1:] == ["boundary"]
    assert SECRET not in message
    # Outside the plugin the same line goes to stderr, first.
    assert capsys.readouterr().err.splitlines()[0] == f"error: {message}"


class _ListingFails:
    """1NCE whose list pass fails (after its whole retry budget) while each webhook reads."""

    def __init__(self) -> None:
        self.list_passes = 0
        self.reads: list[str] = []

    def list_integrations(self) -> list[Integration]:
        self.list_passes += 1
        raise ServerError(503, "list unavailable", operation="list integrations")

    def get_integration(self, integration_id: str) -> Integration:
        self.reads.append(integration_id)
        return Integration.model_validate(
            {**applied(), "id": integration_id, "state": "INTEGRATION_ACTIVE"}
        )


def test_a_failed_list_pass_is_made_once_and_each_read_asks_for_its_own_webhook() -> None:
    """Reads waiting on the shared list pass must not each repeat a failing one in turn (a
    retry budget apiece, one after another); each still refreshes from its own webhook."""
    onence = _ListingFails()
    provider = WebhookProvider(onence, warn=lambda _: None)  # type: ignore[arg-type]
    ids = [f"wh-{n}" for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda id_: provider.read(id_, applied()), ids))

    assert onence.list_passes == 1
    assert sorted(onence.reads) == ids
    assert [r.outs["state"] for r in results if r.outs] == ["INTEGRATION_ACTIVE"] * 8


class _Empty1nce:
    """An account with no integrations."""

    def list_integrations(self) -> list[Integration]:
        return []

    def get_integration(self, integration_id: str) -> Integration:
        raise NotFoundError(404, "not found", operation=f"read integration {integration_id}")


def test_importing_an_id_1nce_does_not_know_says_so_not_that_state_was_removed() -> None:
    warnings: list[str] = []
    provider = WebhookProvider(_Empty1nce(), warn=warnings.append)  # type: ignore[arg-type]

    imported = provider.read("no-such-id", {})
    refreshed = provider.read("gone-id", applied())

    assert (imported.id, refreshed.id) == ("", "")  # gone: the engine drops them
    assert warnings[0] == "1NCE has no integration with the id 'no-such-id': check the id"
    assert "removed from the stack's state" in warnings[1]


def test_a_failed_restart_blanks_a_header_the_program_does_not_declare() -> None:
    """An imported webhook's headers are 1NCE's, not declared: 1NCE may still echo them."""
    warnings: list[str] = []
    provider = WebhookProvider(
        _RestartFailsEchoingTheHeader(),  # type: ignore[arg-type]
        warn=warnings.append,
    )
    olds = applied(state="INTEGRATION_FAILED", restartIfFailed=True)  # holds the header value

    provider.update("hook-1", olds, declared(headers=None, restartIfFailed=True))

    (warning,) = warnings
    assert warning.endswith(f"bad key {MARK}")
