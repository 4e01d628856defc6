"""MessagingTable's `smsid#<message id>` item: the campaign cell of a sent text, by SNS's message id.

The send job's records (adapters/send_records.py) write it beside the text's outcome; a delivery
status (SNS delivery-status logs, services/feedback/sms_status.py) finds the cell to count in with
one read. No phone number is kept, and the item expires after KEEP: carriers report within 72 hours.

  smsid#<message id>  sms   campaign_id, step, arm, segment, expires_at
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from winback.models.send_state import SmsCell

if TYPE_CHECKING:
    from winback.models.send_state import Outcome

SMS_ID_SK = "sms"
KEEP = timedelta(days=7)


def sms_lookup_key(message_id: str) -> dict[str, str]:
    return {"pk": f"smsid#{message_id}", "sk": SMS_ID_SK}


def sms_sent_item(outcome: Outcome) -> dict[str, Any]:
    """The lookup a sent text's delivery status needs: message id → campaign cell (no phone number kept)."""
    if outcome.message_id is None:
        raise ValueError("a text's lookup needs the provider's message id")
    return {
        **sms_lookup_key(outcome.message_id),
        "campaign_id": outcome.campaign_id,
        "step": outcome.step,
        "arm": outcome.arm,
        "segment": outcome.segment,
        "expires_at": int((outcome.at + KEEP).timestamp()),
    }


def sms_cell_from_item(item: Mapping[str, Any]) -> SmsCell:
    return SmsCell(str(item["campaign_id"]), int(item["step"]), str(item["arm"]), str(item["segment"]))
