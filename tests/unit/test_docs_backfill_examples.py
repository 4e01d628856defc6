"""The docs' history and catalog file examples (```jsonl and ```csv blocks) are accepted by the
backfill as written."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from winback.models.backfill import event_object, item_object
from winback.models.catalog import Product
from winback.models.events import ActivityEvent

DOCS = sorted((Path(__file__).parents[2] / "docs").rglob("*.md"))
_BLOCK = re.compile(r"```(jsonl|csv)\n(.*?)```", re.S)


def test_every_history_file_example_is_accepted() -> None:
    """Guard: a docs history or catalog example the backfill would reject (a column it does not
    map, a line that is not an event or a product) fails here."""
    blocks = [block for page in DOCS for block in _BLOCK.findall(page.read_text(encoding="utf-8"))]
    assert {kind for kind, _ in blocks} == {"jsonl", "csv"}
    for kind, text in blocks:
        if kind == "jsonl":
            rows = [json.loads(line) for line in text.splitlines()]
        else:
            rows = list(csv.DictReader(io.StringIO(text)))
        for row in rows:
            if "user_id" in row:
                ActivityEvent.model_validate(event_object(row, kind))
            else:  # a catalog row
                Product.model_validate(item_object(row))
