"""The project's language host: what the engine asks of it, answered without the engine."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
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
