"""One redaction rule: whole values, never substrings of ordinary words."""

from __future__ import annotations

from pulumi_onence._redact import MARK, redact


def test_a_header_value_in_a_receiver_answer_is_replaced() -> None:
    assert redact("401 from receiver: bad key s3cr3t-value!", ["s3cr3t-value"]) == (
        f"401 from receiver: bad key {MARK}!"
    )


def test_a_short_secret_does_not_eat_ordinary_words() -> None:
    text = "restart failed: check the password and pass it again"
    assert redact(text, ["pass"]) == f"restart failed: check the password and {MARK} it again"


def test_a_long_secret_is_replaced_inside_a_longer_token() -> None:
    assert redact("token=xyzAbCdEfGh123456", ["AbCdEfGh123456"]) == f"token=xyz{MARK}"


def test_longest_secret_first_leaves_no_tail_of_it() -> None:
    assert redact("k=abcdefghijkl", ["abcdefgh", "abcdefghijkl"]) == f"k={MARK}"


def test_empty_and_missing_secrets_change_nothing() -> None:
    assert redact("nothing to hide", ["", None]) == "nothing to hide"


def test_regex_characters_in_a_secret_are_literal() -> None:
    assert redact("v=a.b*c", ["a.b*c"]) == f"v={MARK}"
    assert redact("v=aXb*c", ["a.b*c"]) == "v=aXb*c"
