"""ActivityTable: one profile per user, written with optimistic locking on `version`."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import batch_get, conditional_failed, error_code, from_av, to_av
from winback.models.erasure import is_profile_item, tombstone_key
from winback.models.profile import Assignment, Engagement, Journeys, Profile


@dataclass(frozen=True)
class ScanPage:
    profiles: list[Profile]
    next_key: dict[str, Any] | None


class Applied(enum.Enum):
    WRITTEN = "written"
    CONFLICT = "conflict"  # the profile changed since it was read
    ALREADY = "already"  # the webhook id's marker exists: this request was applied to this user before
    ERASED = "erased"  # the user was erased (a tombstone): their events are dropped


def tombstone_guard(user_id: str, expected_version: int, table: str) -> list[dict[str, Any]]:
    """The ConditionCheck that keeps an erased user's profile from being created again: only a write
    that creates a profile needs it (an existing profile is proof the user was not erased since: the
    erasure replaces it with a stand-in no write can succeed on, then deletes it). It rides in the
    transaction that already writes the profile; a check costs write units only when a profile is
    created, once per user."""
    if expected_version != 0:
        return []
    return [
        {
            "ConditionCheck": {
                "TableName": table,
                "Key": to_av(tombstone_key(user_id)),
                "ConditionExpression": "attribute_not_exists(user_id)",
            }
        }
    ]


def profiles_of(items: Iterable[dict[str, Any]]) -> dict[str, Profile]:
    """The profiles among ActivityTable items (an erasure's stand-in is none: the user is gone)."""
    return {item["user_id"]: Profile.from_item(item) for item in items if is_profile_item(item)}


# Standard Webhooks senders retry for days (e.g. Svix: 8 attempts over about 28 hours, then manual
# replays); a marker outlives that horizon with room to spare.
WEBHOOK_MARKER_TTL = timedelta(days=7)
# A Segment or RudderStack call's marker: their retries end within a day, but an operator may replay a
# destination's failed events later; a month covers that, and an expired marker only costs its storage.
CALL_MARKER_TTL = timedelta(days=30)


@dataclass(frozen=True)
class CallMark:
    """A call's marker name (hashed type and messageId) and the digest of what the call stated."""

    marker: str
    digest: str


def _version_condition(expected_version: int) -> dict[str, Any]:
    """The profile put's condition: no item yet (version 0), or the version it was read at."""
    if expected_version == 0:
        return {"ConditionExpression": "attribute_not_exists(user_id)"}
    return {
        "ConditionExpression": "version = :expected",
        "ExpressionAttributeValues": to_av({":expected": expected_version}),
    }


def _cancelled(reasons: Sequence[Any], marks: Sequence[CallMark]) -> tuple[Applied, dict[str, str]]:
    """Why a profile-and-markers transaction was cancelled: an erased user (the tombstone guard after
    the profile), markers already there (with the digests they hold), else a profile that changed;
    anything else is raised."""
    codes = [r.get("Code") for r in reasons]
    if codes[len(marks) + 1 : len(marks) + 2] == ["ConditionalCheckFailed"]:
        return Applied.ERASED, {}
    seen = {
        mark.marker: str(from_av(reason.get("Item") or {}).get("digest", ""))
        for mark, reason, code in zip(marks, reasons, codes, strict=False)
        if code == "ConditionalCheckFailed"
    }
    if seen:
        return Applied.ALREADY, seen
    if codes[len(marks) : len(marks) + 1] == ["ConditionalCheckFailed"]:
        return Applied.CONFLICT, {}
    raise RuntimeError(f"profile transaction cancelled: {codes}")


class ActivityStore:
    def __init__(self, table: str, marker_table: str = "", ttl_days: int = 0) -> None:
        self.table = table
        self.marker_table = marker_table
        self.ttl_days = ttl_days

    def _item(self, profile: Profile) -> dict[str, Any]:
        """The stored item; with a TTL, `expires_at` follows the user's last activity (a long-lost
        profile expires, one who is active keeps moving it forward)."""
        item = profile.to_item()
        if self.ttl_days and profile.last_seen_at is not None:
            item["expires_at"] = int((profile.last_seen_at + timedelta(days=self.ttl_days)).timestamp())
        return item

    def get(self, user_id: str) -> Profile | None:
        reply = clients.dynamodb().get_item(TableName=self.table, Key=to_av({"user_id": user_id}), ConsistentRead=True)
        item = reply.get("Item")
        return profiles_of([from_av(item)]).get(user_id) if item else None

    def get_many(self, user_ids: Iterable[str]) -> dict[str, Profile]:
        return profiles_of(batch_get({self.table: [{"user_id": uid} for uid in user_ids]})[self.table])

    def put(self, profile: Profile, expected_version: int) -> bool:
        """Write `profile` if the stored version is still `expected_version` (0: no item yet)."""
        if expected_version == 0:
            condition, values = "attribute_not_exists(user_id)", {}
        else:
            condition, values = "version = :expected", {":expected": expected_version}
        try:
            clients.dynamodb().put_item(
                TableName=self.table,
                Item=to_av(self._item(profile)),
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": to_av(values)} if values else {}),  # type: ignore[arg-type]
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def put_applying(self, profile: Profile, expected_version: int, webhook_id: str, now: datetime) -> Applied:
        """Write `profile` and the (user, webhook id) marker in one transaction: the write fails as a
        whole if the marker exists, so a request retried days later (after a partial failure) is never
        applied to a user twice; one that would create the profile fails as ERASED if the user was
        erased (`tombstone_guard`). Without a marker table this is `put`."""
        if not self.marker_table:
            return Applied.WRITTEN if self.put(profile, expected_version) else Applied.CONFLICT
        marker = {
            "pk": f"user#{profile.user_id}",
            "sk": f"webhook#{webhook_id}",
            "expires_at": int((now + WEBHOOK_MARKER_TTL).timestamp()),
        }
        put_profile = {
            "TableName": self.table,
            "Item": to_av(self._item(profile)),
            **_version_condition(expected_version),
        }
        try:
            clients.dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.marker_table,
                            "Item": to_av(marker),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": put_profile},  # type: ignore[typeddict-item]
                    *tombstone_guard(profile.user_id, expected_version, self.table),  # type: ignore[list-item]
                ]
            )
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons[2:3] == ["ConditionalCheckFailed"]:
                return Applied.ERASED
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return Applied.ALREADY
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                return Applied.CONFLICT
            raise
        return Applied.WRITTEN

    def put_marking_calls(
        self, profile: Profile, expected_version: int, marks: Sequence[CallMark], now: datetime
    ) -> tuple[Applied, dict[str, str]]:
        """Write `profile` and one marker per call (user, `call#<marker>`) in one transaction. WRITTEN;
        ALREADY with the markers found there and the digests they hold (none of this was written);
        CONFLICT when the profile changed since it was read; or ERASED when it would create the profile
        of an erased user (`tombstone_guard`)."""
        expires = int((now + CALL_MARKER_TTL).timestamp())
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.marker_table,
                    "Item": to_av(
                        {
                            "pk": f"user#{profile.user_id}",
                            "sk": f"call#{m.marker}",
                            "digest": m.digest,
                            "expires_at": expires,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for m in marks
        ]
        items.append(
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_av(self._item(profile)),
                    **_version_condition(expected_version),
                }
            }
        )
        items.extend(tombstone_guard(profile.user_id, expected_version, self.table))
        try:
            clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            return _cancelled(error.response.get("CancellationReasons", []), marks)
        return Applied.WRITTEN, {}

    def mark_tier(
        self,
        user_id: str,
        tier: str,
        at: datetime,
        expected_version: int,
        assignment: Assignment | None,
        journeys: Journeys,
    ) -> bool:
        """Record that the user entered `tier` (and their campaign assignment, when they got one)
        unless the profile changed since it was read."""
        values: dict[str, Any] = {
            ":tier": tier,
            ":at": at.isoformat(),
            ":one": 1,
            ":expected": expected_version,
            ":journeys": journeys.model_dump_json(exclude_none=True),
        }
        update = "SET tier = :tier, tier_entered_at = :at, journeys = :journeys, version = version + :one"
        if assignment is not None:
            update += ", assignment = :assignment"
            values[":assignment"] = assignment.to_json()
        return self._update_at_version(user_id, update, values)

    def mark_engagement(self, user_id: str, engagement: Engagement, expected_version: int) -> bool:
        """Record the user's email engagement unless the profile changed since it was read (the
        version moves, so an ingest write that read the old profile retries instead of undoing it)."""
        values = {":e": engagement.model_dump_json(exclude_none=True), ":one": 1, ":expected": expected_version}
        return self._update_at_version(user_id, "SET engagement = :e, version = version + :one", values)

    def _update_at_version(self, user_id: str, update: str, values: Mapping[str, Any]) -> bool:
        """Apply `update` to the profile only while its version is still `:expected`; False if it moved."""
        try:
            clients.dynamodb().update_item(
                TableName=self.table,
                Key=to_av({"user_id": user_id}),
                UpdateExpression=update,
                ConditionExpression="version = :expected",
                ExpressionAttributeValues=to_av(values),
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    # No ProjectionExpression: DynamoDB charges reads on the whole item anyway, and a projected scan
    # is about 10x slower on moto, which the demo and tests run on.
    def scan_page(self, segment: int, total_segments: int, start_key: dict[str, Any] | None, limit: int) -> ScanPage:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Segment": segment,
            "TotalSegments": total_segments,
            "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        reply = clients.dynamodb().scan(**kwargs)
        # Tombstones and erasures' stand-ins share the table: they are no profiles.
        profiles = list(profiles_of(from_av(item) for item in reply.get("Items", [])).values())
        return ScanPage(profiles=profiles, next_key=reply.get("LastEvaluatedKey"))

    def item_count(self) -> int:
        """DynamoDB's approximate item count (refreshed about every six hours)."""
        return int(clients.dynamodb().describe_table(TableName=self.table)["Table"].get("ItemCount", 0))
