"""Where the provider finds 1NCE's URL and credentials: stack config first, then ``ONENCE_*``.

The Pulumi engine hands the plugin the whole stack config with namespaced keys
(``onence:apiUrl``) and secrets already decrypted; the CLI passes what ``pulumi config``
shows. Both end here, so the two agree on precedence and on the error text.

Example::

    settings = load_settings({"onence:username": "api-user", "onence:password": "..."})
"""

from __future__ import annotations

import ipaddress
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
    "check_api_url",
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


def _lookup(source: Mapping[str, object], *keys: str) -> tuple[str, str] | None:
    """The first of ``keys`` that ``source`` holds, as ``(key, stripped value)``.

    A key that is present but blank is returned too (with ``""``): an empty credential is a
    mistake to report, not a reason to look elsewhere.
    """
    for key in keys:
        value = source.get(key)
        if value is not None:
            return key, str(value).strip()
    return None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(url: str) -> str:
    """``url`` without a trailing slash, if it is a safe 1NCE API URL.

    ``http://`` is accepted only for a loopback host (the local emulator): anywhere else the
    password and the bearer tokens would travel in clear.
    """
    where = f"(from {CONFIG_KEYS['api_url']} or {ENV_VARS['api_url']})"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(
            f"the 1NCE API URL must be an https:// URL such as {DEFAULT_API_URL} {where}"
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            f"the 1NCE API URL must not carry credentials {where}; set "
            f"{CONFIG_KEYS['username']}/{CONFIG_KEYS['password']} instead"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"refusing the http:// 1NCE API URL for host {parts.hostname} {where}: the password "
            "and the access tokens would travel in clear; use https:// (http:// is allowed only "
            "for a loopback host such as the local emulator at 127.0.0.1)"
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
        the environment variables), when a setting is present but blank (naming its key), or
        when the API URL is not https:// (``http://`` only for a loopback host).
    """
    config = config or {}
    env = os.environ if environ is None else environ

    def get(setting: str) -> str | None:
        key = CONFIG_KEYS[setting]
        bare = key.split(":", 1)[1]  # `apiUrl` is accepted as well as `onence:apiUrl`
        found = _lookup(config, key, bare) or _lookup(env, ENV_VARS[setting])
        if found is None:
            return None
        name, value = found
        if value == "":
            what = setting.replace("_", " ")
            if name in (key, bare):
                secret = " --secret" if setting == "password" else ""
                fix = (
                    f"set it with `pulumi config set{secret} {key} VALUE`, or remove it with "
                    f"`pulumi config rm {key}` to use {ENV_VARS[setting]}"
                )
                name = key
            else:
                fix = f"give {name} a value or unset it"
            raise ConfigurationError(
                f"{name} is set but empty (the 1NCE {what} must not be blank): {fix}"
            )
        return value

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
    api_url = check_api_url(get("api_url") or DEFAULT_API_URL)
    return Settings(api_url=api_url, username=username, password=password)
