"""Where the provider finds 1NCE's URL and credentials: stack config first, then ``ONENCE_*``.

The Pulumi engine hands the plugin the whole stack config with namespaced keys
(``onence:apiUrl``) and secrets already decrypted; the CLI passes what ``pulumi config``
shows. Both end here, so the two agree on precedence and on the error text.

Example::

    settings = load_settings({"onence:username": "api-user", "onence:password": "..."})
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ._errors import ConfigurationError

__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_API_URL",
    "ENV_VARS",
    "Settings",
    "load_settings",
]

DEFAULT_API_URL = "https://api.1nce.com/management-api"

#: Stack config keys, by setting.
CONFIG_KEYS = {
    "api_url": "onence:apiUrl",
    "username": "onence:username",
    "password": "onence:password",
}

#: Environment fallbacks, by setting.
ENV_VARS = {
    "api_url": "ONENCE_API_URL",
    "username": "ONENCE_USERNAME",
    "password": "ONENCE_PASSWORD",
}


@dataclass(frozen=True)
class Settings:
    """How to reach 1NCE. The password never appears in ``repr``.

    Parameters
    ----------
    api_url:
        Base URL of the Management API, without a trailing slash.
    username, password:
        Credentials of a 1NCE API user (exchanged for an OAuth token).
    """

    api_url: str
    username: str
    password: str = field(repr=False)


def _lookup(source: Mapping[str, object], *keys: str) -> str | None:
    """The first of ``keys`` that ``source`` holds a non-blank value for, stripped."""
    for key in keys:
        value = source.get(key)
        if value is not None and str(value).strip() != "":
            return str(value).strip()
    return None


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(
            f"the 1NCE API URL must be an http(s) URL such as {DEFAULT_API_URL} "
            f"(from {CONFIG_KEYS['api_url']} or {ENV_VARS['api_url']})"
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            "the 1NCE API URL must not carry credentials; set "
            f"{CONFIG_KEYS['username']}/{CONFIG_KEYS['password']} instead"
        )
    return url.rstrip("/")


def load_settings(
    config: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the settings: stack config wins, the ``ONENCE_*`` environment is the fallback.

    Parameters
    ----------
    config:
        Stack config, keys namespaced (``onence:username``); bare keys are accepted too.
    environ:
        The environment; ``os.environ`` when omitted.

    Raises
    ------
    ConfigurationError
        When the username or password is missing (one error naming both the config keys and
        the environment variables), or when the API URL is not an http(s) URL.
    """
    config = config or {}
    env = os.environ if environ is None else environ

    def get(setting: str) -> str | None:
        key = CONFIG_KEYS[setting]
        bare = key.split(":", 1)[1]  # `apiUrl` is accepted as well as `onence:apiUrl`
        return _lookup(config, key, bare) or _lookup(env, ENV_VARS[setting])

    username, password = get("username"), get("password")
    missing = [s for s, v in (("username", username), ("password", password)) if v is None]
    if missing:
        raise ConfigurationError(
            "1NCE credentials are missing (" + " and ".join(missing) + "): set the stack config "
            f"{CONFIG_KEYS['username']} and {CONFIG_KEYS['password']} "
            f"(`pulumi config set {CONFIG_KEYS['username']} NAME`, "
            f"`pulumi config set --secret {CONFIG_KEYS['password']} PASSWORD`) "
            f"or the environment variables {ENV_VARS['username']} and {ENV_VARS['password']}"
        )
    assert username is not None
    assert password is not None
    api_url = _check_url(get("api_url") or DEFAULT_API_URL)
    return Settings(api_url=api_url, username=username, password=password)
