"""A sending pause per channel, one MessagingTable item each: `pause#channel#<channel>` / `state`.

Set by the provider's account-level answers (SES account suspended or sending paused, MAIL FROM
domain not verified, daily quota exceeded; the SNS SMS monthly spend limit) and by the operator
(`winback pause/resume --channel`). While present, the sender defers that channel's messages
instead of burning their claims. A pause with `until` (a daily quota) lifts itself at that time;
one without waits for `winback resume --channel`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from winback.adapters import clients
from winback.adapters.dynamo import from_av, to_av

PREFIX = "pause#channel#"


def channel_pause_key(channel: str) -> dict[str, str]:
    return {"pk": f"{PREFIX}{channel}", "sk": "state"}


@dataclass(frozen=True)
class ChannelPause:
    channel: str
    reason: str
    at: str
    until: int | None  # epoch seconds; None: until resumed

    def active(self, now: datetime) -> bool:
        return self.until is None or now.timestamp() < self.until


def parse_channel_pause(item: dict[str, Any]) -> ChannelPause | None:
    """The pause a batch-read row holds, or None when the row is not a channel pause."""
    pk = str(item.get("pk", ""))
    if not pk.startswith(PREFIX):
        return None
    until = item.get("until")
    return ChannelPause(pk.removeprefix(PREFIX), str(item.get("reason", "")), str(item.get("at", "")), _int(until))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class ChannelPauses:
    def __init__(self, table: str) -> None:
        self.table = table

    def pause(self, channel: str, reason: str, now: datetime, until: datetime | None = None) -> None:
        """Pause the channel (overwriting an earlier pause: the latest condition is the one to show)."""
        item: dict[str, Any] = {**channel_pause_key(channel), "reason": reason, "at": now.isoformat()}
        if until is not None:
            item["until"] = int(until.timestamp())
            item["expires_at"] = int(until.timestamp())  # DynamoDB's TTL removes it some time later
        clients.dynamodb().put_item(TableName=self.table, Item=to_av(item))

    def resume(self, channel: str) -> bool:
        """Lift the channel's pause; True if it was paused."""
        reply = clients.dynamodb().delete_item(
            TableName=self.table, Key=to_av(channel_pause_key(channel)), ReturnValues="ALL_OLD"
        )
        return "Attributes" in reply

    def get(self, channel: str) -> ChannelPause | None:
        reply = clients.dynamodb().get_item(
            TableName=self.table, Key=to_av(channel_pause_key(channel)), ConsistentRead=True
        )
        return parse_channel_pause(from_av(reply["Item"])) if "Item" in reply else None
