"""What the ingest doors refuse, and how they name it: each bad field as the sender wrote it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import ValidationError

from winback.models.events import ActivityEvent

# How far ahead of our clock an event's `occurred_at` may be (the sender's clock may run fast).
CLOCK_SKEW = timedelta(minutes=5)


class InvalidBody(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors

    @classmethod
    def from_validation(cls, exc: ValidationError) -> InvalidBody:
        """Every error of a pydantic validation, each naming its field (`events.2.user_id`)."""
        return cls([{"field": field_name(e["loc"]), "message": e["msg"]} for e in exc.errors(include_url=False)])


def field_name(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a dotted field name (`body` for the body itself)."""
    return ".".join(str(part) for part in loc) or "body"


def from_the_future(events: Sequence[ActivityEvent], now: datetime, clock_skew: timedelta = CLOCK_SKEW) -> list[int]:
    """The positions of the events that occurred later than `now` plus the allowed clock skew: such an
    event would move a profile's times past the present for good."""
    limit = now + clock_skew
    return [i for i, event in enumerate(events) if event.occurred_at > limit]
