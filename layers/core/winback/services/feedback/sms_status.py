"""SMS delivery status: what SNS's delivery-status logging says became of each text.

SNS writes one JSON record per SMS to CloudWatch Logs (`sns/<region>/<account>/DirectPublishToPhoneNumber`
and `.../Failure`); a subscription filter on each group (template.yaml) invokes the feedback function
with the documented envelope: `awslogs.data`, base64 of gzipped JSON whose `logEvents[].message` are
the records. CloudWatch Logs also sends a `CONTROL_MESSAGE` now and then (`messageType`; its log
event is a reachability check, not a record): it is counted as `control_message` and changes
nothing. A SUCCESS counts the message `delivered` in its experiment cell; a FAILURE counts it
`undelivered` (with `sms_spend_limit` or `sms_carrier_blocked` when the provider response says so),
once per message id. A spend-limit failure pauses the SMS channel (services/channel_pause.py): the
sender then defers texts instead of sending into a limit that drops them.

The sender stores each text's campaign cell by its message id (adapters/sms_lookup.py), so a status
finds its cell with one read.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from winback.runtime.observability import logger
from winback.services.channel_pause import pause_for_account

if TYPE_CHECKING:
    from winback.adapters.channel_pause import ChannelPauses
    from winback.services.feedback.ports import FeedbackLedger

SPEND_LIMIT = ("spend limit", "no quota left")
CARRIER_BLOCKED = ("phone carrier has blocked", "blocked as spam")


DATA_MESSAGE = "DATA_MESSAGE"
CONTROL_MESSAGE = "CONTROL_MESSAGE"


def subscription_payload(event: Mapping[str, Any]) -> dict[str, Any]:
    """The decoded payload of a CloudWatch Logs subscription event (`messageType`, `logEvents`...).
    Raises ValueError naming `awslogs.data` when the envelope is not base64 gzip JSON of a known
    message type."""
    try:
        data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    except (KeyError, TypeError, ValueError, OSError) as error:
        raise ValueError(f"awslogs.data: not a CloudWatch Logs subscription payload ({error})") from error
    if not isinstance(data, dict) or data.get("messageType") not in (DATA_MESSAGE, CONTROL_MESSAGE):
        raise ValueError("awslogs.data.messageType: neither DATA_MESSAGE nor CONTROL_MESSAGE")
    return data


def log_records(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The delivery-status records of a CloudWatch Logs subscription event: none in a control message.
    Raises ValueError naming `awslogs.data` when the envelope or a record is not what SNS writes."""
    return records_of(subscription_payload(event))


def records_of(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of a decoded subscription payload (none in a control message)."""
    if data["messageType"] == CONTROL_MESSAGE:
        return []
    try:
        return [json.loads(e["message"]) for e in data.get("logEvents", [])]
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"awslogs.data.logEvents: not SNS delivery-status records ({error})") from error


def classify(record: Mapping[str, Any]) -> list[str]:
    """The counters a status record adds: ['delivered'] or ['undelivered', <reason>...]."""
    if record.get("status") == "SUCCESS":
        return ["delivered"]
    response = str(record.get("delivery", {}).get("providerResponse", "")).lower()
    kinds = ["undelivered"]
    if any(m in response for m in SPEND_LIMIT):
        kinds.append("sms_spend_limit")
    if any(m in response for m in CARRIER_BLOCKED):
        kinds.append("sms_carrier_blocked")
    return kinds


def handle_sms_status(
    event: Mapping[str, Any], messaging: FeedbackLedger, pauses: ChannelPauses, now: datetime
) -> Counter[str]:
    counts: Counter[str] = Counter()
    data = subscription_payload(event)
    if data["messageType"] == CONTROL_MESSAGE:
        logger.info("CloudWatch Logs control message: a reachability check, nothing to count")
        return Counter({"control_message": 1})
    for record in records_of(data):
        message_id = str(record.get("notification", {}).get("messageId", ""))
        kinds = classify(record)
        if "sms_spend_limit" in kinds:
            pause_for_account(pauses, "sms", "SNS SMS spend limit reached", lifts=False, now=now)
            counts["channel_paused"] += 1
        if not message_id or not messaging.first_time("smsstatus", message_id, now):
            counts["duplicate"] += 1
            continue
        cell = messaging.sms_cell(message_id)
        if cell is None:
            counts["untracked"] += 1  # not a campaign text (or older than the lookup is kept)
            continue
        messaging.add_cell(cell.campaign_id, cell.step, cell.arm, cell.segment, Counter(kinds))
        counts.update(kinds)
    logger.info("sms delivery status handled", extra=dict(counts))
    return counts
