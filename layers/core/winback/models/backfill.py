"""Backfill rows: one line of a JSON Lines or CSV history file, as the Distributed Map hands it over.

The state machine's ItemSelector gives each item `{"row": <the parsed line>, "index": <its 0-based
position in the file>}` and the ItemBatcher's BatchInput says which file the batch came from. A
JSON Lines row is a webhook event object as written (docs/integrations.md); a CSV row has the columns
`user_id,type,occurred_at` and one column per property (`amount`, `item_id`, `consent.email`...,
a `properties.` prefix is optional); empty cells are left out.

Catalog rows (a file under a `catalog/` folder, or a JSON Lines row with `"kind": "item"`) carry
the Segment e-commerce spec's product properties: `product_id` or `sku`, `name`, `category`,
`price`, `currency`, `image_url`, `url`, and our `in_stock` (default true).

A history row's identity is what it says, never where it sits: its `event_id` (a column, or a key of
a JSON Lines row) when the source has one, else a hash of the event it stands for. A file exported
again with one more line on top, or under another name, names the same rows; two rows that say
exactly the same thing without an `event_id` are one row.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FileFormat = Literal["jsonl", "csv"]
EVENT_COLUMNS = ("user_id", "type", "occurred_at")
EVENT_ID = "event_id"


class BatchInput(BaseModel):
    """The ItemBatcher's BatchInput: where the batch's rows come from."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    bucket: str = Field(min_length=3, max_length=63)
    key: str = Field(min_length=1, max_length=1024)
    format: FileFormat
    run_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")


class MapItem(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    row: dict[str, Any]
    index: int = Field(ge=0)


class ChildBatch(BaseModel):
    """The documented input of a Distributed Map child execution with an ItemBatcher."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    items: list[MapItem] = Field(alias="Items", min_length=1)
    batch_input: BatchInput = Field(alias="BatchInput")


def line_number(index: int, file_format: FileFormat) -> int:
    """The 1-based line of the file the item came from (a CSV file's first line is its header)."""
    return index + (2 if file_format == "csv" else 1)


def source_event_id(row: dict[str, Any]) -> str | None:
    """The row's own id when the source gives one (`event_id`), else None."""
    value = row.get(EVENT_ID)
    return str(value) if value not in (None, "") else None


def row_identity(statement: str, event_id: str | None = None) -> str:
    """A row's identity, independent of its file and line: its `event_id`, else a hash of
    `statement` (the event it stands for, as canonical JSON)."""
    basis = f"id\n{event_id}" if event_id is not None else f"event\n{statement}"
    return hashlib.sha256(basis.encode()).hexdigest()[:24]


def batch_identity(positions: list[str]) -> str:
    """A child batch's name (for its progress and errors files): its rows' places, so a retry of
    the batch overwrites its files, whichever order its rows come in."""
    return "bf_" + hashlib.sha256("\n".join(sorted(positions)).encode()).hexdigest()[:24]


def is_item_row(key: str, row: dict[str, Any]) -> bool:
    """A catalog row: any row of a file under a `catalog/` folder, or a JSON Lines row `"kind": "item"`."""
    return "/catalog/" in f"/{key}" or row.get("kind") == "item"


def item_object(row: dict[str, Any]) -> dict[str, Any]:
    """The product properties a catalog row stands for (CSV: empty cells left out)."""
    return {k: v for k, v in row.items() if k is not None and k != "kind" and v not in (None, "")}


def event_object(row: dict[str, Any], file_format: FileFormat) -> dict[str, Any]:
    """The webhook event object a row stands for (its `event_id` is the row's identity, not a field)."""
    if file_format == "jsonl":
        return {k: v for k, v in row.items() if k != EVENT_ID}
    event: dict[str, Any] = {k: row[k] for k in EVENT_COLUMNS if row.get(k) not in (None, "")}
    properties: dict[str, Any] = {}
    for column, value in row.items():
        if column in (*EVENT_COLUMNS, EVENT_ID) or column is None or value in (None, ""):
            continue
        name = column.removeprefix("properties.")
        if name.startswith("consent."):
            properties.setdefault("consent", {})[name.removeprefix("consent.")] = value
        else:
            properties[name] = value
    if properties:
        event["properties"] = properties
    return event
