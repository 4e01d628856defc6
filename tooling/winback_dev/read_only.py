"""A block that may only read from AWS: any other API call raises before it leaves the process.

`winback plan` and `winback preview` run inside it, so "writes nothing" is not a promise kept by
care but a guard: a write slipped into a code path they share with the functions (a counter, a
coupon, a claim) fails the command instead of changing a stack. It patches botocore's one choke
point for API calls, so it holds for every client, made before or during the block.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client

# Operations that only read, by name: DynamoDB's Scan, Query and BatchGetItem, and the Get, Describe
# and List calls of every service (SES GetAccount, Secrets Manager GetSecretValue, CloudFormation).
READ_PREFIXES = ("Get", "BatchGet", "TransactGet", "Describe", "List", "Scan", "Query")


class WriteRefused(RuntimeError):
    """A call that is not a read was made inside a read-only block."""


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


@contextmanager
def read_only(allow: tuple[str, ...] = ()) -> Iterator[Counter[str]]:
    """Within the block, only read calls (and the operations named in `allow`) reach AWS; yields the
    count of calls made, by operation."""
    calls: Counter[str] = Counter()
    original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 - a private hook

    def guarded(client: Any, operation: str, params: Any) -> Any:
        if not (is_read(operation) or operation in allow):
            raise WriteRefused(f"{client.meta.service_model.service_name}.{operation} in a read-only command")
        calls[operation] += 1
        return original(client, operation, params)

    setattr(botocore.client.BaseClient, "_make_api_call", guarded)  # noqa: B010
    try:
        yield calls
    finally:
        setattr(botocore.client.BaseClient, "_make_api_call", original)  # noqa: B010
