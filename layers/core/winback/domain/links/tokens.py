"""Signed unsubscribe tokens: HMAC-SHA256 over (user, channel, campaign, expiry) (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from winback.config.campaigns import Channel
from winback.domain.links.signing import UNSUBSCRIBE_PURPOSE, InvalidSignature, seal, unseal


class InvalidToken(ValueError):
    """The token is malformed, tampered with, or expired."""


class UnsubscribeClaim(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    user_id: str = Field(alias="u")
    channel: Channel = Field(alias="c")
    campaign_id: str = Field(alias="k")
    expires: int = Field(alias="e")


def sign_token(
    key: bytes, user_id: str, channel: Channel, campaign_id: str, now: datetime, valid_for: timedelta
) -> str:
    claim = {"u": user_id, "c": channel, "k": campaign_id, "e": int((now + valid_for).timestamp())}
    return seal(key, UNSUBSCRIBE_PURPOSE, claim)


def verify_token(key: bytes, token: str, now: datetime) -> UnsubscribeClaim:
    try:
        claim = UnsubscribeClaim.model_validate_json(unseal(key, UNSUBSCRIBE_PURPOSE, token))
    except InvalidSignature as exc:
        raise InvalidToken(str(exc)) from exc
    except (ValidationError, ValueError) as exc:
        raise InvalidToken("malformed token") from exc
    if claim.expires < now.timestamp():
        raise InvalidToken("token expired")
    return claim
