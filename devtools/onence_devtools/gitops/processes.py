"""What the GitOps pipeline started, and what it listens on: read from /proc, no extra package.

Every process a test starts gets its own session (``start_new_session=True``), and everything
that process starts stays in that session unless it detaches on purpose. So "every process the
test started is stopped" is checked as "no live process is left in any of its sessions", and
"nothing listens beyond loopback" as "no socket of those processes is bound to another address".
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from onence_emulator.harness import wait_until

PROC = Path("/proc")
_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp
_UDP_UNCONNECTED = "07"  # UDP "CLOSE": a bound, unconnected socket (a UDP server)


@dataclass(frozen=True)
class Listener:
    """A listening socket of a process."""

    pid: int
    command: str
    protocol: str
    address: str
    port: int

    @property
    def loopback(self) -> bool:
        address = ipaddress.ip_address(self.address)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return address.is_loopback

    def __str__(self) -> str:
        return f"{self.command} (pid {self.pid}) {self.protocol} {self.address}:{self.port}"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces.
    return text[text.rindex(")") + 2 :].split()


def command_of(pid: int) -> str:
    try:
        return (PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return "?"


def session_members(session: int) -> list[int]:
    """Live (not zombie) processes whose session id is ``session``."""
    members = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        # After the name: state, ppid, pgrp, session, ...
        if fields is not None and int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def wait_session_empty(session: int, timeout: float = 15.0) -> list[int]:
    """Wait (bounded) until the session has no live process; returns those still alive."""
    wait_until(lambda: not session_members(session), timeout, 0.1)
    return session_members(session)


def kill_session(session: int, sig: signal.Signals = signal.SIGKILL) -> None:
    """Send ``sig`` to every live process of the session (a runner machine that dies)."""
    for pid in session_members(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _hex_address(text: str) -> tuple[str, int]:
    host, port = text.split(":")
    raw = bytes.fromhex(host)
    # /proc prints each 32-bit word in host (little-endian) order.
    words = [raw[i : i + 4][::-1] for i in range(0, len(raw), 4)]
    packed = b"".join(words)
    address = ipaddress.ip_address(packed)
    return str(address), int(port, 16)


def _socket_table() -> dict[int, tuple[str, str, int]]:
    """inode -> (protocol, address, port) of every listening TCP or bound-unconnected UDP socket."""
    table: dict[int, tuple[str, str, int]] = {}
    for protocol, wanted in (
        ("tcp", _LISTEN),
        ("tcp6", _LISTEN),
        ("udp", _UDP_UNCONNECTED),
        ("udp6", _UDP_UNCONNECTED),
    ):
        try:
            lines = (PROC / "net" / protocol).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != wanted:
                continue
            address, port = _hex_address(fields[1])
            table[int(fields[9])] = (protocol, address, port)
    return table


def listeners(pids: list[int]) -> list[Listener]:
    """The listening sockets held by these processes."""
    table = _socket_table()
    found = []
    for pid in pids:
        try:
            fds = list((PROC / str(pid) / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inode = int(target[len("socket:[") : -1])
                if inode in table:
                    protocol, address, port = table[inode]
                    found.append(Listener(pid, command_of(pid), protocol, address, port))
    return found


def bound_to(ports: set[int]) -> list[tuple[str, str, int]]:
    """``(protocol, address, port)`` of every listening socket on one of these ports."""
    return [entry for entry in _socket_table().values() if entry[2] in ports]
