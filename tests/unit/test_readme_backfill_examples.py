"""The README's history-file examples (```jsonl and ```csv blocks) are accepted by the backfill as written."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from winback.models.backfill import event_object
from winback.models.events import ActivityEvent

README = Path(__file__).parents[2] / "README.md"
_BLOCK = re.compile(r"```(jsonl|csv)\n(.*?)```", re.S)


def test_every_history_file_example_is_accepted() -> None:
    """Guard: a README history example the backfill would reject (a column it does not map, a line
    that is not an event) fails here."""
    blocks = _BLOCK.findall(README.read_text(encoding="utf-8"))
    assert {kind for kind, _ in blocks} == {"jsonl", "csv"}
    for kind, text in blocks:
        rows = (
            [json.loads(line) for line in text.splitlines()] if kind == "jsonl" else csv.DictReader(io.StringIO(text))
        )
        for row in rows:
            ActivityEvent.model_validate(event_object(row, "jsonl" if kind == "jsonl" else "csv"))
