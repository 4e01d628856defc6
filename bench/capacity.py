"""DynamoDB capacity units, the way DynamoDB bills them, for each call the benchmarks count.

moto answers `ReturnConsumedCapacity` with fixed numbers, not sizes, so the units are computed here
from the items themselves (the DynamoDB Developer Guide, "Item sizes and formats" and "Read/write
capacity mode"):

- an item's size is the sum of its attribute names and values: a string or binary by its bytes, a
  number by about one byte per two significant digits plus one, a boolean or null one byte, a list
  or map three bytes plus its elements and one byte per element, a set the sum of its elements;
- a write (PutItem, UpdateItem, DeleteItem, each item of a BatchWriteItem) costs one write unit per
  KB, rounded up, of the larger of the item before and after it, also when its condition fails;
- a strongly consistent read costs one read unit per 4 KB, rounded up, of each item read (GetItem,
  each key of a BatchGetItem, found or not); half that when eventually consistent; a Query or Scan
  rounds the total of the items it returns up to 4 KB;
- a transaction (TransactWriteItems, TransactGetItems) costs twice that for each of its items,
  ConditionCheck items included.

The item "before" a write is read with the client's own GetItem outside the count (`peek`); the
sizes of the writes' items come from the request.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

WRITE_UNIT = 1024
READ_UNIT = 4096
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})

# (table, key) -> the stored item (attribute-value form) or None, read without being counted.
Peek = Callable[[str, dict[str, Any]], dict[str, Any] | None]
# table -> its key attribute names
KeyNames = Callable[[str], tuple[str, ...]]


@dataclass
class Units:
    """Write and read units consumed, in total and by table."""

    write: float = 0.0
    read: float = 0.0
    write_by_table: dict[str, float] = field(default_factory=dict)
    read_by_table: dict[str, float] = field(default_factory=dict)

    def add_write(self, table: str, units: float) -> None:
        self.write += units
        self.write_by_table[table] = self.write_by_table.get(table, 0.0) + units

    def add_read(self, table: str, units: float) -> None:
        self.read += units
        self.read_by_table[table] = self.read_by_table.get(table, 0.0) + units

    def add(self, other: Units) -> None:
        for table, units in other.write_by_table.items():
            self.add_write(table, units)
        for table, units in other.read_by_table.items():
            self.add_read(table, units)


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0").rstrip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: Mapping[str, Any]) -> int:
    """The size of one attribute value in DynamoDB's attribute-value form ({"S": ...})."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return _number_size(str(inner))
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        single = kind[0]
        return sum(value_size({single: v}) for v in inner)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(v) for name, v in item.items())


def write_units(before: int, after: int) -> int:
    return max(1, math.ceil(max(before, after) / WRITE_UNIT))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


class Meter:
    """Computes the units of one call from its request, its reply and the stored items."""

    def __init__(self, peek: Peek, key_names: KeyNames) -> None:
        self.peek = peek
        self.key_names = key_names

    def _key(self, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self.key_names(table)}

    def before_write(self, operation: str, params: Mapping[str, Any]) -> list[tuple[str, int, int, int]]:
        """(table, size before, size of the written item, multiplier) for each item the call writes,
        read before the call runs."""
        targets: list[tuple[str, dict[str, Any], Mapping[str, Any] | None, int]] = []
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = params["TableName"]
            written = params.get("Item")
            key = params.get("Key") or self._key(table, written or {})
            targets.append((table, key, written, 1))
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        targets.append((table, self._key(table, item), item, 1))
                    else:
                        targets.append((table, request["DeleteRequest"]["Key"], None, 1))
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                table = body["TableName"]
                item = body.get("Item")
                key = body.get("Key") or self._key(table, item or {})
                targets.append((table, key, item if kind == "Put" else None, 2))
        return [(table, item_size(self.peek(table, key)), item_size(item), n) for table, key, item, n in targets]

    def after_write(self, units: Units, planned: list[tuple[str, int, int, int]], params: Mapping[str, Any]) -> None:
        """Add the units of the writes planned by `before_write` (UpdateItem's new size read back)."""
        for table, before, written, multiplier in planned:
            after = written
            if "UpdateExpression" in params and "Key" in params:
                after = item_size(self.peek(table, dict(params["Key"])))
            units.add_write(table, multiplier * write_units(before, after))

    def reads(self, units: Units, operation: str, params: Mapping[str, Any], reply: Mapping[str, Any]) -> None:
        if operation == "GetItem":
            consistent = bool(params.get("ConsistentRead"))
            units.add_read(params["TableName"], read_units(item_size(reply.get("Item")), consistent))
        elif operation == "BatchGetItem":
            self._batch_get(units, params, reply)
        elif operation in ("Query", "Scan"):
            total = sum(item_size(i) for i in reply.get("Items", []))
            units.add_read(params["TableName"], read_units(total, bool(params.get("ConsistentRead"))))
        elif operation == "TransactGetItems":
            for entry, found in zip(params["TransactItems"], reply.get("Responses", []), strict=False):
                table = entry["Get"]["TableName"]
                units.add_read(table, 2 * read_units(item_size(found.get("Item")), True))

    def _batch_get(self, units: Units, params: Mapping[str, Any], reply: Mapping[str, Any]) -> None:
        unprocessed = reply.get("UnprocessedKeys") or {}
        for table, request in params["RequestItems"].items():
            consistent = bool(request.get("ConsistentRead"))
            found = {_frozen(self._key(table, i)): item_size(i) for i in reply.get("Responses", {}).get(table, [])}
            skipped = {_frozen(k) for k in unprocessed.get(table, {}).get("Keys", [])}
            for key in request["Keys"]:
                frozen = _frozen(key)
                if frozen not in skipped:
                    units.add_read(table, read_units(found.get(frozen, 0), consistent))


def _frozen(key: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, repr(sorted(v.items()))) for name, v in key.items()))
