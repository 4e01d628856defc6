"""DynamoDB item (de)serialization and batch helpers shared by the store adapters."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from winback.adapters import clients

_SER = TypeSerializer()
_DE = TypeDeserializer()
BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
_MAX_UNPROCESSED_ROUNDS = 8


class BatchIncomplete(RuntimeError):
    """DynamoDB kept returning unprocessed keys/items after repeated backoff."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def conditional_failed(error: ClientError) -> bool:
    """The write's condition did not hold: an expected outcome, not a fault."""
    return error_code(error) == "ConditionalCheckFailedException"


def put_new(table: str, item: Mapping[str, Any]) -> bool:
    """Store `item` only if no item has its key yet; True if this call stored it (a redelivered or
    concurrent write of the same fact finds it there and changes nothing)."""
    try:
        clients.dynamodb().put_item(TableName=table, Item=to_av(item), ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        if conditional_failed(error):
            return False
        raise
    return True


def to_av(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _SER.serialize(v) for k, v in item.items()}


def from_av(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_DE.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    """Decimals back to int (all our numbers are whole), sets to sorted lists."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def _backoff(round_: int) -> None:
    time.sleep(min(0.05 * 2**round_, 2.0))


def batch_get(requests: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Every existing item for the given keys, across tables, 100 keys per call, unprocessed keys retried."""
    pending: list[tuple[str, dict[str, Any]]] = []
    for table, keys in requests.items():
        seen: set[tuple[tuple[str, str], ...]] = set()
        for key in keys:
            marker = tuple(sorted((k, str(v)) for k, v in key.items()))
            if marker not in seen:
                seen.add(marker)
                pending.append((table, to_av(key)))
    found: dict[str, list[dict[str, Any]]] = {table: [] for table in requests}
    client = clients.dynamodb()
    while pending:
        chunk, pending = pending[:BATCH_GET_LIMIT], pending[BATCH_GET_LIMIT:]
        request: dict[str, Any] = {}
        for table, key in chunk:
            request.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
        for round_ in range(_MAX_UNPROCESSED_ROUNDS):
            reply = client.batch_get_item(RequestItems=request)
            for table, items in reply.get("Responses", {}).items():
                found[table].extend(from_av(i) for i in items)
            unprocessed = reply.get("UnprocessedKeys") or {}
            if not unprocessed:
                break
            request = dict(unprocessed)
            _backoff(round_)
        else:
            raise BatchIncomplete("BatchGetItem left keys unprocessed")
    return found


def batch_put(table: str, items: Iterable[Mapping[str, Any]]) -> None:
    """Put items, 25 per call, unprocessed items retried."""
    batch_put_tables({table: items})


def batch_put_tables(requests: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
    """Put items into several tables, 25 per call whatever their table, unprocessed items retried."""
    client = clients.dynamodb()
    queue = [(table, to_av(i)) for table, items in requests.items() for i in items]
    while queue:
        chunk, queue = queue[:BATCH_WRITE_LIMIT], queue[BATCH_WRITE_LIMIT:]
        request: dict[str, Any] = {}
        for table, item in chunk:
            request.setdefault(table, []).append({"PutRequest": {"Item": item}})
        for round_ in range(_MAX_UNPROCESSED_ROUNDS):
            reply = client.batch_write_item(RequestItems=request)
            unprocessed = reply.get("UnprocessedItems") or {}
            if not unprocessed:
                break
            request = dict(unprocessed)
            _backoff(round_)
        else:
            raise BatchIncomplete("BatchWriteItem left items unprocessed")
