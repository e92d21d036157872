"""The engine's wire encoding of properties, for tests that talk to a plugin over gRPC."""

from __future__ import annotations

import asyncio
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import rpc

__all__ = ["from_struct", "secret", "to_struct"]

SECRET_SIG = {rpc._special_sig_key: rpc._special_secret_sig}


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine marshals them (unknowns stay the UNKNOWN sentinel)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    result: dict[str, Any] = rpc.deserialize_properties(struct, keep_unknowns=True)
    return result


def secret(value: Any) -> dict[str, Any]:
    """A value wrapped the way the engine marks secrets on the wire."""
    return {**SECRET_SIG, "value": value}
