"""Signed unsubscribe tokens: HMAC-SHA256 over (user, channel, campaign, expiry) (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from winback.program import Channel


class InvalidToken(ValueError):
    """The token is malformed, tampered with, or expired."""


class UnsubscribeClaim(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    user_id: str = Field(alias="u")
    channel: Channel = Field(alias="c")
    campaign_id: str = Field(alias="k")
    expires: int = Field(alias="e")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def sign_token(
    key: bytes, user_id: str, channel: Channel, campaign_id: str, now: datetime, valid_for: timedelta
) -> str:
    claim = {"u": user_id, "c": channel, "k": campaign_id, "e": int((now + valid_for).timestamp())}
    payload = _b64(json.dumps(claim, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_mac(key, payload)}"


def verify_token(key: bytes, token: str, now: datetime) -> UnsubscribeClaim:
    payload, _, mac = token.partition(".")
    if not payload or not mac or not hmac.compare_digest(_mac(key, payload).encode(), mac.encode()):
        raise InvalidToken("signature does not match")
    try:
        claim = UnsubscribeClaim.model_validate_json(_unb64(payload))
    except (ValidationError, ValueError) as exc:
        raise InvalidToken("malformed token") from exc
    if claim.expires < now.timestamp():
        raise InvalidToken("token expired")
    return claim
