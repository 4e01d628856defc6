"""Inbound SMS: a STOP, TD, 退订 ... reply suppresses the number; START or UNSTOP lifts that."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.journey.addresses import address_key
from winback.domain.journey.opt_out import is_opt_in, is_opt_out

if TYPE_CHECKING:
    from winback.models.feedback import InboundSms
    from winback.services.feedback.ports import SuppressionList


def apply_sms_reply(sms: InboundSms, suppression: SuppressionList, now: datetime) -> str:
    """What the reply was: `sms_stop`, `sms_start` (a keyword's suppression lifted) or `sms_reply`."""
    address = address_key("sms", sms.origination_number)
    if is_opt_in(sms.message_body):
        # START / UNSTOP lifts only what a keyword set: a bounce or complaint stays.
        return "sms_start" if suppression.lift(address, "sms_stop") else "sms_reply"
    if not is_opt_out(sms.message_body):
        return "sms_reply"
    suppression.suppress(address, "sms_stop", "sms", now)
    return "sms_stop"
