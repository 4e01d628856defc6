"""Secrets that rotate: one plain value, or {"current", "previous"}."""

from __future__ import annotations

import pytest

from winback.domain.links.keyring import KeyRing, key_id, parse_secret


def test_a_plain_value_is_one_key() -> None:
    assert parse_secret("whsec_abc") == KeyRing("whsec_abc")
    assert parse_secret("{not json") == KeyRing("{not json")


def test_current_and_previous() -> None:
    assert parse_secret('{"current": "b", "previous": "a"}').all == ("b", "a")
    assert parse_secret('{"current": "c", "previous": ["b", "a"]}').all == ("c", "b", "a")
    assert parse_secret('{"current": "c"}').all == ("c",)


@pytest.mark.parametrize("text", ['{"previous": "a"}', '{"current": ""}', '{"current": "b", "previous": [1]}'])
def test_a_malformed_ring_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_secret(text)


def test_key_ids_are_short_url_safe_and_differ() -> None:
    a, b = key_id(b"one"), key_id(b"two")
    assert a != b and len(a) == 8 and "." not in a and "=" not in a
