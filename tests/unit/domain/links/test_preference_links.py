"""domain/links/preference_links.py: the footer's signed, expiring link to the preference page, of the
unsubscribe token's family and never valid as an unsubscribe or reason token (nor they as it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from winback.domain.links.claims import InvalidToken, sign_claim
from winback.domain.links.preference_links import (
    PURPOSE,
    preferences_url,
    sign_preference_token,
    verify_preference_token,
)
from winback.domain.links.reason_links import PURPOSE as REASON_PURPOSE
from winback.domain.links.reason_links import sign_reason_token, verify_reason_token
from winback.domain.links.signing import UNSUBSCRIBE_PURPOSE
from winback.domain.links.tokens import sign_token, verify_token

KEY = b"unit-test-key-not-a-secret"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VALID = timedelta(days=365)
EPISODE = "2026-01-01T00:00:00+00:00"


def token(key: bytes = KEY, arm: str = "coupon") -> str:
    return sign_preference_token(key, "user-1", "dormant-offer", "email", EPISODE, arm, NOW, VALID)


def test_sign_then_verify_round_trips_the_claim() -> None:
    claim = verify_preference_token(KEY, token(), NOW + timedelta(days=1))
    assert (claim.user_id, claim.campaign_id, claim.channel, claim.episode, claim.arm) == (
        "user-1",
        "dormant-offer",
        "email",
        EPISODE,
        "coupon",
    )


def test_expired_tampered_or_foreign_tokens_are_rejected() -> None:
    with pytest.raises(InvalidToken, match="expired"):
        verify_preference_token(KEY, token(), NOW + VALID + timedelta(seconds=1))
    with pytest.raises(InvalidToken):
        verify_preference_token(KEY, token(key=b"another-key"), NOW)
    payload, mac, kid = token().split(".")
    with pytest.raises(InvalidToken):
        verify_preference_token(KEY, f"{payload}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}.{kid}", NOW)


def test_the_purpose_alone_keeps_a_preference_claim_from_passing_for_an_unsubscribe_one() -> None:
    """Guard: the purpose `prefs.` in the MAC (signing.py). A claim with exactly the fields of the other
    kind, signed under the other purpose with the same key, is refused: the schemas alone would pass it."""
    expires = NOW + VALID
    unsubscribe_shaped = sign_claim(KEY, PURPOSE, {"u": "user-1", "c": "email", "k": "dormant-offer"}, expires)
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(KEY, unsubscribe_shaped, NOW)
    fields = {"u": "user-1", "k": "dormant-offer", "c": "email", "n": EPISODE, "a": "coupon"}
    for purpose in (UNSUBSCRIBE_PURPOSE, REASON_PURPOSE):
        with pytest.raises(InvalidToken, match="signature"):
            verify_preference_token(KEY, sign_claim(KEY, purpose, fields, expires), NOW)
    assert verify_preference_token(KEY, sign_claim(KEY, PURPOSE, fields, expires), NOW).arm == "coupon"


def test_a_preference_token_is_no_unsubscribe_or_reason_token_and_neither_is_one() -> None:
    with pytest.raises(InvalidToken):
        verify_token(KEY, token(), NOW)
    with pytest.raises(InvalidToken):
        verify_reason_token(KEY, token(), NOW)
    unsubscribe = sign_token(KEY, "user-1", "email", "dormant-offer", NOW, VALID)
    reason = sign_reason_token(KEY, "user-1", "dormant-offer", EPISODE, "forgot", NOW, VALID)
    for other in (unsubscribe, reason):
        with pytest.raises(InvalidToken):
            verify_preference_token(KEY, other, NOW)


def test_the_url_carries_the_token_on_the_preferences_route() -> None:
    url = preferences_url("https://api.example.com/", token())
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("api.example.com", "/preferences")
    assert verify_preference_token(KEY, parse_qs(parts.query)["token"][0], NOW).user_id == "user-1"
