"""Run an emulator as a child process and drive its admin API (tests, demo, benchmarks).

Example::

    with EmulatorProcess(users={"user": "pass"}) as emulator:
        print(emulator.base_url)            # http://127.0.0.1:PORT/management-api
        emulator.admin.add_fault("rate_limit", method="POST", times=1)

Users are handed to the child in the environment, never on its command line (which any local
process can read).
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import requests

from .gateway import API_PREFIX
from .settings import USERS_ENV

_SNAKE_TO_WIRE = {"retry_after": "retryAfter", "latency_ms": "latencyMs"}


class EmulatorError(RuntimeError):
    """The emulator process could not be started or an admin call failed."""


class AdminClient:
    """Thin client of the ``/_emulator`` admin namespace."""

    def __init__(self, root_url: str, timeout: float = 30.0) -> None:
        self.url = root_url.rstrip("/") + "/_emulator"
        self.timeout = timeout

    def _call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        response = requests.request(method, self.url + path, **kwargs)  # noqa: S113 (set above)
        if response.status_code != expect:
            raise EmulatorError(
                f"admin {method} {path} answered {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    def reset(self) -> None:
        """Forget webhooks, tokens, faults, the call log and deliveries."""
        self._call("POST", "/reset", 204)

    def calls(self) -> list[dict[str, Any]]:
        """Every 1NCE API request since the last reset/clear: method, path, query, status, time."""
        result: list[dict[str, Any]] = self._call("GET", "/calls", 200)["calls"]
        return result

    def api_calls(self) -> list[tuple[str, str]]:
        """Method and path (after the API prefix) of each call in ``calls()``, token requests
        left out: the requests a client made for its operations."""
        return [
            (c["method"], c["path"].removeprefix(API_PREFIX))
            for c in self.calls()
            if not c["path"].endswith("/oauth/token")
        ]

    def clear_calls(self) -> None:
        self._call("DELETE", "/calls", 204)

    def add_fault(self, kind: str, **options: Any) -> str:
        """Register a fault; options: method (one or a list), path, times, status, retry_after,
        latency_ms, and to hit a fraction of the matching requests every or probability (with
        seed). See docs/emulator.md, "Faults"."""
        body = {
            "kind": kind,
            **{_SNAKE_TO_WIRE.get(key, key): value for key, value in options.items()},
        }
        fault_id: str = self._call("POST", "/faults", 201, json=body)["id"]
        return fault_id

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults", 204)

    def expire_tokens(self) -> None:
        self._call("POST", "/tokens/expire", 204)

    def inject_event(
        self,
        type: str,
        device: Mapping[str, str] | None = None,
        payload: Any = None,
        source: str | None = None,
        topic: str | None = None,
    ) -> dict[str, Any]:
        """Queue an event; returns ``{"messageId", "integrationIds"}``.

        ``source`` is UDP (default), COAP or LWM2M (whose payload must be JSON); ``topic`` is the
        ``t`` query parameter of a CoAP message."""
        body: dict[str, Any] = {"type": type}
        if device is not None:
            body["device"] = dict(device)
        if payload is not None:
            body["payload"] = payload
        if source is not None:
            body["source"] = source
        if topic is not None:
            body["topic"] = topic
        result: dict[str, Any] = self._call("POST", "/events", 202, json=body)
        return result

    def drain(self, timeout: float = 10) -> bool:
        """Wait until no delivery is pending or in flight; ``False`` on timeout."""
        result = self._call(
            "POST", "/drain", 200, params={"timeout": timeout}, timeout=timeout + self.timeout
        )
        return bool(result["idle"])

    def deliveries(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/deliveries", 200)["deliveries"]
        return result

    def integrations(self) -> list[dict[str, Any]]:
        """Every integration 1NCE now holds, as its list shows them (no URLs or headers)."""
        result: list[dict[str, Any]] = self._call("GET", "/integrations", 200)["items"]
        return result

    def seed_aws(self, name: str) -> dict[str, Any]:
        """Add an AWS integration (ROLLOUT_STARTED) that clients must leave alone."""
        result: dict[str, Any] = self._call("POST", "/integrations/aws", 201, json={"name": name})
        return result


class EmulatorProcess:
    """``python -m onence_emulator`` on 127.0.0.1; restarts keep the port (and, with a data
    directory, the state).

    Its defaults are production's: delivery reaches public endpoints only, with certificates from
    the system trust store. A local receiver needs ``allow_private_endpoints=True`` and its CA as
    ``ca_bundle``.
    """

    def __init__(
        self,
        users: Mapping[str, str] | None = None,
        time_scale: float = 0.001,
        ca_bundle: str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        port: int = 0,
        delivery_timeout: float | None = None,
        allow_private_endpoints: bool = False,
        lenient_restart: bool = False,
        paging: str = "honoured",
        extra_args: list[str] | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.users = dict(users) if users is not None else {"user": "pass"}
        self.time_scale = time_scale
        self.ca_bundle = Path(ca_bundle) if ca_bundle is not None else None
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.port = port
        self.delivery_timeout = delivery_timeout
        self.allow_private_endpoints = allow_private_endpoints
        self.lenient_restart = lenient_restart
        self.paging = paging
        self.extra_args = list(extra_args or [])
        self.startup_timeout = startup_timeout
        self.base_url = ""
        self.root_url = ""
        self.admin = AdminClient("http://127.0.0.1:0")
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None
        self.log_path: Path | None = None
        self._stdout: list[str] = []
        self._stdout_lock = threading.Lock()
        self._pump: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"EmulatorProcess(base_url={self.base_url!r}, running={self.running})"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "onence_emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--time-scale",
            repr(self.time_scale),
        ]
        if self.ca_bundle is not None:
            command += ["--ca-bundle", str(self.ca_bundle)]
        if self.data_dir is not None:
            command += ["--data-dir", str(self.data_dir)]
        if self.delivery_timeout is not None:
            command += ["--delivery-timeout", repr(self.delivery_timeout)]
        if self.allow_private_endpoints:
            command.append("--allow-private-endpoints")
        if self.lenient_restart:
            command.append("--lenient-restart")
        if self.paging != "honoured":
            command += ["--paging", self.paging]
        return command + self.extra_args

    def start(self) -> EmulatorProcess:
        """Start the process and wait for its base URL (on the same port as before, if any)."""
        if self.running:
            return self
        env = dict(os.environ)
        env[USERS_ENV] = ",".join(f"{name}:{password}" for name, password in self.users.items())
        env.setdefault("PYTHONUNBUFFERED", "1")
        if self._log is None:
            self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept open until close())
                "w+", prefix="onence-emulator-", suffix=".log", delete=False
            )
            self.log_path = Path(self._log.name)
        process = subprocess.Popen(
            self._command(),
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self._process = process
        line = self._first_line(process)
        if not line.startswith("http://"):
            self.stop()
            raise EmulatorError(f"emulator did not start; log:\n{self.log_text()[-4000:]}")
        self.base_url = line
        self.root_url = line.removesuffix(API_PREFIX)
        self.port = int(self.root_url.rsplit(":", 1)[1])
        self.admin = AdminClient(self.root_url)
        return self

    def _first_line(self, process: subprocess.Popen[str]) -> str:
        """The first line on stdout; a thread keeps reading (and keeping) the lines after it."""
        assert process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        stdout = process.stdout

        def pump() -> None:
            for text in stdout:
                with self._stdout_lock:
                    self._stdout.append(text)
                lines.put(text.strip())
            lines.put("")

        self._pump = threading.Thread(target=pump, name="emulator-stdout", daemon=True)
        self._pump.start()
        try:
            return lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after ``timeout``)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if self._pump is not None:
            self._pump.join(timeout)  # the process has exited: its stdout ends soon
            self._pump = None
        if process.stdout is not None:
            process.stdout.close()

    def restart(self) -> EmulatorProcess:
        self.stop()
        return self.start()

    def stdout_text(self) -> str:
        """What the process wrote to stdout so far (all runs since this object was made)."""
        with self._stdout_lock:
            return "".join(self._stdout)

    def log_text(self) -> str:
        """What the process wrote to stderr so far."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        """Stop and remove the log file."""
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def wait_until(
    condition: Callable[[], object], timeout: float = 10.0, interval: float = 0.02
) -> bool:
    """Poll ``condition()`` until it is truthy or ``timeout`` passes (bounded loop for tests)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
