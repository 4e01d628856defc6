"""Signed, expiring claims: how every link token (unsubscribe, reason) is issued and verified (pure).

A claim is a small JSON object sealed for a purpose by `signing.py`; `e` is when it expires (Unix
seconds). Each kind of token is a `Claim` model of its own, verified by `verify_claim`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from winback.domain.links.signing import InvalidSignature, seal, unseal


class InvalidToken(ValueError):
    """The token is malformed, tampered with, or expired."""


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    expires: int = Field(alias="e")


C = TypeVar("C", bound=Claim)


def sign_claim(key: bytes, purpose: str, fields: Mapping[str, object], expires_at: datetime) -> str:
    """`fields` (by their short aliases) and the expiry, sealed for `purpose`."""
    return seal(key, purpose, {**fields, "e": int(expires_at.timestamp())})


def verify_claim(key: bytes | Sequence[bytes], purpose: str, token: str, now: datetime, model: type[C]) -> C:
    """The claim of a genuine, unexpired token signed for `purpose`; raises InvalidToken otherwise."""
    try:
        claim = model.model_validate_json(unseal(key, purpose, token))
    except InvalidSignature as exc:
        raise InvalidToken(str(exc)) from exc
    except (ValidationError, ValueError) as exc:
        raise InvalidToken("malformed token") from exc
    if claim.expires < now.timestamp():
        raise InvalidToken("token expired")
    return claim
