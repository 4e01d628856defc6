"""Backfill rows: the Distributed Map's child input, CSV rows as webhook events, row identities."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from winback.models.backfill import ChildBatch, batch_identity, event_object, line_number, row_identity
from winback.models.events import ActivityEvent

# The documented shape of a Distributed Map child execution's input when an ItemBatcher is set
# (Step Functions developer guide, "ItemBatcher": BatchInput beside the Items array).
DOCUMENTED_CHILD_INPUT: dict[str, Any] = {
    "BatchInput": {"bucket": "amzn-s3-demo-bucket", "key": "imports/h.csv", "format": "csv", "run_id": "run-1"},
    "Items": [
        {"row": {"user_id": "u-1", "type": "login", "occurred_at": "2026-05-01T10:00:00Z"}, "index": 0},
        {"row": {"user_id": "u-2", "type": "login", "occurred_at": "2026-05-01T10:00:00Z"}, "index": 1},
    ],
}


def test_the_documented_child_input_parses() -> None:
    batch = ChildBatch.model_validate(DOCUMENTED_CHILD_INPUT)
    assert [i.index for i in batch.items] == [0, 1] and batch.batch_input.format == "csv"


def test_a_child_input_without_batch_input_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="BatchInput"):
        ChildBatch.model_validate({"Items": DOCUMENTED_CHILD_INPUT["Items"]})


def test_a_csv_row_becomes_the_webhook_event_it_stands_for() -> None:
    """Guard: CSV cells are strings; the webhook's model takes them (amount, consent booleans), empty
    cells are left out and `properties.` is an optional prefix."""
    row = {
        "user_id": "u-1",
        "type": "order",
        "occurred_at": "2026-05-01T10:00:00+08:00",
        "properties.amount": "19.90",
        "currency": "CNY",
        "item_id": "",
        "consent.email": "true",
        "consent.sms": "false",
    }
    event = ActivityEvent.model_validate(event_object(row, "csv"))
    assert str(event.properties.amount) == "19.90" and event.properties.item_id is None
    assert event.properties.consent is not None
    assert (event.properties.consent.email, event.properties.consent.sms) == (True, False)


def test_line_numbers_count_the_csv_header() -> None:
    assert (line_number(0, "jsonl"), line_number(0, "csv")) == (1, 2)


@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=20, unique=True), st.randoms())
def test_a_batch_id_depends_on_its_rows_not_their_order(row_ids: list[str], rnd: Any) -> None:
    shuffled = list(row_ids)
    rnd.shuffle(shuffled)
    assert batch_identity(shuffled) == batch_identity(row_ids)


@given(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=4), st.integers(1, 10**6))
def test_a_row_id_changes_with_file_line_or_content(row: dict[str, str], line: int) -> None:
    base = row_identity("a.jsonl", line, row)
    assert base == row_identity("a.jsonl", line, dict(row))
    assert base != row_identity("b.jsonl", line, row)
    assert base != row_identity("a.jsonl", line + 1, row)
    assert base != row_identity("a.jsonl", line, {**row, "extra": "x"})
