"""Test your own Pulumi stack against the emulator: ``running_emulator()`` (no pytest needed).

Example::

    import os, subprocess
    from onence_emulator.testing import running_emulator

    with running_emulator() as onence:
        env = {**os.environ, **onence.env()}
        subprocess.run(["pulumi", "up", "--yes"], env=env, check=True)
        assert onence.admin.calls()          # what the stack asked 1NCE

The API user's password is generated for each run and never shown in a repr.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .harness import AdminClient, EmulatorProcess

if TYPE_CHECKING:  # the receiver needs the [receiver] extra (trustme); only typing needs it here
    from .receiver import HttpsReceiver

__all__ = ["DEFAULT_USERNAME", "EmulatedOnence", "running_emulator"]

DEFAULT_USERNAME = "onence-test"
"""The API user ``running_emulator()`` creates when given no ``users``."""


class EmulatedOnence:
    """A running emulator, seen as a 1NCE account: where it is and how to log in."""

    def __init__(
        self,
        process: EmulatorProcess,
        username: str,
        password: str,
        receiver: HttpsReceiver | None = None,
    ) -> None:
        self.process = process
        """The emulator process (``stop()``/``start()`` simulate an outage of 1NCE)."""
        self.username = username
        self._password = password
        self.receiver = receiver
        """The receiver whose CA the emulator trusts, if one was given."""

    def __repr__(self) -> str:
        return f"EmulatedOnence(base_url={self.base_url!r}, username={self.username!r})"

    @property
    def password(self) -> str:
        """The API user's password (kept out of reprs: hand it on, do not print it)."""
        return self._password

    @property
    def base_url(self) -> str:
        """The Management API's URL, ``http://127.0.0.1:PORT/management-api``."""
        return self.process.base_url

    @property
    def admin(self) -> AdminClient:
        """The ``/_emulator`` admin API: ``reset()``, ``calls()``, ``add_fault()``,
        ``inject_event()``, ``drain()``, ``deliveries()``... (docs/emulator.md)."""
        return self.process.admin

    def env(self) -> dict[str, str]:
        """The variables that point the provider (a ``pulumi`` subprocess) at this emulator."""
        return {
            "ONENCE_API_URL": self.base_url,
            "ONENCE_USERNAME": self.username,
            "ONENCE_PASSWORD": self.password,
        }

    def pulumi_config(self) -> dict[str, str]:
        """The same as stack config; set ``onence:password`` as a secret."""
        return {
            "onence:apiUrl": self.base_url,
            "onence:username": self.username,
            "onence:password": self.password,
        }

    def reset(self) -> None:
        """Forget webhooks, tokens, faults, calls and deliveries; restart the process if it was
        stopped. The users stay."""
        if not self.process.running:
            self.process.start()
        self.admin.reset()


def _check_users(users: Mapping[str, str]) -> None:
    # The users reach the process as "name:password,name:password" in its environment.
    if not users:
        raise ValueError("running_emulator needs at least one user")
    for name, password in users.items():
        if not name or not password or "," in name + password or ":" in name:
            raise ValueError(
                "user names and passwords must be non-empty, without commas (and names "
                "without colons)"
            )


@contextmanager
def running_emulator(
    *,
    users: Mapping[str, str] | None = None,
    receiver: HttpsReceiver | None = None,
    time_scale: float = 0.001,
    **options: Any,
) -> Iterator[EmulatedOnence]:
    """Start an emulator on a free 127.0.0.1 port; stop it (and remove its log) on exit.

    ``users``: name to password; the first is the one ``env()`` logs in as. Default: the user
    ``onence-test`` with a generated password. ``receiver``: an ``HttpsReceiver`` the emulator
    may deliver to (its CA trusted, private endpoints allowed); without one the emulator keeps
    1NCE's rules (public endpoints, the system trust store). ``time_scale`` shrinks the retry
    schedule (0.001: a webhook fails after about 2 s instead of 30 minutes). ``options`` go to
    ``EmulatorProcess``: ``delivery_timeout``, ``lenient_restart``, ``paging``, ``data_dir``,
    ``ca_bundle``, ``allow_private_endpoints``, ``extra_args``, ``startup_timeout``.
    """
    chosen = dict(users) if users is not None else {DEFAULT_USERNAME: secrets.token_urlsafe(24)}
    _check_users(chosen)
    if receiver is not None:
        if options.get("ca_bundle") is not None:
            raise TypeError("give either receiver or ca_bundle: the receiver brings its CA")
        options["ca_bundle"] = receiver.ca_pem
        options["allow_private_endpoints"] = True
    username, password = next(iter(chosen.items()))
    process = EmulatorProcess(users=chosen, time_scale=time_scale, **options)
    with process:
        yield EmulatedOnence(process, username, password, receiver)
