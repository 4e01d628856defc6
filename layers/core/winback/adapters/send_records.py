"""The send job's bookkeeping in as few calls as DynamoDB allows: outcome records (MessagingTable)
and parked jobs (DeferralTable: next steps, held recipients) in the same BatchWriteItem calls,
25 items per call whatever their table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from winback.adapters.dynamo import batch_put_tables

if TYPE_CHECKING:
    from winback.adapters.deferral_store import DeferralStore
    from winback.models.send_context import ParkedJob


class SendRecords:
    def __init__(self, messaging_table: str, deferrals: DeferralStore) -> None:
        self.messaging_table = messaging_table
        self.deferrals = deferrals

    def write(self, outcomes: Sequence[Mapping[str, Any]], parked: Sequence[ParkedJob]) -> None:
        """Write every outcome and parked job (a parked job with the same key replaces the earlier one)."""
        # One call may not name an item twice: the last write of a key wins, as it would in sequence.
        records = {(str(o["pk"]), str(o["sk"])): o for o in outcomes}
        jobs = {p.key: self.deferrals.item(p.key, p.body, p.due, p.kind) for p in parked}
        batch_put_tables({self.messaging_table: list(records.values()), self.deferrals.table: list(jobs.values())})
