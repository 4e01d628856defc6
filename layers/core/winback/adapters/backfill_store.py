"""Backfill writes: a user's profile and the marker of the batch that changed it, in one transaction.

The marker (MessagingTable `user#<id>` / `backfill#<batch id>`) is what makes a re-run or a retried
child batch exact: the profile and its marker are written together or not at all, and a marker
already there cancels the write.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import batch_get, error_code, to_av
from winback.models.profile import Profile


class Commit(enum.Enum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"  # the batch's marker is there: a re-run or a retry
    CONFLICT = "conflict"  # the profile changed since it was read


def marker_key(user_id: str, batch_id: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"backfill#{batch_id}"}


class BackfillStore:
    def __init__(self, activity_table: str, messaging_table: str) -> None:
        self.activity_table = activity_table
        self.messaging_table = messaging_table

    def read(self, user_ids: Iterable[str], batch_id: str) -> tuple[dict[str, Profile], set[str]]:
        """The users' profiles and which of them already carry this batch, in one BatchGetItem per 100 keys."""
        users = list(user_ids)
        found = batch_get(
            {
                self.activity_table: [{"user_id": u} for u in users],
                self.messaging_table: [marker_key(u, batch_id) for u in users],
            }
        )
        profiles = {item["user_id"]: Profile.from_item(item) for item in found[self.activity_table]}
        marked = {str(item["pk"]).removeprefix("user#") for item in found[self.messaging_table]}
        return profiles, marked

    def commit(self, profile: Profile, expected_version: int, batch_id: str, rows: int, at: str) -> Commit:
        if expected_version == 0:
            condition, values = "attribute_not_exists(user_id)", {}
        else:
            condition, values = "version = :expected", {":expected": expected_version}
        profile_put: dict[str, object] = {
            "TableName": self.activity_table,
            "Item": to_av(profile.to_item()),
            "ConditionExpression": condition,
        }
        if values:
            profile_put["ExpressionAttributeValues"] = to_av(values)
        marker = {**marker_key(profile.user_id, batch_id), "rows": rows, "applied_at": at}
        try:
            clients.dynamodb().transact_write_items(
                TransactItems=[
                    {"Put": profile_put},  # type: ignore[typeddict-item]
                    {
                        "Put": {
                            "TableName": self.messaging_table,
                            "Item": to_av(marker),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            if len(reasons) == 2 and reasons[1] == "ConditionalCheckFailed":
                return Commit.ALREADY_APPLIED
            if len(reasons) == 2 and reasons[0] == "ConditionalCheckFailed":
                return Commit.CONFLICT
            raise
        return Commit.APPLIED
