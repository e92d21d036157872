"""A table of hostile and careless webhook declarations, each with the pack's expected verdict.

Shared by the analyzer tests (fast, every case through the pack's servicer) and the engine tests
(`pulumi preview` / `up --policy-pack`). Whether the provider's ``check`` refuses a case is asked
of the provider itself, so the table splits as the engine will: every case ``check`` accepts goes
into one stack and one preview; each case it refuses gets a preview of its own (the engine stops
a preview at the first resource whose check fails).

Values written ``KEY`` in headers are the stack's secret config ``ingestKey``. Every string in
``planted`` is a secret that must never show up in any output, state or log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from tests.policies.policy_harness import SECRET

KEY: Final = "KEY"
"""A header value taken from the stack's secret config (the harness's ``SECRET`` offline)."""

M, A = "mandatory", "advisory"
PUBLIC_HOST = "webhook-url-public-host"
NO_CREDENTIALS = "webhook-url-no-credentials"


@dataclass(frozen=True)
class Case:
    """One webhook declaration and what the pack reports on it, as ``(level, policy)``."""

    resource: str
    url: str
    expect: frozenset[tuple[str, str]]
    headers: dict[str, str] = field(default_factory=lambda: {"x-api-key": KEY})
    name: str | None = None
    event_types: tuple[str, ...] = ("TELEMETRY_DATA",)
    secret_url: bool = False
    planted: tuple[str, ...] = ()

    def props(self) -> dict[str, Any]:
        """The inputs as the pack receives them (secrets in plaintext)."""
        props: dict[str, Any] = {
            "url": self.url,
            "headers": {k: SECRET if v == KEY else v for k, v in self.headers.items()},
            "eventTypes": list(self.event_types),
            "jsonPayloadEnabled": False,
            "restartIfFailed": False,
        }
        props["name"] = self.name if self.name is not None else self.resource
        return props

    def statement(self) -> str:
        """The ``Webhook(...)`` statement of a stack program declaring this case."""
        url = f"pulumi.Output.secret({self.url!r})" if self.secret_url else repr(self.url)
        headers = ", ".join(
            f"{k!r}: {'key' if v == KEY else repr(v)}" for k, v in self.headers.items()
        )
        name = f", name={self.name!r}" if self.name is not None else ""
        return (
            f"Webhook({self.resource!r}, url={url}, headers={{{headers}}}, "
            f"event_types={list(self.event_types)!r}{name})"
        )


def case(resource: str, url: str, *expect: tuple[str, str], **more: Any) -> Case:
    return Case(resource, url, frozenset(expect), **more)


CASES: Final = (
    # --- controls: nothing to report -------------------------------------------------------
    case("good", "https://ingest.example.com/1nce?iccid=:iccid:"),
    case(
        "good-secret-url",
        "https://s3cr3t-good-host-5x.example.com/hook",
        secret_url=True,
        planted=("s3cr3t-good-host-5x",),
    ),
    # --- non-public IP literals in every spelling -----------------------------------------
    case("ip-dotted", "https://127.0.0.1/ip-dotted", (M, PUBLIC_HOST)),
    case("ip-short", "https://127.1/ip-short", (M, PUBLIC_HOST)),
    case("ip-decimal", "https://2130706433/ip-decimal", (M, PUBLIC_HOST)),
    case("ip-octal", "https://0177.0.0.1/ip-octal", (M, PUBLIC_HOST)),
    case("ip-hex", "https://0x7f.1/ip-hex", (M, PUBLIC_HOST)),
    case("ip-ten", "https://10.1.2.3:8443/ip-ten", (M, PUBLIC_HOST)),
    case("ip-172", "https://172.16.5.4/ip-172", (M, PUBLIC_HOST)),
    case("ip-192", "https://192.168.1.10/ip-192", (M, PUBLIC_HOST)),
    case("ip-link-local", "https://169.254.10.10/ip-link-local", (M, PUBLIC_HOST)),
    case("ip-cgnat", "https://100.64.0.1/ip-cgnat", (M, PUBLIC_HOST)),
    case("ip-zero", "https://0.0.0.0/ip-zero", (M, PUBLIC_HOST)),
    case("v6-loopback", "https://[::1]/v6-loopback", (M, PUBLIC_HOST)),
    case("v6-mapped", "https://[::ffff:127.0.0.1]/v6-mapped", (M, PUBLIC_HOST)),
    case("v6-mapped-hex", "https://[::ffff:a00:1]/v6-mapped-hex", (M, PUBLIC_HOST)),
    case("v6-nat64", "https://[64:ff9b::10.0.0.1]/v6-nat64", (M, PUBLIC_HOST)),
    case("v6-ula", "https://[fd12:3456::1]/v6-ula", (M, PUBLIC_HOST)),
    # --- names that only resolve locally --------------------------------------------------
    case("name-localhost", "https://localhost:8443/name-localhost", (M, PUBLIC_HOST)),
    case("name-sub-localhost", "https://api.localhost/name-sub-localhost", (M, PUBLIC_HOST)),
    case("name-local", "https://printer.local/name-local", (M, PUBLIC_HOST)),
    case("name-internal", "https://hooks.internal/name-internal", (M, PUBLIC_HOST)),
    case("name-home-arpa", "https://nas.home.arpa/name-home-arpa", (M, PUBLIC_HOST)),
    case("name-single-label", "https://receiver/name-single-label", (M, PUBLIC_HOST)),
    case("name-nip-io", "https://10.0.0.1.nip.io/name-nip-io", (M, PUBLIC_HOST)),
    # --- cloud metadata endpoints ---------------------------------------------------------
    case("meta-aws", "https://169.254.169.254/latest/meta-data", (M, PUBLIC_HOST)),
    case("meta-gcp", "https://metadata.google.internal/computeMetadata/v1", (M, PUBLIC_HOST)),
    case("meta-aws-v6", "https://[fd00:ec2::254]/latest", (M, PUBLIC_HOST)),
    case("meta-alibaba", "https://100.100.100.200/latest", (M, PUBLIC_HOST)),
    case("meta-azure", "https://168.63.129.16/machine", (M, PUBLIC_HOST)),
    # --- credentials in the URL -----------------------------------------------------------
    case(
        "cred-bearer",
        "https://hooks.example.com/a?bearer=pl4nted-bearer-0001",
        (M, NO_CREDENTIALS),
        planted=("pl4nted-bearer-0001",),
    ),
    case("cred-hmac", "https://hooks.example.com/b?HMAC=pl4nted-hmac-0002", (M, NO_CREDENTIALS)),
    case("cred-sig", "https://hooks.example.com/c?X-Sig=pl4nted-sig-0003", (M, NO_CREDENTIALS)),
    case("cred-tkn", "https://hooks.example.com/d?tkn=pl4nted-tkn-0004", (M, NO_CREDENTIALS)),
    case("cred-bracket", "https://hooks.example.com/e?auth[token]=pl4nted-05", (M, NO_CREDENTIALS)),
    case("cred-matrix", "https://hooks.example.com/f;token=pl4nted-06/x", (M, NO_CREDENTIALS)),
    case(
        "cred-semicolon",
        "https://hooks.example.com/g?a=1;api_key=pl4nted-07",
        (M, NO_CREDENTIALS),
    ),
    case(
        "cred-fragment",
        "https://hooks.example.com/h#access_token=pl4nted-08",
        (M, NO_CREDENTIALS),
    ),
    case(
        "cred-random-value",
        "https://hooks.example.com/i?tenant=Pl4nTd9vLmQ8rT5wYz3bNc",
        (M, NO_CREDENTIALS),
        planted=("Pl4nTd9vLmQ8rT5wYz3bNc",),
    ),
    case(
        "cred-bare",
        "https://hooks.example.com/j?9f8e7d6c5b4a39281706",
        (M, NO_CREDENTIALS),
    ),
    case(
        "cred-jwt",
        "https://hooks.example.com/k?state=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        (M, NO_CREDENTIALS),
    ),
    case(
        "path-token",
        "https://hooks.example.com/services/T0001/B0002/Kq7Rm2Xw9Lp4Zt6Vb8Nc1Hd",
        (A, "webhook-url-path-token"),
    ),
    # --- a secret URL: judged, and nothing of it shown ------------------------------------
    case(
        "secret-url-bad",
        "https://s3cr3t-bad-host-q7.internal/hook?token=s3cr3t-q-token-77",
        (M, PUBLIC_HOST),
        (M, NO_CREDENTIALS),
        secret_url=True,
        planted=("s3cr3t-bad-host-q7", "s3cr3t-q-token-77"),
    ),
    # --- one endpoint, two spellings (reported on the later name of the pair) -------------
    case("dup-a", "https://dup.example.com/1nce"),
    case("dup-b", "https://DUP.Example.com:443/1nce", (M, "webhook-urls-unique")),
    case("dup-c", "https://dup2.example.com"),
    case("dup-d", "https://dup2.example.com./", (M, "webhook-urls-unique")),
    # --- advisories -----------------------------------------------------------------------
    case(
        "placeholder-unknown",
        "https://hooks.example.com/m?dev=:deviceId:",
        (A, "webhook-placeholders-documented"),
    ),
    case("no-auth-header", "https://hooks.example.com/n", (A, "webhook-auth-header"), headers={}),
    # --- what the provider's check refuses, under the pack's own rule names ---------------
    case("url-space", "https://hooks.example.com/a b", (M, "webhook-url-valid")),
    case("url-tab", "https://hooks.example.com/a\tb", (M, "webhook-url-valid")),
    case("url-long", "https://hooks.example.com/" + "a" * 2100, (M, "webhook-url-valid")),
    case("url-idn", "https://b\u00fccher.example/hook", (M, "webhook-url-valid")),
    case("url-port", "https://hooks.example.com:99999/", (M, "webhook-url-valid")),
    case("url-placeholder-host", "https://:ip:/hook", (M, "webhook-url-valid")),
    case("url-http", "http://hooks.example.com/o", (M, "webhook-url-https")),
    case(
        "url-userinfo",
        "https://alice:pl4nted-Passw0rd-09@hooks.example.com/p",
        (M, NO_CREDENTIALS),
        planted=("pl4nted-Passw0rd-09",),
    ),
    case(
        "header-name-space",
        "https://hooks.example.com/q",
        (M, "webhook-header-names-valid"),
        headers={"X-Api Key": KEY},
    ),
    case(
        "header-name-crlf",
        "https://hooks.example.com/r",
        (M, "webhook-header-names-valid"),
        headers={"x-api-key": KEY, "X-A\r\nX-B": "1"},
    ),
    case(
        "header-value-crlf",
        "https://hooks.example.com/s",
        (M, "webhook-header-values-valid"),
        headers={"x-api-key": "pl4nted-hdr-10\r\nX-Injected: 1"},
        planted=("pl4nted-hdr-10",),
    ),
    case(
        "header-value-latin1",
        "https://hooks.example.com/t",
        (M, "webhook-header-values-valid"),
        headers={"x-api-key": "pl4nted-hdr-11\u20ac"},
        planted=("pl4nted-hdr-11",),
    ),
    case("name-long", "https://hooks.example.com/u", (M, "webhook-name-valid"), name="n" * 129),
    case(
        "name-control",
        "https://hooks.example.com/v",
        (M, "webhook-name-valid"),
        name="fleet\ttelemetry",
    ),
    case(
        "event-unknown",
        "https://hooks.example.com/w",
        (M, "webhook-event-types-known"),
        event_types=("SMS",),
    ),
)

PLANTED: Final = tuple(p for c in CASES for p in c.planted)
"""Secrets written into the table (header values from config come on top)."""


def check_refuses(c: Case) -> bool:
    """Whether the provider's ``check`` (what the engine calls first) refuses the case."""
    from pulumi_onence._provider import WebhookProvider

    return bool(WebhookProvider().check({}, c.props()).failures)
