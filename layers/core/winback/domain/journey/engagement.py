"""Email engagement: opens and clicks, privacy-proxy opens, journey branches and the email sunset.

Pure rules over a profile's `Engagement` (models.profile); the feedback service applies SES Open,
Click and Delivery events with them, and the send path asks them whether a step's branch holds and
whether the address still gets campaign email.

Privacy proxies: Apple Mail Privacy Protection fetches every remote image of a message through
Apple's proxies (iCloud Private Relay egress) as it arrives, whether or not the user reads it. Those
fetches present the bare user agent `Mozilla/5.0`, with no platform or browser tokens, and come from
Apple's address space (17.0.0.0/8) or the published Private Relay egress ranges. Such an open is a
`machine_opened`, never an `opened`: it says the mailbox exists, not that a person looked.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from winback.models.profile import Engagement

When = Literal["any", "not_opened", "not_clicked", "clicked"]

PROXY_USER_AGENT = "Mozilla/5.0"
APPLE_NETWORKS: tuple[str, ...] = ("17.0.0.0/8",)
_STEP = re.compile(r"^step(\d{1,3})-")


def is_proxy_open(user_agent: str, ip: str, networks: Iterable[str] = APPLE_NETWORKS) -> bool:
    """True when an open looks like a privacy proxy's prefetch rather than a person reading."""
    if user_agent.strip() == PROXY_USER_AGENT:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in networks)


def step_from_link(link: str) -> int | None:
    """The journey step a tracked link names in its `utm_content` (`step<N>-<arm>`), if any."""
    values = parse_qs(urlsplit(link).query).get("utm_content", [])
    match = _STEP.match(values[0]) if values else None
    return int(match.group(1)) if match else None


def _later(current: datetime | None, at: datetime) -> datetime:
    return at if current is None or at > current else current


def after_delivery(engagement: Engagement, at: datetime) -> Engagement:
    """One more campaign email reached the inbox since the user last engaged."""
    return engagement.model_copy(
        update={
            "emails_since": engagement.emails_since + 1,
            "unengaged_since": engagement.unengaged_since or at,
        }
    )


def after_open(engagement: Engagement, at: datetime) -> Engagement:
    """A person opened a message: engaged again (repeating the same event changes nothing)."""
    return engagement.model_copy(
        update={"last_open_at": _later(engagement.last_open_at, at), "emails_since": 0, "unengaged_since": None}
    )


def after_click(engagement: Engagement, at: datetime) -> Engagement:
    """A click proves an open too."""
    opened = after_open(engagement, at)
    return opened.model_copy(update={"last_click_at": _later(engagement.last_click_at, at)})


def branch_holds(when: When, engagement: Engagement, since: datetime | None) -> bool:
    """Whether a step with `when` goes to a user whose previous step went out at `since` (None: no
    earlier step of this journey went out, so nothing could be opened or clicked)."""
    if when == "any":
        return True
    opened = since is not None and engagement.last_open_at is not None and engagement.last_open_at >= since
    clicked = since is not None and engagement.last_click_at is not None and engagement.last_click_at >= since
    if when == "not_opened":
        return not opened
    if when == "not_clicked":
        return not clicked
    return clicked


def email_unengaged(
    engagement: Engagement, last_seen_at: datetime | None, now: datetime, max_emails: int, max_days: float
) -> bool:
    """No open or click over the last `max_emails` campaign emails, or for `max_days` since the first
    of them reached the inbox. Activity in the app or shop after that lifts it, as an open does."""
    since = engagement.unengaged_since
    if since is None or engagement.emails_since == 0:
        return False
    if last_seen_at is not None and last_seen_at > since:
        return False
    return engagement.emails_since >= max_emails or now - since >= timedelta(days=max_days)


def user_tag(user_id: str) -> str:
    """The user id as an SES message tag value (tags allow only letters, digits, `_` and `-`)."""
    return base64.b32encode(user_id.encode()).decode().rstrip("=")


def user_from_tag(tag: str) -> str | None:
    """The user id `user_tag` encoded (None when the tag is not one)."""
    try:
        return base64.b32decode(tag.upper() + "=" * (-len(tag) % 8)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def episode_tag(episode: str) -> str:
    """A send's episode (an ISO instant: `:` and `+` are not allowed in a tag) as an SES tag value."""
    return user_tag(episode)


def episode_from_tag(tag: str) -> str | None:
    """The episode `episode_tag` encoded (None when the tag is not one)."""
    return user_from_tag(tag)


def previous_send_at(ledger: Mapping[str, int], campaign_id: str, step: int, episode: str) -> datetime | None:
    """When the latest earlier step of this journey (campaign and episode) went out to the user, from
    their send ledger (send key `<campaign>#<step>#<episode>` -> epoch seconds claimed)."""
    latest: int | None = None
    prefix, suffix = f"{campaign_id}#", f"#{episode}"
    for key, at in ledger.items():
        if not (key.startswith(prefix) and key.endswith(suffix)):
            continue
        middle = key[len(prefix) : len(key) - len(suffix)]
        if middle.isdigit() and int(middle) < step and (latest is None or at > latest):
            latest = at
    return datetime.fromtimestamp(latest, UTC) if latest is not None else None
