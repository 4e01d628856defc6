"""Counting AWS API calls: a wrapper around botocore's ``BaseClient._make_api_call``.

Every operation a boto3 client performs (including Powertools' own clients) goes through that
method once, whatever the retries underneath, so the count is the number of API requests the code
asks for. Counting only happens inside a ``scope``, so the harness's own calls (seeding tables,
polling queues as Lambda's event-source mapping would) are left out. DynamoDB calls also add the
capacity units they consume (bench/capacity.py) to ``Tally.units``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bench.capacity import READS, WRITES, Meter, Units

_ApiCall = Callable[[Any, str, dict[str, Any]], dict[str, Any]]


@dataclass(eq=False)
class Tally:
    """Calls by ``service.Operation`` and the wall time spent inside them (botocore + moto)."""

    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    # DynamoDB capacity units, counted only for a metered tally: metering reads each item before it
    # is written (outside the count, but not outside the wall time), so timed runs stay unmetered.
    metered: bool = False
    units: Units = field(default_factory=Units)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def add(self, other: Tally) -> None:
        self.calls.update(other.calls)
        self.seconds += other.seconds
        self.units.add(other.units)


_active: list[Tally] = []
_original: _ApiCall | None = None
_key_names: dict[str, tuple[str, ...]] = {}


def _metering() -> bool:
    return any(tally.metered for tally in _active)


def _meter(original: _ApiCall, client: Any) -> Meter:
    """A capacity meter that reads what it needs with `client`, outside the count."""

    def peek(table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        reply = original(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        item: dict[str, Any] | None = reply.get("Item")
        return item

    def key_names(table: str) -> tuple[str, ...]:
        if table not in _key_names:
            schema = original(client, "DescribeTable", {"TableName": table})["Table"]["KeySchema"]
            _key_names[table] = tuple(k["AttributeName"] for k in schema)
        return _key_names[table]

    return Meter(peek, key_names)


def _measured(original: _ApiCall, client: Any, operation: str, params: dict[str, Any]) -> tuple[dict[str, Any], Units]:
    """Run a DynamoDB call and the units it consumed (a write whose condition fails consumes too)."""
    units = Units()
    if operation not in READS | WRITES:
        return original(client, operation, params), units
    meter = _meter(original, client)
    planned = meter.before_write(operation, params) if operation in WRITES else []
    try:
        reply = original(client, operation, params)
    except ClientError:
        meter.after_write(units, planned, {})
        for tally in _active:
            if tally.metered:
                tally.units.add(units)
        raise
    meter.after_write(units, planned, params)
    if operation in READS:
        meter.reads(units, operation, params, reply)
    return reply, units


def install() -> None:
    """Patch botocore once per process (idempotent)."""
    global _original
    if _original is not None:
        return
    original: _ApiCall = BaseClient._make_api_call  # type: ignore[attr-defined]
    _original = original

    def counting(client: Any, operation_name: str, api_params: dict[str, Any]) -> dict[str, Any]:
        if not _active:
            return original(client, operation_name, api_params)
        started = time.perf_counter()
        try:
            if _metering() and client.meta.service_model.service_name == "dynamodb":
                reply, units = _measured(original, client, operation_name, api_params)
                for tally in _active:
                    if tally.metered:
                        tally.units.add(units)
                return reply
            return original(client, operation_name, api_params)
        finally:
            elapsed = time.perf_counter() - started
            name = f"{client.meta.service_model.service_name}.{operation_name}"
            for tally in _active:
                tally.calls[name] += 1
                tally.seconds += elapsed

    setattr(BaseClient, "_make_api_call", counting)  # noqa: B010 - a private method, on purpose


@contextmanager
def scope(tally: Tally | None = None) -> Iterator[Tally]:
    """Count the calls made inside the block into ``tally`` (scopes nest; each sees its calls)."""
    install()
    current = tally if tally is not None else Tally()
    _active.append(current)
    try:
        yield current
    finally:
        _active.remove(current)
