"""The 1NCE client of a provider process, built on first use from the configuration it was given.

Both front doors (the dynamic provider and the plugin) are configured before any call and then
serve several calls at once. The client, and with it requests and pydantic, is imported and
built once, by the first call that needs 1NCE: a preview or a plan that never calls 1NCE does
not pay for it, and concurrent first calls share one client (one token, one connection pool).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._client import OnenceClient

__all__ = ["ClientOnDemand"]


class ClientOnDemand:
    """Call it for the client; ``configure`` sets the ``onence:*`` keys it is built from.

    ``client``: a ready client (tests); then the configuration is not used.
    """

    def __init__(self, client: OnenceClient | None = None) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.config: dict[str, str] = {}

    def configure(self, config: Mapping[str, str]) -> None:
        self.config = dict(config)

    def __call__(self) -> OnenceClient:
        """The client, built once even when several engine calls ask for it at once."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from ._client import OnenceClient
                    from ._config import load_settings

                    self._client = OnenceClient(load_settings(self.config))
        return self._client
