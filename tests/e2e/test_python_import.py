"""`pulumi import --generate-code` in a Python project that uses the plugin through its SDK.

A Python user of the provider plugin has the SDK `pulumi package gen-sdk` makes (package
``pulumi_onence_plugin``) in the program's virtualenv. A webhook made in the portal is imported
by id: the engine asks the language host for Python, and the generated declaration, pasted
into ``__main__.py`` as the CLI suggests, previews with no changes. Nothing is written to 1NCE
until the declaration is changed on purpose (one PATCH); the portal's header value never reaches
the generated code, the CLI's output or the state. The project lives outside the repository and
PATH holds only the engine.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from onence_devtools.stack import REPO_ROOT, VENV, PulumiStack
from onence_emulator.harness import EmulatorProcess

from tests.e2e.conftest import PASSWORD, USER, OnenceApi, writes
from tests.e2e.engine import require_engine
from tests.sdk.toolchain import CONSTRAINTS, PIP, generate_sdks, run, wheelhouse

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

PLUGIN = VENV / "bin" / "pulumi-resource-onence"
PORTAL_KEY = "python-import-portal-key-77d1c4"
WEBHOOK = "onence:index:Webhook"
PROGRAM_HEAD = "import pulumi\nimport pulumi_onence_plugin as onence\n\n"


@pytest.fixture(scope="module")
def sdk_virtualenv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the generated Python SDK (and so pulumi) installed, offline."""
    assert PLUGIN.is_file(), f"{PLUGIN} is missing: run `make venv`"
    out = generate_sdks(
        require_engine(),
        PLUGIN,
        ["python"],
        tmp_path_factory.mktemp("sdk"),
        tmp_path_factory.mktemp("pulumi-home"),
    )
    sdk = out / "python"
    venv = tmp_path_factory.mktemp("program") / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=out, timeout=120)
    offline: list[str | Path] = [
        "--no-index",
        "--find-links",
        wheelhouse(sdk),
        "--constraint",
        CONSTRAINTS,
    ]
    run([*PIP, "--python", venv / "bin" / "python", "install", *offline, sdk], cwd=out, timeout=900)
    return venv


@pytest.fixture
def python_stack(
    tmp_path: Path, emulator: EmulatorProcess, sdk_virtualenv: Path
) -> Iterator[PulumiStack]:
    assert REPO_ROOT not in tmp_path.resolve().parents
    engine_only = tmp_path / "engine"
    engine_only.mkdir()
    (engine_only / "pulumi").symlink_to(Path(require_engine()).resolve())
    stack = PulumiStack(
        tmp_path / "project",
        PROGRAM_HEAD,
        project="onence-python-import",
        virtualenv=sdk_virtualenv,
        provider_plugins={"onence": PLUGIN.parent},
        extra_env={"PATH": f"{engine_only}:/usr/local/bin:/usr/bin:/bin"},
    ).init()
    stack.configure_emulator(emulator.base_url, USER, PASSWORD)
    yield stack
    stack.destroy(check=False)


def test_a_portal_webhook_is_imported_into_a_python_program_with_zero_writes(
    python_stack: PulumiStack, emulator: EmulatorProcess, onence_api: OnenceApi
) -> None:
    stack = python_stack
    portal = onence_api.create(
        name="portal-python",
        url="https://alerts.example.com/python?iccid=:iccid:",
        eventTypes=[{"type": "ERROR"}, {"type": "LIFECYCLE"}],
        jsonPayloadEnabled=True,
        headers={"x-api-key": PORTAL_KEY},
    )
    emulator.admin.clear_calls()

    done = stack.run(
        "import", WEBHOOK, "alerts", portal["id"], "--yes", "--protect=false",
        "--generate-code", "--out", "imported.py", "--stack", stack.stack,
    )  # fmt: skip
    assert writes(emulator.admin.calls()) == []
    generated = (stack.workdir / "imported.py").read_text()
    tree = ast.parse(generated)  # Python, whatever its layout
    [call] = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "onence.Webhook"
    ]
    assert [ast.literal_eval(a) for a in call.args] == ["alerts"]
    keywords = {k.arg: ast.unparse(k.value) for k in call.keywords if k.arg != "opts"}
    # The event types as the SDK's enum, the rest as plain values; no headers (they are secret).
    assert keywords == {
        "name": "'portal-python'",
        "url": "'https://alerts.example.com/python?iccid=:iccid:'",
        "event_types": "[onence.EventType.ERROR, onence.EventType.LIFECYCLE]",
        "json_payload_enabled": "True",
    }
    assert "import pulumi_onence_plugin as onence" in generated

    # Pasted below the program's imports, as `pulumi import` tells the user to.
    body = "\n".join(line for line in generated.splitlines() if not line.startswith("import "))
    stack.write_program(PROGRAM_HEAD + body + "\n")
    assert stack.preview("--expect-no-changes", check=False).returncode == 0, stack.transcript[-1]
    assert writes(emulator.admin.calls()) == []
    assert onence_api.get(portal["id"])["headers"] == {"x-api-key": PORTAL_KEY}  # untouched

    # From now on the code is the source of truth: a changed URL is one PATCH, in place.
    changed = body.replace("/python?iccid", "/python/v2?iccid")
    assert changed != body
    stack.write_program(PROGRAM_HEAD + changed + "\n")
    stack.up()
    assert writes(emulator.admin.calls()) == [
        ("PATCH", f"/management-api/v1/integrate/clouds/webhooks/{portal['id']}")
    ]
    after = onence_api.get(portal["id"])
    assert after["url"] == "https://alerts.example.com/python/v2?iccid=:iccid:"
    assert after["headers"] == {"x-api-key": PORTAL_KEY}  # undeclared headers stay unmanaged
    [resource] = stack.resources(WEBHOOK)
    assert resource["id"] == portal["id"]

    state = "".join(
        p.read_text(errors="replace") for p in stack.state_dir.rglob("*") if p.is_file()
    )
    assert portal["id"] in state, "the state holds no webhook: the search below proves nothing"
    for text in (generated, stack.output_text(), state, done.stdout + done.stderr):
        assert PORTAL_KEY not in text
        assert PASSWORD not in text
