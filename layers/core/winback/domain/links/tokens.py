"""Signed unsubscribe tokens: HMAC-SHA256 over (user, channel, campaign, expiry and, since 2026-12-07,
the hash of the address the link was sent to) (pure).

The address travels as its suppression key's SHA-256 (`a`, base64url), never in plain text: an
unsubscribe suppresses the address the message went to even after the profile's address changed.
Tokens minted before carry no `a`; for them the profile's current address is suppressed, as before."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import Field, field_validator

from winback.config.campaigns import ChannelName
from winback.domain.journey.addresses import HASHED_PREFIX, address_key, hashed_key
from winback.domain.links.claims import Claim, InvalidToken, sign_claim, verify_claim
from winback.domain.links.signing import UNSUBSCRIBE_PURPOSE, b64, unb64

__all__ = [
    "InvalidToken",
    "UnsubscribeClaim",
    "address_digest",
    "sign_token",
    "verify_token",
]  # handlers import InvalidToken here


class UnsubscribeClaim(Claim):
    user_id: str = Field(alias="u")
    channel: ChannelName = Field(alias="c")
    campaign_id: str = Field(alias="k")
    address_digest: str | None = Field(default=None, alias="a")

    @field_validator("address_digest")
    @classmethod
    def _a_sha256(cls, value: str | None) -> str | None:
        if value is not None and len(unb64(value)) != SHA256_BYTES:
            raise ValueError("not a SHA-256 digest")
        return value

    def suppression_key(self) -> str | None:
        """The SuppressionTable key of the address the link was sent to (None: a token from before)."""
        if self.address_digest is None:
            return None
        return HASHED_PREFIX + unb64(self.address_digest).hex()


SHA256_BYTES = 32


def address_digest(channel: ChannelName, address: str) -> str:
    """The claim's `a`: the SHA-256 of the address's suppression key, base64url (43 characters)."""
    return b64(bytes.fromhex(hashed_key(address_key(channel, address)).removeprefix(HASHED_PREFIX)))


def sign_token(
    key: bytes,
    user_id: str,
    channel: ChannelName,
    campaign_id: str,
    now: datetime,
    valid_for: timedelta,
    address: str | None = None,
) -> str:
    """`address`: where the message goes; the token carries its hash (see the module's docstring)."""
    fields: dict[str, object] = {"u": user_id, "c": channel, "k": campaign_id}
    if address:
        fields["a"] = address_digest(channel, address)
    return sign_claim(key, UNSUBSCRIBE_PURPOSE, fields, now + valid_for)


def verify_token(key: bytes | Sequence[bytes], token: str, now: datetime) -> UnsubscribeClaim:
    """The claim of a genuine, unexpired unsubscribe token; raises InvalidToken otherwise."""
    return verify_claim(key, UNSUBSCRIBE_PURPOSE, token, now, UnsubscribeClaim)
