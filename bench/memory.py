"""Benchmark 5: peak memory of one scan worker versus table size (tracemalloc).

The design promises memory bounded by a page, never by table size. Run as a child process
(``python -m bench.memory``, JSON on stdout) against a moto server in ANOTHER process: moto
in-process keeps its own per-item caches (about 3 KB per item it has scanned), which would grow
with the table and hide what our code holds. What is traced here is the scan worker alone: our
code, boto3/botocore and the HTTP client, as in a Lambda container.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from bench import population
from bench.env import OUT_DIR, apply_base_env, provision_session, quiet_lambda_logs
from bench.moto_server import REPO_ROOT, moto_server_process

SIZES = (1_000, 4_000, 16_000)


def _warm_up(now: datetime) -> None:
    """Load every botocore model and code path the scan uses, so the first size pays no one-off cost."""
    from winback.adapters.queues import send_all
    from winback.models.jobs import Recipient, SendJob
    from winback.models.profile import Journeys
    from winback.runtime.deps import deps

    d = deps()
    d.activity.scan_page(0, 1, None, 1)
    d.activity.mark_tier("warm-up-nobody", "lost", now, 99, None, Journeys())  # fails its condition: nothing written
    d.messaging.add_cell("bench-warm-up", None, "a", "all", {"warm_up": 1})
    recipient = Recipient(user_id="n", episode="e", arm="a", segment="all")
    job = SendJob(run_id="warm-up", campaign_id="x", step=0, tier="lost", recipients=[recipient])
    send_all(d.settings.send_queue_url, [job.model_dump_json()])


def _measure(now: datetime, total: int) -> dict[str, Any]:
    from winback.domain.audience.scan_plan import segment_count
    from winback.models.jobs import ScanJob
    from winback.runtime.deps import deps
    from winback.services.scan.job import scan_segment

    d = deps()
    program = d.program
    job = ScanJob(run_id=f"mem-{total}", as_of=now, segment=0, total_segments=segment_count(total, program.scan))
    segmenter = d.scan_segmenter()  # no stats step has run: scored without cut points
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    result = scan_segment(job, d, segmenter, lambda: 900_000)
    wall = time.perf_counter() - started
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "table_items": total,
        "total_segments": job.total_segments,
        "scanned": result.tally["scanned"],
        "targeted": result.tally["targeted"],
        "pages": result.tally["pages"],
        "page_size": program.scan.page_size,
        "peak_bytes": peak,
        "retained_bytes": current,
        "wall_s_traced": wall,
    }


def run_child() -> dict[str, Any]:
    apply_base_env()
    now = datetime.now(UTC)
    with moto_server_process() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        session = provision_session()
        quiet_lambda_logs(OUT_DIR / "lambda-memory.log")
        _warm_up(now)
        table = session.url("ActivityTable")
        runs = []
        written = 0
        for size in SIZES:
            written += population.write(table, population.steady(written, size - written, now))
            runs.append(_measure(now, written))
    peaks = [r["peak_bytes"] for r in runs]
    return {
        "note": "tracemalloc in the scan worker's process; moto server in another process",
        "runs": runs,
        "peak_ratio_largest_to_smallest": peaks[-1] / peaks[0],
        "table_ratio_largest_to_smallest": SIZES[-1] / SIZES[0],
    }


def start() -> subprocess.Popen[str]:
    """Start the benchmark in a child process (it only measures memory, so it may overlap others)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.memory"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def collect(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"memory benchmark failed:\n{err[-4000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    print(json.dumps(run_child()))
