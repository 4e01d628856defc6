"""Backfill rows: the Distributed Map's child input, CSV rows as webhook events, row identities.

The identity's properties are drawn honestly: "changes with what the row says" draws two different
statements (the old test drew a row and added `"extra": "x"`, which is no change at all when the
row already held it; and its identity changed with the line, which was the bug: that it no longer
does is tests/unit/services/ingest/test_backfill_identity.py's property)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from winback.models.backfill import (
    ChildBatch,
    FileFormat,
    batch_identity,
    event_object,
    line_number,
    row_identity,
    source_event_id,
)
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
def test_a_batch_name_depends_on_its_rows_places_not_their_order(positions: list[str], rnd: Any) -> None:
    shuffled = list(positions)
    rnd.shuffle(shuffled)
    assert batch_identity(shuffled) == batch_identity(positions)


# What a row says, as the backfill hashes it (the validated event's JSON): any text will do here.
statements = st.text(max_size=40)


@given(st.data(), statements)
def test_a_row_id_changes_with_what_the_row_says(data: st.DataObject, statement: str) -> None:
    """Drawn honestly: the other statement is a different one (equal statements are the same row)."""
    other = data.draw(statements.filter(lambda s: s != statement), label="other")
    assert row_identity(statement) != row_identity(other)


@given(st.data(), statements, statements)
def test_an_event_id_names_the_row_whatever_it_says(data: st.DataObject, one: str, another: str) -> None:
    event_id = data.draw(st.text(min_size=1, max_size=12), label="event_id")
    other_id = data.draw(st.text(min_size=1, max_size=12).filter(lambda i: i != event_id), label="other_id")
    assert row_identity(one, event_id) == row_identity(another, event_id)
    assert row_identity(one, event_id) != row_identity(one, other_id)
    assert row_identity(one, event_id) != row_identity(one)


def test_the_event_id_is_the_rows_identity_not_a_field_of_its_event() -> None:
    """Guard: event_object leaves `event_id` out, so a row that carries one is still an event the
    webhook's model takes (its extra fields are refused)."""
    row = {"user_id": "u-1", "type": "login", "occurred_at": "2026-05-01T10:00:00Z", "event_id": "e-7"}
    file_formats: tuple[FileFormat, ...] = ("jsonl", "csv")
    for file_format in file_formats:
        assert ActivityEvent.model_validate(event_object(row, file_format)).user_id == "u-1"
    assert source_event_id(row) == "e-7" and source_event_id({**row, "event_id": ""}) is None
