"""The project's language host: what the engine asks of it, answered without the engine."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import subprocess
import sys
import zipfile
from concurrent import futures
from pathlib import Path
from types import ModuleType

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

REPO = Path(__file__).resolve().parents[2]


def load_host() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "language_host", REPO / "scripts/language_host.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


host_module = load_host()


def program_info(root: Path, **options: str) -> language_pb2.ProgramInfo:
    opts = struct_pb2.Struct()
    opts.update(options)
    return language_pb2.ProgramInfo(
        root_directory=str(root), program_directory=str(root), entry_point=".", options=opts
    )


def test_run_arguments_follow_the_exec_scripts_flags(tmp_path):
    request = language_pb2.RunRequest(
        project="p",
        stack="dev",
        pwd=str(tmp_path),
        dryRun=True,
        parallel=4,
        monitor_address="127.0.0.1:1",
        organization="organization",
        info=program_info(tmp_path),
        args=["extra"],
    )

    args = host_module.run_arguments(request, "127.0.0.1:2")

    assert args[args.index("--monitor") + 1] == "127.0.0.1:1"
    assert args[args.index("--engine") + 1] == "127.0.0.1:2"
    assert args[args.index("--dry_run") + 1] == "true"
    assert args[args.index("--stack") + 1] == "dev"
    assert args[-2:] == [".", "extra"]


def test_the_virtualenv_option_is_relative_to_the_project_root(tmp_path):
    venv_python = tmp_path / "venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")

    python, env = host_module.python_command(program_info(tmp_path, virtualenv="venv"))

    assert python == str(venv_python)
    assert env["VIRTUAL_ENV"] == str(tmp_path / "venv")
    assert env["PATH"].startswith(str(venv_python.parent))


def test_a_missing_virtualenv_is_named_in_the_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        host_module.python_command(program_info(tmp_path, virtualenv="nowhere"))


@pytest.fixture
def language_host(tmp_path):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    host = host_module.LanguageHost("127.0.0.1:9", tmp_path / "exec")
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield language_pb2_grpc.LanguageRuntimeStub(channel)
    finally:
        channel.close()
        server.stop(grace=None)


def test_run_plugin_streams_output_and_the_exit_code(language_host, tmp_path):
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "__main__.py").write_text(
        "import sys\n"
        "print('port-line', sys.argv[1:])\n"
        "sys.stderr.write('to stderr\\n')\n"
        "sys.exit(3)\n"
    )
    info = program_info(plugin, virtualenv=str(Path(sys.prefix)))

    responses = list(
        language_host.RunPlugin(
            language_pb2.RunPluginRequest(pwd=str(plugin), args=["a1"], kind="resource", info=info),
            timeout=60,
        )
    )

    stdout = b"".join(r.stdout for r in responses if r.WhichOneof("output") == "stdout")
    stderr = b"".join(r.stderr for r in responses if r.WhichOneof("output") == "stderr")
    assert stdout == b"port-line ['a1']\n"
    assert stderr == b"to stderr\n"
    assert responses[-1].WhichOneof("output") == "exitcode"
    assert responses[-1].exitcode == 3


def test_required_packages_are_none_beyond_the_virtualenv(language_host, tmp_path):
    response = language_host.GetRequiredPackages(
        language_pb2.GetRequiredPackagesRequest(info=program_info(tmp_path)), timeout=10
    )
    assert list(response.packages) == []


def test_the_installed_host_reports_the_engine_version_written_beside_it(tmp_path):
    installed = tmp_path / "pulumi-language-python"
    installed.write_text((REPO / "scripts/language_host.py").read_text())
    (tmp_path / "pulumi-language-python.version").write_text("3.999.0\n")
    out = subprocess.run(
        [sys.executable, str(installed), "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "3.999.0"


def test_a_host_without_a_version_file_reports_the_sdk_version():
    from importlib.metadata import version

    out = subprocess.run(
        [sys.executable, str(REPO / "scripts/language_host.py"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == version("pulumi")


# --- InstallDependencies: what `pulumi install` asks of the host ---------------------------


def build_wheel(directory: Path, name: str = "onence_tinypkg", version: str = "0.1") -> Path:
    """A tiny pure-Python wheel written by hand, so installing it needs no index and no build."""
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VALUE = {version!r}\n",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [
        f"{path},sha256={_record_hash(content.encode())},{len(content.encode())}"
        for path, content in files.items()
    ]
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return wheel


def _record_hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def install_request(root: Path, **options: str) -> language_pb2.InstallDependenciesRequest:
    """What the engine sends for `pulumi install` in a policy pack (PulumiPolicy.yaml)."""
    return language_pb2.InstallDependenciesRequest(
        directory=str(root), info=program_info(root, **options), is_plugin=True
    )


def collect(responses) -> tuple[str, str]:
    stdout = stderr = ""
    for response in responses:
        stdout += response.stdout.decode()
        stderr += response.stderr.decode()
    return stdout, stderr


@pytest.fixture
def offline_pip(tmp_path, monkeypatch) -> Path:
    """pip sees only a local wheel directory, through the environment the host passes on."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    build_wheel(wheels)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("PULUMI_PYTHON_CMD", sys.executable)
    return wheels


@pytest.mark.timeout(60)
def test_install_creates_the_virtualenv_and_installs_the_requirements(
    language_host, tmp_path, offline_pip
):
    pack = tmp_path / "pack"
    pack.mkdir()
    # Only the name: the wheel is found through PIP_FIND_LINKS, so the environment reached pip.
    (pack / "requirements.txt").write_text("onence-tinypkg==0.1\n")

    responses = list(
        language_host.InstallDependencies(install_request(pack, virtualenv="venv"), timeout=60)
    )

    stdout, _ = collect(responses)
    assert "Creating virtual environment" in stdout
    assert "Successfully installed onence-tinypkg-0.1" in stdout
    assert len(responses) > 3  # streamed as pip printed, not in one message at the end
    venv_python = pack / "venv" / "bin" / "python"
    imported = subprocess.run(
        [str(venv_python), "-c", "import onence_tinypkg; print(onence_tinypkg.VALUE)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip() == "0.1"


@pytest.mark.timeout(60)
def test_a_failing_pip_fails_the_call_with_one_line_naming_the_file_and_exit_code(
    language_host, tmp_path, offline_pip
):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "requirements.txt").write_text("onence-no-such-package==9.9\n")

    with pytest.raises(grpc.RpcError) as raised:
        list(
            language_host.InstallDependencies(install_request(pack, virtualenv="venv"), timeout=60)
        )

    details = raised.value.details()
    assert "\n" not in details
    assert f"pip install -r {pack / 'requirements.txt'} failed with exit code 1" in details
    assert (pack / "venv" / "bin" / "python").exists()


def test_without_a_virtualenv_option_nothing_is_installed_and_the_stream_says_so(
    language_host, tmp_path
):
    (tmp_path / "requirements.txt").write_text("onence-no-such-package==9.9\n")

    responses = language_host.InstallDependencies(install_request(tmp_path), timeout=10)

    stdout, _ = collect(responses)
    assert "dependencies come from the active Python environment" in stdout
    assert not (tmp_path / "venv").exists()


@pytest.mark.parametrize("toolchain", ["uv", "poetry"])
def test_toolchains_other_than_pip_are_refused_by_name(language_host, tmp_path, toolchain):
    request = install_request(tmp_path, virtualenv="venv", toolchain=toolchain)

    with pytest.raises(grpc.RpcError) as raised:
        list(language_host.InstallDependencies(request, timeout=10))

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"toolchain '{toolchain}' is not supported" in raised.value.details()
    assert "only pip" in raised.value.details()
    assert not (tmp_path / "venv").exists()


def test_an_existing_virtualenv_without_requirements_is_left_alone(language_host, tmp_path):
    # The running interpreter's own environment, by absolute path: nothing is created or run.
    request = install_request(tmp_path, virtualenv=str(Path(sys.prefix)), toolchain="pip")

    stdout, _ = collect(language_host.InstallDependencies(request, timeout=10))

    assert "Creating virtual environment" not in stdout
    assert f"no requirements.txt in {tmp_path}: nothing to install" in stdout
