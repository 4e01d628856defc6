"""Bookkeeping (models/bookkeeping.py) in one TransactWriteItems: outcome records (MessagingTable),
each conditioned on its claim having no terminal record yet, with a sent text's `smsid#` lookup
beside it; the experiment counters and the campaign's totals (ADD); parked jobs (DeferralTable:
next steps, held recipients, resends). All or nothing: a kill never leaves a record without its
counts, and a record refused (the sweeper's came first) takes its counts with it.

The write carries a ClientRequestToken made once per Bookkeeping, so a retry of the same write after
a lost answer is recognised by DynamoDB (within 10 minutes) and not applied twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import error_code, to_av
from winback.adapters.messaging_store import cell_key, outcome_item
from winback.adapters.sms_lookup import sms_sent_item
from winback.models.send_state import SendStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from winback.adapters.deferral_store import DeferralStore
    from winback.models.bookkeeping import Bookkeeping
    from winback.models.send_state import Outcome

# An outcome is written where no record is, or over a `released` one (a claim given back whose
# record stayed: the message was claimed and sent again).
NO_TERMINAL_RECORD = "attribute_not_exists(pk) OR #status = :released"


class SendRecords:
    def __init__(self, messaging_table: str, deferrals: DeferralStore) -> None:
        self.messaging_table = messaging_table
        self.deferrals = deferrals

    def write(self, entry: Bookkeeping) -> frozenset[tuple[str, str]]:
        """Write `entry` all or nothing; the (user id, send key) of its outcomes refused because their
        claim already has a terminal record (then nothing is written)."""
        items, owners = self._items(entry)
        if not items:
            return frozenset()
        try:
            clients.dynamodb().transact_write_items(TransactItems=items, ClientRequestToken=entry.token)
        except ClientError as error:
            refused = _refused(error, owners)
            if refused:
                return refused
            raise
        return frozenset()

    def _items(self, entry: Bookkeeping) -> tuple[list[TransactWriteItemTypeDef], dict[int, Outcome]]:
        """The transaction's items, and which item is which outcome's record (by position)."""
        items: list[TransactWriteItemTypeDef] = []
        owners: dict[int, Outcome] = {}
        for outcome in entry.outcomes:
            owners[len(items)] = outcome
            items.append({"Put": self._outcome_put(outcome)})
            if outcome.status_by_message_id:
                items.append({"Put": {"TableName": self.messaging_table, "Item": to_av(sms_sent_item(outcome))}})
        for (campaign_id, step, arm, segment), counts in entry.cells.items():
            items.append(self._add({"pk": f"stats#{campaign_id}", "sk": cell_key(step, arm, segment)}, counts))
        for campaign_id, counts in entry.totals.items():
            items.append(self._add({"pk": f"stats#{campaign_id}", "sk": "totals"}, counts))
        # One transaction may not name an item twice: a parked job replaces an earlier one with its key.
        for job in {p.key: p for p in entry.parked}.values():
            item = self.deferrals.item(job.key, job.body, job.due, job.kind)
            items.append({"Put": {"TableName": self.deferrals.table, "Item": to_av(item)}})
        return items, owners

    def _outcome_put(self, outcome: Outcome) -> Any:
        return {
            "TableName": self.messaging_table,
            "Item": to_av(outcome_item(outcome)),
            "ConditionExpression": NO_TERMINAL_RECORD,
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_av({":released": str(SendStatus.RELEASED)}),
        }

    def _add(self, key: Mapping[str, str], counts: Mapping[str, int]) -> TransactWriteItemTypeDef:
        names = {f"#c{i}": name for i, name in enumerate(counts)}
        values = {f":c{i}": value for i, value in enumerate(counts.values())}
        return {
            "Update": {
                "TableName": self.messaging_table,
                "Key": to_av(key),
                "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_av(values),
            }
        }


def _refused(error: ClientError, owners: Mapping[int, Outcome]) -> frozenset[tuple[str, str]]:
    """The outcomes a cancelled transaction refused on their condition (empty: cancelled for another
    reason, such as a throttle or a conflicting transaction, which the caller retries)."""
    if error_code(error) != "TransactionCanceledException":
        return frozenset()
    reasons: list[Any] = list(error.response.get("CancellationReasons", []))
    return frozenset(
        (owners[i].user_id, owners[i].key)
        for i, reason in enumerate(reasons)
        if i in owners and isinstance(reason, Mapping) and reason.get("Code") == "ConditionalCheckFailed"
    )
