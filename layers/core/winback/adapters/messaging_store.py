"""MessagingTable (pk, sk): the send ledger, frequency-cap state, feedback counters, campaign stats.

Key design (also in the README):
  user#<user_id>     ledger#<campaign>#<step>#<episode>   one send per campaign step and dormancy episode
  user#<user_id>     cap#<channel>                        rolling-window cap state: {send key: epoch}, v
  address#<address>  softbounce                           transient bounces seen (feedback ids)
  stats#<campaign>   step#<step>                          counters added as things happen
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import batch_put, from_av, to_av

LEDGER_TTL = timedelta(days=400)
CAP_TTL = timedelta(days=60)

PENDING = "pending"
SENT = "sent"
RETRYABLE = "retryable"
FAILED = "failed"


class Claim(enum.Enum):
    CLAIMED = "claimed"
    DUPLICATE = "duplicate"
    CAP_CHANGED = "cap_changed"


@dataclass
class CapState:
    version: int = 0
    sends: dict[str, int] = field(default_factory=dict)


def ledger_key(user_id: str, campaign_id: str, step: int, episode: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"ledger#{campaign_id}#{step}#{episode}"}


def cap_key(user_id: str, channel: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"cap#{channel}"}


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


class MessagingStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def claim(
        self,
        ledger: Mapping[str, str],
        channel: str,
        cap: CapState,
        live_sends: Mapping[str, int],
        now: datetime,
        context: Mapping[str, Any],
    ) -> Claim:
        """Atomically claim the ledger entry and take a slot of the user's cap for this channel."""
        user_pk = ledger["pk"]
        sends = {**live_sends, ledger["sk"]: _epoch(now)}
        cap_condition = "attribute_not_exists(pk)" if cap.version == 0 else "v = :v"
        cap_put: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_av(
                {
                    **cap_key(user_pk.removeprefix("user#"), channel),
                    "v": cap.version + 1,
                    "sends": sends,
                    "expires_at": _epoch(now + CAP_TTL),
                }
            ),
            "ConditionExpression": cap_condition,
        }
        if cap.version:
            cap_put["ExpressionAttributeValues"] = to_av({":v": cap.version})
        ledger_put: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_av(
                {
                    **ledger,
                    **context,
                    "status": PENDING,
                    "channel": channel,
                    "claimed_at": now.isoformat(),
                    "expires_at": _epoch(now + LEDGER_TTL),
                }
            ),
            "ConditionExpression": "attribute_not_exists(pk) OR #status = :retryable",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_av({":retryable": RETRYABLE}),
        }
        try:
            clients.dynamodb().transact_write_items(
                TransactItems=[{"Put": ledger_put}, {"Put": cap_put}]  # type: ignore[typeddict-item]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "") for r in error.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return Claim.DUPLICATE
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return Claim.CAP_CHANGED
            raise
        return Claim.CLAIMED

    def release(self, ledger: Mapping[str, str], channel: str) -> None:
        """A send that certainly did not happen: free the ledger entry and give the cap slot back."""
        client = clients.dynamodb()
        client.update_item(
            TableName=self.table,
            Key=to_av(ledger),
            UpdateExpression="SET #status = :retryable",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_av({":retryable": RETRYABLE}),
        )
        client.update_item(
            TableName=self.table,
            Key=to_av(cap_key(ledger["pk"].removeprefix("user#"), channel)),
            UpdateExpression="REMOVE sends.#send SET v = v + :one",
            ExpressionAttributeNames={"#send": ledger["sk"]},
            ExpressionAttributeValues=to_av({":one": 1}),
        )

    def record_outcomes(self, outcomes: Iterable[Mapping[str, Any]]) -> None:
        """Overwrite ledger entries with their final status (sent with message id, or failed)."""
        batch_put(self.table, outcomes)

    def add_counters(self, campaign_id: str, step: int, counts: Mapping[str, int]) -> None:
        nonzero = {k: v for k, v in counts.items() if v}
        if not nonzero:
            return
        names = {f"#c{i}": k for i, k in enumerate(nonzero)}
        values = {f":c{i}": v for i, v in enumerate(nonzero.values())}
        clients.dynamodb().update_item(
            TableName=self.table,
            Key=to_av({"pk": f"stats#{campaign_id}", "sk": f"step#{step}"}),
            UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(nonzero))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_av(values),
        )

    def counters(self, campaign_id: str) -> dict[int, dict[str, int]]:
        """Counters per step of a campaign."""
        reply = clients.dynamodb().query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_av({":pk": f"stats#{campaign_id}"}),
        )
        out: dict[int, dict[str, int]] = {}
        for raw in reply.get("Items", []):
            item = from_av(raw)
            step = int(str(item.pop("sk")).removeprefix("step#"))
            item.pop("pk")
            out[step] = {k: int(v) for k, v in item.items()}
        return out

    def count_soft_bounce(self, address: str, feedback_id: str, now: datetime, window: timedelta) -> int | None:
        """Count one transient bounce for `address`; None when this feedback id was counted before."""
        try:
            reply = clients.dynamodb().update_item(
                TableName=self.table,
                Key=to_av({"pk": f"address#{address}", "sk": "softbounce"}),
                UpdateExpression="ADD bounces :one, seen :fid SET expires_at = :exp",
                ConditionExpression="attribute_not_exists(seen) OR NOT contains(seen, :fid_s)",
                ExpressionAttributeValues=to_av(
                    {":one": 1, ":fid": {feedback_id}, ":fid_s": feedback_id, ":exp": _epoch(now + window)}
                ),
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return int(from_av(reply["Attributes"])["bounces"])
