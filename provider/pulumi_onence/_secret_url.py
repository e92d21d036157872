"""Whether a webhook URL carries a credential, so the program marks it secret.

A URL with ``user:password@``, a credential-like parameter (query, ``;`` matrix parameters or
fragment, by name) or a long random-looking value must never be printed. The Pulumi engine
prints the value of a property whose ``check`` fails, so ``Webhook`` wraps such a URL in a
secret before the engine sees it; a secret value is shown as ``[secret]``.

Example::

    looks_secret("https://user:pw@hooks.example.com/")      # True
    looks_secret("https://hooks.example.com/1nce?iccid=:iccid:")   # False
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["looks_secret", "sent_secrets"]

#: Parameter names that hold credentials (compared without ``-``/``_`` and case).
_SECRET_NAMES = re.compile(
    r"(token|tkn|secret|passw|pwd|pass$|key|sig|hmac|auth|bearer|credential|session|"
    r"jwt|otp|nonce|code$|hash|salt|cert|private)"
)
#: A value this long with this much entropy (bits per character) is taken for a token.
_LONG_VALUE = 20
_RANDOM_BITS = 3.5


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _parameters(url: str) -> list[tuple[str, str]]:
    parts = urlsplit(url)
    pairs: list[tuple[str, str]] = []
    for text in (parts.query, parts.fragment, *parts.path.split(";")[1:]):
        for chunk in re.split(r"[;&]", text):
            name, _, value = chunk.partition("=")
            pairs.append((name, value))
    pairs += parse_qsl(parts.query, keep_blank_values=True)
    return pairs


def looks_secret(url: str) -> bool:
    """Whether ``url`` holds a password, a credential parameter or a token-like value."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "@" in url
    if "@" in parts.netloc:
        return True
    for name, value in _parameters(url):
        plain_name = re.sub(r"[-_.]", "", name.lower())
        if plain_name and value and _SECRET_NAMES.search(plain_name):
            return True
        if len(value) >= _LONG_VALUE and _entropy(value) >= _RANDOM_BITS:
            return True
    return False


def sent_secrets(url: Any, headers: Mapping[str, Any] | None) -> list[str]:
    """A webhook's values that stay out of every message: its header values, and its URL when
    it carries a credential (the one rule for 1NCE's answers, warnings and errors)."""
    found = [str(v) for v in (headers or {}).values()]
    if isinstance(url, str) and looks_secret(url):
        found.append(url)
    return found
