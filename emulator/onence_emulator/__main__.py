"""``onence-emulator``: serve the emulated 1NCE Management API.

The first line on stdout is the base URL (``http://HOST:PORT/management-api``), printed once the
server accepts connections; with ``--port 0`` the port is chosen by the system. Users come from
``--user NAME:PASSWORD`` (repeatable) and ``ONENCE_EMULATOR_USERS="u1:p1,u2:p2"``.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .paging import PAGING_MODES
from .settings import USERS_ENV, Settings, SettingsError, parse_users

API_PREFIX = "/management-api"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onence-emulator",
        description="A local emulator of the 1NCE Management API (Cloud Integrator webhooks).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME:PASSWORD",
        help=f"an API user (repeatable); also read from {USERS_ENV}",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="keep state in SQLite here (default: in memory)"
    )
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="factor for the retry schedule (e.g. 0.001)"
    )
    parser.add_argument(
        "--ca-bundle",
        type=Path,
        metavar="PEM",
        help="PEM CAs trusted for delivery instead of the system store (a private CA)",
    )
    parser.add_argument(
        "--allow-private-endpoints",
        action="store_true",
        help="deliver to loopback and private addresses too (default: public endpoints only, "
        "like 1NCE)",
    )
    parser.add_argument(
        "--delivery-timeout",
        type=float,
        default=20.0,
        help="seconds per delivery attempt (default 20)",
    )
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="token lifetime in seconds")
    parser.add_argument(
        "--paging",
        choices=PAGING_MODES,
        default="honoured",
        help="how the list treats pageSize (1NCE does not document it; default honoured)",
    )
    parser.add_argument(
        "--lenient-restart",
        action="store_true",
        help="restarting a webhook that is not INTEGRATION_FAILED answers 200 (default: 409)",
    )
    parser.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    return parser


def _serve(settings: Settings, sock: socket.socket, base_url: str, log_level: str) -> None:
    """Run uvicorn on ``sock``; the base URL is printed once startup has completed."""
    # Imported here so that argument errors are reported without loading the web stack.
    import uvicorn

    from .app import create_app

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                print(base_url, flush=True)

    config = uvicorn.Config(
        create_app(settings),
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=30,
        backlog=2048,
    )
    Server(config).run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP (not 0): asyncio turns on TCP_NODELAY only for sockets that say so, and
    # without it every response with a body waits ~40 ms for the delayed-ACK timer.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        users = parse_users(args.user, os.environ.get(USERS_ENV))
        settings = Settings(
            users=users,
            data_dir=args.data_dir,
            time_scale=args.time_scale,
            ca_bundle=args.ca_bundle,
            allow_private_endpoints=args.allow_private_endpoints,
            delivery_timeout=args.delivery_timeout,
            token_ttl=args.token_ttl,
            lenient_restart=args.lenient_restart,
            paging=args.paging,
        )
    except SettingsError as exc:
        print(f"onence-emulator: error: {exc}", file=sys.stderr)
        return 2
    if not users:
        print(
            f"onence-emulator: warning: no API users (use --user or {USERS_ENV}); "
            "every token request will fail",
            file=sys.stderr,
        )
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(
            f"onence-emulator: error: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    _serve(settings, sock, f"http://{shown}:{port}{API_PREFIX}", args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
