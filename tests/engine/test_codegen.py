"""The language host's GenerateProgram and GenerateProject: PCL to Python through its helper.

``pulumi import --generate-code`` and ``pulumi convert --language python`` send the host PCL and
the address of the engine's schema loader; the host answers with what ``pulumi-codegen-python``
(scripts/codegen/python, built by scripts/provide-engine.sh) generates. Here the calls come over
gRPC as the engine makes them, with a schema loader of the test's own that serves one tiny package.
The helper is taken from PATH or the checkout's .venv/bin; without it the tests skip (they fail
where the engine is required, ``ONENCE_REQUIRE_ENGINE=1``).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from pulumi.runtime.proto import language_pb2, language_pb2_grpc
from pulumi.runtime.proto.codegen import hcl_pb2, loader_pb2

from tests.engine.test_language_host import REPO, host_module

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

HELPER = "pulumi-codegen-python"

CONFIG_AND_OUTPUT = """\
config greeting string {
  default = "hello"
}

output message {
  value = "${greeting} world"
}
"""

DEMO_SCHEMA = {
    "name": "demo",
    "version": "1.2.3",
    "resources": {
        "demo:index:Thing": {
            "inputProperties": {"size": {"type": "integer"}},
            "requiredInputs": ["size"],
            "properties": {"size": {"type": "integer"}},
            "required": ["size"],
        }
    },
    "language": {"python": {"packageName": "pulumi_demo_sdk"}},
}

WITH_A_RESOURCE = """\
resource thing "demo:index:Thing" {
  size = 3
}

output thingSize {
  value = thing.size
}
"""


def find_helper() -> Path:
    found = shutil.which(HELPER) or str(REPO / ".venv" / "bin" / HELPER)
    if not os.access(found, os.X_OK):
        reason = f"{HELPER} is not built (run scripts/provide-engine.sh)"
        if os.environ.get("ONENCE_REQUIRE_ENGINE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return Path(found)


class SchemaLoader:
    """The engine's schema loader, as far as the binder uses it: it knows one package, demo.

    Registered by hand: the SDK's ``codegen/loader_pb2_grpc`` imports ``pulumi.codegen``, which
    the Python SDK does not ship.
    """

    def __init__(self) -> None:
        self.asked: list[str] = []
        self._lock = threading.Lock()

    def GetSchema(self, request: Any, context: Any) -> Any:
        with self._lock:
            self.asked.append(request.package)
        if request.package != "demo":
            context.abort(grpc.StatusCode.NOT_FOUND, f"no schema for {request.package}")
        return loader_pb2.GetSchemaResponse(schema=json.dumps(DEMO_SCHEMA).encode())

    def register(self, server: grpc.Server) -> None:
        get_schema = grpc.unary_unary_rpc_method_handler(
            self.GetSchema,
            request_deserializer=loader_pb2.GetSchemaRequest.FromString,
            response_serializer=loader_pb2.GetSchemaResponse.SerializeToString,
        )
        service = loader_pb2.DESCRIPTOR.services_by_name["Loader"].full_name
        server.add_generic_rpc_handlers(
            [grpc.method_handlers_generic_handler(service, {"GetSchema": get_schema})]
        )


def serve(register: Any) -> tuple[grpc.Server, str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"


@pytest.fixture
def loader() -> Iterator[tuple[SchemaLoader, str]]:
    servicer = SchemaLoader()
    server, address = serve(servicer.register)
    try:
        yield servicer, address
    finally:
        server.stop(grace=None)


@contextmanager
def host_stub(tmp_path: Path, codegen: Path) -> Iterator[Any]:
    host = host_module.LanguageHost("127.0.0.1:9", tmp_path / "exec", codegen)
    server, address = serve(
        lambda server: language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    )
    channel = grpc.insecure_channel(address)
    try:
        yield language_pb2_grpc.LanguageRuntimeStub(channel)
    finally:
        channel.close()
        server.stop(grace=None)


@pytest.fixture
def language_host(tmp_path: Path) -> Iterator[Any]:
    with host_stub(tmp_path, find_helper()) as stub:
        yield stub


def generate(stub: Any, loader_address: str, **files: str) -> Any:
    request = language_pb2.GenerateProgramRequest(
        source=files, loader_target=loader_address, strict=False
    )
    return stub.GenerateProgram(request, timeout=50)


def test_config_and_an_output_become_a_python_program(language_host, loader):
    schemas, address = loader

    response = generate(language_host, address, **{"main.pp": CONFIG_AND_OUTPUT})

    assert list(response.source) == ["__main__.py"]
    code = response.source["__main__.py"].decode()
    compile(code, "__main__.py", "exec")
    assert 'config.get("greeting")' in code
    assert 'greeting = "hello"' in code
    assert 'pulumi.export("message", f"{greeting} world")' in code
    assert list(response.diagnostics) == []
    assert schemas.asked == []  # no package: nothing to load


def test_a_resource_is_bound_through_the_engines_schema_loader(language_host, loader):
    schemas, address = loader

    response = generate(language_host, address, **{"main.pp": WITH_A_RESOURCE})

    code = response.source["__main__.py"].decode()
    compile(code, "__main__.py", "exec")
    assert "import pulumi_demo_sdk as demo" in code
    assert 'thing = demo.Thing("thing", size=3)' in code
    assert 'pulumi.export("thingSize", thing.size)' in code
    assert list(response.diagnostics) == []
    assert "demo" in schemas.asked


def test_invalid_pcl_comes_back_as_diagnostics_not_as_a_failed_call(language_host, loader):
    _, address = loader

    response = generate(language_host, address, **{"broken.pp": "output message {\n"})

    assert dict(response.source) == {}
    [diagnostic] = response.diagnostics
    assert diagnostic.severity == hcl_pb2.DIAG_ERROR
    assert diagnostic.summary == "Unclosed configuration block"
    assert diagnostic.subject.filename == "broken.pp"


def test_generate_project_writes_a_python_project(language_host, loader, tmp_path):
    _, address = loader
    source = tmp_path / "pcl"
    source.mkdir()
    (source / "main.pp").write_text(WITH_A_RESOURCE)
    target = tmp_path / "python"
    target.mkdir()  # as `pulumi convert` makes its --out directory first
    project = {"name": "converted", "runtime": "pcl"}

    response = language_host.GenerateProject(
        language_pb2.GenerateProjectRequest(
            source_directory=str(source),
            target_directory=str(target),
            project=json.dumps(project),
            loader_target=address,
        ),
        timeout=50,
    )

    assert list(response.diagnostics) == []
    compile((target / "__main__.py").read_text(), "__main__.py", "exec")
    written = yaml.safe_load((target / "Pulumi.yaml").read_text())
    assert written["name"] == "converted"
    assert written["runtime"] == "python"
    assert "pulumi>=3.0.0,<4.0.0" in (target / "requirements.txt").read_text()


def test_a_missing_helper_fails_the_call_with_one_line_naming_it(tmp_path, loader):
    _, address = loader
    missing = tmp_path / "bin" / HELPER

    with host_stub(tmp_path, missing) as stub, pytest.raises(grpc.RpcError) as raised:
        generate(stub, address, **{"main.pp": CONFIG_AND_OUTPUT})

    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    details = raised.value.details()
    assert "\n" not in details
    assert f"{missing} is missing: run scripts/provide-engine.sh" in details


def test_a_failing_helper_fails_the_call_with_its_one_line_error(language_host):
    request = language_pb2.GenerateProgramRequest(source={"main.pp": CONFIG_AND_OUTPUT})

    with pytest.raises(grpc.RpcError) as raised:
        language_host.GenerateProgram(request, timeout=50)  # no loader target

    assert raised.value.code() == grpc.StatusCode.UNKNOWN
    assert raised.value.details() == (
        f"generating Python from PCL failed ({HELPER}): "
        "the request names no loaderTarget (the engine's schema loader)"
    )


def test_link_with_no_local_sdks_links_nothing_and_refuses_some_in_one_line(tmp_path):
    # `pulumi convert` calls Link after GenerateProject, with no packages unless it generated SDKs.
    with host_stub(tmp_path, tmp_path / HELPER) as stub:
        assert stub.Link(language_pb2.LinkRequest(), timeout=10).import_instructions == ""
        dependency = language_pb2.LinkRequest.LinkDependency(path="sdks/demo")
        with pytest.raises(grpc.RpcError) as raised:
            stub.Link(language_pb2.LinkRequest(packages=[dependency]), timeout=10)

    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "does not link local SDKs (sdks/demo)" in raised.value.details()
