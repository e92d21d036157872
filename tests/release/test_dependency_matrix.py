"""The built wheel at both ends of its declared ranges, on every supported Python.

For each interpreter (3.11, 3.12, 3.13; a missing one is a skip that says so) and each end of
the ranges (the lowest version of every runtime dependency, and the newest the package index
serves), a fresh virtualenv gets the wheel; the provider's unit tests run against it, and the
real engine runs a program from it: up, refresh, update, destroy, against the emulator (which
runs from the checkout's virtualenv: it is a separate program).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from onence_devtools.stack import PulumiStack, program_for
from onence_emulator.harness import EmulatorProcess

from tests.release.distributions import (
    REPO,
    Virtualenv,
    Wheels,
    declared_requirements,
    find_python,
    lowest_pins,
    run,
)

pytestmark = pytest.mark.e2e

PYTHONS = ("3.11", "3.12", "3.13")
ENDS = ("lowest", "newest")
#: What the unit tests need besides the wheel (the versions the repository's runs use).
TEST_TOOLS = ("pytest", "pytest-timeout", "hypothesis")
USER, PASSWORD = "matrix-user", "matrix-password-not-for-output"
HEADER_VALUE = "matrix-header-value-41c7"


def _constrained_tools() -> list[str]:
    pins = {
        line.split("==")[0].lower(): line.strip()
        for line in (REPO / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    return [pins.get(tool, tool) for tool in TEST_TOOLS]


def _install(venv: Virtualenv, wheels: Wheels, end: str) -> dict[str, str]:
    runtime = declared_requirements(wheels.provider)
    if end == "lowest":
        venv.pip_install(str(wheels.provider), *lowest_pins(runtime), *_constrained_tools())
    else:
        venv.pip_install("--upgrade", str(wheels.provider), *_constrained_tools())
    return venv.versions(*(r.name for r in runtime))


@pytest.mark.parametrize("end", ENDS)
@pytest.mark.parametrize("version", PYTHONS)
def test_the_wheel_works_at_each_end_of_its_ranges(
    version: str, end: str, wheels: Wheels, engine_dir: Path, tmp_path: Path
) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(
            f"no Python {version} on this machine (looked for ~/.pyenv/versions/{version}.*/bin/"
            f"python and python{version} on PATH): this end of the matrix is not run"
        )
    venv = Virtualenv.create(python, tmp_path / "venv")
    installed = _install(venv, wheels, end)
    print(f"Python {version}, {end}: {installed}")  # shown with -rP / -s
    assert installed, "the wheel declares no runtime dependency"
    if end == "lowest":
        floors = {r.name: r for r in declared_requirements(wheels.provider)}
        for name, at in installed.items():
            assert floors[name].specifier.contains(at), (name, at)
            assert f"{name}=={at}" in lowest_pins([floors[name]]), (name, at)

    where = run([str(venv.python), "-c", "import pulumi_onence; print(pulumi_onence.__file__)"])
    assert where.startswith(str(venv.path)), where  # the wheel, not the checkout's sources

    run(
        [str(venv.python), "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
    )
    _round_trip(venv, tmp_path / "project")


def _round_trip(venv: Virtualenv, workdir: Path) -> None:
    """up, refresh, update, destroy through the engine, with the program in ``venv``."""
    hook = {
        "resource": "telemetry",
        "name": "matrix-telemetry",
        "url": "https://hooks.example.com/matrix",
        "event_types": ["TELEMETRY_DATA"],
        "headers": {"x-api-key": {"secret": "ingestKey"}},
    }
    with EmulatorProcess(users={USER: PASSWORD}) as emulator:
        stack = PulumiStack(workdir, program_for([hook]), virtualenv=venv.path).init()
        stack.configure_emulator(emulator.base_url, USER, PASSWORD)
        stack.set_config("ingestKey", HEADER_VALUE, secret=True)

        stack.up()
        assert [c for c in emulator.admin.api_calls() if c[0] != "GET"] == [
            ("POST", "/v1/integrate/clouds/webhooks")
        ]
        (resource,) = stack.resources()
        assert resource["outputs"]["name"] == "matrix-telemetry"

        emulator.admin.clear_calls()
        stack.refresh()
        assert emulator.admin.api_calls() == [("GET", "/v1/integrate/clouds")]  # one listing

        stack.write_program(program_for([{**hook, "event_types": ["TELEMETRY_DATA", "ERROR"]}]))
        emulator.admin.clear_calls()
        stack.up()
        assert emulator.admin.api_calls() == [
            ("PATCH", f"/v1/integrate/clouds/webhooks/{resource['id']}")
        ]

        emulator.admin.clear_calls()
        stack.destroy()
        assert emulator.admin.api_calls() == [("DELETE", f"/v1/integrate/clouds/{resource['id']}")]
        text = stack.output_text() + str(stack.export())
        assert HEADER_VALUE not in text
        assert PASSWORD not in text
