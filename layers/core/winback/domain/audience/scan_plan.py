"""How many parallel-scan segments a table of a given size needs (pure)."""

from __future__ import annotations

import math

from winback.config.scan import ScanLimits


def segment_count(item_count: int, limits: ScanLimits) -> int:
    wanted = math.ceil(max(item_count, 0) / limits.items_per_segment)
    return max(limits.min_segments, min(limits.max_segments, wanted))
