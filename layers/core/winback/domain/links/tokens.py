"""Signed unsubscribe tokens: HMAC-SHA256 over (user, channel, campaign, expiry) (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import Field

from winback.config.campaigns import ChannelName
from winback.domain.links.claims import Claim, InvalidToken, sign_claim, verify_claim
from winback.domain.links.signing import UNSUBSCRIBE_PURPOSE

__all__ = ["InvalidToken", "UnsubscribeClaim", "sign_token", "verify_token"]  # handlers import InvalidToken here


class UnsubscribeClaim(Claim):
    user_id: str = Field(alias="u")
    channel: ChannelName = Field(alias="c")
    campaign_id: str = Field(alias="k")


def sign_token(
    key: bytes, user_id: str, channel: ChannelName, campaign_id: str, now: datetime, valid_for: timedelta
) -> str:
    return sign_claim(key, UNSUBSCRIBE_PURPOSE, {"u": user_id, "c": channel, "k": campaign_id}, now + valid_for)


def verify_token(key: bytes | Sequence[bytes], token: str, now: datetime) -> UnsubscribeClaim:
    """The claim of a genuine, unexpired unsubscribe token; raises InvalidToken otherwise."""
    return verify_claim(key, UNSUBSCRIBE_PURPOSE, token, now, UnsubscribeClaim)
