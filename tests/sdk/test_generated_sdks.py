"""The SDKs `pulumi package gen-sdk` makes from the checkout's plugin, for every Pulumi language.

The schema comes from the checkout's ``.venv/bin/pulumi-resource-onence`` through the engine,
and ``gen-sdk`` writes each SDK. The language hosts that do the writing in a Pulumi install are
not published as Go modules; ``codegen_host/`` is one that only generates, with the same code
generators of ``github.com/pulumi/pulumi/pkg/v3``, put first on PATH. Then, as docs/languages.md
says and with its programs as written there:

- TypeScript: ``tsc`` builds the SDK and type-checks the program against ``@pulumi/pulumi`` from
  npm; the program with a wrong property type must NOT compile (the types come from the schema);
- Go: ``go build`` of the SDK and the program against ``github.com/pulumi/pulumi/sdk/v3`` v3.274.1
  (the engine's, already in the module cache); a wrong field type must not build;
- Python: pip installs the SDK into a throwaway virtualenv, and the program is declared under
  Pulumi's mocks (no engine run);
- C#: generated only (no .NET SDK here): the files exist and declare the Webhook resource.

Nothing is run against the engine beyond ``get-schema`` and ``gen-sdk``. Downloads and builds are
cached outside the repository (toolchain.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from pulumi_onence._version import __version__
from pulumi_onence.plugin._schema import schema

from tests.e2e.engine import require_engine
from tests.sdk.toolchain import (
    CONSTRAINTS,
    PIP,
    REPO,
    generate_sdks,
    go_env,
    npm_toolchain,
    require_tool,
    run,
    wheelhouse,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

# The npm packages the TypeScript SDK and program are type-checked with, pinned here and in
# npm/package.json (npm/package-lock.json pins the rest): typescript 5.9.3, the newest 5.x;
# @pulumi/pulumi 3.270.0, the newest on npm at or below the engine's 3.274.1 (the SDK asks for
# ^3.269.0); @types/node 20 for the SDK's `"types": ["node"]` (Node.js 20 here).
NPM_PINS = {"@pulumi/pulumi": "3.270.0", "@types/node": "20.19.43", "typescript": "5.9.3"}
# The Pulumi Go SDK the program builds against: the engine's version, which its build left in
# Go's module cache (the generated go.mod asks for at least v3.269.0).
GO_SDK = "github.com/pulumi/pulumi/sdk/v3"
GO_SDK_VERSION = "v3.274.1"

PLUGIN = REPO / ".venv" / "bin" / "pulumi-resource-onence"
DOCS = REPO / "docs" / "languages.md"
LANGUAGES = ("nodejs", "go", "dotnet", "python")
WEBHOOK = "onence:index:Webhook"
GEN_TIMEOUT_S = 300.0
COMPILE_TIMEOUT_S = 600.0
# The tsconfig.json of `pulumi new typescript`, plus skipLibCheck: the libraries' own
# declarations are not under test (and checking them doubles the time).
PROGRAM_TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "outDir": "bin",
        "target": "es2020",
        "module": "commonjs",
        "moduleResolution": "node",
        "sourceMap": True,
        "experimentalDecorators": True,
        "noFallthroughCasesInSwitch": True,
        "noImplicitReturns": True,
        "forceConsistentCasingInFileNames": True,
        "skipLibCheck": True,
    },
    "files": ["index.ts"],
}
# How the Pulumi SDKs mark a secret value on the wire.
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
TSC_ERROR = re.compile(r"^index\.ts\((\d+),\d+\): error (TS\d+): (.*)$", re.M)
# Declares the docs' Python program under Pulumi's mocks and prints what it registered.
MOCK_DRIVER = """\
import json
import runpy
import sys

import pulumi


class Mocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.registered = []

    def new_resource(self, args):
        self.registered.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        return f"{args.name}-id", {**args.inputs, "state": "ROLLOUT_DONE"}

    def call(self, args):
        return {}


mocks = Mocks()
pulumi.runtime.set_all_config({"sdk-check:ingestKey": "key-from-config"}, ["sdk-check:ingestKey"])
pulumi.runtime.set_mocks(mocks, project="sdk-check", stack="test", preview=False)
outputs = {}


@pulumi.runtime.test
def declare():
    hook = runpy.run_path(sys.argv[1])["hook"]
    return pulumi.Output.all(hook.id, hook.state).apply(
        lambda values: outputs.update(id=values[0], state=values[1])
    )


declare()
print(json.dumps({"registered": mocks.registered, "outputs": outputs}))
"""


def docs_program(info: str, containing: str = "") -> str:
    """The one code block of docs/languages.md with this info string (and text), as written."""
    blocks = re.findall(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", DOCS.read_text(), re.M | re.S)
    found = [code for syntax, code in blocks if syntax.strip() == info and containing in code]
    assert len(found) == 1, f"{DOCS} should have one ```{info} block with {containing!r}"
    return str(found[0])


def replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the program no longer has {old!r} once"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    (number,) = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return number


@pytest.fixture(scope="module")
def engine() -> str:
    # Module fixtures are set up before the autouse fixture that requires the engine.
    return require_engine()


@pytest.fixture(scope="module")
def sdks(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four SDKs, by `pulumi package gen-sdk <the checkout's plugin>`, in one directory."""
    assert PLUGIN.is_file(), f"{PLUGIN} is missing: run `make venv`"
    return generate_sdks(
        engine,
        PLUGIN,
        LANGUAGES,
        tmp_path_factory.mktemp("sdk"),
        tmp_path_factory.mktemp("pulumi-home"),
    )


def test_the_schema_is_the_checkouts_plugins(engine: str, tmp_path: Path) -> None:
    done = run(
        [engine, "package", "get-schema", PLUGIN],
        cwd=tmp_path,
        env={**os.environ, "PULUMI_HOME": str(tmp_path), "PULUMI_SKIP_UPDATE_CHECK": "true"},
        timeout=GEN_TIMEOUT_S,
    )
    served, ours = json.loads(done.stdout), schema()
    # The engine passes on what its schema model knows (it drops a resource-level
    # replaceOnChanges, which is a property attribute there); what the SDKs are made of is ours.
    for key in ("name", "version", "meta", "language", "types", "config"):
        assert served[key] == ours[key], key
    assert served["version"] == __version__
    assert list(served["resources"]) == list(ours["resources"])
    assert WEBHOOK in served["resources"]


def test_the_sdks_carry_the_plugins_version(sdks: Path) -> None:
    package = json.loads((sdks / "nodejs" / "package.json").read_text())
    assert package["name"] == "@pulumi-onence/onence"
    assert package["version"] == __version__
    assert package["pulumi"] == {"resource": True, "name": "onence", "version": __version__}
    assert f'version = "{__version__}"' in (sdks / "python" / "pyproject.toml").read_text()
    assert "module github.com/pulumi-onence/pulumi-onence/sdk/go\n" in (
        (sdks / "go" / "go.mod").read_text()
    )
    for plugin_json in (
        sdks / "go" / "onence" / "pulumi-plugin.json",
        sdks / "python" / "pulumi_onence_plugin" / "pulumi-plugin.json",
        sdks / "dotnet" / "pulumi-plugin.json",
    ):
        assert json.loads(plugin_json.read_text())["version"] == __version__, plugin_json


# --- TypeScript ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def typescript(sdks: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A workspace with the SDK built by its own tsconfig.json; and the tsc command."""
    node = require_tool("node")
    modules = npm_toolchain(NPM_PINS)
    tsc = [node, str(modules / "typescript" / "bin" / "tsc"), "--pretty", "false"]
    work = tmp_path_factory.mktemp("typescript")
    (work / "node_modules").symlink_to(modules, target_is_directory=True)
    sdk = work / "sdk" / "nodejs"
    shutil.copytree(sdks / "nodejs", sdk)
    run([*tsc, "-p", sdk], cwd=sdk, timeout=COMPILE_TIMEOUT_S)
    # bin/ is the package, as a publish step makes it.
    shutil.copy2(sdk / "package.json", sdk / "bin" / "package.json")
    assert (sdk / "bin" / "webhook.d.ts").is_file()
    return work, tsc


def typescript_program(work: Path, name: str, source: str) -> Path:
    """A `pulumi new typescript` project with the built SDK installed (npm links a directory)."""
    program = work / name
    scoped = program / "node_modules" / "@pulumi-onence"
    scoped.mkdir(parents=True)
    (scoped / "onence").symlink_to(work / "sdk" / "nodejs" / "bin", target_is_directory=True)
    (program / "tsconfig.json").write_text(json.dumps(PROGRAM_TSCONFIG, indent=4))
    (program / "index.ts").write_text(source)
    return program


def test_the_typescript_sdk_and_program_compile(typescript: tuple[Path, list[str]]) -> None:
    work, tsc = typescript
    program = typescript_program(work, "program", docs_program("typescript"))
    done = run([*tsc, "-p", program, "--noEmit"], cwd=program, timeout=COMPILE_TIMEOUT_S)
    assert done.stdout == ""


def test_a_wrong_typescript_property_type_does_not_compile(
    typescript: tuple[Path, list[str]],
) -> None:
    work, tsc = typescript
    source = replaced(
        docs_program("typescript"), 'eventTypes: ["TELEMETRY_DATA"],', "eventTypes: 42,"
    )
    source += (
        'export const typo = new onence.Webhook("typo", '
        '{ url: "https://ingest.example.com/typo", eventTypes: ["TELEMETRY"] });\n'
    )
    program = typescript_program(work, "wrong", source)
    done = run(
        [*tsc, "-p", program, "--noEmit"], cwd=program, timeout=COMPILE_TIMEOUT_S, check=False
    )
    assert done.returncode != 0
    errors = {int(line): (code, message) for line, code, message in TSC_ERROR.findall(done.stdout)}
    assert set(errors) == {line_of(source, "eventTypes: 42"), line_of(source, '"TELEMETRY"')}, (
        done.stdout
    )
    # Both are measured against the schema's enum, EventType.
    assert all("EventType" in message for _, message in errors.values()), done.stdout


# --- Go -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def go_workspace(sdks: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdk/go as generated, beside the program directories (the docs' go.mod: ../sdk/go)."""
    require_tool("go")
    work = tmp_path_factory.mktemp("go")
    shutil.copytree(sdks / "go", work / "sdk" / "go")
    return work


def go_program(work: Path, name: str, source: str) -> Path:
    program = work / name
    program.mkdir()
    (program / "go.mod").write_text(docs_program("go.mod"))
    (program / "main.go").write_text(source)
    return program


def go_build(program: Path, *packages: str, check: bool = True) -> Any:
    # The engine's build flags, so that Go's build cache has the Pulumi SDK's packages compiled.
    return run(
        ["go", "build", "-trimpath", "-tags", "osusergo,grpcnotrace", "-o", os.devnull, *packages],
        cwd=program,
        env=go_env(),
        timeout=COMPILE_TIMEOUT_S,
        check=check,
    )


def test_the_go_sdk_and_program_build(go_workspace: Path) -> None:
    program = go_program(go_workspace, "program", docs_program("go"))
    go_build(program, ".")
    # Every package of the SDK, config included (the program imports only the root one).
    go_build(program, "github.com/pulumi-onence/pulumi-onence/sdk/go/onence/...")
    used = run(["go", "list", "-m", GO_SDK], cwd=program, env=go_env(), timeout=120)
    assert used.stdout.split() == [GO_SDK, GO_SDK_VERSION]


def test_a_wrong_go_field_type_does_not_build(go_workspace: Path) -> None:
    source = re.sub(
        r'Url:(\s+)pulumi\.String\("[^"]*"\)', r"Url:\1pulumi.Int(42)", docs_program("go")
    )
    assert "pulumi.Int(42)" in source
    program = go_program(go_workspace, "wrong", source)
    done = go_build(program, ".", check=False)
    assert done.returncode != 0
    assert f"main.go:{line_of(source, 'pulumi.Int(42)')}:" in done.stderr, done.stderr
    assert "pulumi.StringInput" in done.stderr, done.stderr


# --- C# -----------------------------------------------------------------------------------------


def test_the_csharp_sdk_is_generated(sdks: Path) -> None:
    dotnet = sdks / "dotnet"
    webhook = (dotnet / "Webhook.cs").read_text()
    assert "namespace PulumiOnence.Onence" in webhook
    assert f'[OnenceResourceType("{WEBHOOK}")]' in webhook
    assert "public partial class Webhook : global::Pulumi.CustomResource" in webhook
    assert "public sealed class WebhookArgs : global::Pulumi.ResourceArgs" in webhook
    assert "InputList<PulumiOnence.Onence.EventType> EventTypes" in webhook
    assert "EventType TelemetryData" in (dotnet / "Enums.cs").read_text()
    project = (dotnet / "PulumiOnence.Onence.csproj").read_text()
    assert f"<Version>{__version__}</Version>" in project
    assert '<PackageReference Include="Pulumi" Version="3.*"' in project


# --- Python -------------------------------------------------------------------------------------


def test_the_python_sdk_installs_and_declares_the_program(sdks: Path, tmp_path: Path) -> None:
    sdk = sdks / "python"
    wheels = wheelhouse(sdk)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path, timeout=120)
    python = venv / "bin" / "python"
    offline: list[str | Path] = ["--no-index", "--find-links", wheels, "--constraint", CONSTRAINTS]
    run(
        [*PIP, "--python", python, "install", *offline, sdk],
        cwd=tmp_path,
        timeout=COMPILE_TIMEOUT_S,
    )
    program = tmp_path / "__main__.py"
    program.write_text(docs_program("python", "pulumi_onence_plugin"))
    run([python, "-m", "py_compile", program], cwd=tmp_path, timeout=120)
    driver = tmp_path / "declare.py"
    driver.write_text(MOCK_DRIVER)
    done = run([python, driver, program], cwd=tmp_path, timeout=300)
    declared = json.loads(done.stdout.splitlines()[-1])
    (webhook,) = [r for r in declared["registered"] if r["type"] == WEBHOOK]
    assert webhook["name"] == "telemetry"
    inputs = webhook["inputs"]
    # The headers reach the engine as a secret, and the schema's defaults are filled in.
    assert inputs.pop("headers") == {**SECRET, "value": {"x-api-key": "key-from-config"}}
    assert inputs == {
        "url": "https://ingest.example.com/1nce?iccid=:iccid:",
        "eventTypes": ["TELEMETRY_DATA"],
        "jsonPayloadEnabled": False,
        "restartIfFailed": False,
    }
    assert declared["outputs"] == {"id": "telemetry-id", "state": "ROLLOUT_DONE"}
