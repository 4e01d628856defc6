"""Benchmark: the S3 backfill, rows per second for one worker and DynamoDB writes per row.

JSON Lines history files (the webhook's event mix: profiles, logins, views, orders; users with
several rows each) go into BackfillBucket on moto in-process, and the local Distributed Map
(tooling/winback_dev/backfill.py) invokes the real backfill handler batch after batch: one worker,
batches cut as template.yaml's ItemBatcher says. Like the scan benchmark, the time is our code +
boto3 + moto, not DynamoDB: it compares versions of our code. A re-run of the same files is
measured too (it must write nothing). moto's TransactWriteItems deep-copies the tables it writes
(for its rollback), so on moto the wall time grows with the table: `rows_per_s_outside_calls`
is our own code's rate (time inside AWS calls taken out).
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from typing import Any

import boto3

from bench import calls
from bench.env import moto_session
from bench.ingest import _event, per_table

ROWS = 4_000
USERS = 800
FILES = 2
DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def _rows(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    known: set[str] = set()
    for i in range(ROWS):
        # users' rows mostly together, as an export sorted by user would have them
        user = f"user-{min(USERS - 1, i * USERS // ROWS + rng.randrange(0, 2)):05d}"
        rows.append(_event(rng, user, user in known, now))
        known.add(user)
    return rows


def _writes(tally: calls.Tally) -> int:
    return sum(n for name, n in tally.calls.items() if name.split(".", 1)[1] in DYNAMODB_WRITES)


def _upload(bucket: str, rows: list[dict[str, Any]]) -> None:
    s3 = boto3.client("s3")
    for part in range(FILES):
        body = "".join(json.dumps(r) + "\n" for r in rows[part::FILES])
        s3.put_object(Bucket=bucket, Key=f"imports/bench/part-{part}.jsonl", Body=body.encode())


def run() -> dict[str, Any]:
    from winback_dev.backfill import play_import

    rng = random.Random(11)
    rows = _rows(rng, datetime.now(UTC))
    with moto_session() as session:
        bucket = session.url("BackfillBucket")
        _upload(bucket, rows)
        started = time.perf_counter()
        with calls.scope() as first:
            counts = play_import(bucket, "imports/bench/", "bench-1")
        wall = time.perf_counter() - started
        with calls.scope() as again:
            rerun = play_import(bucket, "imports/bench/", "bench-2")
    units = _units(rows)
    writes = _writes(first)
    return {
        "note": "moto in-process, one worker: measures our code + boto3 + moto, NOT DynamoDB",
        "rows": counts["rows"],
        "applied": counts["applied"],
        "batches": counts["batches"],
        "users_per_batch": counts["users"] / counts["batches"],
        "wall_s": wall,
        "rows_per_s": counts["rows"] / wall,
        "in_aws_calls_s": first.seconds,
        "rows_per_s_outside_calls": counts["rows"] / (wall - first.seconds) if wall > first.seconds else None,
        "dynamodb_writes": writes,
        # a TransactWriteItems call writes the profile and its batch marker (2 item writes)
        "writes_per_row": writes / counts["rows"],
        "calls_per_row": first.total / counts["rows"],
        "calls": dict(sorted(first.calls.items())),
        "rerun_duplicates": rerun["duplicates"],
        "rerun_dynamodb_writes": _writes(again),
        **units,
    }


def _units(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The capacity units of the same import and its re-run, metered on a stack of their own (metering
    reads every item before it is written: kept out of the timed run)."""
    from winback_dev.backfill import play_import

    with moto_session() as session:
        bucket = session.url("BackfillBucket")
        _upload(bucket, rows)
        with calls.scope(calls.Tally(metered=True)) as first:
            counts = play_import(bucket, "imports/bench/", "bench-1")
        with calls.scope(calls.Tally(metered=True)) as again:
            play_import(bucket, "imports/bench/", "bench-2")
    n = counts["rows"]
    return {
        "wru_per_row": first.units.write / n,
        "rru_per_row": first.units.read / n,
        "wru_by_table_per_row": per_table(first.units.write_by_table, n, session),
        "rerun_wru_per_row": again.units.write / n,
        "rerun_rru_per_row": again.units.read / n,
    }
