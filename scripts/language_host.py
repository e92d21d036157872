"""A Python language host for the Pulumi engine (installed as `pulumi-language-python`).

Why: the engine runs Python programs and Python policy packs through a language plugin,
`pulumi-language-python`. Pulumi publishes the engine itself as Go modules, but not a
module version of that plugin, so an offline machine can build `pulumi` and still lack
the plugin. This host implements the part of the LanguageRuntime gRPC service that
`pulumi up/preview/refresh/destroy`, `preview --policy-pack`, `pulumi install`,
`pulumi import --generate-code` and `pulumi convert` use, with the protobufs that ship in
the Pulumi Python SDK:

- ``Run`` starts the program through ``pulumi-language-python-exec`` (from the SDK's Go
  module, installed beside this file), with the stack config in ``PULUMI_CONFIG``;
- ``RunPlugin`` starts a policy pack with ``python -u -m pulumi.policy`` and streams its
  output back, so the engine reads the analyzer's port from it;
- ``InstallDependencies`` (``pulumi install`` in a project or a policy pack) does what the
  upstream host's pip toolchain does: it creates the ``virtualenv`` named in the runtime
  options when it is missing (with ``PULUMI_PYTHON_CMD`` or ``python3``) and runs its
  ``pip install -r requirements.txt``, streaming pip's output back; without that option it
  installs nothing and says so. Only ``toolchain: pip`` is supported; pip is not upgraded
  first (that needs the package index on every call, and the venv's own pip suffices);
- ``GenerateProgram`` (``pulumi import --generate-code``, ``pulumi state promote``) and
  ``GenerateProject`` (``pulumi convert --language python``) turn PCL into Python with
  ``pulumi-codegen-python``, installed beside this file: a small Go program of this project
  (``scripts/codegen/python``) built from the engine's own Go modules at the engine's version
  (pkg/v3's PCL binder and Python code generator), which resolves packages through the engine's
  schema loader; it gets one JSON request on stdin and answers on stdout. ``Link``, which
  ``pulumi convert`` calls next, links nothing: the host generates no local SDKs to link;
- the required-packages and about calls answer "nothing extra": everything the project
  needs comes from its virtualenv.

The Python interpreter is taken from the ``virtualenv`` runtime option (relative to the
project root), as the upstream host does, else ``python3`` on PATH.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Generator, Iterator, Mapping
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2
from pulumi.runtime.proto.codegen import hcl_pb2

EXEC_SCRIPT = "pulumi-language-python-exec"
# Turns PCL into Python (scripts/codegen/python, installed beside this file by provide-engine.sh).
CODEGEN_HELPER = "pulumi-codegen-python"
# Generous: binding may start provider plugins through the engine's schema loader for their schemas.
CODEGEN_TIMEOUT = 300.0
# The exec script exits with this code after printing an error the user can act on.
EXIT_AFTER_USER_MESSAGE = 32


def host_version() -> str:
    """The engine version this host was installed for.

    ``scripts/provide-engine.sh`` writes it to a file beside the installed host; a host run
    from the source tree falls back to the Pulumi SDK's version.
    """
    stamp = Path(__file__).with_name(Path(__file__).name + ".version")
    try:
        return stamp.read_text(encoding="utf-8").strip() or _sdk_version()
    except OSError:
        return _sdk_version()


def _sdk_version() -> str:
    from importlib.metadata import version

    return version("pulumi")


def _options(info: language_pb2.ProgramInfo) -> dict[str, Any]:
    return json_format.MessageToDict(info.options) if info.HasField("options") else {}


def virtualenv_path(info: language_pb2.ProgramInfo) -> Path | None:
    """The ``virtualenv`` runtime option as a path (relative ones start at the root), if set."""
    venv = _options(info).get("virtualenv")
    if not venv:
        return None
    if not isinstance(venv, str):
        raise TypeError(f"the virtualenv runtime option must be a string, not {venv!r}")
    venv_path = Path(venv)
    if not venv_path.is_absolute():
        venv_path = Path(info.root_directory or ".") / venv_path
    return venv_path


def python_command(info: language_pb2.ProgramInfo) -> tuple[str, dict[str, str]]:
    """The interpreter for a program or pack, and the environment that activates its venv."""
    env = dict(os.environ)
    venv_path = virtualenv_path(info)
    if venv_path is None:
        return os.environ.get("PULUMI_PYTHON_CMD", "python3"), env
    python = venv_path / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(
            f"the virtualenv {venv_path} has no bin/python; create it "
            f"(python3 -m venv {venv_path}) and install the project's requirements"
        )
    env["VIRTUAL_ENV"] = str(venv_path)
    env["PATH"] = f"{venv_path / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONHOME", None)
    return str(python), env


class InstallError(Exception):
    """Why InstallDependencies failed, in one line: it becomes the RPC's status message."""

    def __init__(self, message: str, code: grpc.StatusCode = grpc.StatusCode.UNKNOWN) -> None:
        super().__init__(message)
        self.code = code


def base_python() -> str:
    """The interpreter that creates virtualenvs: ``PULUMI_PYTHON_CMD``, else python3 or python.

    The same lookup as the upstream host's, so a machine set up for it behaves the same here.
    """
    chosen = os.environ.get("PULUMI_PYTHON_CMD")
    for name in [chosen] if chosen else ["python3", "python"]:
        found = shutil.which(name)
        if found:
            return found
    names = chosen or "python3 or python"
    raise InstallError(
        f"cannot create a virtualenv: {names} is not on PATH (set PULUMI_PYTHON_CMD)",
        grpc.StatusCode.FAILED_PRECONDITION,
    )


def check_toolchain(info: language_pb2.ProgramInfo) -> None:
    """Refuse toolchains this host cannot drive, rather than silently using pip for them."""
    toolchain = _options(info).get("toolchain", "pip")
    if toolchain != "pip":
        raise InstallError(
            f"the toolchain {toolchain!r} is not supported by this language host "
            "(scripts/language_host.py): only pip is; set `toolchain: pip` in the runtime options",
            grpc.StatusCode.INVALID_ARGUMENT,
        )


def run_arguments(req: language_pb2.RunRequest, engine_address: str) -> list[str]:
    """The exec script's command line, in the order the upstream host builds it."""
    pairs = [
        ("monitor", req.monitor_address),
        ("engine", engine_address),
        ("project", req.project),
        ("root_directory", req.info.root_directory),
        ("stack", req.stack),
        ("pwd", req.pwd),
        ("dry_run", "true" if req.dryRun else "false"),
        ("parallel", str(req.parallel)),
        ("organization", req.organization),
    ]
    args: list[str] = []
    for key, value in pairs:
        if value:
            args += [f"--{key}", value]
    args.append(req.info.entry_point or req.program or ".")
    args += list(req.args)
    return args


class CodegenError(Exception):
    """Why generating Python failed, in one line: it becomes the RPC's status message."""

    def __init__(self, message: str, code: grpc.StatusCode = grpc.StatusCode.UNKNOWN) -> None:
        super().__init__(message)
        self.code = code


def codegen_answer(helper: Path, stdout: bytes, stderr: bytes, code: int) -> dict[str, Any]:
    """The helper's JSON answer, or a one-line CodegenError naming what went wrong."""
    if code != 0:
        lines = [line.strip() for line in stderr.decode(errors="replace").splitlines()]
        lines = [line for line in lines if line]
        # The helper's own errors are one line; a Go panic says what happened on its first.
        panics = [line for line in lines if line.startswith("panic:")]
        reason = panics[0] if panics else lines[-1] if lines else f"exit code {code}"
        raise CodegenError(f"generating Python from PCL failed ({helper.name}): {reason}")
    try:
        answer = json.loads(stdout)
    except ValueError as exc:
        raise CodegenError(f"{helper.name} did not answer with JSON: {exc}") from exc
    if not isinstance(answer, dict):
        raise CodegenError(f"{helper.name} answered with {type(answer).__name__}, not an object")
    return answer


def codegen_files(answer: Mapping[str, Any]) -> dict[str, bytes]:
    """The answer's generated files (base64 in the JSON), by name: none after error diagnostics."""
    files = answer.get("files", {})
    try:
        return {str(n): base64.b64decode(t, validate=True) for n, t in files.items()}
    except (AttributeError, TypeError, ValueError) as exc:
        raise CodegenError(f"{CODEGEN_HELPER} answered without readable files: {exc!r}") from exc


def codegen_diagnostics(answer: Mapping[str, Any]) -> list[hcl_pb2.Diagnostic]:
    """The answer's diagnostics (codegen.Diagnostic messages in protobuf JSON) as messages."""
    try:
        return [json_format.ParseDict(d, hcl_pb2.Diagnostic()) for d in answer["diagnostics"]]
    except (KeyError, TypeError, json_format.ParseError) as exc:
        raise CodegenError(f"{CODEGEN_HELPER} answered unreadable diagnostics: {exc!r}") from exc


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    """The LanguageRuntime service: programs through Run, policy packs through RunPlugin."""

    def __init__(self, engine_address: str, exec_script: Path, codegen: Path | None = None) -> None:
        self.engine_address = engine_address
        self.exec_script = exec_script
        self.codegen = codegen or exec_script.with_name(CODEGEN_HELPER)
        self._children: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    # --- bookkeeping of child processes, so Cancel and shutdown can stop them -------------
    def _spawn(self, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(args, **kwargs)
        with self._lock:
            self._children.add(child)
        return child

    def _forget(self, child: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._children.discard(child)

    def stop_children(self) -> None:
        with self._lock:
            children = list(self._children)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 5
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()

    # --- the RPCs ------------------------------------------------------------------------
    def Handshake(self, request: Any, context: Any) -> Any:
        if request.engine_address:
            self.engine_address = request.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=host_version())

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPackagesResponse()

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:
        return language_pb2.GetProgramDependenciesResponse()

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:
        """Create the virtualenv if needed and pip-install requirements.txt into it.

        Output streams back as it comes, so ``pulumi install`` shows pip's progress; a failure
        ends the RPC with a one-line status (the details were streamed before it). The output
        goes through pipes whatever ``is_terminal`` says: pip then prints plain lines.
        """
        try:
            yield from self._install_dependencies(request, context)
        except InstallError as exc:
            context.abort(exc.code, str(exc))

    def _install_dependencies(self, request: Any, context: Any) -> Iterator[Any]:
        info = request.info
        check_toolchain(info)
        try:
            venv = virtualenv_path(info)
        except TypeError as exc:
            raise InstallError(str(exc), grpc.StatusCode.INVALID_ARGUMENT) from exc
        # Upstream runs pip where the program is (the pack's directory for a policy pack).
        program_dir = Path(
            info.program_directory or request.directory or info.root_directory or "."
        )
        yield _out("Installing dependencies...")
        if request.use_language_version_tools:
            yield _err("this language host does not install Python versions: using the one on PATH")
        if venv is None:
            # Upstream defaults a plugin's (is_plugin) virtualenv to "venv"; RunPlugin here runs
            # a pack without the option on the active interpreter, so this must not invent one.
            python = os.environ.get("PULUMI_PYTHON_CMD", "python3")
            yield _out(
                f"no virtualenv runtime option: dependencies come from the active Python "
                f"environment ({python}); nothing installed"
            )
            return
        if not (venv / "bin" / "python").exists():
            if venv.exists() and not venv.is_dir():
                raise InstallError(
                    f"the virtualenv runtime option names {venv}, which is not a directory",
                    grpc.StatusCode.FAILED_PRECONDITION,
                )
            creator = base_python()
            yield _out(f"Creating virtual environment {venv} with {creator}...")
            code = yield from self._stream_child(
                [creator, "-m", "venv", str(venv)], dict(os.environ), program_dir, context
            )
            if code != 0:
                raise InstallError(
                    f"creating the virtualenv {venv} with {creator} failed: exit code {code}"
                )
        requirements = program_dir / "requirements.txt"
        if not requirements.is_file():
            yield _out(f"no requirements.txt in {program_dir}: nothing to install into {venv}")
            return
        python, env = python_command(info)
        # pip asking the index for its own newer version costs a timeout on offline machines.
        env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        yield _out(f"Installing {requirements} into {venv}...")
        code = yield from self._stream_child(
            [python, "-u", "-m", "pip", "install", "-r", "requirements.txt"],
            env,
            program_dir,
            context,
        )
        if code != 0:
            raise InstallError(f"pip install -r {requirements} failed with exit code {code}")
        yield _out("Finished installing dependencies")

    def _stream_child(
        self, args: list[str], env: dict[str, str], cwd: Path, context: Any
    ) -> Generator[Any, None, int]:
        """Run a command, streaming its output as InstallDependencies messages; its exit code."""
        try:
            child = self._spawn(
                args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise InstallError(f"could not start {args[0]}: {exc}") from exc
        context.add_callback(lambda: _interrupt(child))
        for name, chunk in _output_chunks(child):
            if name == "stdout":
                yield language_pb2.InstallDependenciesResponse(stdout=chunk)
            else:
                yield language_pb2.InstallDependenciesResponse(stderr=chunk)
        code = child.wait()
        self._forget(child)
        return code

    def GenerateProgram(self, request: Any, context: Any) -> Any:
        """PCL files to Python files (``pulumi import --generate-code`` takes ``__main__.py``)."""
        try:
            answer = self._generate(
                {
                    "source": dict(request.source),
                    "loaderTarget": request.loader_target,
                    "strict": request.strict,
                },
                context,
            )
            files = codegen_files(answer)
            diagnostics = codegen_diagnostics(answer)
        except CodegenError as exc:
            context.abort(exc.code, _one_line(exc))
        return language_pb2.GenerateProgramResponse(source=files, diagnostics=diagnostics)

    def GenerateProject(self, request: Any, context: Any) -> Any:
        """A directory of PCL to a Python project (``pulumi convert --language python``)."""
        try:
            answer = self._generate(
                {
                    "sourceDirectory": request.source_directory,
                    "targetDirectory": request.target_directory,
                    "project": request.project,
                    "localDependencies": dict(request.local_dependencies),
                    "loaderTarget": request.loader_target,
                    "strict": request.strict,
                },
                context,
            )
            diagnostics = codegen_diagnostics(answer)
        except CodegenError as exc:
            context.abort(exc.code, _one_line(exc))
        return language_pb2.GenerateProjectResponse(diagnostics=diagnostics)

    def Link(self, request: Any, context: Any) -> Any:
        """Link local SDKs into the project: ``pulumi convert`` asks even when it has none.

        Local SDKs come from GeneratePackage, which this host does not implement, so there is
        never one to link; a request with some is refused in one line rather than half done.
        """
        if request.packages:
            names = ", ".join(dep.package.name or dep.path for dep in request.packages)
            context.abort(
                grpc.StatusCode.UNIMPLEMENTED,
                f"this language host (scripts/language_host.py) does not link local SDKs ({names}) "
                "into a Python project: add their directories to requirements.txt",
            )
        return language_pb2.LinkResponse()

    def _generate(self, payload: dict[str, Any], context: Any) -> dict[str, Any]:
        """Run the codegen helper on one request, within the call's deadline and ours."""
        helper = self.codegen
        if not os.access(helper, os.X_OK):
            raise CodegenError(
                f"{helper} is missing: run scripts/provide-engine.sh, which builds it beside "
                "the language host",
                grpc.StatusCode.FAILED_PRECONDITION,
            )
        remaining = context.time_remaining()
        timeout = CODEGEN_TIMEOUT if remaining is None else min(CODEGEN_TIMEOUT, remaining)
        try:
            child = self._spawn(
                [str(helper)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise CodegenError(f"could not start {helper}: {exc}") from exc
        context.add_callback(lambda: _interrupt(child))
        try:
            stdout, stderr = child.communicate(json.dumps(payload).encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise CodegenError(
                f"{helper.name} did not answer within {timeout:.0f} s",
                grpc.StatusCode.DEADLINE_EXCEEDED,
            ) from None
        finally:
            self._forget(child)
        return codegen_answer(helper, stdout, stderr, child.returncode)

    def About(self, request: Any, context: Any) -> Any:
        python, env = python_command(request.info)
        version = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        ).stdout.strip()
        return language_pb2.AboutResponse(executable=python, version=version)

    def Cancel(self, request: Any, context: Any) -> Any:
        self.stop_children()
        return empty_pb2.Empty()

    def Run(self, request: Any, context: Any) -> Any:
        try:
            python, env = python_command(request.info)
        except FileNotFoundError as exc:
            return language_pb2.RunResponse(error=str(exc))
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        args = [python, "-u", str(self.exec_script), *run_arguments(request, self.engine_address)]
        try:
            child = self._spawn(args, env=env, cwd=request.pwd or None)
        except OSError as exc:
            return language_pb2.RunResponse(error=f"could not start the program: {exc}")
        context.add_callback(lambda: _interrupt(child))
        code = child.wait()
        self._forget(child)
        if code == 0:
            return language_pb2.RunResponse()
        if code == EXIT_AFTER_USER_MESSAGE:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {code}")

    def RunPlugin(self, request: Any, context: Any) -> Iterator[Any]:
        info = request.info
        python, env = python_command(info)
        env.update(_env_pairs(request.env))
        if request.kind == "analyzer":
            # A policy pack: the engine address, then the pack directory, run from the pack.
            args = [python, "-u", "-m", "pulumi.policy", *request.args, info.program_directory]
            cwd = info.program_directory
        else:
            args = [python, "-u", info.program_directory, *request.args]
            cwd = request.pwd or info.program_directory
        child = self._spawn(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        context.add_callback(lambda: _interrupt(child))
        for name, chunk in _output_chunks(child):
            if name == "stdout":
                yield language_pb2.RunPluginResponse(stdout=chunk)
            else:
                yield language_pb2.RunPluginResponse(stderr=chunk)
        code = child.wait()
        self._forget(child)
        yield language_pb2.RunPluginResponse(exitcode=code)


def _output_chunks(child: subprocess.Popen[bytes]) -> Iterator[tuple[str, bytes]]:
    """A child's stdout and stderr as they arrive, tagged by stream, until both close."""
    chunks: queue.Queue[tuple[str, bytes]] = queue.Queue()

    def pump(stream: Any, name: str) -> None:
        for chunk in iter(lambda: os.read(stream.fileno(), 65536), b""):
            chunks.put((name, chunk))
        chunks.put((name, b""))

    for stream, name in ((child.stdout, "stdout"), (child.stderr, "stderr")):
        threading.Thread(target=pump, args=(stream, name), daemon=True).start()
    open_streams = 2
    while open_streams:
        name, chunk = chunks.get()
        if not chunk:
            open_streams -= 1
            continue
        yield name, chunk


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _out(line: str) -> Any:
    return language_pb2.InstallDependenciesResponse(stdout=f"{line}\n".encode())


def _err(line: str) -> Any:
    return language_pb2.InstallDependenciesResponse(stderr=f"{line}\n".encode())


def _interrupt(child: subprocess.Popen[bytes]) -> None:
    """Ask a child to stop (the engine cancelled the call), as Ctrl-C would."""
    if child.poll() is None:
        child.send_signal(signal.SIGINT)


def _env_pairs(pairs: Any) -> Mapping[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, _, value = str(pair).partition("=")
        if key:
            result[key] = value
    return result


def _watch_parent(server: grpc.Server, host: LanguageHost) -> None:
    """Stop when the engine that started us is gone, as the upstream host's health check does."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    host.stop_children()
    server.stop(grace=None)


def main(argv: list[str]) -> int:
    if "-version" in argv or "--version" in argv:
        print(host_version())
        return 0
    positional = [a for a in argv if not a.startswith("-")]
    engine_address = positional[-1] if positional else ""
    exec_script = Path(__file__).resolve().with_name(EXEC_SCRIPT)
    host = LanguageHost(engine_address, exec_script)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[
            ("grpc.max_receive_message_length", 400 * 1024 * 1024),
            ("grpc.max_send_message_length", 400 * 1024 * 1024),
        ],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    threading.Thread(target=_watch_parent, args=(server, host), daemon=True).start()

    def shutdown(signum: int, frame: Any) -> None:
        host.stop_children()
        server.stop(grace=None)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
