"""Unsubscribe: a verified token suppresses the address the link was sent to (the hash its token
carries; the profile's current address for tokens minted before they carried it) and withdraws the
user's consent on that channel."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.journey.addresses import address_key, contact_address

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.adapters.suppression_store import SuppressionStore
    from winback.domain.links.tokens import UnsubscribeClaim
    from winback.models.profile import Profile

MAX_WRITE_ATTEMPTS = 5


def _suppression_key(claim: UnsubscribeClaim, profile: Profile) -> str | None:
    """Guard: the address the link was sent to, not the one the profile holds now (the user may have
    changed it since; the new address was never sent this link, and withdrawn consent covers the user)."""
    sent_to = claim.suppression_key()
    if sent_to is not None:
        return sent_to
    address = contact_address(claim.channel, profile)
    return address_key(claim.channel, address) if address else None


def unsubscribe(
    claim: UnsubscribeClaim,
    activity: ActivityStore,
    suppression: SuppressionStore,
    messaging: MessagingStore,
    now: datetime,
) -> Profile | None:
    """Idempotent: repeating it changes nothing further. The first withdrawal of consent is counted
    in the experiment cell of the campaign whose message carried the link."""
    profile = activity.get(claim.user_id)
    if profile is None:
        return None
    key = _suppression_key(claim, profile)
    if key:
        suppression.suppress(key, "unsubscribe", f"campaign:{claim.campaign_id}", now)
    for _ in range(MAX_WRITE_ATTEMPTS):
        if profile.consent.get(claim.channel) is False:
            break
        updated = profile.model_copy(deep=True)
        updated.consent[claim.channel] = False
        updated.updated_at[f"consent.{claim.channel}"] = now
        updated.version = profile.version + 1
        if activity.put(updated, expected_version=profile.version):
            a = profile.assignment
            if a is not None and a.campaign_id == claim.campaign_id:
                messaging.add_cell(a.campaign_id, None, a.arm, a.segment, {"unsubscribed": 1})
            break
        fresh = activity.get(claim.user_id)
        if fresh is None:
            break
        profile = fresh
    return profile
