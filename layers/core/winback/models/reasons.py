"""A "why did you leave" answer as stored (adapters/reason_store.py): the reason, and the segment it
is counted in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoredAnswer:
    reason: str
    segment: str
