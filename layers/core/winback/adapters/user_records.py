"""Everything stored about one user, table by table and in the audience bucket: found, exported,
deleted, anonymized or rewritten for a data subject's export or erasure (services/privacy/).

Where a user's data lives (docs/data.md): ActivityTable `user_id`; MessagingTable partitions
`user#<id>` (send state, outcomes, answers, webhook markers) and `inbox#<id>`, and
`address#<address>` soft-bounce counts; IncentiveTable partition `user#<id>` (coupon pointers,
grants) and the `coupon#<code>` records those point to; DeferralTable jobs that carry the user;
the rows of the user's hashes in audience CSVs under the bucket's prefix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from winback.adapters import clients
from winback.adapters.dynamo import BATCH_WRITE_LIMIT, batch_get, from_av, to_av

ERASED = "erased"


def _query(table: str, pk: str) -> list[dict[str, Any]]:
    paginator = clients.dynamodb().get_paginator("query")
    items: list[dict[str, Any]] = []
    pages = paginator.paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_av({":pk": pk}),
        ConsistentRead=True,
    )
    for page in pages:
        items += [from_av(i) for i in page.get("Items", [])]
    return items


def delete_keys(table: str, keys: Iterable[Mapping[str, Any]]) -> int:
    """Delete items by key, 25 per BatchWriteItem, unprocessed ones retried; the number asked."""
    client = clients.dynamodb()
    queue = [to_av(k) for k in keys]
    total = len(queue)
    while queue:
        chunk, queue = queue[:BATCH_WRITE_LIMIT], queue[BATCH_WRITE_LIMIT:]
        reply = client.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": k}} for k in chunk]})
        queue += [r["DeleteRequest"]["Key"] for r in (reply.get("UnprocessedItems") or {}).get(table, [])]
    return total


def _keys(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"pk": i["pk"], "sk": i["sk"]} for i in items]


class UserRecords:
    def __init__(
        self, activity: str, messaging: str, incentive: str, deferral: str, bucket: str = "", prefix: str = ""
    ) -> None:
        self.activity, self.messaging, self.incentive, self.deferral = activity, messaging, incentive, deferral
        self.bucket, self.prefix = bucket, prefix

    # --- reading ----------------------------------------------------------------------------------
    def profile_item(self, user_id: str) -> dict[str, Any] | None:
        reply = clients.dynamodb().get_item(
            TableName=self.activity, Key=to_av({"user_id": user_id}), ConsistentRead=True
        )
        return from_av(reply["Item"]) if "Item" in reply else None

    def messaging_items(self, user_id: str, addresses: Iterable[str] = ()) -> list[dict[str, Any]]:
        items = _query(self.messaging, f"user#{user_id}") + _query(self.messaging, f"inbox#{user_id}")
        for address in addresses:
            items += _query(self.messaging, f"address#{address}")
        return items

    def incentive_items(self, user_id: str) -> list[dict[str, Any]]:
        return _query(self.incentive, f"user#{user_id}") if self.incentive else []

    def coupons(self, codes: Iterable[str]) -> list[dict[str, Any]]:
        keys = [{"pk": f"coupon#{code}", "sk": "coupon"} for code in codes]
        return batch_get({self.incentive: keys})[self.incentive] if keys else []

    def deferred_jobs(self, user_id: str) -> Iterator[dict[str, Any]]:
        """Deferred jobs whose body mentions the user (the caller checks the recipients exactly)."""
        if not self.deferral:
            return
        paginator = clients.dynamodb().get_paginator("scan")
        pages = paginator.paginate(
            TableName=self.deferral,
            FilterExpression="contains(body, :uid)",
            ExpressionAttributeValues=to_av({":uid": f'"{user_id}"'}),
        )
        for page in pages:
            yield from (from_av(i) for i in page.get("Items", []))

    def audience_objects(self) -> Iterator[str]:
        if not self.bucket:
            return
        paginator = clients.s3().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""):
            yield from (o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".csv"))

    # --- changing ---------------------------------------------------------------------------------
    def delete_profile(self, user_id: str) -> None:
        clients.dynamodb().delete_item(TableName=self.activity, Key=to_av({"user_id": user_id}))

    def anonymize_coupon(self, code: str) -> None:
        """Keep the coupon's value and status (budget totals) but not whose it was."""
        clients.dynamodb().update_item(
            TableName=self.incentive,
            Key=to_av({"pk": f"coupon#{code}", "sk": "coupon"}),
            UpdateExpression="SET user_id = :erased REMOVE order_ref",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_av({":erased": ERASED}),
        )

    def put_deferred(self, item: Mapping[str, Any]) -> None:
        clients.dynamodb().put_item(TableName=self.deferral, Item=to_av(item))

    def delete_deferred(self, items: Iterable[Mapping[str, Any]]) -> int:
        return delete_keys(self.deferral, _keys(items))

    def delete_messaging_items(self, items: Iterable[Mapping[str, Any]]) -> int:
        return delete_keys(self.messaging, _keys(items))

    def delete_incentive_items(self, items: Iterable[Mapping[str, Any]]) -> int:
        return delete_keys(self.incentive, _keys(items))

    def remove_rows(self, key: str, hashes: set[str]) -> int:
        """Rewrite one audience CSV without the rows carrying any of `hashes`; the rows removed."""
        s3 = clients.s3()
        text = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        kept = [row for row in rows if not hashes.intersection(cell for cell in row if cell)]
        if len(kept) == len(rows):
            return 0
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(kept)
        s3.put_object(
            Bucket=self.bucket, Key=key, Body=out.getvalue().encode("utf-8"), ContentType="text/csv; charset=utf-8"
        )
        return len(rows) - len(kept)
