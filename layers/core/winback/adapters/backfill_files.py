"""BackfillBucket: the rows a backfill rejected and each batch's counts, as S3 objects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from winback.adapters import clients

ERRORS_PREFIX = "errors"
PROGRESS_PREFIX = "progress"


class BackfillFiles:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def write_errors(self, run_id: str, batch_id: str, rejected: Sequence[dict[str, Any]]) -> str:
        """One JSON Lines object per batch (named by the batch, so a retry overwrites it)."""
        key = f"{ERRORS_PREFIX}/{run_id}/{batch_id}.jsonl"
        body = "".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n" for r in rejected)
        clients.s3().put_object(Bucket=self.bucket, Key=key, Body=body.encode(), ContentType="application/x-ndjson")
        return key

    def write_progress(self, run_id: str, batch_id: str, counts: dict[str, Any]) -> None:
        clients.s3().put_object(
            Bucket=self.bucket,
            Key=f"{PROGRESS_PREFIX}/{run_id}/{batch_id}.json",
            Body=json.dumps(counts).encode(),
            ContentType="application/json",
        )
