"""SMS delivery status: what SNS's delivery-status logging says became of each text.

SNS writes one JSON record per SMS to CloudWatch Logs (`sns/<region>/<account>/DirectPublishToPhoneNumber`
and `.../Failure`); a subscription filter on each group (template.yaml) invokes the feedback function
with the documented envelope: `awslogs.data`, base64 of gzipped JSON whose `logEvents[].message` are
the records. A SUCCESS counts the message `delivered` in its experiment cell; a FAILURE counts it
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
    from winback.adapters.messaging_store import MessagingStore

SPEND_LIMIT = ("spend limit", "no quota left")
CARRIER_BLOCKED = ("phone carrier has blocked", "blocked as spam")


def log_records(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The delivery-status records of a CloudWatch Logs subscription event. Raises ValueError naming
    `awslogs.data` when the envelope is not base64 gzip JSON."""
    try:
        data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
        return [json.loads(e["message"]) for e in data.get("logEvents", [])]
    except (KeyError, TypeError, ValueError, OSError) as error:
        raise ValueError(f"awslogs.data: not a CloudWatch Logs subscription payload ({error})") from error


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
    event: Mapping[str, Any], messaging: MessagingStore, pauses: ChannelPauses, now: datetime
) -> Counter[str]:
    counts: Counter[str] = Counter()
    for record in log_records(event):
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
