"""MessagingTable items of the "why did you leave" answers, and their counts.

  user#<user_id>       reason#<campaign>#<episode>  the user's answer: reason, segment, answered_at; TTL
  reasons#<campaign>   <segment>                    counters `reason_<name>`, one per answer given

An answer and its count change in one transaction, conditioned on the answer as last read, so a
count is moved exactly once per change however often (or concurrently) the same link is posted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import from_av, to_av
from winback.models.reasons import StoredAnswer

ANSWER_TTL = timedelta(days=400)
COUNTER_PREFIX = "reason_"


def answer_key(user_id: str, campaign_id: str, episode: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"reason#{campaign_id}#{episode}"}


def counter_key(campaign_id: str, segment: str) -> dict[str, str]:
    return {"pk": f"reasons#{campaign_id}", "sk": segment}


def _counter_update(table: str, campaign_id: str, segment: str, deltas: Mapping[str, int]) -> dict[str, Any]:
    names = {f"#r{i}": COUNTER_PREFIX + reason for i, reason in enumerate(deltas)}
    values = {f":d{i}": delta for i, delta in enumerate(deltas.values())}
    return {
        "Update": {
            "TableName": table,
            "Key": to_av(counter_key(campaign_id, segment)),
            "UpdateExpression": "ADD " + ", ".join(f"#r{i} :d{i}" for i in range(len(deltas))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_av(values),
        }
    }


class ReasonStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, user_id: str, campaign_id: str, episode: str) -> StoredAnswer | None:
        reply = clients.dynamodb().get_item(
            TableName=self.table, Key=to_av(answer_key(user_id, campaign_id, episode)), ConsistentRead=True
        )
        if "Item" not in reply:
            return None
        item = from_av(reply["Item"])
        return StoredAnswer(reason=str(item["reason"]), segment=str(item["segment"]))

    def replace(
        self,
        user_id: str,
        campaign_id: str,
        episode: str,
        answer: StoredAnswer,
        previous: StoredAnswer | None,
        now: datetime,
    ) -> bool:
        """Store `answer` and move one count from `previous` to it, if the stored answer is still
        `previous` (None: no answer yet). False when it is not (or a concurrent write got in the way):
        nothing was written, read again and decide again."""
        item = {
            **answer_key(user_id, campaign_id, episode),
            "reason": answer.reason,
            "segment": answer.segment,
            "answered_at": now.isoformat(),
            "expires_at": int((now + ANSWER_TTL).timestamp()),
        }
        put: dict[str, Any] = {"TableName": self.table, "Item": to_av(item)}
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "reason = :reason AND #segment = :segment"
            put["ExpressionAttributeNames"] = {"#segment": "segment"}
            put["ExpressionAttributeValues"] = to_av({":reason": previous.reason, ":segment": previous.segment})
        counters: list[dict[str, Any]]
        if previous is None:
            counters = [_counter_update(self.table, campaign_id, answer.segment, {answer.reason: 1})]
        elif previous.segment == answer.segment:
            deltas = {answer.reason: 1, previous.reason: -1}
            counters = [_counter_update(self.table, campaign_id, answer.segment, deltas)]
        else:
            counters = [
                _counter_update(self.table, campaign_id, answer.segment, {answer.reason: 1}),
                _counter_update(self.table, campaign_id, previous.segment, {previous.reason: -1}),
            ]
        transaction: list[Any] = [{"Put": put}, *counters]
        try:
            clients.dynamodb().transact_write_items(TransactItems=transaction)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return False
            raise
        return True

    def counts(self, campaign_id: str) -> dict[str, dict[str, int]]:
        """The answer counts of a campaign per segment: {segment: {reason: n}}."""
        paginator = clients.dynamodb().get_paginator("query")
        out: dict[str, dict[str, int]] = {}
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_av({":pk": f"reasons#{campaign_id}"}),
        ):
            for raw in page.get("Items", []):
                item = from_av(raw)
                out[str(item["sk"])] = {
                    k.removeprefix(COUNTER_PREFIX): int(v) for k, v in item.items() if k.startswith(COUNTER_PREFIX)
                }
        return out
