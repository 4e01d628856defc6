"""Deferred jobs in DeferralTable: SQS message bodies parked until a due time, read through the `due` GSI.

Item layout:
  pk `due#<key>`, sk `job`, `due_shard` ("0".."shards-1", a stable hash of the key), `due_at` (UTC,
  fixed-width ISO 8601 so strings sort as instants), `body` (the SQS body to send), `kind`
  (why it waits: "quiet_hours", "next_step", "capped"...), `expires_at` (TTL, due + 30 days).
Only these items carry `due_shard`, so the GSI is sparse. Sharding spreads the index's writes and
reads over several partitions instead of one hot key. The shard count may grow but must not shrink
while items exist: a shard beyond the new count would no longer be read.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from winback.adapters import clients
from winback.adapters.dynamo import conditional_failed, from_av, to_av

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef

PK_PREFIX = "due#"
JOB_SK = "job"
DUE_INDEX = "due"
DEFAULT_SHARDS = 8
RETENTION = timedelta(days=30)
_PAGE = 100


class Deferred(BaseModel):
    """A deferred job as read back; `due_at` is kept exactly as stored, for the conditional delete."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    key: str
    shard: str
    due_at: str
    body: str
    kind: str

    @property
    def due(self) -> datetime:
        return datetime.fromisoformat(self.due_at)


def due_at_text(due: datetime) -> str:
    """`due` in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`: always 27 characters, so text order is time order."""
    if due.utcoffset() is None:
        raise ValueError("due must be timezone-aware")
    return due.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def shard_of(key: str, shards: int) -> str:
    """A stable shard for `key` (sha256, not the per-process salted `hash`)."""
    digest = hashlib.sha256(key.encode()).digest()
    return str(int.from_bytes(digest[:8], "big") % shards)


def _parse(item: dict[str, Any]) -> Deferred:
    plain = from_av(item)
    return Deferred(
        key=str(plain["pk"]).removeprefix(PK_PREFIX),
        shard=plain["due_shard"],
        due_at=plain["due_at"],
        body=plain["body"],
        kind=plain["kind"],
    )


@dataclass
class _ShardCursor:
    shard: str
    start_key: dict[str, Any] | None = None
    exhausted: bool = False
    buffer: deque[Deferred] = field(default_factory=deque)


class DeferralStore:
    def __init__(self, table: str, shards: int = DEFAULT_SHARDS) -> None:
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self.table = table
        self.shards = shards

    def defer(self, key: str, body: str, due: datetime, kind: str) -> None:
        """Park `body` until `due`; deferring the same key again replaces the job (idempotent)."""
        clients.dynamodb().put_item(TableName=self.table, Item=to_av(self.item(key, body, due, kind)))

    def item(self, key: str, body: str, due: datetime, kind: str) -> dict[str, Any]:
        """The stored item of a deferred job (for a caller batching it with other writes)."""
        if not key or not kind:
            raise ValueError("a deferred job needs a key and a kind")
        return {
            "pk": PK_PREFIX + key,
            "sk": JOB_SK,
            "due_shard": shard_of(key, self.shards),
            "due_at": due_at_text(due),
            "body": body,
            "kind": kind,
            "expires_at": int((due + RETENTION).timestamp()),
        }

    def due(self, now: datetime, limit: int) -> list[Deferred]:
        """Up to `limit` jobs due at or before `now`, drawn from every shard in turn."""
        return list(islice(self.iter_due(now), limit))

    def iter_due(self, now: datetime) -> Iterator[Deferred]:
        """Every job due at or before `now`, lazily and one shard after another item by item, so a caller
        that stops early has drawn from every shard; memory holds one page per shard at most."""
        cutoff = due_at_text(now)
        cursors = [_ShardCursor(str(s)) for s in range(self.shards)]
        while cursors:
            for cursor in cursors:
                if not cursor.buffer and not cursor.exhausted:
                    self._fill(cursor, cutoff)
                if cursor.buffer:
                    yield cursor.buffer.popleft()
            cursors = [c for c in cursors if c.buffer or not c.exhausted]

    def _fill(self, cursor: _ShardCursor, cutoff: str) -> None:
        request: QueryInputTypeDef = {
            "TableName": self.table,
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "due_shard = :s AND due_at <= :now",
            "ExpressionAttributeValues": {":s": {"S": cursor.shard}, ":now": {"S": cutoff}},
            "Limit": _PAGE,
        }
        if cursor.start_key is not None:
            request["ExclusiveStartKey"] = cursor.start_key
        reply = clients.dynamodb().query(**request)
        cursor.buffer = deque(_parse(item) for item in reply.get("Items", []))
        cursor.start_key = reply.get("LastEvaluatedKey")
        cursor.exhausted = cursor.start_key is None

    def remove(self, deferred: Deferred) -> bool:
        """Delete the job if it is still due when it was read; False if it was re-deferred or is gone."""
        try:
            clients.dynamodb().delete_item(
                TableName=self.table,
                Key=to_av({"pk": PK_PREFIX + deferred.key, "sk": JOB_SK}),
                ConditionExpression="due_at = :read",
                ExpressionAttributeValues={":read": {"S": deferred.due_at}},
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True
