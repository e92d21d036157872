"""``onence-receiver``: a local HTTPS endpoint that logs each delivery it receives.

1NCE (and the emulator) delivers only over verified HTTPS, so the endpoint needs a certificate
the emulator trusts: it makes a throw-away CA and writes that CA to ``--ca-file``, which you give
to ``onence-emulator --ca-bundle``. It returns once it is listening and keeps serving in the
background (its process id goes to ``--pid-file``, for ``kill``). Header values are never
logged, only their names: they are the webhook's secrets.

    onence-receiver --port 8766 --ca-file receiver-ca.pem --log received.log
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from .receiver import HttpsReceiver, ReceivedRequest

READY_TIMEOUT_S = 30.0
# Headers every HTTP client sends; the log shows only the webhook's own.
TRANSPORT = {
    "accept", "accept-encoding", "connection", "content-length", "content-type", "host",
    "user-agent",
}  # fmt: skip


def describe(request: ReceivedRequest) -> str:
    """One line per delivery: path, 1NCE's message type, and which headers came (not values)."""
    body = request.json if isinstance(request.json, dict) else {}
    kind = body.get("type") or body.get("eventType") or "?"
    names = ",".join(sorted(n.lower() for n in request.headers if n.lower() not in TRANSPORT))
    return f"received {request.method} {request.path} type={kind} headers: {names or '(none)'}"


def serve(
    receiver_type: type[HttpsReceiver], port: int, ca_file: Path, log: Path, ready_fd: int
) -> None:
    """The background process: listen, say so through ``ready_fd``, log deliveries forever."""
    with receiver_type() as receiver, log.open("a", buffering=1) as out:
        receiver.stop()
        receiver.port = port
        receiver.start()
        shutil.copyfile(receiver.ca_pem, ca_file)
        os.write(ready_fd, f"{receiver.url}\n".encode())
        os.close(ready_fd)
        _detach_stderr()
        seen = 0
        while True:
            receiver.wait_for(seen + 1, timeout=3600)
            new = receiver.received[seen:]
            for request in new:
                out.write(describe(request) + "\n")
                if isinstance(request.json, dict):
                    out.write(f"  body: {json.dumps(request.json, sort_keys=True)[:300]}\n")
            seen += len(new)


def _detach_stderr() -> None:
    """Once ready, the server holds none of the caller's output open (``$(onence-receiver)`` and
    captured subprocess output then end when the command returns)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 2)
    os.close(devnull)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onence-receiver",
        description="A local HTTPS endpoint that prints each delivery it receives.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--port", type=int, default=8766, help="port on 127.0.0.1 (default 8766)")
    parser.add_argument("--ca-file", type=Path, default=Path("receiver-ca.pem"))
    parser.add_argument("--log", type=Path, default=Path("received.log"))
    parser.add_argument("--pid-file", type=Path, default=Path("receiver.pid"))
    return parser


def _read_line(fd: int, timeout: float) -> bytes:
    """The first line written to ``fd`` within ``timeout`` (empty or partial if none)."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 256)
        if not chunk:
            break
        line += chunk
    return line


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from .receiver import HttpsReceiver  # trustme, from the [receiver] extra
    except ImportError as exc:
        print(
            f"receiver: error: {exc}; install it with pip install 'onence-emulator[receiver]'",
            file=sys.stderr,
        )
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the server
        os.close(read_fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):  # never the caller's terminal or pipe (stderr until ready, for errors)
            os.dup2(devnull, fd)
        os.close(devnull)
        try:
            serve(HttpsReceiver, args.port, args.ca_file.resolve(), args.log.resolve(), write_fd)
        except BaseException as exc:  # reported to the waiting parent through the closed pipe
            print(f"receiver: error: {exc}", file=sys.stderr, flush=True)
            os._exit(1)
        os._exit(0)
    os.close(write_fd)
    line = _read_line(read_fd, READY_TIMEOUT_S)
    os.close(read_fd)
    if not line.endswith(b"\n"):
        print(f"receiver: error: not listening on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    args.pid_file.write_text(f"{pid}\n")
    print(f"receiver listening at {line.decode().strip()} (pid {pid}); deliveries go to {args.log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
