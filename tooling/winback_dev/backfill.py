"""The bulk backfill, played locally: what template.yaml's BackfillStateMachine does on AWS.

moto's Step Functions cannot run a Distributed Map, so this lists the objects under the prefix
(the outer map's ItemReader), picks each file's reader by the definition's Choice rules, reads its
lines (the inner map's ItemReader: JSON Lines, or CSV with a header row), shapes every line as the
ItemSelector does (`{"row", "index"}`), cuts batches exactly as the ItemBatcher says
(MaxItemsPerBatch, MaxInputBytesPerBatch, read from template.yaml) and invokes the real
`backfill` handler with the child-execution input `{"Items": [...], "BatchInput": {...}}`. A batch
whose invocation fails is recorded under `failed/<run>/` as the row map's Catch records it, and a
file whose failed batches pass the row map's ToleratedFailurePercentage fails the import, as the
map run fails on AWS.

Against a deployed stack, `start_execution` starts the state machine and `wait_for` polls it;
either way the counts come from the batches' progress files in BackfillBucket, and the failed
batches from `failed/<run>/`.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boto3

from winback_dev.handlers import handler
from winback_dev.lambda_events import FakeContext
from winback_dev.template import TEMPLATE_PATH

STATE_MACHINE = "BackfillStateMachine"
COUNTS = ("rows", "applied", "duplicates", "rejected", "users")
FAILED = ("batches_failed", "rows_failed")
FAILED_PREFIX = "failed"


class ImportFailed(RuntimeError):
    """A file the map cannot read (AWS fails the map run the same way)."""


@dataclass(frozen=True)
class RowReader:
    """One inner map: the file pattern that routes to it and its ItemBatcher settings."""

    pattern: str
    input_type: str  # ReaderConfig.InputType: JSONL or CSV
    file_format: str  # BatchInput.format
    max_items: int
    max_bytes: int
    tolerated_failure_percent: float  # ToleratedFailurePercentage: more failed batches fail the file


@cache
def definition(template_path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    sam = yaml_parse(template_path.read_text(encoding="utf-8"))
    found: dict[str, Any] = sam["Resources"][STATE_MACHINE]["Properties"]["Definition"]
    return found


def row_readers(template_path: Path = TEMPLATE_PATH) -> list[RowReader]:
    """The file routes of the per-file child workflow, in the Choice state's order."""
    files = definition(template_path)["States"]["Files"]
    states = files["ItemProcessor"]["States"]
    choice = states[files["ItemProcessor"]["StartAt"]]
    readers = []
    for rule in choice["Choices"]:
        rows = states[rule["Next"]]
        batcher = rows["ItemBatcher"]
        readers.append(
            RowReader(
                pattern=rule["StringMatches"],
                input_type=rows["ItemReader"]["ReaderConfig"]["InputType"],
                file_format=batcher["BatchInput"]["format"],
                max_items=int(batcher["MaxItemsPerBatch"]),
                max_bytes=int(batcher["MaxInputBytesPerBatch"]),
                tolerated_failure_percent=float(rows.get("ToleratedFailurePercentage", 0)),
            )
        )
    return readers


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/prefix/` as (bucket, prefix); the prefix may be empty."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket:
        raise ValueError(f"expected s3://bucket/prefix/, got {uri!r}")
    if not bucket:
        raise ValueError(f"expected s3://bucket/prefix/, got {uri!r}")
    return bucket, prefix


def _keys(bucket: str, prefix: str) -> Iterator[str]:
    for page in boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield obj["Key"]


def _rows(text: str, key: str, input_type: str) -> Iterator[dict[str, Any]]:
    if input_type == "CSV":
        yield from csv.DictReader(io.StringIO(text))
        return
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFailed(f"{key}:{number}: not a JSON object ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise ImportFailed(f"{key}:{number}: not a JSON object")
        yield row


def batches(bucket: str, key: str, reader: RowReader, run_id: str) -> Iterator[dict[str, Any]]:
    """The child-execution inputs of one file, cut as the ItemBatcher cuts them."""
    text = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    batch_input = {"bucket": bucket, "key": key, "run_id": run_id, "format": reader.file_format}
    base_size = len(json.dumps({"Items": [], "BatchInput": batch_input}))
    items: list[dict[str, Any]] = []
    size = base_size
    for index, row in enumerate(_rows(text, key, reader.input_type)):
        item = {"row": row, "index": index}
        item_size = len(json.dumps(item)) + 1
        if items and (len(items) >= reader.max_items or size + item_size > reader.max_bytes):
            yield {"Items": items, "BatchInput": batch_input}
            items, size = [], base_size
        items.append(item)
        size += item_size
    if items:
        yield {"Items": items, "BatchInput": batch_input}


Invoke = Callable[[dict[str, Any]], dict[str, Any]]


def _invoke_handler(child_input: dict[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = handler("backfill")(child_input, FakeContext(function_name="backfill"))
    return reply


def play_import(bucket: str, prefix: str, run_id: str, invoke: Invoke | None = None) -> dict[str, int]:
    """Run the map locally over every file under the prefix; the summed counts of its batches.

    Raises ImportFailed for a file the map cannot read, or whose failed batches pass its tolerance.
    """
    readers = row_readers()
    totals: Counter[str] = Counter()
    for key in _keys(bucket, prefix):
        reader = next((r for r in readers if fnmatch.fnmatchcase(key, r.pattern)), None)
        if reader is None:
            totals["files_skipped"] += 1
            continue
        totals["files"] += 1
        totals.update(_play_file(bucket, key, reader, run_id, invoke or _invoke_handler))
    return {k: totals[k] for k in ("files", "files_skipped", "batches", *COUNTS, *FAILED)}


def _play_file(bucket: str, key: str, reader: RowReader, run_id: str, invoke: Invoke) -> Counter[str]:
    """One file's row map: each batch invoked once; a failure recorded and counted, not raised.
    `batches` counts the batches applied, as the progress files do; `batches_failed` the others."""
    counts: Counter[str] = Counter()
    for child_input in batches(bucket, key, reader, run_id):
        try:
            result = invoke(child_input)
        except Exception as exc:  # the row map's Catch: States.ALL
            record_failed_batch(bucket, child_input, {"Error": type(exc).__name__, "Cause": str(exc)})
            counts.update(batches_failed=1, rows_failed=len(child_input["Items"]))
            continue
        counts["batches"] += 1
        counts.update({k: int(result[k]) for k in COUNTS})
    failed, total = counts["batches_failed"], counts["batches"] + counts["batches_failed"]
    if failed * 100 > reader.tolerated_failure_percent * total:
        raise ImportFailed(
            f"{key}: {failed} of {total} batches failed, more than the {reader.tolerated_failure_percent:g}% "
            f"the map tolerates (see {FAILED_PREFIX}/{run_id}/)"
        )
    return counts


def record_failed_batch(bucket: str, child_input: dict[str, Any], error: dict[str, str]) -> str:
    """What the row map's Describe/Record states write for a batch that failed after its retries:
    where its rows are (file, first index, count) and why; the rows stay in the file."""
    where = child_input["BatchInput"]
    first_index = child_input["Items"][0]["index"]
    record = {
        "run_id": where["run_id"],
        "key": where["key"],
        "first_index": first_index,
        "rows": len(child_input["Items"]),
        "error": error,
    }
    key = f"{FAILED_PREFIX}/{where['run_id']}/{where['key']}@{first_index}.json"
    boto3.client("s3").put_object(
        Bucket=bucket, Key=key, Body=json.dumps(record).encode(), ContentType="application/json"
    )
    return key


def progress(backfill_bucket: str, run_id: str) -> dict[str, int]:
    """The counts of a run, summed from its batches' progress files, and its failed batches from
    `failed/<run>/` (how a deployed run is read)."""
    s3 = boto3.client("s3")
    totals: Counter[str] = Counter()
    for key in _keys(backfill_bucket, f"progress/{run_id}/"):
        found = json.loads(s3.get_object(Bucket=backfill_bucket, Key=key)["Body"].read())
        totals["batches"] += 1
        totals.update({k: int(found[k]) for k in COUNTS})
    for key in _keys(backfill_bucket, f"{FAILED_PREFIX}/{run_id}/"):
        failed = json.loads(s3.get_object(Bucket=backfill_bucket, Key=key)["Body"].read())
        totals.update(batches_failed=1, rows_failed=int(failed["rows"]))
    return {k: totals[k] for k in ("batches", *COUNTS, *FAILED)}


def start_execution(state_machine_arn: str, bucket: str, prefix: str, run_id: str) -> str:
    reply = boto3.client("stepfunctions").start_execution(
        stateMachineArn=state_machine_arn, name=run_id, input=json.dumps({"bucket": bucket, "prefix": prefix})
    )
    return str(reply["executionArn"])


def wait_for(execution_arn: str, poll_s: float = 10.0, on_poll: Callable[[str], None] | None = None) -> str:
    """Poll the execution until it leaves RUNNING; its final status."""
    client = boto3.client("stepfunctions")
    while True:
        status = str(client.describe_execution(executionArn=execution_arn)["status"])
        if on_poll is not None:
            on_poll(status)
        if status != "RUNNING":
            return status
        time.sleep(poll_s)
