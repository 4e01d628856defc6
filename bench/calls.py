"""Counting AWS API calls: a wrapper around botocore's ``BaseClient._make_api_call``.

Every operation a boto3 client performs (including Powertools' own clients) goes through that
method once, whatever the retries underneath, so the count is the number of API requests the code
asks for. Counting only happens inside a ``scope``, so the harness's own calls (seeding tables,
polling queues as Lambda's event-source mapping would) are left out.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

_ApiCall = Callable[[Any, str, dict[str, Any]], dict[str, Any]]


@dataclass(eq=False)
class Tally:
    """Calls by ``service.Operation`` and the wall time spent inside them (botocore + moto)."""

    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def add(self, other: Tally) -> None:
        self.calls.update(other.calls)
        self.seconds += other.seconds


_active: list[Tally] = []
_original: _ApiCall | None = None


def install() -> None:
    """Patch botocore once per process (idempotent)."""
    global _original
    if _original is not None:
        return
    original: _ApiCall = BaseClient._make_api_call  # type: ignore[attr-defined]
    _original = original

    def counting(client: Any, operation_name: str, api_params: dict[str, Any]) -> dict[str, Any]:
        if not _active:
            return original(client, operation_name, api_params)
        started = time.perf_counter()
        try:
            return original(client, operation_name, api_params)
        finally:
            elapsed = time.perf_counter() - started
            name = f"{client.meta.service_model.service_name}.{operation_name}"
            for tally in _active:
                tally.calls[name] += 1
                tally.seconds += elapsed

    setattr(BaseClient, "_make_api_call", counting)  # noqa: B010 - a private method, on purpose


@contextmanager
def scope(tally: Tally | None = None) -> Iterator[Tally]:
    """Count the calls made inside the block into ``tally`` (scopes nest; each sees its calls)."""
    install()
    current = tally if tally is not None else Tally()
    _active.append(current)
    try:
        yield current
    finally:
        _active.remove(current)
