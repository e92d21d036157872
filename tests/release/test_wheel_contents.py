"""What the wheels carry: exactly the checkout's modules and data, nothing stale, nothing missing.

A wheel built in a checkout whose ``build/`` still holds a module since deleted would ship it
(0.2.0's ``pulumi_onence/cli.py`` beside the ``cli/`` package that replaced it, for one);
the release builds from the sdist, and this compares what each wheel holds with what git tracks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from zipfile import ZipFile

import pytest

from tests.release.distributions import REPO, Wheels

pytestmark = pytest.mark.e2e


def tracked(root: Path, package: str) -> set[str]:
    """The files git tracks under ``root/package``, as paths inside a wheel (symlinks followed)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", package],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split("\0")
    return {name for name in listed if name and not name.endswith((".pyc", ".gitignore"))}


def in_wheel(wheel: Path, package: str) -> set[str]:
    with ZipFile(wheel) as archive:
        return {n for n in archive.namelist() if n.startswith(f"{package}/")}


@pytest.mark.parametrize(
    ("distribution", "root", "package"),
    [
        ("provider", REPO / "provider", "pulumi_onence"),
        ("emulator", REPO / "emulator", "onence_emulator"),
    ],
)
def test_each_wheel_holds_exactly_the_tracked_files_of_its_package(
    wheels: Wheels, distribution: str, root: Path, package: str
) -> None:
    wheel = getattr(wheels, distribution)
    shipped, source = in_wheel(wheel, package), tracked(root, package)
    assert source, f"git tracks nothing under {root / package}"
    assert shipped - source == set(), "the wheel ships files the checkout does not have"
    assert source - shipped == set(), "the wheel lacks files of the checkout"
