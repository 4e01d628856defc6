"""SuppressionTable: addresses that must never be messaged again.

Keys are `sha256#<hex>` of the normalized `channel#address` (domain/journey/addresses.py): the
table holds no plain address. Entries written before hashing (`email#...`) are still honoured while
`plain_lookup` is on (the default); `winback migrate-suppression` rewrites them hashed, after which
SUPPRESSION_PLAIN_LOOKUP=false halves the keys each batch read asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import batch_get, conditional_failed, from_av, to_av
from winback.domain.journey.addresses import HASHED_PREFIX, hashed_key


class SuppressionStore:
    def __init__(self, table: str, plain_lookup: bool = True) -> None:
        self.table = table
        self.plain_lookup = plain_lookup

    def suppress(self, address: str, reason: str, source: str, at: datetime) -> bool:
        """Suppress `address`; the first reason recorded is kept. True if it was not suppressed before."""
        return self._put_hashed(hashed_key(address), reason, source, at.isoformat())

    def _put_hashed(self, key: str, reason: str, source: str, at: str) -> bool:
        try:
            clients.dynamodb().put_item(
                TableName=self.table,
                Item=to_av({"address": key, "reason": reason, "source": source, "at": at}),
                ConditionExpression="attribute_not_exists(address)",
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def suppressed(self, addresses: Iterable[str]) -> set[str]:
        """Which of `addresses` are suppressed, under either form (BatchGetItem, 100 keys per call)."""
        wanted = {a: hashed_key(a) for a in addresses}
        keys = list(wanted.values()) + (list(wanted) if self.plain_lookup else [])
        found = {item["address"] for item in batch_get({self.table: [{"address": k} for k in keys]})[self.table]}
        return {a for a, h in wanted.items() if h in found or a in found}

    def lift(self, address: str, reason: str) -> bool:
        """Remove the entry of `address` (either form) if it was suppressed for `reason`; True if one was."""
        lifted = False
        for key in (hashed_key(address), address):
            try:
                clients.dynamodb().delete_item(
                    TableName=self.table,
                    Key=to_av({"address": key}),
                    ConditionExpression="reason = :reason",
                    ExpressionAttributeValues=to_av({":reason": reason}),
                )
                lifted = True
            except ClientError as error:
                if not conditional_failed(error):
                    raise
        return lifted

    def entries(self, addresses: Iterable[str]) -> list[dict[str, Any]]:
        """The stored entries of `addresses`, in both forms (for a user's data export)."""
        keys = {k for a in addresses for k in (a, hashed_key(a))}
        return batch_get({self.table: [{"address": k} for k in keys]})[self.table]

    def forget_plain(self, address: str) -> bool:
        """Replace a plain entry of `address` by its hashed form (keeping the first reason). True if
        there was one. Idempotent: the hashed write is conditional, the delete harmless twice."""
        reply = clients.dynamodb().get_item(TableName=self.table, Key=to_av({"address": address}), ConsistentRead=True)
        item = reply.get("Item")
        if not item or address.startswith(HASHED_PREFIX):
            return False
        plain = from_av(item)
        self._put_hashed(hashed_key(address), plain["reason"], plain.get("source", ""), plain.get("at", ""))
        clients.dynamodb().delete_item(TableName=self.table, Key=to_av({"address": address}))
        return True

    def plain_addresses(self) -> Iterator[str]:
        """Every entry still stored in plain form, page by page (for the one-off migration)."""
        paginator = clients.dynamodb().get_paginator("scan")
        for page in paginator.paginate(TableName=self.table, ProjectionExpression="address"):
            for item in page.get("Items", []):
                address = str(from_av(item)["address"])
                if not address.startswith(HASHED_PREFIX):
                    yield address
