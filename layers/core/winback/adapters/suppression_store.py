"""SuppressionTable: addresses that must never be messaged again (normalized `channel#address`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import batch_get, conditional_failed, to_av


class SuppressionStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def suppress(self, address: str, reason: str, source: str, at: datetime) -> bool:
        """Suppress `address`; the first reason recorded is kept. True if it was not suppressed before."""
        try:
            clients.dynamodb().put_item(
                TableName=self.table,
                Item=to_av({"address": address, "reason": reason, "source": source, "at": at.isoformat()}),
                ConditionExpression="attribute_not_exists(address)",
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def suppressed(self, addresses: Iterable[str]) -> set[str]:
        """Which of `addresses` are suppressed (BatchGetItem, 100 per call)."""
        items = batch_get({self.table: [{"address": a} for a in addresses]})[self.table]
        return {item["address"] for item in items}
