"""Ingest: verify the upstream webhook, validate its events, fold them into user profiles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from winback.adapters.activity_store import ActivityStore
from winback.domain.profile_merge import merge_events
from winback.models.events import ActivityEvent, parse_body
from winback.models.profile import Profile

MAX_WRITE_ATTEMPTS = 5


class WebhookRejected(Exception):
    """Missing, malformed, stale or wrong signature."""


class InvalidBody(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


class ProfileContention(RuntimeError):
    """A profile kept changing under us; the request fails as a whole and the sender retries it."""


@dataclass(frozen=True)
class IngestResult:
    events: int
    users: int
    applied: int
    already_applied: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def verify_signature(secret: str, body: str, headers: Mapping[str, str]) -> str:
    """The webhook id, once the Standard Webhooks signature and timestamp (5 minutes) check out."""
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except Exception as exc:  # the library raises several types for malformed headers
        raise WebhookRejected(str(exc) or type(exc).__name__) from exc
    return {k.lower(): v for k, v in headers.items()}["webhook-id"]


def _field(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def validate_body(raw: Any) -> list[ActivityEvent]:
    try:
        return parse_body(raw)
    except ValidationError as exc:
        raise InvalidBody(
            [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors(include_url=False)]
        ) from exc


def apply_events(events: Sequence[ActivityEvent], batch_id: str, store: ActivityStore, signal: str) -> IngestResult:
    """One conditional write per user. A profile that already holds `batch_id` is left alone, so a
    request retried after a partial failure completes without counting anything twice."""
    by_user: dict[str, list[ActivityEvent]] = defaultdict(list)
    for event in events:
        by_user[event.user_id].append(event)
    profiles = store.get_many(by_user)
    applied = already = 0
    for user_id, user_events in by_user.items():
        current = profiles.get(user_id)
        for _ in range(MAX_WRITE_ATTEMPTS):
            base = current or Profile(user_id=user_id)
            if batch_id in base.recent_batches:
                already += 1
                break
            merged = merge_events(base, user_events, batch_id, signal)
            merged.version = base.version + 1
            if store.put(merged, expected_version=base.version):
                applied += 1
                break
            current = store.get(user_id)
        else:
            raise ProfileContention(f"profile kept changing during {MAX_WRITE_ATTEMPTS} attempts")
    return IngestResult(events=len(events), users=len(by_user), applied=applied, already_applied=already)
