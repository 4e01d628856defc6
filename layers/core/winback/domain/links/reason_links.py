"""One-click reason links for the "question" email: signed, expiring tokens for
(user, campaign, episode, reason), HMAC-SHA256 under the unsubscribe key with a purpose of their own (pure).

An unsubscribe token never passes for a reason token, nor the other way round (see `signing.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from winback.domain.journey.reasons import ANSWERS, Answer
from winback.domain.links.signing import InvalidSignature, seal, unseal
from winback.domain.links.tokens import InvalidToken

PURPOSE = "reason."
PATH = "/reasons"


class ReasonClaim(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    user_id: str = Field(alias="u", min_length=1)
    campaign_id: str = Field(alias="k", min_length=1)
    episode: str = Field(alias="n", min_length=1)
    reason: Answer = Field(alias="r")
    expires: int = Field(alias="e")


def sign_reason_token(
    key: bytes, user_id: str, campaign_id: str, episode: str, reason: Answer, now: datetime, valid_for: timedelta
) -> str:
    claim = {"u": user_id, "k": campaign_id, "n": episode, "r": reason, "e": int((now + valid_for).timestamp())}
    return seal(key, PURPOSE, claim)


def verify_reason_token(key: bytes, token: str, now: datetime) -> ReasonClaim:
    """The claim of a genuine, unexpired reason token; raises InvalidToken otherwise."""
    try:
        claim = ReasonClaim.model_validate_json(unseal(key, PURPOSE, token))
    except InvalidSignature as exc:
        raise InvalidToken(str(exc)) from exc
    except (ValidationError, ValueError) as exc:
        raise InvalidToken("malformed token") from exc
    if claim.expires < now.timestamp():
        raise InvalidToken("token expired")
    return claim


def reason_urls(
    base_url: str, key: bytes, user_id: str, campaign_id: str, episode: str, now: datetime, valid_for: timedelta
) -> dict[Answer, str]:
    """One link per answer, for the question email (`{{ reason_urls.competitor }}` and so on)."""
    root = base_url.rstrip("/") + PATH
    urls: dict[Answer, str] = {}
    for reason in ANSWERS:
        token = sign_reason_token(key, user_id, campaign_id, episode, reason, now, valid_for)
        urls[reason] = f"{root}?{urlencode({'token': token})}"
    return urls
