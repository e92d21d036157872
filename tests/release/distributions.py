"""What a user gets from the package index: built wheels, fresh virtualenvs, declared ranges.

The release tests install the wheels (never the repository's editable install) into virtualenvs
of their own, as a user's project would, and run them from directories outside the checkout.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path
from zipfile import ZipFile

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
PIP_TIMEOUT_S = 900


@dataclass(frozen=True)
class Wheels:
    """The two wheels of a release, built from this checkout into ``directory``."""

    directory: Path
    provider: Path
    emulator: Path


def build_wheels(directory: Path) -> Wheels:
    """``python -m build`` for both distributions, as a release: the sdist, then the wheel from
    the unpacked sdist (a wheel built in the checkout would carry whatever a stale ``build/``
    there still holds, such as a module since deleted)."""
    for source in (REPO, REPO / "emulator"):
        done = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(directory), str(source)],
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"building {source} failed:\n{done.stdout}\n{done.stderr}")
    (provider,) = directory.glob("pulumi_onence-*.whl")
    (emulator,) = directory.glob("onence_emulator-*.whl")
    return Wheels(directory, provider, emulator)


def find_python(version: str) -> Path | None:
    """An interpreter of ``version`` (``3.12``): pyenv's first, then ``python3.12`` on PATH."""
    home = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for candidate in sorted(glob.glob(str(home / "versions" / f"{version}.*" / "bin" / "python"))):
        return Path(candidate)
    found = shutil.which(f"python{version}")
    return Path(found) if found else None


def declared_requirements(wheel: Path, extra: str | None = None) -> list[Requirement]:
    """The wheel's ``Requires-Dist`` (its runtime dependencies, or those of ``extra``)."""
    with ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(name).decode())
    chosen = []
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if extra is None:
            wanted = marker is None
        else:
            wanted = marker is not None and marker.evaluate({"extra": extra})
        if wanted:
            chosen.append(requirement)
    return chosen


def lower_bound(requirement: Requirement) -> str:
    """The version of ``>=X`` in a requirement (every runtime dependency must declare one)."""
    floors = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    if len(floors) != 1:
        raise AssertionError(f"{requirement} declares no single lower bound (>=)")
    return floors[0]


def lowest_pins(requirements: list[Requirement]) -> list[str]:
    """``name==floor`` for each requirement: the lowest versions the wheel allows."""
    return [f"{r.name}=={lower_bound(r)}" for r in requirements]


@dataclass
class Virtualenv:
    """A fresh virtualenv made with ``python -m venv``."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @classmethod
    def create(cls, python: Path, path: Path) -> Virtualenv:
        run([str(python), "-m", "venv", str(path)])
        return cls(path)

    def pip_install(self, *args: str, env: dict[str, str] | None = None) -> str:
        """``pip install ARGS`` in this virtualenv; its output (raises with it on failure)."""
        return run(
            [str(self.python), "-m", "pip", "install", "--disable-pip-version-check", *args],
            env=env,
        )

    def versions(self, *names: str) -> dict[str, str]:
        """The installed version of each distribution named."""
        script = (
            "import sys; from importlib.metadata import version; "
            "print('\\n'.join(f'{n}={version(n)}' for n in sys.argv[1:]))"
        )
        out = run([str(self.python), "-c", script, *names])
        return dict(line.split("=", 1) for line in out.splitlines())


def run(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT_S,
        env=env,
        cwd=cwd,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"`{' '.join(argv)}` exited {done.returncode}\n{done.stdout[-4000:]}\n"
            f"{done.stderr[-4000:]}"
        )
    return done.stdout


def engine_only_path(engine_dir: Path, into: Path) -> Path:
    """A directory holding only a link to the engine, to put on PATH for a project outside the
    checkout: no python and no `onence` of the checkout's virtualenv can be found through it. The
    engine finds its language hosts beside its own executable, where provide-engine.sh put them."""
    into.mkdir(parents=True, exist_ok=True)
    (into / "pulumi").symlink_to(engine_dir / "pulumi")
    return into
