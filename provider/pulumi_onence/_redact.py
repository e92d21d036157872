"""One redaction rule for every message that may carry a secret.

Messages from 1NCE (test and restart answers quote the receiver's reply), from the engine and
from our own errors may contain a header value, a password or a token. Every place that shows
such a message to a user passes it through ``redact`` first.

The rule redacts *whole values*: a secret is replaced where it stands as a value of its own
(not glued to letters or digits on both sides), so a short passphrase such as ``pass`` does not
turn the English word "password" into "[secret]word". A long secret (``LONG_SECRET`` characters
or more) cannot be an ordinary word, so it is replaced wherever it occurs, even inside a
longer token.

Example::

    redact("receiver said: bad key s3cr3t-value", ["s3cr3t-value"])
    # 'receiver said: bad key [secret]'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["LONG_SECRET", "MARK", "one_line", "redact"]

#: What a redacted value is replaced with.
MARK = "[secret]"
#: From this length on, a secret is replaced even inside a longer token.
LONG_SECRET = 8


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret value replaced by ``MARK`` (longest secrets first)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if secret not in text:
            continue
        if len(secret) >= LONG_SECRET:
            text = text.replace(secret, MARK)
        else:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", MARK, text)
    return text


def one_line(text: str | None) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space: every message
    a user sees is one line."""
    return " ".join((text or "").split())
