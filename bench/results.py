"""bench/results.json: the headline figures of a run, machine-readable, beside the printed table.

The top-level keys are the product metrics (numbers, or objects of numbers keyed by table size or by
handler); ``definitions`` says what each one counts, ``meta`` where it ran, and ``details`` holds
every benchmark's full result (what the table is printed from).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"

DEFINITIONS = {
    "calls_per_email": "send stage: every AWS API call the send handler makes (reads, ledger, suppression,"
    " caps, secrets, provider) per message sent; the population is reachable by email or SMS",
    "calls_per_event": "ingest: every AWS API call per webhook event, the cold first request included",
    "backfill_rows_per_s": "S3 backfill: history rows one worker applies per second (local Distributed Map,"
    " real backfill handler, moto in-process: compares versions of our code, does not predict DynamoDB)",
    "backfill_writes_per_row": "S3 backfill: DynamoDB write calls (a TransactWriteItems writes a profile and"
    " its batch marker) per history row",
    "wru_per_event": "ingest: DynamoDB write capacity units per webhook event (bench/capacity.py: item sizes"
    " rounded up to 1 KB per write, transactions x2, the larger of the item before and after)",
    "rru_per_event": "ingest: DynamoDB read capacity units per webhook event (4 KB per strongly consistent"
    " read, found or not; transactions x2)",
    "wru_per_email": "send stage: DynamoDB write capacity units per message sent (claims, outcomes, counters,"
    " next steps, as wru_per_event counts them)",
    "scan_calls_per_user": "scan stage: AWS API calls per targeted user (scan pages, writes, send jobs)",
    "scan_items_per_s": "items one scan worker reads per second, on the largest table of the throughput"
    " benchmark (moto in-process: compares versions of our code, does not predict DynamoDB)",
    "scan_peak_mb": "peak traced memory (MiB) of one scan worker, by table size (items)",
    "import_s": "seconds for a fresh process to import the handler (interpreter included), tracing disabled;"
    " minimum of interleaved rounds",
    "import_ratio": "import_s over a bare `import boto3` process in the same run",
    "import_boto3_s": "seconds for a fresh process to run `import boto3`, the same rounds",
    "import_s_traced": "import_s with tracing on, as deployed (Tracing: Active)",
    "import_ratio_traced": "import_s_traced over a bare `import boto3` process in the same environment",
    "bgnbd_fit_s": "seconds for the stats step's BG/NBD fit (optimizer, standard errors, fit histogram) on the"
    " CDNOW cohort of 2,357 customers; best of the rounds",
    "score_us_per_user": "microseconds to score one user in pure Python as the scan does (P(alive), expected"
    " purchases in 30 days, 12-month value), over the CDNOW cohort; best of the rounds",
}


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """The headline figures from `python -m bench`'s results (see bench.main)."""
    pipeline = results["pipeline"]
    largest_scan = max(results["scan_throughput"]["runs"], key=lambda run: run["table_items"])
    cold = results["cold_start"]
    handlers: dict[str, dict[str, Any]] = cold["handlers"]
    return {
        "calls_per_email": pipeline["send_calls_per_message"],
        "calls_per_event": results["ingest"]["calls_per_event"],
        "wru_per_event": results["ingest"]["wru_per_event"],
        "rru_per_event": results["ingest"]["rru_per_event"],
        "wru_per_email": pipeline["send_wru_per_message"],
        "scan_calls_per_user": pipeline["scan_calls_per_targeted_user"],
        "backfill_rows_per_s": results["backfill"]["rows_per_s"],
        "backfill_writes_per_row": results["backfill"]["writes_per_row"],
        "scan_items_per_s": largest_scan["items_per_s"],
        "scan_peak_mb": {str(run["table_items"]): run["peak_bytes"] / 2**20 for run in results["memory"]["runs"]},
        "import_s": {name: h["import_s"] for name, h in handlers.items()},
        "import_ratio": {name: h["import_ratio"] for name, h in handlers.items()},
        "import_boto3_s": cold["boto3"]["untraced"]["import_s"],
        "import_s_traced": {name: h["traced"]["import_s"] for name, h in handlers.items()},
        "import_ratio_traced": {name: h["traced"]["import_ratio"] for name, h in handlers.items()},
        "bgnbd_fit_s": results["prediction"]["bgnbd_fit_s"],
        "score_us_per_user": results["prediction"]["score_us_per_user"],
        "definitions": DEFINITIONS,
        "meta": results["meta"],
        "details": {k: v for k, v in results.items() if k != "meta"},
    }


def write(results: dict[str, Any], path: Path = RESULTS_PATH) -> Path:
    path.write_text(json.dumps(summarize(results), indent=2) + "\n", encoding="utf-8")
    return path
