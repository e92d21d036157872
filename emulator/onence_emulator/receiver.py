"""A local HTTPS endpoint that records what 1NCE delivered (tests and the demo).

Point a webhook at ``receiver.url``; ``received`` lists the deliveries and ``wait_for(n,
timeout)`` waits for them. The emulator must trust its throw-away CA (``ca_pem``, for
``--ca-bundle``) and allow private endpoints, since 127.0.0.1 is one. Header values (the
webhook's secrets) never appear in a repr.

Example::

    with HttpsReceiver() as receiver, EmulatorProcess(
        ca_bundle=receiver.ca_pem, allow_private_endpoints=True
    ) as emulator:
        ...  # create a webhook with url=receiver.url + "/hook"
        assert receiver.wait_for(1, timeout=10)
        print(receiver.received[0].json)
"""

from __future__ import annotations

import json
import os
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import trustme
from requests.structures import CaseInsensitiveDict


@dataclass(frozen=True)
class ReceivedRequest:
    """One delivery as the receiver saw it; its repr shows method, path and query only."""

    method: str
    path: str
    query: str
    headers: CaseInsensitiveDict[str] = field(repr=False)
    """Request headers; lookups ignore case (``headers["X-Api-Key"]``)."""
    body: bytes = field(repr=False)
    json: Any = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        return self.headers.get(name)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.request.settimeout(10)
        self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        parts = urlsplit(self.path)
        owner = self.server.owner
        if owner.delay > 0:
            time.sleep(owner.delay)
        owner._record(
            ReceivedRequest(
                method=self.command,
                path=parts.path,
                query=parts.query,
                headers=CaseInsensitiveDict(dict(self.headers.items())),
                body=body,
                json=parsed,
            )
        )
        status = owner.status_by_path.get(parts.path, owner.status)
        reply = b'{"received":true}' if 200 <= status < 300 else b'{"received":false}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_POST = _handle  # noqa: N815 (http.server naming)
    do_PUT = _handle  # noqa: N815
    do_GET = _handle  # noqa: N815


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: HttpsReceiver

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        # Handshake in the handler thread (on first read), so a slow client blocks no one.
        wrapped = self.owner._context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        )
        return wrapped, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # failed handshakes and dropped connections are expected in outage tests


class HttpsReceiver:
    """Records what 1NCE delivered to ``https://127.0.0.1:PORT``; see the module docstring.

    ``status`` is what it answers (default 200), ``status_by_path`` what it answers on some
    paths instead (one endpoint down, the others up); ``stop()`` and ``start()`` keep the port,
    to play an outage of the endpoint.
    """

    def __init__(self, status: int = 200, ca: trustme.CA | None = None) -> None:
        self.status = status
        self.status_by_path: dict[str, int] = {}
        self.delay = 0.0
        self.requests: list[ReceivedRequest] = []
        self._cond = threading.Condition()
        self._ca = ca or trustme.CA()
        cert = self._ca.issue_cert("127.0.0.1", "localhost")
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._context)
        fd, name = tempfile.mkstemp(prefix="onence-receiver-ca-", suffix=".pem")
        with os.fdopen(fd, "wb") as handle:
            handle.write(self._ca.cert_pem.bytes())
        self.ca_pem = name
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        count = len(self.requests)
        return f"HttpsReceiver(url={self.url!r}, running={self.running}, received={count})"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[ReceivedRequest]:
        """What 1NCE delivered since the last ``clear()``, oldest first (a copy)."""
        with self._cond:
            return list(self.requests)

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> HttpsReceiver:
        """Listen (again) on the same port as before, or on a free one the first time."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self.port), _Handler, bind_and_activate=True)
        server.owner = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="https-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; deliveries now fail with a refused connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def clear(self) -> None:
        """Forget what was received."""
        with self._cond:
            self.requests.clear()

    def _record(self, request: ReceivedRequest) -> None:
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` deliveries were received; ``False`` after ``timeout``."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.requests) >= count, timeout)

    def close(self) -> None:
        self.stop()
        if os.path.exists(self.ca_pem):
            os.unlink(self.ca_pem)

    def __enter__(self) -> HttpsReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
