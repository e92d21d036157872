"""Settings come from stack config first, then ONENCE_* variables; one clear error otherwise."""

from __future__ import annotations

import pytest
from pulumi_onence._config import DEFAULT_API_URL, Settings, load_settings
from pulumi_onence._errors import ConfigurationError

FULL_CONFIG = {
    "onence:apiUrl": "http://127.0.0.1:9/management-api/",
    "onence:username": "config-user",
    "onence:password": "config-password",
}
FULL_ENV = {
    "ONENCE_API_URL": "https://env.example.com/management-api",
    "ONENCE_USERNAME": "env-user",
    "ONENCE_PASSWORD": "env-password",
}


def test_stack_config_wins_over_the_environment() -> None:
    settings = load_settings(FULL_CONFIG, FULL_ENV)
    assert settings == Settings(
        api_url="http://127.0.0.1:9/management-api",
        username="config-user",
        password="config-password",
    )


def test_environment_fills_what_the_config_leaves_out() -> None:
    settings = load_settings({"onence:username": "config-user"}, FULL_ENV)
    assert settings.username == "config-user"
    assert settings.password == "env-password"
    assert settings.api_url == "https://env.example.com/management-api"


def test_api_url_defaults_to_1nce() -> None:
    settings = load_settings({}, {"ONENCE_USERNAME": "u", "ONENCE_PASSWORD": "p"})
    assert settings.api_url == DEFAULT_API_URL


def test_bare_keys_are_accepted_like_namespaced_ones() -> None:
    settings = load_settings({"username": "u", "password": "p"}, {})
    assert (settings.username, settings.password) == ("u", "p")


@pytest.mark.parametrize(
    ("config", "environ", "named"),
    [
        (
            {"onence:username": "", "onence:password": "p"},
            {"ONENCE_USERNAME": "env-u"},
            "onence:username",
        ),
        ({"onence:username": "u", "onence:password": "  "}, {}, "onence:password"),
        ({"username": "", "password": "p"}, {}, "onence:username"),
        ({"onence:password": "p"}, {"ONENCE_USERNAME": ""}, "ONENCE_USERNAME"),
        ({}, {"ONENCE_USERNAME": "u", "ONENCE_PASSWORD": ""}, "ONENCE_PASSWORD"),
        (
            {"onence:apiUrl": "", "onence:username": "u", "onence:password": "p"},
            {},
            "onence:apiUrl",
        ),
    ],
)
def test_an_empty_setting_is_refused_naming_its_key(
    config: dict[str, str], environ: dict[str, str], named: str
) -> None:
    """`pulumi config set onence:username "$UNSET_VARIABLE"` stores "": say so, never fall back."""
    with pytest.raises(ConfigurationError) as caught:
        load_settings(config, environ)
    text = str(caught.value)
    assert text.startswith(f"{named} is set but empty")
    assert "\n" not in text


def test_the_fix_for_an_empty_config_key_says_how_to_set_or_remove_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"onence:username": "u", "onence:password": ""}, {})
    assert "`pulumi config set --secret onence:password VALUE`" in str(caught.value)
    assert "`pulumi config rm onence:password` to use ONENCE_PASSWORD" in str(caught.value)


@pytest.mark.parametrize(
    ("config", "missing"),
    [
        ({}, "username and password"),
        ({"onence:username": "u"}, "password"),
        ({"onence:password": "p"}, "username"),
    ],
)
def test_missing_credentials_give_one_error_naming_config_keys_and_variables(
    config: dict[str, str], missing: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(config, {})
    text = str(caught.value)
    assert f"({missing})" in text
    for name in ("onence:username", "onence:password", "ONENCE_USERNAME", "ONENCE_PASSWORD"):
        assert name in text


def test_the_error_for_a_missing_username_does_not_show_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"onence:password": "hunter2-secret"}, {})
    assert "hunter2-secret" not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["ftp://example.com", "example.com/management-api", "https://", "https://u:p@x.com"]
)
def test_a_malformed_api_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"onence:apiUrl": url, "onence:username": "u", "onence:password": "p"}, {})
    assert "onence:apiUrl" in str(caught.value)
    assert ":p@" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.1nce.com/management-api",
        "http://10.0.0.8:8080/management-api",
        "http://192.168.1.20",
        "http://[2001:db8::1]/api",
        "http://localhost.example.com/api",
        "http://127.0.0.1.nip.io/api",
    ],
)
def test_an_http_api_url_is_refused_unless_its_host_is_loopback(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"onence:apiUrl": url, "onence:username": "u", "onence:password": "pw"}, {})
    text = str(caught.value)
    assert "password and the access tokens would travel in clear" in text
    assert "https://" in text
    assert "onence:apiUrl" in text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/management-api",
        "http://127.8.9.10/management-api",
        "http://[::1]:8080/management-api",
        "http://localhost:8080/management-api",
        "http://LOCALHOST/management-api",
        "https://api.1nce.com/management-api",
        "https://10.0.0.8/management-api",
    ],
)
def test_https_anywhere_and_http_on_loopback_are_accepted(url: str) -> None:
    settings = load_settings({"onence:apiUrl": url, "onence:username": "u", "onence:password": "p"})
    assert settings.api_url == url


def test_the_password_is_not_in_the_repr() -> None:
    settings = Settings(
        api_url="https://x.example.com", username="fleet-operator", password="s3cret-pw"
    )
    assert "s3cret-pw" not in repr(settings)
    assert "fleet-operator" in repr(settings)
    assert "https://x.example.com" in repr(settings)
