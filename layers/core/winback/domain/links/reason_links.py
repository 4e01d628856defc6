"""One-click reason links for the "question" email: signed, expiring tokens for
(user, campaign, episode, reason), HMAC-SHA256 under the unsubscribe key with a purpose of their own (pure).

An unsubscribe token never passes for a reason token, nor the other way round (see `signing.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

from pydantic import Field

from winback.domain.journey.reasons import ANSWERS, Answer
from winback.domain.links.claims import Claim, sign_claim, verify_claim

PURPOSE = "reason."
PATH = "/reasons"


class ReasonClaim(Claim):
    user_id: str = Field(alias="u", min_length=1)
    campaign_id: str = Field(alias="k", min_length=1)
    episode: str = Field(alias="n", min_length=1)
    reason: Answer = Field(alias="r")


def sign_reason_token(
    key: bytes, user_id: str, campaign_id: str, episode: str, reason: Answer, now: datetime, valid_for: timedelta
) -> str:
    return sign_claim(key, PURPOSE, {"u": user_id, "k": campaign_id, "n": episode, "r": reason}, now + valid_for)


def verify_reason_token(key: bytes | Sequence[bytes], token: str, now: datetime) -> ReasonClaim:
    """The claim of a genuine, unexpired reason token; raises InvalidToken otherwise."""
    return verify_claim(key, PURPOSE, token, now, ReasonClaim)


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
