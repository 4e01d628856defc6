"""SQS: sending messages in batches of 10, failed entries retried."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from winback.adapters import clients

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

SQS_BATCH = 10
SQS_BATCH_BYTES = 1024 * 1024
_ROUNDS = 6


class EnqueueFailed(RuntimeError):
    """SQS refused some messages after retries."""


def _chunks(bodies: Sequence[str]) -> list[list[str]]:
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if current and (len(current) == SQS_BATCH or size + length > SQS_BATCH_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append(body)
        size += length
    if current:
        chunks.append(current)
    return chunks


def send_all(queue_url: str, bodies: Sequence[str]) -> int:
    """Enqueue every body (SendMessageBatch, 10 or 1 MiB per call); returns the number of calls made."""
    client = clients.sqs()
    calls = 0
    for chunk in _chunks(bodies):
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)
        ]
        for round_ in range(_ROUNDS):
            calls += 1
            reply = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
            failed = {f["Id"] for f in reply.get("Failed", [])}
            if not failed:
                break
            entries = [e for e in entries if e["Id"] in failed]
            time.sleep(min(0.1 * 2**round_, 2.0))
        else:
            raise EnqueueFailed(f"{len(entries)} messages not accepted by {queue_url}")
    return calls
