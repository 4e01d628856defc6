"""Suppression keys: one normalized address per channel (`email#...`, `sms#+E164`, `push#...`,
`inbox#<user id>`), and the address a profile offers on each channel."""

from __future__ import annotations

import hashlib

from winback.config.campaigns import ChannelName
from winback.models.profile import Profile


def address_key(channel: ChannelName, address: str) -> str:
    value = address.strip()
    if channel == "email":
        value = value.lower()
    return f"{channel}#{value}"


HASHED_PREFIX = "sha256#"


def hashed_key(key: str) -> str:
    """How SuppressionTable stores an address key: the SHA-256 of the normalized key, so no plain
    address is kept and a user erased after unsubscribing is still recognized if they come back."""
    if key.startswith(HASHED_PREFIX):
        return key
    return HASHED_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()


def contact_address(channel: ChannelName, profile: Profile) -> str | None:
    """Where `profile` can be reached on `channel`. The in-app inbox reaches users of the app (anyone
    who has logged in); its address is the user id."""
    if channel == "inbox":
        return profile.user_id if profile.event_counts.get("login") else None
    return {"email": profile.email, "sms": profile.phone, "push": profile.push_endpoint}[channel]


def has_consent(channel: ChannelName, profile: Profile) -> bool:
    """Outreach needs an explicit yes; the inbox, shown inside the app, only needs no explicit no."""
    default = channel == "inbox"
    return profile.consent.get(channel, default)
