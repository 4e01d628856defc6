"""Turning the stack's sending on or off: the one switch in front of every channel.

A new stack starts with sending off (no switch item: adapters/sending_switch.py), so nothing reaches a
customer before the operator has run `winback doctor` and turned it on (`winback enable-sending`,
which refuses while the doctor finds a failure, unless forced). While it is off, the sender holds
each job whole, unclaimed, an hour at a time, its step's deadline moved along (services/send/run.py):
counted `sending_off` (metric SendingOff), never burned, never dropped for the wait.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from winback.runtime.observability import logger

if TYPE_CHECKING:
    from winback.adapters.sending_switch import SendingSwitch


def turn_sending_on(switch: SendingSwitch, now: datetime, note: str) -> None:
    """Sending on: held jobs go out at their next hourly look. `note` says why (doctor passed, forced)."""
    switch.turn(True, now, note)
    logger.warning("sending turned on", extra={"note": note})


def turn_sending_off(switch: SendingSwitch, now: datetime, note: str) -> None:
    """Sending off: every job from now on waits (claims already taken finish as they were)."""
    switch.turn(False, now, note)
    logger.warning("sending turned off", extra={"note": note})
