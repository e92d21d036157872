"""scripts/provide-engine.sh with its caches built: one directory on stdout, nothing rebuilt.

The script is run with the caches it would use (the engine's and the YAML language host's) and
links into a temporary directory of its own (``ONENCE_HOST_BIN``), so it never touches the
checkout's virtualenv. Without built caches the test does not build them (minutes): it skips, or
fails where the engine is required (``ONENCE_REQUIRE_ENGINE=1``, as ``make test`` runs it, after
running the script itself).
"""

from __future__ import annotations

import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "provide-engine.sh"


def script_default(variable: str) -> str:
    """The version the script uses unless told otherwise (``${VARIABLE:-default}``)."""
    found = re.search(rf"\$\{{{variable}:-([^}}]+)\}}", SCRIPT.read_text())
    assert found is not None, f"no default for {variable} in {SCRIPT}"
    return os.environ.get(variable) or found.group(1)


def cached_bins() -> tuple[Path, Path, Path]:
    """Where the script keeps the engine, the YAML host and the codegen helper (its own paths)."""
    engine_cache = Path(
        os.environ.get("ONENCE_ENGINE_CACHE") or Path.home() / ".cache" / "pulumi-onence" / "engine"
    )
    yaml_cache = Path(os.environ.get("ONENCE_YAML_CACHE") or engine_cache.parent / "yaml")
    codegen_cache = Path(
        os.environ.get("ONENCE_CODEGEN_CACHE") or engine_cache.parent / "codegen-python"
    )
    version = script_default("PULUMI_ENGINE_VERSION")
    engine = engine_cache / f"v{version}" / "bin"
    yaml = yaml_cache / f"v{script_default('PULUMI_YAML_VERSION')}" / "bin"
    return engine, yaml, codegen_cache / f"v{version}" / "bin"


def require_built(*bins: Path) -> None:
    missing = [str(b) for b in bins if not (b / ".complete").is_file()]
    if missing:
        reason = f"not built yet (run scripts/provide-engine.sh once): {', '.join(missing)}"
        if os.environ.get("ONENCE_REQUIRE_ENGINE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def has_pulumi(directory: str) -> bool:
    return os.access(Path(directory) / "pulumi", os.X_OK)


def fingerprint(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_cached_run_prints_one_directory_with_both_executables(tmp_path):
    engine_bin, yaml_bin, codegen_bin = cached_bins()
    require_built(engine_bin, yaml_bin, codegen_bin)
    host_bin = tmp_path / "bin"
    host_bin.mkdir()
    (host_bin / "python").symlink_to(sys.executable)
    # No other `pulumi` on PATH: one found there (the checkout's .venv/bin, a developer's own
    # install) would be used as it is (step 1 of the script), with nothing provided.
    path = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not has_pulumi(d)]
    env = {**os.environ, "ONENCE_HOST_BIN": str(host_bin), "PATH": os.pathsep.join(path)}
    cached = [
        engine_bin / "pulumi",
        yaml_bin / "pulumi-language-yaml",
        yaml_bin / ".complete",
        codegen_bin / "pulumi-codegen-python",
    ]
    before = [fingerprint(p) for p in cached]

    runs = [
        subprocess.run(
            ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        for _ in range(2)
    ]

    for run in runs:
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines() == [str(host_bin)], run.stdout
        assert "using cached pulumi v" in run.stderr
        assert "using cached pulumi-language-yaml v" in run.stderr
        assert "using cached pulumi-codegen-python for v" in run.stderr
        assert "building" not in run.stderr, run.stderr
    for tool in (
        "pulumi",
        "pulumi-language-yaml",
        "pulumi-language-python",
        "pulumi-codegen-python",
    ):
        assert os.access(host_bin / tool, os.X_OK), tool
    assert filecmp.cmp(host_bin / "pulumi-language-yaml", yaml_bin / "pulumi-language-yaml")
    assert [fingerprint(p) for p in cached] == before
