"""bench/capacity.py: DynamoDB's billing rules for item sizes and capacity units, on hand-made items."""

from __future__ import annotations

from typing import Any

import pytest

from bench.capacity import Meter, Units, item_size, read_units, value_size, write_units


def test_sizes_follow_the_developer_guide() -> None:
    """Strings by their UTF-8 bytes, numbers by a byte per two significant digits plus one, booleans
    and nulls one byte, lists and maps three bytes plus a byte per element, sets their elements."""
    assert value_size({"S": "héllo"}) == 6
    assert value_size({"N": "12345"}) == 4
    assert value_size({"N": "-0.00100"}) == 2
    assert value_size({"BOOL": True}) == value_size({"NULL": True}) == 1
    assert value_size({"L": [{"S": "ab"}, {"N": "7"}]}) == 3 + (2 + 1) + (2 + 1)
    assert value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1
    assert value_size({"SS": ["a", "bc"]}) == 3
    assert item_size({"pk": {"S": "user#1"}, "n": {"N": "1"}}) == (2 + 6) + (1 + 2)


@pytest.mark.parametrize(
    ("before", "after", "units"), [(0, 1, 1), (0, 1024, 1), (0, 1025, 2), (3000, 10, 3), (0, 0, 1)]
)
def test_a_write_costs_a_unit_per_kb_of_the_larger_item(before: int, after: int, units: int) -> None:
    assert write_units(before, after) == units


def test_a_read_costs_a_unit_per_4_kb_half_when_eventually_consistent() -> None:
    assert read_units(0, True) == 1.0  # an item that is not there costs the minimum
    assert read_units(4097, True) == 2.0
    assert read_units(4097, False) == 1.0


def _meter(stored: dict[tuple[str, str], dict[str, Any]]) -> Meter:
    return Meter(lambda table, key: stored.get((table, key["pk"]["S"])), lambda table: ("pk",))


def test_a_transaction_costs_twice_each_of_its_items() -> None:
    big = {"pk": {"S": "a"}, "doc": {"S": "x" * 1500}}
    meter = _meter({("T", "a"): big})
    params = {
        "TransactItems": [
            {"Put": {"TableName": "T", "Item": {"pk": {"S": "a"}, "doc": {"S": "y"}}}},
            {"Put": {"TableName": "M", "Item": {"pk": {"S": "m"}}}},
            {"ConditionCheck": {"TableName": "M", "Key": {"pk": {"S": "n"}}, "ConditionExpression": "x"}},
        ]
    }
    units = Units()
    meter.after_write(units, meter.before_write("TransactWriteItems", params), params)
    # the profile was 1.5 KB before (2 units), the marker and the check 1 unit each; all x2
    assert units.write == 2 * (2 + 1 + 1)
    assert units.write_by_table == {"T": 4.0, "M": 4.0}


def test_a_batch_get_costs_each_key_found_or_not() -> None:
    meter = _meter({})
    params = {"RequestItems": {"T": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}], "ConsistentRead": True}}}
    reply = {"Responses": {"T": [{"pk": {"S": "a"}, "doc": {"S": "x" * 5000}}]}}
    units = Units()
    meter.reads(units, "BatchGetItem", params, reply)
    assert units.read == 2 + 1
