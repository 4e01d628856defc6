"""Run every benchmark, print the table, write bench/results.json (bench/results.py) beside it.

Order matters for honest timings: the memory benchmark (timing-insensitive, a child process with
its own moto server) overlaps only the call-count benchmarks (also timing-insensitive); the timed
ones (scan throughput, cold start, the model fit) run afterwards on an otherwise idle machine.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from importlib.metadata import version
from typing import Any

from bench import backfill, calls, cold_start, ingest, memory, pipeline, prediction, report, results, throughput
from bench.env import OUT_DIR, apply_base_env, quiet_lambda_logs
from bench.moto_server import REPO_ROOT


def _step(name: str, fn: Callable[[], dict[str, Any]], log: Any) -> dict[str, Any]:
    started = time.perf_counter()
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    with redirect_stdout(log):
        result = fn()
    print(f"[bench] {name} done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return result


def main() -> int:
    started = time.perf_counter()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for stale in ("lambda.log", "lambda-memory.log"):
        (OUT_DIR / stale).unlink(missing_ok=True)
    apply_base_env()
    calls.install()
    quiet_lambda_logs(OUT_DIR / "lambda.log")
    found: dict[str, Any] = {}
    print("[bench] memory (child process, overlaps the call counts) ...", file=sys.stderr, flush=True)
    mem_proc = memory.start()
    with (OUT_DIR / "lambda.log").open("a", encoding="utf-8") as log:
        found["ingest"] = _step("ingest call counts", ingest.run, log)
        found["pipeline"] = _step("plan/scan/send call counts", pipeline.run, log)
        found["backfill"] = _step("backfill rows and writes", backfill.run, log)
        found["memory"] = _step("waiting for memory", lambda: memory.collect(mem_proc), log)
        found["scan_throughput"] = _step("scan throughput", throughput.run, log)
        found["cold_start"] = _step("cold start", cold_start.run, log)
        found["prediction"] = _step("BG/NBD fit and scoring", prediction.run, log)
    found["meta"] = {
        "python": platform.python_version(),
        "moto": version("moto"),
        "cpus": os.cpu_count(),
        "run_s": time.perf_counter() - started,
        "results_path": str(results.RESULTS_PATH.relative_to(REPO_ROOT)),
    }
    results.write(found)
    print(report.render(found))
    return 0
