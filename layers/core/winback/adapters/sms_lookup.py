"""MessagingTable's `smsid#<message id>` item: the campaign cell of a sent text, by SNS's message id.

The sender writes it beside the text's outcome; a delivery status (SNS delivery-status logs,
services/feedback/sms_status.py) finds the cell to count in with one read. No phone number is kept,
and the item expires after KEEP: carriers report within 72 hours.

  smsid#<message id>  sms   campaign_id, step, arm, segment, expires_at
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

SMS_ID_SK = "sms"
KEEP = timedelta(days=7)


@dataclass(frozen=True)
class SmsCell:
    """The experiment cell a text was sent in."""

    campaign_id: str
    step: int
    arm: str
    segment: str


def sms_lookup_key(message_id: str) -> dict[str, str]:
    return {"pk": f"smsid#{message_id}", "sk": SMS_ID_SK}


def sms_sent_item(message_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The lookup a delivery status needs: message id → campaign cell (no phone number kept)."""
    at = datetime.fromisoformat(str(record["at"]))
    return {
        **sms_lookup_key(message_id),
        **{k: record[k] for k in ("campaign_id", "step", "arm", "segment")},
        "expires_at": int((at + KEEP).timestamp()),
    }


def sms_cell_from_item(item: Mapping[str, Any]) -> SmsCell:
    return SmsCell(str(item["campaign_id"]), int(item["step"]), str(item["arm"]), str(item["segment"]))
