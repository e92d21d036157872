"""TLS verification of the 1NCE API is never switched off: no code path sets ``verify=False``,
an untrusted certificate fails at once (no retry), and a private CA is trusted only when the
user says so (``REQUESTS_CA_BUNDLE``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pulumi_onence
import pytest
from onence_emulator.receiver import HttpsReceiver
from pulumi_onence._client import OnenceClient, ca_bundle_from_environment
from pulumi_onence._config import Settings
from pulumi_onence._errors import OnenceError, TransportError

from tests.unit.client_doubles import FakeClock

PACKAGE = Path(pulumi_onence.__file__).parent


@pytest.fixture(scope="module")
def untrusted() -> Iterator[HttpsReceiver]:
    """An HTTPS server whose certificate comes from a CA nobody trusts by default."""
    with HttpsReceiver() as receiver:
        yield receiver


def _trusted(value: ast.expr | None) -> bool:
    """``True``, or the one helper typed to return True or the user's CA bundle."""
    if isinstance(value, ast.Constant):
        return value.value is True
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "ca_bundle_from_environment"
    )


def _verify_switched_off(tree: ast.AST) -> list[int]:
    """Lines that pass or assign ``verify`` anything but ``True`` or the user's CA bundle."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "verify" and not _trusted(node.value):
            lines.append(node.value.lineno)
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets, value = [node.target], node.value
        if not _trusted(value) or isinstance(node, ast.AugAssign):
            lines += [
                t.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr == "verify"
            ]
    return sorted(lines)


def test_no_code_path_switches_tls_verification_off() -> None:
    sources = sorted(PACKAGE.glob("*.py"))
    assert len(sources) > 5
    found = {
        path.name: lines
        for path in sources
        if (lines := _verify_switched_off(ast.parse(path.read_text(), str(path))))
    }
    assert found == {}
    # The scan itself finds what it looks for.
    assert _verify_switched_off(ast.parse("s.get(u, verify=False)\ns.verify = False")) == [1, 2]
    bad = "s.verify = bundle\ns.get(u, verify=os.environ.get('X'))\ns.verify = other()"
    assert _verify_switched_off(ast.parse(bad)) == [1, 2, 3]
    good = "s.verify = True\ns.verify = ca_bundle_from_environment()\ns.get(u, verify=True)"
    assert _verify_switched_off(ast.parse(good)) == []


def test_the_ca_bundle_helper_never_switches_verification_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    assert ca_bundle_from_environment() is True
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    assert ca_bundle_from_environment() is True
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/curl-ca.pem")
    assert ca_bundle_from_environment() == "/etc/curl-ca.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/requests-ca.pem")
    assert ca_bundle_from_environment() == "/etc/requests-ca.pem"


def test_an_untrusted_certificate_fails_at_once_and_says_why(untrusted: HttpsReceiver) -> None:
    clock = FakeClock()
    client = OnenceClient(
        Settings(untrusted.url + "/management-api", "user", "tls-pw-31c9"),
        timeout=10,
        **clock.options(),
    )
    with pytest.raises(TransportError) as caught:
        client.list_integrations()
    text = str(caught.value)
    assert "TLS verification failed" in text
    assert "tls-pw-31c9" not in text
    assert clock.sleeps == []  # a certificate does not fix itself: no retry
    assert untrusted.requests == []  # nothing got through, not even the credentials


def test_a_private_ca_is_trusted_only_through_the_users_ca_bundle(
    untrusted: HttpsReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(untrusted.ca_pem))
    untrusted.clear()
    client = OnenceClient(
        Settings(untrusted.url + "/management-api", "user", "tls-pw-31c9"), timeout=10
    )
    with pytest.raises(OnenceError) as caught:
        client.list_integrations()  # the receiver is no token endpoint, but TLS held
    assert not isinstance(caught.value, TransportError)
    assert len(untrusted.requests) == 1
