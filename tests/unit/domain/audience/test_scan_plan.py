"""domain/audience/scan_plan.py: parallel-scan segment count, bounded by the program's limits."""

from __future__ import annotations

import pytest

from winback.config.scan import ScanLimits
from winback.domain.audience.scan_plan import segment_count

LIMITS = ScanLimits(items_per_segment=1000, min_segments=2, max_segments=8)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (-5, 2),
        (0, 2),
        (1, 2),
        (2000, 2),
        (2001, 3),
        (5000, 5),
        (7999, 8),
        (8000, 8),
        (8001, 8),
        (10_000_000, 8),
    ],
)
def test_segment_count_is_ceil_of_items_per_segment_clamped_to_bounds(items: int, expected: int) -> None:
    assert segment_count(items, LIMITS) == expected


def test_default_limits_give_one_segment_for_empty_table() -> None:
    assert segment_count(0, ScanLimits()) == 1


def test_min_equals_max_pins_the_count() -> None:
    limits = ScanLimits(items_per_segment=10, min_segments=4, max_segments=4)
    assert {segment_count(n, limits) for n in (0, 39, 41, 10_000)} == {4}
