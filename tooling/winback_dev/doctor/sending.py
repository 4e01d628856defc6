"""The stack's sending switch: off on a new stack until `winback enable-sending`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from winback_dev.doctor.report import Check, ok, warn

if TYPE_CHECKING:
    from winback.adapters.sending_switch import SendingSwitch


def switch(sending: SendingSwitch) -> list[Check]:
    state = sending.state()
    if state.on:
        return [ok("sending.switch", f"on since {state.at} ({state.note})")]
    since = f" since {state.at}" if state.at else ""
    return [
        warn(
            "sending.switch",
            f"off{since} ({state.note}): every send job waits, unclaimed, looked at again hourly",
            "once every check passes: winback enable-sending",
        )
    ]
