"""domain/links/tokens.py: signed unsubscribe tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from winback.domain.journey.addresses import address_key, hashed_key
from winback.domain.links.claims import InvalidToken
from winback.domain.links.keyring import key_id
from winback.domain.links.tokens import sign_token, verify_token

KEY = b"unit-test-key-not-a-secret"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
VALID = timedelta(days=365)


def token(key: bytes = KEY) -> str:
    return sign_token(key, "user-1", "email", "lapsing-nudge", NOW, VALID)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(payload: str, key: bytes = KEY) -> str:
    """A token whose signature is right for an arbitrary payload (what only the key holder can make)."""
    return f"{payload}.{b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def test_sign_then_verify_round_trips_the_claim() -> None:
    claim = verify_token(KEY, token(), NOW + timedelta(days=1))
    assert claim.user_id == "user-1"
    assert claim.channel == "email"
    assert claim.campaign_id == "lapsing-nudge"
    assert claim.expires == int((NOW + VALID).timestamp())


def test_token_is_url_safe() -> None:
    value = sign_token(KEY, "ü/+?&=" * 10, "sms", "c", NOW, VALID)
    assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert verify_token(KEY, value, NOW).user_id == "ü/+?&=" * 10


def test_tampered_payload_is_rejected() -> None:
    payload, mac, kid = token().split(".")
    forged = b64(b'{"c":"email","e":9999999999,"k":"lapsing-nudge","u":"user-2"}')
    assert forged != payload
    with pytest.raises(InvalidToken):
        verify_token(KEY, f"{forged}.{mac}.{kid}", NOW)


def test_tampered_signature_is_rejected() -> None:
    payload, mac, kid = token().split(".")
    flipped = ("A" if mac[0] != "A" else "B") + mac[1:]
    with pytest.raises(InvalidToken):
        verify_token(KEY, f"{payload}.{flipped}.{kid}", NOW)


def test_wrong_key_is_rejected() -> None:
    with pytest.raises(InvalidToken):
        verify_token(b"another-key", token(), NOW)


def test_valid_until_expiry_second_and_rejected_after() -> None:
    expiry = NOW + VALID
    assert verify_token(KEY, token(), expiry).user_id == "user-1"
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(KEY, token(), expiry + timedelta(seconds=1))


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "nodot",
        "payload.",
        ".signature",
        "!!!.###",
        "a.b.c",
        "%%%%.%%%%",
        "é.é",
        "eyJ1IjoidSJ9.ü",
        " " + "x" * 5000,
    ],
)
def test_garbage_strings_raise_invalid_token(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(KEY, garbage, NOW)


@pytest.mark.parametrize(
    "payload",
    [
        "a",  # impossible base64 length
        b64(b"not json"),
        b64(b"\xff\xfe\x00"),
        b64(b'{"u":"x"}'),  # missing fields
        b64(b'{"u":"x","c":"fax","k":"c","e":1}'),  # unknown channel
        b64(b'{"u":"x","c":"email","k":"c","e":9999999999,"z":1}'),  # extra field
    ],
)
def test_correctly_signed_but_malformed_payload_raises_invalid_token(payload: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(KEY, signed(payload), NOW)


def test_invalid_token_is_a_value_error() -> None:
    assert issubclass(InvalidToken, ValueError)


def test_unsubscribe_links_already_sent_keep_their_exact_form() -> None:
    # Signed before the tokens moved onto domain/signing.py: links in inboxes must stay valid.
    from datetime import UTC, datetime, timedelta

    token = (
        "eyJjIjoiZW1haWwiLCJlIjoxNzk4NzYxNjAwLCJrIjoiZG9ybWFudC1vZmZlciIsInUiOiJ1LTEifQ"
        ".USINkVQQWlxrNY4HbO_DMDdv9uCzJ6zyeM-7J5R-Gi0"
    )
    at = datetime(2026, 1, 1, tzinfo=UTC)
    # Tokens signed now carry the key id after a second dot; the old form (no key id) still verifies.
    assert sign_token(b"k3y", "u-1", "email", "dormant-offer", at, timedelta(days=365)) == f"{token}.{key_id(b'k3y')}"
    assert verify_token(b"k3y", token, at).user_id == "u-1"


def test_a_rotation_keeps_links_already_in_inboxes_working() -> None:
    """Guard: unseal tries the previous keys. A pinned token of the old format (no key id), signed
    with the key being rotated out, verifies against [new, old]; a new token names its key."""
    from datetime import UTC, datetime

    old_token = (
        "eyJjIjoiZW1haWwiLCJlIjoxNzk4NzYxNjAwLCJrIjoiZG9ybWFudC1vZmZlciIsInUiOiJ1LTEifQ"
        ".USINkVQQWlxrNY4HbO_DMDdv9uCzJ6zyeM-7J5R-Gi0"
    )
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ring = [b"new-key", b"k3y"]
    assert verify_token(ring, old_token, at).user_id == "u-1"
    with pytest.raises(InvalidToken):
        verify_token([b"new-key"], old_token, at)  # once the old key is dropped, so are its links
    new_token = sign_token(b"new-key", "u-2", "sms", "c", at, VALID)
    assert new_token.endswith("." + key_id(b"new-key"))
    assert verify_token(ring, new_token, at).user_id == "u-2"
    # a key id names the one key tried: a token claiming the old key's id fails under the new key's MAC
    payload, mac, _ = new_token.split(".")
    with pytest.raises(InvalidToken):
        verify_token(ring, f"{payload}.{mac}.{key_id(b'k3y')}", at)


def test_token_carries_the_hash_of_the_address_it_was_sent_to_and_never_the_address() -> None:
    value = sign_token(KEY, "user-1", "email", "c", NOW, VALID, " User@Mail.Example.COM ")
    claim = verify_token(KEY, value, NOW)
    assert claim.suppression_key() == hashed_key(address_key("email", "user@mail.example.com"))
    assert "example" not in base64.urlsafe_b64decode(value.split(".")[0] + "==").decode().lower()


def test_token_without_an_address_carries_no_hash() -> None:
    assert verify_token(KEY, token(), NOW).suppression_key() is None
