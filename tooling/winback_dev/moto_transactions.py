"""moto's TransactWriteItems without its copy of every table it touches, for the demo.

moto 5.2.5 deep-copies each table a transaction names before applying it, to roll back on a
cancellation: a transaction costs time and memory in proportion to the table, not to its items. The
sender writes each chunk of outcomes with its counters in one transaction on MessagingTable, so the
demo (a thousand users over 21 days) grew to many GB and tens of minutes. Installed, a transaction
keeps only the items it names and puts them back when it is cancelled: all or nothing, as before.

Only the demo installs it (a show, not a proof): the tests run moto as it is.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

_INSTALLED = "_winback_item_rollback"


def install() -> None:
    """Patch moto's DynamoDB backend in this process (once)."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, _INSTALLED, False):
        return

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        # The transaction's table backup is the only table moto's module copies; an update's
        # copy of its item stays a real copy.
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[attr-defined,assignment]
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = _named_items(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _put_back(self, before)
            raise

    setattr(transact_write_items, _INSTALLED, True)
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _named_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], Any]]:
    """Each named item as it is now (its attributes, or None when absent)."""
    from moto.dynamodb.exceptions import MockValidationException

    found = []
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        key = op.get("Key") if op_type != "Put" else _key_of(table, op.get("Item", {}))
        try:
            item = backend.get_item(op["TableName"], key)
        except MockValidationException:  # an invalid key: moto refuses the transaction before writing anything
            continue
        found.append((op["TableName"], key, None if item is None else item.to_json()["Attributes"]))
    return found


def _key_of(table: Any, attrs: dict[str, Any]) -> dict[str, Any]:
    names = [n for n in (table.hash_key_attr, table.range_key_attr) if n is not None]
    return {n: attrs[n] for n in names if n in attrs}


def _put_back(backend: Any, before: list[tuple[str, dict[str, Any], Any]]) -> None:
    for table_name, key, attrs in before:
        if attrs is None:
            if backend.get_item(table_name, key) is not None:
                backend.delete_item(table_name, key)
        else:
            backend.tables[table_name].put_item(attrs)
