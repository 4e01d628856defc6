"""Pausing a whole channel: by the provider's account-level answer, or by the operator.

A paused channel's messages are deferred (services/send/guards.py, services/send/deliver.py) and looked at again every
PAUSE_RECHECK by the hourly release, so nothing is burned while the account cannot send: the claim
is given back, the job waits, and after `winback resume --channel` (or, for a daily quota, once the
pause's `until` passes) the release sends it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from winback.runtime.observability import logger

if TYPE_CHECKING:
    from winback.adapters.channel_pause import ChannelPauses
    from winback.services.send.ports import ChannelPauseWriter

CHANNELS = ("email", "sms", "push", "inbox")
# A daily quota frees up as its 24-hour window rolls: try again after this long.
QUOTA_PAUSE = timedelta(hours=1)


def _checked(channel: str) -> str:
    if channel not in CHANNELS:
        raise ValueError(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")
    return channel


def pause_channel(pauses: ChannelPauses, channel: str, reason: str, now: datetime) -> None:
    """The operator's pause: it holds until `resume_channel`. Raises ValueError for an unknown channel."""
    pauses.pause(_checked(channel), reason or "paused by operator", now)
    logger.warning("channel paused", extra={"channel": channel, "reason": reason})


def resume_channel(pauses: ChannelPauses, channel: str) -> bool:
    """Lift the channel's pause; False when it was not paused. Raises ValueError for an unknown channel."""
    resumed = pauses.resume(_checked(channel))
    if resumed:
        logger.info("channel resumed", extra={"channel": channel})
    return resumed


def pause_for_account(pauses: ChannelPauseWriter, channel: str, code: str, lifts: bool, now: datetime) -> None:
    """The provider said the account cannot send on `channel`: pause it (until the quota window has
    moved on when the condition `lifts` by itself, else until an operator resumes)."""
    pauses.pause(channel, code, now, now + QUOTA_PAUSE if lifts else None)
    logger.warning("channel paused by the provider's account-level answer", extra={"channel": channel, "code": code})
