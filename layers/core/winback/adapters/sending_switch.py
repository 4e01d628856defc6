"""The stack's sending switch, one MessagingTable item: `sending#switch` / `state`.

A new stack has no such item, and no item means off: nothing reaches a customer until the operator
turns sending on (`winback enable-sending`, which first runs `winback doctor`). `winback
disable-sending` writes it off again. The sender reads the item in the batch read it already does
for each job (adapters/send_context.py), so the switch costs no call of its own; while it is off,
jobs wait unclaimed (services/send/run.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from winback.adapters import clients
from winback.adapters.dynamo import from_av, to_av

SWITCH_PK = "sending#switch"


def sending_switch_key() -> dict[str, str]:
    return {"pk": SWITCH_PK, "sk": "state"}


@dataclass(frozen=True)
class SendingState:
    on: bool
    at: str = ""  # when it was last turned (ISO), empty if never
    note: str = ""  # who or what turned it: "doctor passed", "forced", the operator's reason


NEVER_TURNED_ON = SendingState(on=False, note="a new stack: sending was never turned on")


def parse_sending_switch(item: dict[str, Any]) -> SendingState | None:
    """The switch a batch-read row holds, or None when the row is not the switch."""
    if item.get("pk") != SWITCH_PK:
        return None
    return SendingState(on=item.get("on") is True, at=str(item.get("at", "")), note=str(item.get("note", "")))


class SendingSwitch:
    def __init__(self, table: str) -> None:
        self.table = table

    def turn(self, on: bool, now: datetime, note: str) -> None:
        item = {**sending_switch_key(), "on": on, "at": now.isoformat(), "note": note}
        clients.dynamodb().put_item(TableName=self.table, Item=to_av(item))

    def state(self) -> SendingState:
        reply = clients.dynamodb().get_item(TableName=self.table, Key=to_av(sending_switch_key()), ConsistentRead=True)
        found = parse_sending_switch(from_av(reply["Item"])) if "Item" in reply else None
        return found or NEVER_TURNED_ON
