"""Everything stored about one user, table by table and in the buckets: found, exported, deleted,
anonymized or rewritten for a data subject's export or erasure (services/privacy/), and the erasure's
own records (models/erasure.py: the tombstone, the stand-in, the erased send state, the request).

Where a user's data lives (docs/data.md): ActivityTable `user_id`; MessagingTable partitions
`user#<id>` (send state, outcomes, answers, webhook and import markers) and `inbox#<id>`, and
`address#<address>` soft-bounce counts; IncentiveTable partition `user#<id>` (coupon pointers,
grants) and the `coupon#<code>` records those point to; DeferralTable jobs that carry the user; the
rows of the user's hashes in the audience CSVs (AudienceBucket `audiences/`); the user's rows in the
history files of BackfillBucket, and the bookkeeping (`errors/`, `progress/`, `results/`, `failed/`)
that names them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import BATCH_WRITE_LIMIT, batch_get, conditional_failed, from_av, to_av
from winback.adapters.messaging_store import state_key
from winback.adapters.object_rewrite import names_any, rewrite_csv, rewrite_lines
from winback.models.erasure import (
    ERASED_OWNER,
    ERASED_STATE,
    IN_PROGRESS_TTL,
    TOMBSTONE_PREFIX,
    TOMBSTONE_TTL,
    ErasureRequest,
    request_key,
    tombstone_key,
)

# BackfillBucket folders of the import's own bookkeeping; every other object there is a history file.
BOOKKEEPING = ("errors/", "progress/", "results/", "failed/")


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


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def _row_of(user_id: str, line: bytes) -> bool:
    """Whether a JSON Lines history row is the user's (`user_id`)."""
    if f'"{user_id}"'.encode() not in line:  # most lines are other users': no parse
        return False
    try:
        row = json.loads(line)
    except ValueError:
        return False
    return isinstance(row, dict) and row.get("user_id") == user_id


class UserRecords:
    def __init__(
        self,
        activity: str,
        messaging: str,
        incentive: str,
        deferral: str,
        bucket: str = "",
        prefix: str = "",
        backfill_bucket: str = "",
    ) -> None:
        self.activity, self.messaging, self.incentive, self.deferral = activity, messaging, incentive, deferral
        self.bucket, self.prefix, self.backfill_bucket = bucket, prefix, backfill_bucket

    # --- reading ----------------------------------------------------------------------------------
    def profile_item(self, user_id: str) -> dict[str, Any] | None:
        """The user's ActivityTable item: their profile, or an erasure's stand-in."""
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

    def audience_objects(self, after: str = "") -> Iterator[str]:
        """The audience CSVs, in key order, those after `after` (where a pass left off)."""
        if self.bucket:
            yield from self._keys(self.bucket, f"{self.prefix}/" if self.prefix else "", after, (".csv",))

    def backfill_objects(self, after: str = "") -> Iterator[str]:
        """Every object of BackfillBucket, in key order, those after `after`."""
        if self.backfill_bucket:
            yield from self._keys(self.backfill_bucket, "", after, None)

    def _keys(self, bucket: str, prefix: str, after: str, suffixes: tuple[str, ...] | None) -> Iterator[str]:
        paginator = clients.s3().get_paginator("list_objects_v2")
        start = {"StartAfter": after} if after else {}
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix, **start):  # type: ignore[arg-type]
            for found in page.get("Contents", []):
                if suffixes is None or found["Key"].endswith(suffixes):
                    yield found["Key"]

    def request(self, request_id: str) -> tuple[ErasureRequest, str | None] | None:
        """An erasure request, and the user id it still holds (None once it is done)."""
        reply = clients.dynamodb().get_item(
            TableName=self.messaging, Key=to_av(request_key(request_id)), ConsistentRead=True
        )
        if "Item" not in reply:
            return None
        item = from_av(reply["Item"])
        user_id = item.pop("user_id", None)
        return ErasureRequest.model_validate(item), user_id

    # --- an erasure's own records -----------------------------------------------------------------
    def put_tombstone(self, user_id: str, request_id: str, now: datetime) -> None:
        item = {
            **tombstone_key(user_id),
            "erased_at": now.isoformat(),
            "request_id": request_id,
            "expires_at": _epoch(now + TOMBSTONE_TTL),
        }
        clients.dynamodb().put_item(TableName=self.activity, Item=to_av(item))

    def erase_send_state(self, user_id: str, request_id: str, now: datetime) -> None:
        """Replace the user's send state with an erased one: no version `v`, so no claim's condition
        can hold on it (see models/erasure.py)."""
        item = {**state_key(user_id), ERASED_STATE: request_id, "expires_at": _epoch(now + IN_PROGRESS_TTL)}
        clients.dynamodb().put_item(TableName=self.messaging, Item=to_av(item))

    def put_stand_in(self, user_id: str, request_id: str, addresses: list[str], now: datetime) -> None:
        """Replace the profile with the erasure's stand-in (no `version`: every profile write fails)."""
        item = {
            "user_id": user_id,
            "erasing": request_id,
            "addresses": addresses,
            "erased_at": now.isoformat(),
            "expires_at": _epoch(now + IN_PROGRESS_TTL),
        }
        clients.dynamodb().put_item(TableName=self.activity, Item=to_av(item))

    def put_request(self, request: ErasureRequest, user_id: str, now: datetime) -> None:
        item = {
            **request_key(request.request_id),
            **request.model_dump(exclude_none=True),
            "user_id": user_id,
            "expires_at": _epoch(now + IN_PROGRESS_TTL),
        }
        clients.dynamodb().put_item(TableName=self.messaging, Item=to_av(item))

    def close_request(self, request: ErasureRequest, now: datetime) -> None:
        """The request, done: it keeps its status and the hashed id as long as the tombstone, never the id."""
        item = {
            **request_key(request.request_id),
            **request.model_dump(exclude_none=True),
            "expires_at": _epoch(now + TOMBSTONE_TTL),
        }
        clients.dynamodb().put_item(TableName=self.messaging, Item=to_av(item))

    def mark_request(self, request_id: str, status: str, now: datetime) -> None:
        clients.dynamodb().update_item(
            TableName=self.messaging,
            Key=to_av(request_key(request_id)),
            UpdateExpression="SET #status = :status, first_pass_at = :at",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_av({":status": status, ":at": now.isoformat()}),
        )

    def add_removed(self, request_id: str, counts: Mapping[str, int]) -> None:
        """Add to the request's counts of what was removed, by kind."""
        nonzero = {k: v for k, v in counts.items() if v}
        if not nonzero:
            return
        clients.dynamodb().update_item(
            TableName=self.messaging,
            Key=to_av(request_key(request_id)),
            UpdateExpression="ADD " + ", ".join(f"removed.#k{i} :v{i}" for i in range(len(nonzero))),
            ExpressionAttributeNames={f"#k{i}": k for i, k in enumerate(nonzero)},
            ExpressionAttributeValues=to_av({f":v{i}": v for i, v in enumerate(nonzero.values())}),
        )

    def delete_stand_in(self, user_id: str) -> bool:
        """Delete the erasure's stand-in (never a profile: a profile has no `erasing`)."""
        try:
            clients.dynamodb().delete_item(
                TableName=self.activity,
                Key=to_av({"user_id": user_id}),
                ConditionExpression="attribute_exists(erasing)",
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def is_tombstoned(self, user_id: str) -> bool:
        reply = clients.dynamodb().get_item(TableName=self.activity, Key=to_av(tombstone_key(user_id)))
        return "Item" in reply and str(from_av(reply["Item"])["user_id"]).startswith(TOMBSTONE_PREFIX)

    # --- changing ---------------------------------------------------------------------------------
    def anonymize_coupon(self, code: str) -> None:
        """Keep the coupon's value and status (budget totals) but not whose it was: the owner becomes
        ERASED_OWNER, which no user id can equal."""
        clients.dynamodb().update_item(
            TableName=self.incentive,
            Key=to_av({"pk": f"coupon#{code}", "sk": "coupon"}),
            UpdateExpression="SET user_id = :erased REMOVE order_ref",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_av({":erased": ERASED_OWNER}),
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
        """Rewrite one audience CSV without the rows carrying any of `hashes` (streamed); the rows removed."""
        if not any(hashes):
            return 0
        found = re.compile(b"|".join(re.escape(h.encode()) for h in sorted(hashes) if h))
        return rewrite_lines(self.bucket, key, lambda line: found.search(line) is not None)

    def remove_history_rows(self, key: str, user_id: str) -> int:
        """Rewrite one history file of BackfillBucket without the user's rows (streamed); the rows removed."""
        if key.endswith(".jsonl"):
            return rewrite_lines(self.backfill_bucket, key, lambda line: _row_of(user_id, line))
        if key.endswith(".csv"):
            return rewrite_csv(self.backfill_bucket, key, lambda row: row.get("user_id") == user_id)
        return 0

    def delete_naming(self, key: str, needles: list[str]) -> int:
        """Delete a bookkeeping object of BackfillBucket that names any of `needles`; 1 if deleted."""
        if not names_any(self.backfill_bucket, key, [n.encode() for n in needles]):
            return 0
        clients.s3().delete_object(Bucket=self.backfill_bucket, Key=key)
        return 1


def bookkeeping(key: str) -> bool:
    return key.startswith(BOOKKEEPING)
