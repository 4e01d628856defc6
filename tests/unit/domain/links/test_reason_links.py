"""domain/links/reason_links.py: signed, expiring reason tokens that never pass for unsubscribe tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from winback.domain.journey.reasons import ANSWERS
from winback.domain.links.claims import InvalidToken
from winback.domain.links.reason_links import reason_urls, sign_reason_token, verify_reason_token
from winback.domain.links.signing import seal
from winback.domain.links.tokens import sign_token, verify_token

KEY = b"unit-test-key-not-a-secret"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
VALID = timedelta(days=30)
EPISODE = "2025-01-01T00:00:00+00:00"


def token(reason: str = "competitor", key: bytes = KEY, now: datetime = NOW) -> str:
    return sign_reason_token(key, "user-1", "lost-question", EPISODE, reason, now, VALID)  # type: ignore[arg-type]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_sign_then_verify_round_trips_the_claim() -> None:
    claim = verify_reason_token(KEY, token(), NOW + timedelta(days=1))
    assert (claim.user_id, claim.campaign_id, claim.episode, claim.reason) == (
        "user-1",
        "lost-question",
        EPISODE,
        "competitor",
    )
    assert claim.expires == int((NOW + VALID).timestamp())


def test_expired_token_is_rejected() -> None:
    with pytest.raises(InvalidToken, match="expired"):
        verify_reason_token(KEY, token(), NOW + VALID + timedelta(seconds=1))


def test_token_signed_with_another_key_is_rejected() -> None:
    with pytest.raises(InvalidToken):
        verify_reason_token(KEY, token(key=b"another-key"), NOW)


def test_changing_the_reason_in_the_payload_breaks_the_signature() -> None:
    payload, _, mac = token("competitor").partition(".")
    claim = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = b64(json.dumps({**claim, "r": "privacy"}, separators=(",", ":"), sort_keys=True).encode())
    with pytest.raises(InvalidToken, match="signature"):
        verify_reason_token(KEY, f"{forged}.{mac}", NOW)


@pytest.mark.parametrize("bad", ["", "garbage", ".", "é.é", "abc.", ".abc"])
def test_malformed_tokens_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidToken):
        verify_reason_token(KEY, bad, NOW)


def test_unsubscribe_token_is_not_a_reason_token() -> None:
    unsubscribe = sign_token(KEY, "user-1", "email", "lost-question", NOW, VALID)
    with pytest.raises(InvalidToken, match="signature"):
        verify_reason_token(KEY, unsubscribe, NOW)


def test_reason_token_is_not_an_unsubscribe_token() -> None:
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(KEY, token(), NOW)


def test_a_reason_shaped_claim_signed_the_unsubscribe_way_is_rejected() -> None:
    """The purpose is in the MAC, not only in the claim's shape: the same payload signed without
    the purpose (the way unsubscribe tokens are) does not verify."""
    payload = token().partition(".")[0]
    unsubscribe_style = f"{payload}.{b64(hmac.new(KEY, payload.encode(), hashlib.sha256).digest())}"
    with pytest.raises(InvalidToken, match="signature"):
        verify_reason_token(KEY, unsubscribe_style, NOW)


def test_validly_signed_claim_with_an_unknown_reason_is_rejected() -> None:
    claim = {"u": "user-1", "k": "c", "n": EPISODE, "r": "unknown", "e": int((NOW + VALID).timestamp())}
    with pytest.raises(InvalidToken, match="malformed"):
        verify_reason_token(KEY, seal(KEY, "reason.", claim), NOW)


def test_purpose_must_end_with_a_dot() -> None:
    with pytest.raises(ValueError, match="purpose"):
        seal(KEY, "reason", {"a": 1})


def test_reason_urls_give_one_working_link_per_answer() -> None:
    urls = reason_urls("https://api.example.com/", KEY, "user-1", "lost-question", EPISODE, NOW, VALID)
    assert set(urls) == set(ANSWERS)
    for reason, url in urls.items():
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://api.example.com/reasons"
        claim = verify_reason_token(KEY, parse_qs(parts.query)["token"][0], NOW)
        assert claim.reason == reason and claim.user_id == "user-1" and claim.episode == EPISODE
