"""Telling a credential in a URL: by the parameter's name, or by a value that looks random.

A URL is stored and shown in plaintext (state, plans, the 1NCE portal); a credential belongs in
a header, whose values the provider keeps secret.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Final

__all__ = ["looks_like_secret_name", "looks_random"]

_NAME_PARTS: Final = (
    "token",
    "secret",
    "passw",
    "passphrase",
    "passcode",
    "apikey",
    "accesskey",
    "authkey",
    "privatekey",
    "signature",
    "credential",
    "authorization",
    "sessionid",
    "bearer",
    "hmac",
)
"""Substrings that mark a credential wherever they appear in a name (``x_access_token``)."""
_NAME_WORDS: Final = frozenset(
    {
        "key",
        "keys",
        "sig",
        "sign",
        "pwd",
        "pw",
        "pass",
        "auth",
        "jwt",
        "sas",
        "tkn",
        "tok",
        "pat",
        "otp",
        "sid",
        "cred",
        "creds",
        "hash",
        "nonce",
        "code",
        "ticket",
        "session",
        "license",
    }
)
"""Words that mark a credential when they stand alone in a name (``api-key``, ``sig``), but not
inside another word (``monkey``, ``author``, ``zipCode`` is split into ``zip`` and ``code``)."""
_HARMLESS_COMPOUNDS: Final = frozenset({"zipcode", "postcode", "postalcode", "countrycode"})

_KNOWN_PREFIXES: Final = re.compile(
    r"^(?:ghp_|gho_|ghs_|github_pat_|xox[abpr]-|sk_live_|sk_test_|rk_live_|AKIA|ASIA|AIza|"
    r"glpat-|SG\.|eyJ[A-Za-z0-9_-]{8,}\.)"
)
_TOKEN_CHARS: Final = re.compile(r"^[A-Za-z0-9+/=_.~-]+$")


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def looks_like_secret_name(name: str) -> bool:
    """Whether a query, matrix or fragment parameter name suggests a credential.

    Case-insensitive, with any separators: ``apiKey``, ``X-Auth``, ``access_token``, ``sig``,
    ``Signature``, ``hmac``, ``tkn`` and ``code`` (Azure Functions keys) do; ``iccid``,
    ``zipCode``, ``monkey`` and ``author`` don't.
    """
    words = _words(name)
    joined = "".join(words)
    if joined in _HARMLESS_COMPOUNDS:
        return False
    if any(part in joined for part in _NAME_PARTS):
        return True
    return any(word.rstrip("0123456789") in _NAME_WORDS for word in words)


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def looks_random(value: str) -> bool:
    """Whether a value looks like a key or token: a known token prefix, a long hex string, or a
    long string of mixed letters and digits with high entropy.

    Identifiers a webhook carries on purpose (an ICCID of 19 digits, a word with dashes) do not.
    """
    text = value.strip()
    if len(text) < 16 or not _TOKEN_CHARS.match(text):
        return False
    if _KNOWN_PREFIXES.match(text):
        return True
    core = re.sub(r"[^A-Za-z0-9]", "", text)
    if re.fullmatch(r"[0-9a-fA-F]{32,}", core) and not core.isdigit() and not core.isalpha():
        return True
    core = max(re.split(r"[^A-Za-z0-9]+", text), key=len)  # words joined by dashes are not keys
    has_digit = any(c.isdigit() for c in core)
    has_upper = any(c.isupper() for c in core)
    has_lower = any(c.islower() for c in core)
    if not has_digit or not (has_upper or has_lower):
        return False
    if len(core) >= 20 and _entropy(core) >= 3.5:
        return True
    return len(core) >= 16 and has_upper and has_lower and _entropy(core) >= 3.7
