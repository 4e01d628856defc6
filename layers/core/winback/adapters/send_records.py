"""The send job's bookkeeping in as few calls as DynamoDB allows: outcome records (MessagingTable),
with a sent text's `smsid#` lookup beside its outcome, and parked jobs (DeferralTable: next steps,
held recipients) in the same BatchWriteItem calls, 25 items per call whatever their table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from winback.adapters.dynamo import batch_put_tables
from winback.adapters.messaging_store import outcome_item
from winback.adapters.sms_lookup import sms_sent_item

if TYPE_CHECKING:
    from winback.adapters.deferral_store import DeferralStore
    from winback.models.send_context import ParkedJob
    from winback.models.send_state import Outcome


def outcome_items(outcomes: Sequence[Outcome]) -> Iterator[dict[str, Any]]:
    """Each outcome's item, followed by its `smsid#` lookup when it is a sent text."""
    for outcome in outcomes:
        yield outcome_item(outcome)
        if outcome.status_by_message_id:
            yield sms_sent_item(outcome)


class SendRecords:
    def __init__(self, messaging_table: str, deferrals: DeferralStore) -> None:
        self.messaging_table = messaging_table
        self.deferrals = deferrals

    def write(self, outcomes: Sequence[Outcome], parked: Sequence[ParkedJob]) -> None:
        """Write every outcome and parked job (a parked job with the same key replaces the earlier one)."""
        # One call may not name an item twice: the last write of a key wins, as it would in sequence.
        records = {(str(i["pk"]), str(i["sk"])): i for i in outcome_items(outcomes)}
        jobs = {p.key: self.deferrals.item(p.key, p.body, p.due, p.kind) for p in parked}
        batch_put_tables({self.messaging_table: list(records.values()), self.deferrals.table: list(jobs.values())})
