"""The sweeper's view of MessagingTable (services/send/sweep.py's ClaimIndex port).

Every claim writes its send state with `claim_shard` (a stable hash of the user id, CLAIM_SHARDS
shards) and `claimed_at` (epoch milliseconds of that claim): the keys of the sparse `claims` index,
which projects the claims' notes. The sweeper reads each shard in claim-time order from where its
last run stopped (`sweep#claims` / `shard#<n>`: a claim time, no user id), so a run reads the claims
made since, not the table. A state claimed again moves to its new time and is read then, with every
note it keeps (SWEEP_LOOKBACK); entries are never removed from the index (an outcome is another
item), the cursor only moves forward.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import batch_get, conditional_failed, from_av, to_av
from winback.adapters.messaging_store import (
    CLAIM_SHARDS,
    CLAIMS_INDEX,
    STATE_SK,
    accepted_key,
    note_from_item,
    outcome_key,
    send_state_from_item,
    send_state_item,
    state_key,
)
from winback.models.send_state import ClaimRecord, OpenClaim, SendStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef

    from winback.adapters.deferral_store import DeferralStore
    from winback.models.send_context import ParkedJob

CURSOR_PK = "sweep#claims"
_PAGE = 100


def _cursor_key(shard: int) -> dict[str, str]:
    return {"pk": CURSOR_PK, "sk": f"shard#{shard}"}


class ClaimIndexStore:
    def __init__(self, messaging_table: str, deferrals: DeferralStore, shards: int = CLAIM_SHARDS) -> None:
        self.table = messaging_table
        self.deferrals = deferrals
        self.shards = shards

    def cursor(self, shard: int) -> float | None:
        reply = clients.dynamodb().get_item(TableName=self.table, Key=to_av(_cursor_key(shard)), ConsistentRead=True)
        return int(from_av(reply["Item"])["claimed_at"]) / 1000 if "Item" in reply else None

    def save_cursor(self, shard: int, claimed_at: float) -> None:
        item = {**_cursor_key(shard), "claimed_at": round(claimed_at * 1000)}
        clients.dynamodb().put_item(TableName=self.table, Item=to_av(item))

    def claimed(self, shard: int, since: float, until: float) -> Iterator[list[tuple[float, list[OpenClaim]]]]:
        """Pages of the states claimed in [since, until] in `shard`, in claim-time order."""
        request: QueryInputTypeDef = {
            "TableName": self.table,
            "IndexName": CLAIMS_INDEX,
            "KeyConditionExpression": "claim_shard = :s AND claimed_at BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": to_av(
                {":s": str(shard), ":lo": round(since * 1000), ":hi": round(until * 1000)}
            ),
            "Limit": _PAGE,
        }
        while True:
            reply = clients.dynamodb().query(**request)
            yield [_claims_of(from_av(raw)) for raw in reply.get("Items", [])]
            if "LastEvaluatedKey" not in reply:
                return
            request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]

    def records(self, claims: Sequence[OpenClaim]) -> dict[tuple[str, str], ClaimRecord]:
        """Each claim's standing, in one consistent read: still in its user's ledger (the index is
        read eventually consistent, and a claim may have been given back since), its outcome record's
        status, and SES's `Send` event (the message id)."""
        users = {c.user_id for c in claims}
        keys = [state_key(u) for u in users]
        keys += [k for c in claims for k in (outcome_key(c.user_id, c.key), accepted_key(c.user_id, c.key))]
        found = batch_get({self.table: keys})[self.table] if keys else []
        ledgers: dict[str, dict[str, int]] = {}
        status: dict[tuple[str, str], SendStatus] = {}
        accepted: dict[tuple[str, str], str] = {}
        for item in found:
            user_id, sk = str(item["pk"]).removeprefix("user#"), str(item["sk"])
            if sk == STATE_SK:
                ledgers[user_id] = send_state_from_item(item).ledger
            elif sk.startswith("msg#"):
                status[(user_id, sk.removeprefix("msg#"))] = SendStatus(item["status"])
            else:
                accepted[(user_id, sk.removeprefix("accepted#"))] = str(item["message_id"])
        return {
            (c.user_id, c.key): ClaimRecord(
                claimed=ledgers.get(c.user_id, {}).get(c.key) == c.claimed_at,
                status=status.get((c.user_id, c.key)),
                accepted_message_id=accepted.get((c.user_id, c.key)),
            )
            for c in claims
        }

    def complete_release(self, claim: OpenClaim, resend: ParkedJob) -> bool:
        """Give the claim back (its ledger entry, cap slots and note), drop its `released` record and
        park the resend, in one transaction; False when the state or the record changed meanwhile."""
        client = clients.dynamodb()
        reply = client.get_item(TableName=self.table, Key=to_av(state_key(claim.user_id)), ConsistentRead=True)
        stored = from_av(reply["Item"]) if "Item" in reply else None
        state = send_state_from_item(stored)
        if stored is None or state.ledger.get(claim.key) != claim.claimed_at:
            return False
        item = send_state_item(claim.user_id, state.released(claim.key), None)
        item |= {k: stored[k] for k in ("claim_shard", "claimed_at") if k in stored}  # stays where it is filed
        parked = self.deferrals.item(resend.key, resend.body, resend.due, resend.kind)
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_av(item),
                            "ConditionExpression": "v = :v",
                            "ExpressionAttributeValues": to_av({":v": state.version}),
                        }
                    },
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": to_av(outcome_key(claim.user_id, claim.key)),
                            "ConditionExpression": "#status = :released",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": to_av({":released": str(SendStatus.RELEASED)}),
                        }
                    },
                    {"Put": {"TableName": self.deferrals.table, "Item": to_av(parked)}},
                ]
            )
        except ClientError as error:
            if conditional_failed(error) or _cancelled_on_condition(error):
                return False
            raise
        return True


def _claims_of(item: dict[str, Any]) -> tuple[float, list[OpenClaim]]:
    user_id = str(item["pk"]).removeprefix("user#")
    claims = [OpenClaim(user_id, key, note_from_item(note)) for key, note in item.get("claims", {}).items()]
    return int(item["claimed_at"]) / 1000, claims


def _cancelled_on_condition(error: ClientError) -> bool:
    reasons: list[Any] = list(error.response.get("CancellationReasons", []))
    return any(isinstance(r, dict) and r.get("Code") == "ConditionalCheckFailed" for r in reasons)
