"""What the SDK tests need besides the engine, made once and cached outside the repository.

Under ``~/.cache/pulumi-onence/sdk`` (``ONENCE_SDK_CACHE``), each entry keyed by what it is made
from, so a second run makes nothing:

- ``codegen-<digest>``: the generate-only language hosts (``codegen_host/``), by the digest of
  their sources and the Go version (about 10 s and 25 s to build: they reuse Go's build cache);
- ``npm-<versions>-<digest>``: the npm packages that type-check the TypeScript SDK, by their
  pinned versions and the digest of ``npm/package-lock.json`` (``npm ci`` once; npm's own cache
  lets it run offline later);
- ``wheels-<digest>``: the generated Python SDK's dependencies, by the digest of the repository's
  constraints.txt, the SDK's requirements and the Python version (so pip installs with
  ``--no-index``).

Go's module and build caches are shared as they are. A missing tool fails the test where the
engine is required (``ONENCE_REQUIRE_ENGINE=1``, as ``make test`` runs) and skips it elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

__all__ = [
    "CACHE",
    "CONSTRAINTS",
    "HERE",
    "PIP",
    "REPO",
    "cached",
    "codegen_hosts",
    "generate_sdks",
    "go_env",
    "npm_toolchain",
    "require_tool",
    "run",
    "wheelhouse",
]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CONSTRAINTS = REPO / "constraints.txt"
CACHE = Path(os.environ.get("ONENCE_SDK_CACHE") or Path.home() / ".cache" / "pulumi-onence" / "sdk")
CODEGEN_SOURCES = HERE / "codegen_host"
NPM_PROJECT = HERE / "npm"
# The languages each build of the codegen host generates (dotnet needs an older pkg/v3, see
# codegen_host/generators_dotnet.go).
CORE_LANGUAGES = ("nodejs", "go", "python")
# The engine's build flags (scripts/provide-engine.sh): Go's build cache then already holds
# nearly every package these builds compile.
GO_BUILD_FLAGS = ("-trimpath", "-tags", "osusergo,grpcnotrace")
BUILD_TIMEOUT_S = 900.0
GEN_TIMEOUT_S = 300.0
QUIET = ("--loglevel=error",)
PIP = (sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check")
INSTALL_TIMEOUT_S = 900.0


def require_tool(name: str) -> str:
    """The tool on PATH; a failure (not a skip) when ``ONENCE_REQUIRE_ENGINE=1``."""
    found = shutil.which(name)
    if found is None:
        reason = f"`{name}` is not on PATH (the SDK tests need Go, Node.js and npm)"
        if os.environ.get("ONENCE_REQUIRE_ENGINE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def run(
    args: Sequence[str | Path],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command with a timeout; with ``check``, a failure shows the command and its output."""
    command = [str(a) for a in args]
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"`{' '.join(command)}` still running after {timeout:.0f} s: {expired.output}")
    if check and done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).splitlines()[-60:])
        pytest.fail(f"`{' '.join(command)}` exited {done.returncode} in {cwd}:\n{output}")
    return done


def cached(entry: Path, fill: Callable[[Path], None]) -> Path:
    """The cache entry, filled once: built beside it, then renamed into place when complete."""
    if (entry / ".complete").is_file():
        return entry
    entry.parent.mkdir(parents=True, exist_ok=True)
    work = entry.with_name(f".{entry.name}.{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        fill(work)
        (work / ".complete").touch()
        if (entry / ".complete").is_file():  # another run finished first: keep its entry
            return entry
        shutil.rmtree(entry, ignore_errors=True)  # an incomplete one, left by a killed run
        work.rename(entry)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return entry


def _digest(*parts: bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(len(part).to_bytes(8, "big") + part)
    return sha.hexdigest()[:16]


def go_env() -> dict[str, str]:
    """Go without cgo (as the engine is built); ``-mod=mod`` lets a build fill in go.sum."""
    return {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod -buildvcs=false"}


def codegen_hosts() -> Path:
    """A directory holding ``pulumi-language-{nodejs,go,python,dotnet}``, generate-only hosts."""
    go = require_tool("go")
    version = run([go, "env", "GOVERSION"], cwd=HERE, timeout=60).stdout.strip()
    sources = sorted(p for p in CODEGEN_SOURCES.iterdir() if p.suffix in {".go", ".mod", ".sum"})
    key = _digest(version.encode(), *(p.name.encode() + p.read_bytes() for p in sources))
    # The repository's module files are complete and are not to be edited by a build.
    env = {**go_env(), "GOFLAGS": "-mod=readonly -buildvcs=false"}

    def build(bin_dir: Path) -> None:
        core = bin_dir / f"pulumi-language-{CORE_LANGUAGES[0]}"
        run(
            [go, "build", *GO_BUILD_FLAGS, "-o", core, "."],
            cwd=CODEGEN_SOURCES,
            env=env,
            timeout=BUILD_TIMEOUT_S,
        )
        for language in CORE_LANGUAGES[1:]:  # one binary; the language is its name
            (bin_dir / f"pulumi-language-{language}").symlink_to(core.name)
        dotnet = bin_dir / "pulumi-language-dotnet"
        tags = "dotnet," + GO_BUILD_FLAGS[-1]
        run(
            [go, "build", "-modfile=dotnet.mod", "-trimpath", "-tags", tags, "-o", dotnet, "."],
            cwd=CODEGEN_SOURCES,
            env=env,
            timeout=BUILD_TIMEOUT_S,
        )

    return cached(CACHE / f"codegen-{key}", build)


def generate_sdks(
    engine: str, plugin: Path, languages: Sequence[str], out: Path, pulumi_home: Path
) -> Path:
    """``pulumi package gen-sdk PLUGIN`` for each language into ``out/<language>``, by the
    generate-only hosts (``codegen_hosts``) put first on PATH; ``out``."""
    hosts = codegen_hosts()
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(hosts), os.environ.get("PATH", "")]),
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    for language in languages:
        done = run(
            [engine, "package", "gen-sdk", plugin, "--language", language, "--out", out],
            cwd=out,
            env=env,
            timeout=GEN_TIMEOUT_S,
        )
        # The host on PATH did it, not some other pulumi-language-* the engine found.
        assert f"using pulumi-language-{language} from $PATH at {hosts}" in done.stderr
    return out


def npm_toolchain(pins: Mapping[str, str]) -> Path:
    """``node_modules`` with exactly npm/package-lock.json's packages, whose roots are ``pins``."""
    require_tool("node")
    npm = require_tool("npm")
    package = NPM_PROJECT / "package.json"
    lock = NPM_PROJECT / "package-lock.json"
    declared = json.loads(package.read_text())["devDependencies"]
    assert declared == dict(pins), f"{package} pins {declared}, the tests {dict(pins)}"
    names = "-".join(f"{name.lstrip('@').replace('/', '-')}{v}" for name, v in sorted(pins.items()))
    key = _digest(package.read_bytes(), lock.read_bytes())

    def install(directory: Path) -> None:
        for source in (package, lock):
            shutil.copy2(source, directory / source.name)
        run(
            [npm, "ci", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", *QUIET],
            cwd=directory,
            env={**os.environ, "npm_config_update_notifier": "false"},
            timeout=INSTALL_TIMEOUT_S,
        )

    return cached(CACHE / f"npm-{names}-{key}", install) / "node_modules"


def wheelhouse(sdk: Path) -> Path:
    """Wheels of everything the generated Python SDK installs (and builds with), for --no-index."""
    project = tomllib.loads((sdk / "pyproject.toml").read_text())
    requirements = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    key = _digest(
        CONSTRAINTS.read_bytes(),
        "\n".join(requirements).encode(),
        f"{sys.version_info.major}.{sys.version_info.minor}".encode(),
    )

    def download(directory: Path) -> None:
        run(
            [*PIP, "download", "--dest", directory, "--constraint", CONSTRAINTS, *requirements],
            cwd=directory,
            timeout=INSTALL_TIMEOUT_S,
        )

    return cached(CACHE / f"wheels-{key}", download)
