"""`onence policy-pack path | init DIR`: the pack shipped in the package, and a standalone copy.

The engine runs both for real in tests/release/test_outside_repository.py; here the command's
promises: what it prints, what it writes, and that it refuses to write over a directory.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pulumi_onence
import pytest
import yaml
from pulumi_onence._policy_pack import pack_directory
from pulumi_onence.cli import ExitStatus, Runtime, main

PACK_FILES = {"PulumiPolicy.yaml", "requirements.txt", "__main__.py", "config.example.json"}


def run(*argv: str, cwd: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Runtime(stdout=out, stderr=err, environ={}, cwd=cwd))
    return code, out.getvalue(), err.getvalue()


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_path_prints_the_pack_inside_the_installed_package(tmp_path: Path) -> None:
    code, out, err = run("policy-pack", "path", cwd=tmp_path)
    assert (code, err) == (ExitStatus.SUCCESS, "")
    printed = Path(out.strip())
    assert printed == pack_directory()
    assert printed.parent == Path(pulumi_onence.__file__).resolve().parent / "policy"
    assert (printed / "__main__.py").is_file()


def test_the_shipped_pack_runs_with_the_python_of_the_active_environment() -> None:
    project = yaml.safe_load((pack_directory() / "PulumiPolicy.yaml").read_text())
    runtime = project["runtime"]
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    assert "virtualenv" not in options  # no venv of its own: the engine uses `python3` on PATH
    # The engine reports a Python pack by this version (without it: "onence-webhooks@v0.0.1").
    assert project["version"] == pulumi_onence.__version__


def test_the_repository_policies_directory_is_the_shipped_pack() -> None:
    repo_pack = Path(__file__).resolve().parents[2] / "policies"
    assert repo_pack.resolve() == pack_directory()


def test_init_writes_a_standalone_pack_pinned_to_this_version(tmp_path: Path) -> None:
    code, out, err = run("policy-pack", "init", "team-pack", cwd=tmp_path)
    assert (code, err) == (ExitStatus.SUCCESS, "")
    target = tmp_path / "team-pack"
    assert set(tree(target)) >= PACK_FILES
    project = yaml.safe_load((target / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }
    assert project["version"] == pulumi_onence.__version__
    requirements = [
        line
        for line in (target / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert requirements == [f"pulumi-onence[policy]=={pulumi_onence.__version__}"]
    assert (target / "__main__.py").read_text() == (pack_directory() / "__main__.py").read_text()
    assert "venv/" in (target / ".gitignore").read_text()
    assert "team-pack" in out
    assert "pulumi install" in out


@pytest.mark.parametrize("existing", ["notes.md", "PulumiPolicy.yaml", ".hidden"])
def test_init_refuses_a_directory_that_is_not_empty_and_changes_nothing(
    tmp_path: Path, existing: str
) -> None:
    target = tmp_path / "pack"
    target.mkdir()
    (target / existing).write_text("the team's own file\n")
    before = tree(target)
    code, out, err = run("policy-pack", "init", str(target), cwd=tmp_path)
    assert code == ExitStatus.ERROR
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("onence: error: ")
    assert "not empty" in err
    assert "--force" in err
    assert tree(target) == before


def test_init_refuses_a_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "pack").write_text("x")
    code, _, err = run("policy-pack", "init", "pack", cwd=tmp_path)
    assert code == ExitStatus.ERROR
    assert "not a directory" in err
    assert (tmp_path / "pack").read_text() == "x"


def test_init_with_force_overwrites_only_the_packs_own_files(tmp_path: Path) -> None:
    target = tmp_path / "pack"
    assert run("policy-pack", "init", "pack", cwd=tmp_path)[0] == ExitStatus.SUCCESS
    (target / "requirements.txt").write_text("pulumi-onence[policy]==0.0.1\n")
    own = '{"webhook-url-public-host": "advisory"}\n'
    (target / "local-receiver.json").write_text(own)
    (target / "venv").mkdir()
    (target / "venv" / "marker").write_text("made by pulumi install\n")

    code, _, err = run("policy-pack", "init", "pack", "--force", cwd=tmp_path)

    assert (code, err) == (ExitStatus.SUCCESS, "")
    assert f"=={pulumi_onence.__version__}" in (target / "requirements.txt").read_text()
    assert (target / "local-receiver.json").read_text() == own
    assert (target / "venv" / "marker").read_text() == "made by pulumi install\n"


def test_init_needs_a_directory_argument(tmp_path: Path) -> None:
    code, out, err = run("policy-pack", "init", cwd=tmp_path)
    assert (code, out) == (ExitStatus.ERROR, "")
    assert "DIR" in err


def test_the_console_script_prints_the_path() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pulumi_onence.cli", "policy-pack", "path"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == pack_directory()
