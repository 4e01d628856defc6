"""The email quota's shared lease counter: one MessagingTable item (`quota#email` / `lease`) holding
the sends leased per hour (domain/journey/quota_window.py says why hours), changed by one conditional
write per lease (compare-and-set on its version `v`).

A container remembers the item as it last wrote or saw it, so a lease is usually one UpdateItem; when
another container wrote in between, the refused write returns the item as it now is
(ReturnValuesOnConditionCheckFailure) and the lease is computed again on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import conditional_failed
from winback.domain.journey.quota_window import Lease, hour_of, take

KEY = {"pk": {"S": "quota#email"}, "sk": {"S": "lease"}}
LEASE_ATTEMPTS = 8


class QuotaLeaseStore:
    """The QuotaLeases port (services/send/ports.py) over MessagingTable."""

    def __init__(self, table: str) -> None:
        self.table = table
        self._version: int | None = None  # None: never seen (the item may not exist)
        self._hours: dict[int, int] = {}

    def lease(self, want: int, limit: int, now: datetime) -> Lease:
        """Up to `want` sends for the current hour; 0 with when the quota frees when none are left
        (or, after LEASE_ATTEMPTS writes lost to other containers, with no time: try again soon)."""
        for _ in range(LEASE_ATTEMPTS):
            lease, hours = take(self._hours, want, limit, now)
            if lease.granted == 0 and self._version is not None:
                return lease
            if self._write(hours):
                return lease
        return Lease(0, hour_of(now))

    def _write(self, hours: dict[int, int]) -> bool:
        """Store `hours` if the item is still the version last seen; else remember what it is now."""
        version = self._version
        try:
            clients.dynamodb().update_item(
                TableName=self.table,
                Key=KEY,
                UpdateExpression="SET #hours = :hours, #v = :next",
                ConditionExpression="attribute_not_exists(#v)" if version is None else "#v = :v",
                ExpressionAttributeNames={"#hours": "hours", "#v": "v"},
                ExpressionAttributeValues={
                    ":hours": {"M": {str(h): {"N": str(n)} for h, n in hours.items()}},
                    ":next": {"N": str((version or 0) + 1)},
                    **({} if version is None else {":v": {"N": str(version)}}),
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
            current = cast("dict[str, Any] | None", error.response.get("Item"))
            self._seen(current or self._read())
            return False
        self._version, self._hours = (version or 0) + 1, hours
        return True

    def _read(self) -> dict[str, Any]:
        reply = clients.dynamodb().get_item(TableName=self.table, Key=KEY, ConsistentRead=True)
        return reply.get("Item", {})

    def _seen(self, item: dict[str, Any]) -> None:
        self._version = int(item["v"]["N"]) if "v" in item else None
        self._hours = {int(h): int(n["N"]) for h, n in item.get("hours", {}).get("M", {}).items()}
