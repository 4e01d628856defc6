"""The preference page's link in every email's footer: a signed, expiring token for (user, campaign,
channel, episode, arm) of the message that carried it, HMAC-SHA256 under the unsubscribe key with a
purpose of its own (pure).

The same family as the unsubscribe and reason tokens (claims.py), never valid as either of them. The
arm and episode say where a choice made on the page is counted (the campaign's report) and which
journey a reason given there answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

from pydantic import Field

from winback.config.campaigns import ARM_ID, ChannelName
from winback.domain.links.claims import Claim, sign_claim, verify_claim

PURPOSE = "prefs."
PATH = "/preferences"


class PreferenceClaim(Claim):
    user_id: str = Field(alias="u", min_length=1)
    campaign_id: str = Field(alias="k", min_length=1)
    channel: ChannelName = Field(alias="c")
    episode: str = Field(alias="n", min_length=1)
    arm: str = Field(alias="a", pattern=ARM_ID)


def sign_preference_token(
    key: bytes,
    user_id: str,
    campaign_id: str,
    channel: ChannelName,
    episode: str,
    arm: str,
    now: datetime,
    valid_for: timedelta,
) -> str:
    fields = {"u": user_id, "k": campaign_id, "c": channel, "n": episode, "a": arm}
    return sign_claim(key, PURPOSE, fields, now + valid_for)


def verify_preference_token(key: bytes | Sequence[bytes], token: str, now: datetime) -> PreferenceClaim:
    """The claim of a genuine, unexpired preference token; raises InvalidToken otherwise."""
    return verify_claim(key, PURPOSE, token, now, PreferenceClaim)


def preferences_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{PATH}?{urlencode({'token': token})}"
