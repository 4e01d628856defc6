"""Benchmark 3: items scanned per second by one scan worker (one parallel-scan segment).

moto runs IN-PROCESS here, so the time is our code + boto3 + moto's DynamoDB emulation on this
machine, not DynamoDB's: it compares versions of our code, it does not predict AWS throughput.
The table holds a daily run's mix (see population.steady); the scan service is timed alone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bench import calls, population
from bench.env import moto_session

# moto serializes Scan pages at roughly 3 ms per item in-process, so 2.5k and 10k items (4x apart)
# keep the whole harness under 4 minutes; items/s does not depend on the size here anyway.
SIZES = (2_500, 10_000)
DISCLAIMER = "moto in-process: measures our code + boto3 + moto, NOT DynamoDB"


def _scan_once(table_items: int) -> dict[str, Any]:
    from winback.domain.audience.scan_plan import segment_count
    from winback.models.jobs import ScanJob
    from winback.runtime.deps import deps
    from winback.services.scan.job import scan_segment

    now = datetime.now(UTC)
    with moto_session() as session:
        population.write(session.url("ActivityTable"), population.steady(0, table_items, now))
        d = deps()
        segments = segment_count(table_items, d.program.scan)
        job = ScanJob(run_id="bench", as_of=now, segment=0, total_segments=segments)
        segmenter = d.scan_segmenter()  # no stats step has run: scored without cut points
        started = time.perf_counter()
        with calls.scope() as tally:
            result = scan_segment(job, d, segmenter, lambda: 900_000)
        wall = time.perf_counter() - started
    scanned = result.tally["scanned"]
    ours = wall - tally.seconds
    return {
        "table_items": table_items,
        "total_segments": segments,
        "scanned": scanned,
        "targeted": result.tally["targeted"],
        "pages": result.tally["pages"],
        "wall_s": wall,
        "items_per_s": scanned / wall,
        "in_aws_calls_s": tally.seconds,
        "outside_calls_s": ours,
        "items_per_s_outside_calls": scanned / ours if ours > 0 else None,
        "calls": dict(sorted(tally.calls.items())),
    }


def run() -> dict[str, Any]:
    return {"note": DISCLAIMER, "runs": [_scan_once(n) for n in SIZES]}
