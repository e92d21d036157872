"""Every test here starts with an empty token cache."""

from tests.unit.client_doubles import fresh_tokens

__all__ = ["fresh_tokens"]
