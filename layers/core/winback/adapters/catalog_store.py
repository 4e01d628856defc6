"""The catalog: MessagingTable `item#<id>` / `catalog`, read in batches (one BatchGetItem per 100 ids)."""

from __future__ import annotations

from collections.abc import Iterable

from winback.adapters.dynamo import batch_get, batch_put
from winback.models.catalog import CatalogItem


class CatalogStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def get_many(self, item_ids: Iterable[str]) -> dict[str, CatalogItem]:
        keys = [{"pk": f"item#{i}", "sk": "catalog"} for i in dict.fromkeys(item_ids)]
        if not keys:
            return {}
        found = batch_get({self.table: keys})[self.table]
        return {row["item_id"]: CatalogItem.model_validate(row) for row in found}

    def put_many(self, items: Iterable[CatalogItem]) -> int:
        """Last write wins; 25 items per BatchWriteItem. The number written."""
        rows = [i.to_item() for i in items]
        if rows:
            batch_put(self.table, rows)
        return len(rows)

    def update(self, items: Iterable[CatalogItem]) -> tuple[int, int]:
        """Write the items that differ from what is stored: (written, already as stored)."""
        wanted = {i.item_id: i for i in items}
        stored = self.get_many(wanted)
        changed = [i for i in wanted.values() if stored.get(i.item_id) != i]
        self.put_many(changed)
        return len(changed), len(wanted) - len(changed)

    def add_missing(self, items: Iterable[CatalogItem]) -> int:
        """Write only the items the catalog does not hold yet (history must not overwrite what a
        catalog file or a live event said since). The number written."""
        wanted = {i.item_id: i for i in items}
        stored = self.get_many(wanted)
        return self.put_many(i for i in wanted.values() if i.item_id not in stored)
