"""domain/links/claims.py: one verifier for every kind of signed, expiring claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import Field

from winback.domain.links import tokens
from winback.domain.links.claims import Claim, InvalidToken, sign_claim, verify_claim
from winback.domain.links.signing import seal

KEY = b"unit-test-key-not-a-secret"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class GiftClaim(Claim):
    gift: str = Field(alias="g")


def test_a_new_kind_of_claim_needs_only_its_model_and_purpose() -> None:
    token = sign_claim(KEY, "gift.", {"g": "mug"}, NOW + timedelta(hours=1))
    claim = verify_claim(KEY, "gift.", token, NOW, GiftClaim)
    assert (claim.gift, claim.expires) == ("mug", int((NOW + timedelta(hours=1)).timestamp()))


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (sign_claim(KEY, "other.", {"g": "mug"}, NOW + timedelta(hours=1)), "signature"),
        (sign_claim(b"another-key", "gift.", {"g": "mug"}, NOW + timedelta(hours=1)), "signature"),
        (sign_claim(KEY, "gift.", {"g": "mug"}, NOW - timedelta(seconds=1)), "expired"),
        (sign_claim(KEY, "gift.", {"g": "mug", "x": 1}, NOW + timedelta(hours=1)), "malformed"),
        (seal(KEY, "gift.", {"g": "mug"}), "malformed"),  # no expiry
        ("no-dot", "signature"),
    ],
)
def test_anything_but_a_genuine_unexpired_claim_is_an_invalid_token(token: str, message: str) -> None:
    with pytest.raises(InvalidToken, match=message):
        verify_claim(KEY, "gift.", token, NOW, GiftClaim)


def test_claims_are_immutable() -> None:
    claim = verify_claim(KEY, "gift.", sign_claim(KEY, "gift.", {"g": "mug"}, NOW), NOW, GiftClaim)
    with pytest.raises(ValueError, match="frozen"):
        claim.gift = "car"  # type: ignore[misc]


def test_invalid_token_is_still_importable_from_tokens_for_the_handlers() -> None:
    assert tokens.InvalidToken is InvalidToken
